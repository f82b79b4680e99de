"""我的居住登记: current and past registrations, the months eligibility uses, receipts, the public query."""

from __future__ import annotations

from datetime import date

import pytest

from tests.housing import YUEHAI, make_declaration, make_house, make_person, make_registration
from tests.support import count_queries, create_account
from web.models import DeclarationKind, DeclarationStatus, IdType
from web.services import my_registrations
from web.services.my_registrations import check_query, has_current_registration

TODAY = date(2026, 3, 15)


async def test_a_person_without_registrations_has_nothing_and_no_months(db: None) -> None:
    person = await make_person()
    mine = await my_registrations.registrations_of(person.id, today=TODAY)
    assert (mine.current, mine.past, mine.months, mine.reaches_required_on) == (None, [], 0, None)


async def test_current_and_past_registrations_newest_first(db: None) -> None:
    person = await make_person()
    old = await make_registration(person, start=date(2024, 1, 5), end=date(2024, 12, 31))
    older = await make_registration(person, start=date(2023, 1, 5), end=date(2023, 6, 30))
    now = await make_registration(person, start=date(2025, 6, 1))
    await make_registration(await make_person("别人"), start=date(2025, 1, 1))
    mine = await my_registrations.registrations_of(person.id, today=TODAY)
    assert mine.current is not None and mine.current.id == now.id and mine.current.is_current
    assert [entry.id for entry in mine.past] == [old.id, older.id]
    assert mine.past[0].end_date == date(2024, 12, 31)


async def test_months_and_the_day_twelve_months_are_reached(db: None) -> None:
    person = await make_person()
    await make_registration(person, start=date(2025, 6, 1))
    mine = await my_registrations.registrations_of(person.id, today=TODAY)
    assert mine.months == 9
    assert mine.reaches_required_on == date(2026, 6, 1)


async def test_a_move_without_a_gap_keeps_the_months_continuous(db: None) -> None:
    person = await make_person()
    await make_registration(person, start=date(2024, 12, 1), end=date(2025, 5, 31))
    await make_registration(person, start=date(2025, 6, 1))
    mine = await my_registrations.registrations_of(person.id, today=TODAY)
    assert mine.continuity.since == date(2024, 12, 1)
    assert mine.months == 15
    assert mine.reaches_required_on is None  # already reached


async def test_someone_who_moved_out_is_not_counting_months(db: None) -> None:
    person = await make_person()
    await make_registration(person, start=date(2024, 1, 1), end=date(2026, 2, 28))
    mine = await my_registrations.registrations_of(person.id, today=TODAY)
    assert (mine.current, mine.months, mine.reaches_required_on) == (None, 0, None)


async def test_rejected_and_pending_declarations_about_me_with_their_reason(db: None) -> None:
    person = await make_person()
    landlord = await create_account("resident", password_hash="x")
    rejected = await make_declaration(landlord, people=[person], status=DeclarationStatus.REJECTED,
                                      reason="房屋地址与实际不符")
    pending = await make_declaration(landlord, people=[person, await make_person("同住人")],
                                     kind=DeclarationKind.MOVE_IN)
    await make_declaration(landlord, people=[person], status=DeclarationStatus.REGISTERED)
    await make_declaration(landlord, people=[await make_person("别人")], status=DeclarationStatus.REJECTED,
                           reason="别人的")
    mine = await my_registrations.registrations_of(person.id, today=TODAY)
    assert [(entry.id, entry.reason) for entry in mine.rejected] == [(rejected.id, "房屋地址与实际不符")]
    assert [entry.id for entry in mine.pending] == [pending.id]


async def test_the_page_costs_two_queries(db: None) -> None:
    person = await make_person()
    for year in (2021, 2022, 2023):
        await make_registration(person, start=date(year, 1, 1), end=date(year, 12, 31))
    with count_queries() as queries:
        await my_registrations.registrations_of(person.id, today=TODAY)
    assert queries.count == 2, queries


async def test_receipt_of_my_registration_masks_my_id_number(db: None) -> None:
    person = await make_person("李明")
    house = await make_house(YUEHAI)
    registration = await make_registration(person, house=house, start=date(2025, 6, 1))
    receipt = await my_registrations.receipt(person.id, registration.id)
    assert receipt is not None
    assert (receipt.name, receipt.address, receipt.start_date, receipt.end_date) == (
        "李明", house.address, date(2025, 6, 1), None)
    assert receipt.number == f"{YUEHAI}{registration.id:08d}"
    assert receipt.point_name == "粤海街道居住证受理点"
    assert person.id_number not in repr(receipt) and receipt.masked_id_number.startswith(person.id_number[:4])


async def test_no_receipt_for_someone_elses_registration(db: None) -> None:
    registration = await make_registration(await make_person(), start=date(2025, 6, 1))
    other = await make_person("别人")
    assert await my_registrations.receipt(other.id, registration.id) is None
    assert await my_registrations.receipt(other.id, 999999) is None


# --- the public query ---------------------------------------------------------------------------


async def test_query_says_yes_only_for_a_current_registration_with_the_right_name(db: None) -> None:
    registered = await make_person("李明")
    await make_registration(registered, start=date(2025, 6, 1))
    moved_out = await make_person("王芳")
    await make_registration(moved_out, start=date(2024, 1, 1), end=date(2025, 1, 1))

    async def ask(name: str, person) -> bool:  # type: ignore[no-untyped-def]
        return await has_current_registration(name=name, id_type=IdType.RESIDENT_ID, id_number=person.id_number)

    assert await ask("李明", registered) is True
    assert await ask("李四", registered) is False  # the right number with another name
    assert await ask(" 李 明", registered) is True  # spaces do not matter
    assert await ask("王芳", moved_out) is False
    assert await has_current_registration(name="李明", id_type=IdType.PASSPORT, id_number=registered.id_number) is False


@pytest.mark.parametrize(
    ("name", "id_type", "number", "errors"),
    [
        ("李明", "resident_id", "430102199003070011", {"id_number": "checksum"}),
        ("", "", "", {"name": "missing", "id_type": "missing", "id_number": "missing"}),
        ("李" * 65, "passport", "E12345678", {"name": "too_long"}),
        ("李明1", "passport", "E12345678", {"name": "characters"}),
        ("李明", "passport", "E1234_5678", {"id_number": "invalid"}),
        ("李明", "passport", "E" * 33, {"id_number": "invalid"}),
        ("李明", "passport", "E1234-5678", {}),
        ("李明", "nonsense", "E12345678", {"id_type": "missing"}),
        ("李明", "resident_id", "12345", {"id_number": "length"}),
    ],
)
def test_query_form_reasons(name: str, id_type: str, number: str, errors: dict[str, str]) -> None:
    assert (check_query(name, id_type, number, today=TODAY).errors or {}) == errors


def test_query_normalizes_what_was_typed() -> None:
    answer = check_query("  李  明 ", "passport", " e１２３４５６７８ ", today=TODAY)
    assert (answer.errors, answer.name, answer.id_type, answer.id_number) == (
        None, "李 明", IdType.PASSPORT, "E12345678")
