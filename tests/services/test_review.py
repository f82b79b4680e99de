"""The acceptance point's review queue: its street only, late first, keyset pages, constant queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.housing import FUTIAN, YUEHAI, make_declaration, make_house, make_house_link, make_person
from tests.support import count_queries, create_account
from web.models import DeclarationStatus, Review, Unit
from web.services import review
from web.services.review import DECLARATION_REJECTION_REASONS, DeclarationCursor

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def _landlord(name: str = "刘房东"):
    person = await make_person(name)
    return await create_account("resident", person_id=person.id, password_hash="x")


async def _declarations_at(times: list[tuple[int, bool]], street: str = FUTIAN) -> list[int]:
    """Pending declarations submitted `minutes` after T0, late or not; their ids in that order."""
    landlord = await _landlord()
    house = await make_house(street)
    ids = []
    for minutes, late in times:
        declaration = await make_declaration(
            landlord, house=house, is_late=late, submitted_at=T0 + timedelta(minutes=minutes)
        )
        ids.append(declaration.id)
    return ids


async def _all_pages(street: str, limit: int) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = await review.pending_declarations(street, after=after, limit=limit)
        pages.append([item.id for item in page.items])
        if page.next_after is None:
            return pages
        after = DeclarationCursor.decode(page.next_after)
        assert after is not None


async def test_queue_puts_late_declarations_first_then_the_oldest(db: None) -> None:
    a, b, c, d = await _declarations_at([(0, False), (5, True), (10, False), (15, True)])
    page = await review.pending_declarations(FUTIAN)
    assert [item.id for item in page.items] == [b, d, a, c]
    assert [item.is_late for item in page.items] == [True, True, False, False]
    assert page.next_after is None


async def test_queue_pages_by_keyset_without_skipping_or_repeating(db: None) -> None:
    # Two declarations share a submission instant: the id breaks the tie across a page boundary.
    times = [(0, False), (1, True), (2, False), (2, False), (3, True), (4, False), (4, True)]
    ids = await _declarations_at(times)
    expected = [ids[1], ids[4], ids[6], ids[0], ids[2], ids[3], ids[5]]
    for limit in (1, 2, 3, 7):
        pages = await _all_pages(FUTIAN, limit)
        assert [item for page in pages for item in page] == expected, limit
        assert all(len(page) <= limit for page in pages)


async def test_queue_holds_only_pending_declarations_of_its_own_street(db: None) -> None:
    ours = await _declarations_at([(0, False)])
    await _declarations_at([(1, False)], street=YUEHAI)
    landlord = await _landlord()
    for status in (DeclarationStatus.REGISTERED, DeclarationStatus.REJECTED):
        await make_declaration(landlord, house=await make_house(FUTIAN), status=status, reason="x")
    page = await review.pending_declarations(FUTIAN)
    assert [item.id for item in page.items] == ours


async def test_queue_item_names_declarant_occupants_and_address(db: None) -> None:
    landlord = await _landlord("刘房东")
    house = await make_house(FUTIAN)
    tenants = [await make_person("王一"), await make_person("王二")]
    await make_declaration(landlord, house=house, people=tenants)
    unit = await Unit.create(name="示范单位", credit_code="91440300MA5DEM0019", address="深圳",
                             contact_name="陈", contact_phone="13800000003", point_id=1)
    agent = await create_account("unit_agent", unit_id=unit.id, password_hash="x")
    await make_declaration(agent, street_code=FUTIAN, address_detail="深圳市福田区手填地址8号")
    items = (await review.pending_declarations(FUTIAN)).items
    assert (items[0].declarant, items[0].occupants, items[0].address) == ("刘房东", ("王一", "王二"), house.address)
    assert (items[1].declarant, items[1].address) == ("示范单位", "深圳市福田区手填地址8号")


async def test_a_page_of_the_queue_costs_three_queries_whatever_its_size(db: None) -> None:
    landlord = await _landlord()
    for _ in range(12):
        await make_declaration(landlord, house=await make_house(FUTIAN),
                               people=[await make_person(), await make_person()])
    with count_queries() as small:
        await review.pending_declarations(FUTIAN, limit=2)
    with count_queries() as large:
        await review.pending_declarations(FUTIAN, limit=20)
    assert small.count == large.count <= 3, large


@pytest.mark.parametrize("raw", [None, "", "x", "2.1.1", "1.abc.3", "1.99999999999999999999.1", "1.1", "0.-5.x"])
def test_a_malformed_cursor_means_the_first_page(raw: str | None) -> None:
    assert DeclarationCursor.decode(raw) is None


def test_a_cursor_survives_its_round_trip() -> None:
    cursor = DeclarationCursor(True, datetime(2026, 3, 2, 1, 0, 0, 123456, tzinfo=UTC), 42)
    assert DeclarationCursor.decode(cursor.encode()) == cursor


async def test_house_links_queue_pages_in_arrival_order_for_its_street(db: None) -> None:
    landlord = await _landlord("赵房东")
    ours = [await make_house_link(landlord, house=await make_house(FUTIAN)) for _ in range(3)]
    await make_house_link(landlord, house=await make_house(YUEHAI))
    await make_house_link(landlord, house=await make_house(FUTIAN), status=Review.APPROVED)
    first = await review.pending_house_links(FUTIAN, limit=2)
    assert [item.id for item in first.items] == [ours[0].id, ours[1].id]
    assert first.items[0].applicant == "赵房东"
    second = await review.pending_house_links(FUTIAN, after=review.decode_link_cursor(first.next_after), limit=2)
    assert [item.id for item in second.items] == [ours[2].id]
    assert second.next_after is None


async def test_counts_of_the_queue(db: None) -> None:
    await _declarations_at([(0, False), (1, True), (2, True)])
    await _declarations_at([(3, True)], street=YUEHAI)
    await make_house_link(await _landlord(), house=await make_house(FUTIAN))
    assert await review.counts(FUTIAN) == review.Counts(declarations=3, late=2, house_links=1)


async def test_detail_of_another_streets_declaration_is_not_found(db: None) -> None:
    (theirs,) = await _declarations_at([(0, False)], street=YUEHAI)
    assert await review.declaration_for_point(theirs, FUTIAN) is None
    assert await review.declaration_for_point(999999, FUTIAN) is None
    assert await review.declaration_for_point(theirs, YUEHAI) is not None


async def test_detail_masks_id_numbers_and_counts_days_after_move_in(db: None) -> None:
    landlord = await _landlord()
    tenant = await make_person("王一")
    declaration = await make_declaration(
        landlord, house=await make_house(FUTIAN), people=[tenant], is_late=True,
        event_date=datetime(2026, 2, 20).date(), submitted_at=datetime(2026, 3, 1, 18, 0, tzinfo=UTC),
    )
    detail = await review.declaration_for_point(declaration.id, FUTIAN)
    assert detail is not None
    # 18:00 UTC on 1 March is 2 March in Shenzhen: 10 days after the 20 February move-in.
    assert (detail.days_after_event, detail.deadline_days, detail.item.is_late) == (10, 7, True)
    (occupant,) = detail.occupants
    assert occupant.masked_id_number == tenant.id_number[:4] + "*" * 10 + tenant.id_number[-4:]
    assert tenant.id_number not in repr(detail)
    assert detail.is_pending


async def test_detail_of_a_house_link_only_for_its_street(db: None) -> None:
    link = await make_house_link(await _landlord("赵房东"), house=await make_house(YUEHAI))
    assert await review.house_link_for_point(link.id, FUTIAN) is None
    detail = await review.house_link_for_point(link.id, YUEHAI)
    assert detail is not None and detail.item.applicant == "赵房东" and "****" in detail.applicant_mobile


@pytest.mark.parametrize(
    ("code", "detail", "reason", "errors"),
    [
        ("address", "", "房屋地址与实际不符", {}),
        ("address", "  门牌号  不对 ", "房屋地址与实际不符：门牌号 不对", {}),
        ("other", "材料不全", "材料不全", {}),
        ("", "材料不全", "材料不全", {}),
        ("", "  ", None, {"reason_code": "missing"}),
        ("nonsense", "", None, {"reason_code": "missing"}),
        ("other", "", None, {"reason_detail": "missing"}),
        ("address", "长" * 491, None, {"reason_detail": "too_long"}),
        ("other", "长" * 500, "长" * 500, {}),
    ],
)
def test_rejection_reason_needs_a_picked_reason_or_text(
    code: str, detail: str, reason: str | None, errors: dict[str, str]
) -> None:
    assert review.rejection_reason(DECLARATION_REJECTION_REASONS, code, detail) == (reason, errors)
