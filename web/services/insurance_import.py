"""社保数据导入: social-insurance months from the registry's CSV export, with a report per row.

The file has a header and the columns id_number, month (YYYY-MM) and insurer (参保单位), in any
order, UTF-8 with or without a byte-order mark. Each row is checked on its own: a row in error is
reported and left out, the others go in. A month already on record is skipped, not an error, so
importing the same export twice changes nothing. These months feed the eligibility query
(web/adapters/insurance.py reads InsuranceMonth).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from tortoise.transactions import in_transaction

from web.models import Account, InsuranceMonth
from web.services import audit
from web.services.identity import check_citizen_id, mask_id_number, normalize_id_number

MAX_BYTES = 5 * 1024 * 1024
COLUMNS = ("id_number", "month", "insurer")
INSURER_MAX_LENGTH = InsuranceMonth._meta.fields_map["insurer"].max_length
# Above this many rows the report lists only the rows that did not go in (the totals count them all).
LISTED_ROWS_MAX = 1000
_LOOKUP_CHUNK = 500  # ID numbers per "already on record?" query (parameter limits of SQLite)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class Status:
    IMPORTED = "imported"
    SKIPPED = "skipped"  # already on record
    ERROR = "error"


@dataclass
class RowResult:
    """One data row: its number in the file (the header is row 1), what was read and the outcome.

    `reason` (for errors): an identity.check_citizen_id code (length, format, province,
    birth_date, checksum) prefixed "id_", or bad_month, future_month, duplicate, insurer_too_long,
    columns (not three values).
    """

    row: int
    masked_id_number: str
    month_text: str
    status: str = Status.IMPORTED
    reason: str = ""
    id_number: str = field(default="", repr=False)  # kept out of repr: never in logs
    month: date | None = None
    insurer: str = ""


@dataclass
class ImportReport:
    """The outcome of one file. `problem` is a reason for the whole file (nothing was imported):
    empty, not_utf8, header, too_large, no_rows."""

    rows: list[RowResult] = field(default_factory=list)
    problem: str = ""
    header: tuple[str, ...] = ()

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def imported(self) -> int:
        return self.count(Status.IMPORTED)

    @property
    def skipped(self) -> int:
        return self.count(Status.SKIPPED)

    @property
    def errors(self) -> int:
        return self.count(Status.ERROR)

    @property
    def listed_rows(self) -> list[RowResult]:
        """Every row of a small file; of a large one, the rows that did not go in (up to a limit)."""
        if len(self.rows) <= LISTED_ROWS_MAX:
            return self.rows
        return [row for row in self.rows if row.status != Status.IMPORTED][:LISTED_ROWS_MAX]

    @property
    def unlisted(self) -> int:
        return len(self.rows) - len(self.listed_rows)


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError:
        return None


def _month(text: str, *, today: date) -> tuple[date | None, str | None]:
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        return None, "bad_month"
    month = date(int(match.group(1)), int(match.group(2)), 1)
    if month > today.replace(day=1):
        return None, "future_month"  # this month may already be paid; later ones cannot be
    return month, None


def parse(data: bytes, *, today: date) -> ImportReport:
    """Read and check the file; nothing touches the database. Rows that pass stay IMPORTED."""
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.problem = "too_large"
        return report
    text = _decode(data)
    if text is None:
        report.problem = "not_utf8"
        return report
    if not text.strip():
        report.problem = "empty"
        return report
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    names = tuple(name.strip().lower() for name in header)
    report.header = tuple(header)
    if sorted(names) != sorted(COLUMNS):
        report.problem = "header"
        return report
    position = {name: names.index(name) for name in COLUMNS}
    seen: set[tuple[str, date]] = set()
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue  # a blank line (often the last) is no row
        report.rows.append(_check_row(number, values, position, seen, today=today))
    if not report.rows:
        report.problem = "no_rows"
    return report


def _check_row(
    number: int, values: list[str], position: dict[str, int], seen: set[tuple[str, date]], *, today: date
) -> RowResult:
    if len(values) != len(COLUMNS):
        return RowResult(number, "", "", Status.ERROR, "columns")
    id_number = normalize_id_number(values[position["id_number"]])
    month_text = values[position["month"]].strip()
    insurer = " ".join(values[position["insurer"]].split())
    row = RowResult(number, mask_id_number(id_number), month_text[:16], id_number=id_number, insurer=insurer)
    if reason := check_citizen_id(id_number, today=today):
        row.status, row.reason = Status.ERROR, f"id_{reason}"
        return row
    month, reason = _month(month_text, today=today)
    if month is None:
        row.status, row.reason = Status.ERROR, reason or "bad_month"
        return row
    row.month = month
    if len(insurer) > INSURER_MAX_LENGTH:
        row.status, row.reason = Status.ERROR, "insurer_too_long"
        return row
    if (id_number, month) in seen:
        row.status, row.reason = Status.ERROR, "duplicate"  # the first of the pair goes in
        return row
    seen.add((id_number, month))
    return row


async def _on_record(rows: list[RowResult]) -> set[tuple[str, date]]:
    """The (ID number, month) pairs of these rows that the table already holds."""
    numbers = sorted({row.id_number for row in rows})
    found: set[tuple[str, date]] = set()
    for start in range(0, len(numbers), _LOOKUP_CHUNK):
        chunk = numbers[start : start + _LOOKUP_CHUNK]
        pairs = await InsuranceMonth.filter(id_number__in=chunk).values_list("id_number", "month")
        found.update((number, month) for number, month in pairs)
    return found


async def import_file(
    data: bytes, *, today: date, actor: Account, filename: str = "", ip: str = ""
) -> ImportReport:
    """Check the file, insert the rows that pass in bulk, and audit the import (totals only).

    Rows already on record are marked SKIPPED. A file with a problem imports nothing and is not
    audited: nothing changed.
    """
    report = parse(data, today=today)
    if report.problem:
        return report
    candidates = [row for row in report.rows if row.status == Status.IMPORTED]
    async with in_transaction():
        existing = await _on_record(candidates)
        new = []
        for row in candidates:
            assert row.month is not None
            if (row.id_number, row.month) in existing:
                row.status = Status.SKIPPED
            else:
                new.append(InsuranceMonth(id_number=row.id_number, month=row.month, insurer=row.insurer))
        # ignore_conflicts: a month another import added since the lookup is skipped, not a failure.
        await InsuranceMonth.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        await audit.record(
            actor=actor, action="admin.insurance.import", target_type="insurance_import",
            detail={"filename": filename[:100], "rows": len(report.rows), "imported": report.imported,
                    "skipped": report.skipped, "errors": report.errors},
            ip=ip,
        )
    return report
