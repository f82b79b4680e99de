"""社保数据导入: the per-row report at its edges, and the bulk insert that skips months on record."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support import create_account
from web.models import AuditEntry, InsuranceMonth
from web.services import insurance_import
from web.services.identity import make_id_number, mask_id_number
from web.services.insurance_import import Status

TODAY = date(2026, 3, 15)
LI = make_id_number("430102", date(1992, 6, 15), 135)
WANG = make_id_number("450103", date(1995, 11, 20), 246)
HEADER = "id_number,month,insurer\n"


def csv_bytes(*lines: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = header + "".join(line + "\n" for line in lines)
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def statuses(report: insurance_import.ImportReport) -> list[tuple[int, str, str]]:
    return [(row.row, row.status, row.reason) for row in report.rows]


def with_wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def test_rows_that_pass_are_numbered_from_2_with_masked_numbers() -> None:
    report = insurance_import.parse(csv_bytes(f"{LI},2026-01,深圳示范科技有限公司", f"{WANG},2026-03,"), today=TODAY)
    assert report.problem == ""
    assert statuses(report) == [(2, Status.IMPORTED, ""), (3, Status.IMPORTED, "")]
    assert report.rows[0].masked_id_number == mask_id_number(LI) and LI not in repr(report.rows[0])
    assert report.rows[0].month == date(2026, 1, 1) and report.rows[0].insurer == "深圳示范科技有限公司"
    assert report.rows[1].month == date(2026, 3, 1)  # this month may already be paid


def test_a_byte_order_mark_crlf_and_any_column_order_are_read() -> None:
    data = ("\ufeffmonth,Insurer , ID_NUMBER\r\n" f"2026-02,公司,{LI.lower()}\r\n").encode()
    report = insurance_import.parse(data, today=TODAY)
    assert statuses(report) == [(2, Status.IMPORTED, "")]
    assert report.rows[0].id_number == LI  # a typed lowercase x is X


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (f"{with_wrong_check_digit(LI)},2026-01,", "id_checksum"),
        (f"{LI[:17]},2026-01,", "id_length"),
        (f"{LI[:16]}AB,2026-01,", "id_format"),
        (f"99{LI[2:]},2026-01,", "id_province"),
        (f"{LI},2026-13,", "bad_month"),
        (f"{LI},2026-1,", "bad_month"),
        (f"{LI},2026/01,", "bad_month"),
        (f"{LI},,", "bad_month"),
        (f"{LI},2026-04,", "future_month"),
        (f"{LI},2026-01,{'公' * 129}", "insurer_too_long"),
        (f"{LI},2026-01", "columns"),
        (f"{LI},2026-01,公司,extra", "columns"),
    ],
)
def test_each_bad_row_is_an_error_with_its_reason(line: str, reason: str) -> None:
    report = insurance_import.parse(csv_bytes(f"{WANG},2026-01,", line), today=TODAY)
    assert statuses(report) == [(2, Status.IMPORTED, ""), (3, Status.ERROR, reason)]


def test_a_repeat_in_the_file_is_an_error_and_the_first_goes_in() -> None:
    report = insurance_import.parse(csv_bytes(f"{LI},2026-01,A", f"{WANG},2026-01,", f" {LI} ,2026-01,B"), today=TODAY)
    assert statuses(report) == [(2, Status.IMPORTED, ""), (3, Status.IMPORTED, ""), (4, Status.ERROR, "duplicate")]


def test_blank_lines_are_not_rows_but_keep_the_numbering() -> None:
    report = insurance_import.parse(csv_bytes(f"{LI},2026-01,", "", f"{LI},2026-02,", ",,"), today=TODAY)
    assert [row.row for row in report.rows] == [2, 4]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf \n", "empty"),
        (HEADER.encode(), "no_rows"),
        (csv_bytes(f"{LI},2026-01,", header="身份证号,月份,单位\n"), "header"),
        (csv_bytes(f"{LI},2026-01", header="id_number,month\n"), "header"),
        (csv_bytes(f"{LI},2026-01,,x", header="id_number,month,insurer,note\n"), "header"),
        ("id_number,month,insurer\n430102199206151353,2026-01,深圳公司\n".encode("gbk"), "not_utf8"),
        (b"x" * (insurance_import.MAX_BYTES + 1), "too_large"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data: bytes, problem: str) -> None:
    report = insurance_import.parse(data, today=TODAY)
    assert (report.problem, report.rows) == (problem, [])


def test_a_large_file_lists_only_the_rows_that_did_not_go_in() -> None:
    lines = [f"{make_id_number('440304', date(1990, 1, 1), n % 999 + 1)},{2020 + n // 999}-01," for n in range(1200)]
    report = insurance_import.parse(csv_bytes(*lines, f"{LI},2030-01,"), today=TODAY)
    assert len(report.rows) == 1201
    assert [row.row for row in report.listed_rows] == [1202]
    assert report.unlisted == 1200


async def test_import_inserts_rows_that_pass_and_skips_months_on_record(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    await InsuranceMonth.create(id_number=LI, month=date(2026, 1, 1), insurer="旧单位")
    data = csv_bytes(f"{LI},2026-01,新单位", f"{LI},2026-02,新单位", f"{with_wrong_check_digit(WANG)},2026-02,", bom=True)
    report = await insurance_import.import_file(data, today=TODAY, actor=admin, filename="march.csv", ip="10.0.0.1")
    assert statuses(report) == [(2, Status.SKIPPED, ""), (3, Status.IMPORTED, ""), (4, Status.ERROR, "id_checksum")]
    assert (report.imported, report.skipped, report.errors) == (1, 1, 1)
    months = await InsuranceMonth.filter(id_number=LI).order_by("month").values_list("month", "insurer")
    assert months == [(date(2026, 1, 1), "旧单位"), (date(2026, 2, 1), "新单位")]  # on record: left as it was
    entry = await AuditEntry.get(action="admin.insurance.import")
    assert entry.actor_id == admin.id and entry.ip_masked == "10.0.0.*"
    assert entry.detail == {"filename": "march.csv", "rows": 3, "imported": 1, "skipped": 1, "errors": 1}


async def test_importing_the_same_file_twice_changes_nothing(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    data = csv_bytes(f"{LI},2026-01,", f"{WANG},2026-02,")
    await insurance_import.import_file(data, today=TODAY, actor=admin)
    again = await insurance_import.import_file(data, today=TODAY, actor=admin)
    assert (again.imported, again.skipped) == (0, 2)
    assert await InsuranceMonth.all().count() == 2


async def test_a_file_with_a_problem_imports_and_audits_nothing(db: None) -> None:
    admin = await create_account("admin", password_hash="x")
    report = await insurance_import.import_file(b"", today=TODAY, actor=admin)
    assert report.problem == "empty"
    assert not await AuditEntry.exists(action="admin.insurance.import")


async def test_many_rows_go_in_with_a_few_statements(db: None, count_queries) -> None:  # type: ignore[no-untyped-def]
    admin = await create_account("admin", password_hash="x")
    lines = [f"{make_id_number('440304', date(1990, 1, 1), n)},2025-{m:02d}," for n in range(1, 300) for m in (1, 2)]
    with count_queries() as queries:
        report = await insurance_import.import_file(csv_bytes(*lines), today=TODAY, actor=admin)
    assert report.imported == 598
    assert await InsuranceMonth.all().count() == 598
    assert queries.count <= 10, queries
