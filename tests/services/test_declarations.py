"""Residence declarations (web/services/declarations.py): the rules of DOMAIN §3, review, house links."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests import support
from web.models import (
    Account,
    DeclarantKind,
    DeclarationKind,
    DeclarationOccupant,
    DeclarationStatus,
    House,
    HouseKind,
    HouseLink,
    IdType,
    Person,
    Registration,
    ResidenceDeclaration,
    Review,
    SystemMessage,
)
from web.services import declarations
from web.services.declarations import DeclarationError, DeclarationInput, DeclarationRefused, OccupantInput
from web.services.identity import make_id_number

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
FUTIAN = "440304004"  # 福田街道, district 440304
YUEHAI = "440305007"  # 粤海街道, district 440305
TENANT_ID = make_id_number("430102", date(1995, 5, 5), 135)
OTHER_ID = make_id_number("450103", date(1998, 8, 8), 246)
THIRD_ID = make_id_number("360102", date(2000, 1, 2), 111)
FOURTH_ID = make_id_number("510104", date(1991, 12, 1), 222)
BAD_CHECKSUM = TENANT_ID[:-1] + ("0" if TENANT_ID[-1] != "0" else "1")


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "_password_hash", lambda password: "not-a-real-hash")


def occupant(row: int = 1, **values: str) -> OccupantInput:
    defaults = {
        "name": "张伟", "id_type": IdType.RESIDENT_ID, "id_number": TENANT_ID, "hukou_address_type": "other_province",
        "hukou_address": "湖南省长沙市芙蓉区示范路1号", "occupation": "3", "workplace": "示范公司", "reason": "1",
        "head_of_household": "", "relation": "", "emergency_phone": "13800009999",
    }  # fmt: skip
    return OccupantInput(row=row, **{**defaults, **values})


def move_in(house: House | None, *people: OccupantInput, **values: Any) -> DeclarationInput:
    fields: dict[str, Any] = {
        "kind": DeclarationKind.MOVE_IN, "declarant_kind": DeclarantKind.LANDLORD, "event_date": "2026-03-01",
        "house_code": house.house_code if house else "", "occupants": people or (occupant(),),
    }  # fmt: skip
    return DeclarationInput(**{**fields, **values})


async def make_house(code: str = "44030400010101", street: str = FUTIAN, kind: HouseKind = HouseKind.RENTAL) -> House:
    return await House.create(
        house_code=code, street_id=street, building="1栋", room="101室", address=f"深圳市示范花园{code}", kind=kind
    )


async def landlord_with(house: House, status: Review = Review.APPROVED) -> Account:
    account = await support.create_account("resident")
    await HouseLink.create(account=account, house=house, status=status)
    return account


async def staff_of(street_code: str) -> Account:
    from web.models import AcceptancePoint

    point = await AcceptancePoint.get(code=street_code)
    return await support.create_account("staff", point_id=point.id)


async def refused(account: Account, data: DeclarationInput) -> list[tuple[str | None, str]]:
    with pytest.raises(DeclarationRefused) as caught:
        await declarations.submit_declaration(account, data, today=TODAY)
    return [(error.field, error.reason) for error in caught.value.errors]


async def register(person_id: int, house: House, start: date) -> Registration:
    """An approved registration, as approval would have made it."""
    account = await support.create_account("resident")
    declaration = await ResidenceDeclaration.create(
        declarant=account, declarant_kind=DeclarantKind.LANDLORD, kind=DeclarationKind.MOVE_IN, house=house,
        street_id=house.street_id, event_date=start, status=DeclarationStatus.REGISTERED,
    )  # fmt: skip
    return await Registration.create(
        person_id=person_id, house=house, street_id=house.street_id, address=house.address,
        start_date=start, declaration=declaration,
    )  # fmt: skip


# --- submitting: what is accepted ------------------------------------------------------------------


async def test_landlord_declares_move_in_of_two_tenants_for_an_approved_house(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    data = move_in(house, occupant(1), occupant(2, name="王芳", id_number=OTHER_ID))

    declaration = await declarations.submit_declaration(landlord, data, today=TODAY)

    assert declaration.status == DeclarationStatus.PENDING
    assert declaration.street_id == FUTIAN and declaration.address_detail == house.address
    assert not declaration.is_late
    rows = await DeclarationOccupant.filter(declaration=declaration).select_related("person").order_by("id")
    assert [row.person.name for row in rows] == ["张伟", "王芳"]
    assert rows[0].person.birth_date == date(1995, 5, 5) and rows[0].occupation == 3 and rows[0].reason_code == 1
    assert rows[0].person.hukou_address == "湖南省长沙市芙蓉区示范路1号"
    assert declarations.declaration_number(declaration) == f"JD{declaration.id:08d}"


async def test_a_known_person_is_found_by_document_not_created_again(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    known = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟")

    declaration = await declarations.submit_declaration(landlord, move_in(house, occupant(name=" 张 伟 ")), today=TODAY)

    row = await DeclarationOccupant.get(declaration=declaration)
    assert row.person_id == known.id and await Person.filter(id_number=TENANT_ID).count() == 1


async def test_the_declared_hukou_address_is_kept_with_the_declaration_not_over_the_profile(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    known = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟", hukou_address="湖南省岳阳市旧地址")

    declaration = await declarations.submit_declaration(landlord, move_in(house, occupant()), today=TODAY)

    row = await DeclarationOccupant.get(declaration=declaration)
    assert row.hukou_address == "湖南省长沙市芙蓉区示范路1号"
    await known.refresh_from_db()
    assert known.hukou_address == "湖南省岳阳市旧地址"


async def test_blank_rows_are_ignored(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    blank = OccupantInput(row=2, id_type=IdType.RESIDENT_ID)
    declaration = await declarations.submit_declaration(landlord, move_in(house, occupant(1), blank), today=TODAY)
    assert await DeclarationOccupant.filter(declaration=declaration).count() == 1


@pytest.mark.parametrize(("kind", "moved_in", "late"), [
    (HouseKind.RENTAL, date(2026, 2, 23), False),  # 7 days: the last day of the deadline
    (HouseKind.RENTAL, date(2026, 2, 22), True),
    (HouseKind.DORMITORY, date(2026, 2, 22), True),
    (HouseKind.OWN, date(2026, 2, 15), False),  # 15 days
    (HouseKind.OWN, date(2026, 2, 14), True),
    (HouseKind.MANAGED, date(2026, 2, 14), True),
])  # fmt: skip
def test_late_declarations_are_flagged_after_the_deadline(kind: HouseKind, moved_in: date, late: bool) -> None:
    assert declarations.is_late(DeclarationKind.MOVE_IN, moved_in, kind, today=TODAY) is late


def test_a_change_of_data_has_no_deadline() -> None:
    assert not declarations.is_late(DeclarationKind.CHANGE, date(2020, 1, 1), HouseKind.RENTAL, today=TODAY)


async def test_a_late_declaration_is_accepted_and_flagged(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    declaration = await declarations.submit_declaration(landlord, move_in(house, event_date="2026-01-05"), today=TODAY)
    assert declaration.is_late


async def test_resident_declares_own_home_typed_by_hand(db: None) -> None:
    account = await support.create_account("resident")
    data = move_in(
        None, declarant_kind=DeclarantKind.SELF, district="440304", street=FUTIAN, address_detail=" 深圳市福田区 某路 8号 "
    )
    declaration = await declarations.submit_declaration(account, data, today=TODAY)
    assert declaration.house_id is None and declaration.street_id == FUTIAN
    assert declaration.address_detail == "深圳市福田区 某路 8号"
    assert declaration.declarant_kind == DeclarantKind.SELF


async def test_unit_declares_for_a_dormitory(db: None) -> None:
    from web.models import AcceptancePoint, Unit

    point = await AcceptancePoint.get(code=FUTIAN)
    unit = await Unit.create(name="示范公司", credit_code="91440300MA5DEM0010", address="x", contact_name="x",
                             contact_phone="13800000003", point=point)  # fmt: skip
    agent = await support.create_account("unit_agent", unit_id=unit.id)
    house = await make_house(kind=HouseKind.DORMITORY)
    declaration = await declarations.submit_declaration(
        agent, move_in(house, declarant_kind=DeclarantKind.UNIT), today=TODAY
    )
    assert declaration.unit_id == unit.id


# --- submitting: what is refused (table-driven) ------------------------------------------------------


@pytest.mark.parametrize(("changes", "expected"), [
    ({"event_date": ""}, ("event_date", "date_missing")),
    ({"event_date": "2026-02-30"}, ("event_date", "date_invalid")),
    ({"event_date": "99999-01-01"}, ("event_date", "date_invalid")),
    ({"event_date": "2026-03-03"}, ("event_date", "date_in_future")),
    ({"event_date": "9999-12-31"}, ("event_date", "date_in_future")),
    ({"event_date": "0001-01-01"}, ("event_date", "date_too_early")),
    ({"house_code": "NOSUCHHOUSE"}, ("house_code", "house_unknown")),
    ({"house_code": ""}, ("house_code", "house_required")),
    ({"occupants": ()}, ("name_1", "occupants_missing")),
    ({"occupants": tuple(occupant(n, id_number=i) for n, i in enumerate((TENANT_ID, OTHER_ID, THIRD_ID, FOURTH_ID), 1))},
     ("occupants", "too_many_occupants")),
    ({"occupants": (occupant(1), occupant(2))}, ("id_number_2", "duplicate_person")),
    ({"occupants": (occupant(id_number=BAD_CHECKSUM),)}, ("id_number_1", "id_number_invalid")),
    ({"occupants": (occupant(id_number="12345"),)}, ("id_number_1", "id_number_invalid")),
    ({"occupants": (occupant(id_number=""),)}, ("id_number_1", "id_number_missing")),
    ({"occupants": (occupant(id_type=IdType.PASSPORT, id_number="E1"),)}, ("id_number_1", "id_number_invalid")),
    ({"occupants": (occupant(id_type="tampered"),)}, ("id_type_1", "id_type_invalid")),
    ({"occupants": (occupant(name=""),)}, ("name_1", "name_missing")),
    ({"occupants": (occupant(name="张" * 65),)}, ("name_1", "name_too_long")),
    ({"occupants": (occupant(occupation="99"),)}, ("occupation_1", "occupation_missing")),
    ({"occupants": (occupant(reason=""),)}, ("reason_1", "reason_missing")),
    ({"occupants": (occupant(hukou_address_type="mars"),)}, ("hukou_address_type_1", "hukou_type_missing")),
    ({"occupants": (occupant(hukou_address=""),)}, ("hukou_address_1", "hukou_address_missing")),
    ({"occupants": (occupant(emergency_phone=""),)}, ("emergency_phone_1", "phone_missing")),
    ({"occupants": (occupant(emergency_phone="call me"),)}, ("emergency_phone_1", "phone_invalid")),
    ({"occupants": (occupant(head_of_household="张大", relation=""),)}, ("relation_1", "relation_missing")),
    ({"occupants": (occupant(workplace="x" * 129),)}, ("workplace_1", "workplace_too_long")),
])  # fmt: skip
async def test_landlord_move_in_is_refused(db: None, changes: dict[str, Any], expected: tuple[str, str]) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    assert expected in await refused(landlord, move_in(house, **changes))
    assert not await ResidenceDeclaration.exists()


async def test_every_problem_is_reported_at_once(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    problems = await refused(landlord, move_in(house, occupant(name="", occupation=""), event_date="2030-01-01"))
    assert problems == [("event_date", "date_in_future"), ("name_1", "name_missing"), ("occupation_1", "occupation_missing")]


@pytest.mark.parametrize("status", [Review.PENDING, Review.REJECTED, None])
async def test_landlord_needs_an_approved_link(db: None, status: Review | None) -> None:
    house = await make_house()
    landlord = await landlord_with(house, status) if status else await support.create_account("resident")
    assert ("house_code", "house_not_linked") in await refused(landlord, move_in(house))


@pytest.mark.parametrize(("values", "expected"), [
    ({"district": "", "street": FUTIAN}, ("district", "district_missing")),
    ({"district": "440304", "street": ""}, ("street", "street_missing")),
    ({"district": "440304", "street": YUEHAI}, ("street", "street_unknown")),  # not a street of that district
    ({"district": "440304", "street": "' OR 1=1"}, ("street", "street_unknown")),
    ({"district": "440304", "street": FUTIAN, "address_detail": " "}, ("address_detail", "address_missing")),
    ({"district": "440304", "street": FUTIAN, "address_detail": "x" * 256}, ("address_detail", "address_invalid")),
])  # fmt: skip
async def test_an_address_typed_by_hand_is_checked(db: None, values: dict[str, str], expected: tuple[str, str]) -> None:
    account = await support.create_account("resident")
    data = move_in(None, declarant_kind=DeclarantKind.ASSISTED, **{"address_detail": "深圳市福田区某路8号", **values})
    assert expected in await refused(account, data)


async def test_own_home_declaration_needs_a_house_of_kind_own(db: None) -> None:
    house = await make_house(kind=HouseKind.RENTAL)
    account = await support.create_account("resident")
    assert ("house_code", "house_not_own") in await refused(account, move_in(house, declarant_kind=DeclarantKind.SELF))


async def test_a_name_that_does_not_match_the_known_person_is_refused(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="李四")
    assert ("name_1", "name_mismatch") in await refused(landlord, move_in(house))


async def test_move_in_of_someone_registered_at_another_house_is_refused(db: None) -> None:
    house, elsewhere = await make_house(), await make_house("44030400020101")
    landlord = await landlord_with(house)
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟")
    await register(person.id, elsewhere, date(2025, 1, 1))
    assert ("id_number_1", "already_registered") in await refused(landlord, move_in(house))


async def test_move_in_of_someone_already_registered_here_is_refused(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟")
    await register(person.id, house, date(2025, 1, 1))
    assert ("id_number_1", "already_registered_here") in await refused(landlord, move_in(house))


@pytest.mark.parametrize("role", ["staff", "admin"])
async def test_only_residents_and_units_declare(db: None, role: str) -> None:
    house = await make_house()
    account = await support.create_account(role)
    with pytest.raises(DeclarationError) as caught:
        await declarations.submit_declaration(account, move_in(house), today=TODAY)
    assert caught.value.reason == "declarant_not_allowed"


async def test_a_tampered_kind_is_refused(db: None) -> None:
    account = await support.create_account("resident")
    with pytest.raises(DeclarationError) as caught:
        await declarations.submit_declaration(account, move_in(None, kind="delete_all"), today=TODAY)
    assert caught.value.reason == "kind_invalid"


# --- move-out and change -----------------------------------------------------------------------------


def move_out(house: House, *people: OccupantInput, **values: Any) -> DeclarationInput:
    return move_in(house, *(people or (OccupantInput(row=1, name="张伟", id_type="resident_id", id_number=TENANT_ID),)),
                   kind=DeclarationKind.MOVE_OUT, **values)  # fmt: skip


async def test_move_out_needs_only_the_person(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟")
    await register(person.id, house, date(2025, 1, 1))
    declaration = await declarations.submit_declaration(landlord, move_out(house), today=TODAY)
    row = await DeclarationOccupant.get(declaration=declaration)
    assert row.person_id == person.id and row.occupation is None


@pytest.mark.parametrize(("registered_since", "event_date", "expected"), [
    (date(2026, 2, 1), "2026-01-31", ("event_date", "move_out_before_move_in")),
    (None, "2026-03-01", ("id_number_1", "not_registered_here")),
])  # fmt: skip
async def test_move_out_is_refused(
    db: None, registered_since: date | None, event_date: str, expected: tuple[str, str]
) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟")
    if registered_since:
        await register(person.id, house, registered_since)
    assert expected in await refused(landlord, move_out(house, event_date=event_date))


async def test_move_out_of_someone_registered_at_another_house_is_refused(db: None) -> None:
    house, elsewhere = await make_house(), await make_house("44030400020101")
    landlord = await landlord_with(house)
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟")
    await register(person.id, elsewhere, date(2025, 1, 1))
    assert ("id_number_1", "not_registered_here") in await refused(landlord, move_out(house))


# --- review ------------------------------------------------------------------------------------------


async def pending_move_in(*people: OccupantInput) -> tuple[ResidenceDeclaration, House, Account]:
    house = await make_house()
    landlord = await landlord_with(house)
    declaration = await declarations.submit_declaration(landlord, move_in(house, *people), today=TODAY)
    return declaration, house, landlord


async def test_approving_a_move_in_starts_a_registration_per_occupant(db: None) -> None:
    declaration, house, landlord = await pending_move_in(occupant(1), occupant(2, name="王芳", id_number=OTHER_ID))
    tenant = await Person.get(id_number=TENANT_ID)
    tenant_account = await support.create_account("resident", person_id=tenant.id)
    staff = await staff_of(FUTIAN)

    approved = await declarations.approve_declaration(declaration.id, staff=staff, now=NOW)

    assert approved.status == DeclarationStatus.REGISTERED and approved.reviewed_by_id == staff.id
    registrations = await Registration.filter(declaration=declaration).order_by("id")
    assert [(r.start_date, r.end_date, r.house_id, r.address) for r in registrations] == [
        (date(2026, 3, 1), None, house.id, house.address)
    ] * 2
    assert await SystemMessage.filter(account_id=landlord.id).count() == 1
    message = await SystemMessage.get(account_id=tenant_account.id)
    assert declarations.declaration_number(declaration) in message.title


async def test_approval_rechecks_a_registration_made_meanwhile(db: None) -> None:
    declaration, _, _ = await pending_move_in()
    tenant = await Person.get(id_number=TENANT_ID)
    await register(tenant.id, await make_house("44030400020101"), date(2026, 1, 1))
    with pytest.raises(DeclarationError) as caught:
        await declarations.approve_declaration(declaration.id, staff=await staff_of(FUTIAN), now=NOW)
    assert caught.value.reason == "already_registered"
    await declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.PENDING


async def test_approving_a_move_out_ends_the_registration_on_its_date(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟")
    registration = await register(person.id, house, date(2025, 1, 1))
    declaration = await declarations.submit_declaration(landlord, move_out(house, event_date="2026-02-20"), today=TODAY)

    await declarations.approve_declaration(declaration.id, staff=await staff_of(FUTIAN), now=NOW)

    await registration.refresh_from_db()
    assert registration.end_date == date(2026, 2, 20) and registration.end_declaration_id == declaration.id
    assert registration.active_person_id is None


async def test_approving_a_change_updates_the_person(db: None) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    person = await Person.create(id_type=IdType.RESIDENT_ID, id_number=TENANT_ID, name="张伟", workplace="旧公司")
    await register(person.id, house, date(2025, 1, 1))
    data = move_in(house, occupant(workplace="新公司"), kind=DeclarationKind.CHANGE)
    declaration = await declarations.submit_declaration(landlord, data, today=TODAY)

    await declarations.approve_declaration(declaration.id, staff=await staff_of(FUTIAN), now=NOW)

    await person.refresh_from_db()
    assert person.workplace == "新公司"
    assert await Registration.filter(person=person).count() == 1


async def test_rejecting_needs_a_reason_and_notifies_it(db: None) -> None:
    declaration, _, landlord = await pending_move_in()
    staff = await staff_of(FUTIAN)
    with pytest.raises(DeclarationError) as caught:
        await declarations.reject_declaration(declaration.id, staff=staff, reason="  ", now=NOW)
    assert caught.value.reason == "reason_required"

    rejected = await declarations.reject_declaration(declaration.id, staff=staff, reason="证件号码不清", now=NOW)

    assert rejected.status == DeclarationStatus.REJECTED and rejected.reason == "证件号码不清"
    message = await SystemMessage.get(account_id=landlord.id)
    assert "证件号码不清" in message.body
    assert not await Registration.exists()


@pytest.mark.parametrize("action", ["approve", "reject"])
async def test_only_pending_declarations_are_reviewed(db: None, action: str) -> None:
    declaration, _, _ = await pending_move_in()
    staff = await staff_of(FUTIAN)
    await declarations.approve_declaration(declaration.id, staff=staff, now=NOW)
    with pytest.raises(DeclarationError) as caught:
        if action == "approve":
            await declarations.approve_declaration(declaration.id, staff=staff, now=NOW)
        else:
            await declarations.reject_declaration(declaration.id, staff=staff, reason="x", now=NOW)
    assert caught.value.reason == "not_pending"


async def test_staff_of_another_point_cannot_review(db: None) -> None:
    declaration, _, _ = await pending_move_in()
    other = await staff_of(YUEHAI)
    for review in (
        declarations.approve_declaration(declaration.id, staff=other, now=NOW),
        declarations.reject_declaration(declaration.id, staff=other, reason="x", now=NOW),
    ):
        with pytest.raises(DeclarationError) as caught:
            await review
        assert caught.value.reason == "wrong_point"


async def test_an_unknown_declaration_is_not_found(db: None) -> None:
    with pytest.raises(DeclarationError) as caught:
        await declarations.approve_declaration(999999, staff=await staff_of(FUTIAN), now=NOW)
    assert caught.value.reason == "not_found"


async def test_point_reviews_street(db: None) -> None:
    staff = await staff_of(FUTIAN)
    await staff.fetch_related("point")
    assert declarations.point_reviews_street(staff, FUTIAN)
    assert not declarations.point_reviews_street(staff, YUEHAI)
    assert not declarations.point_reviews_street(await support.create_account("resident"), FUTIAN)


# --- house links -------------------------------------------------------------------------------------


async def test_landlord_links_a_house_and_staff_approve_it(db: None) -> None:
    house = await make_house()
    landlord = await support.create_account("resident")
    link = await declarations.link_house(landlord, f" {house.house_code.lower()} ")
    assert link.status == Review.PENDING

    approved = await declarations.approve_house_link(link.id, staff=await staff_of(FUTIAN), now=NOW)

    assert approved.status == Review.APPROVED
    assert [h.id for h in await declarations.approved_houses(landlord.id)] == [house.id]
    assert await SystemMessage.filter(account_id=landlord.id).count() == 1


async def test_a_rejected_link_keeps_its_reason_and_may_be_asked_again(db: None) -> None:
    house = await make_house()
    landlord = await support.create_account("resident")
    link = await declarations.link_house(landlord, house.house_code)
    staff = await staff_of(FUTIAN)
    with pytest.raises(DeclarationError):
        await declarations.reject_house_link(link.id, staff=staff, reason="", now=NOW)
    await declarations.reject_house_link(link.id, staff=staff, reason="产权证明不符", now=NOW)
    [listed] = await declarations.my_house_links(landlord.id)
    assert (listed.status, listed.reason, listed.house.street.code) == (Review.REJECTED, "产权证明不符", FUTIAN)

    again = await declarations.link_house(landlord, house.house_code)
    assert (again.id, again.status, again.reason) == (link.id, Review.PENDING, "")


@pytest.mark.parametrize(("code", "reason"), [("", "house_required"), ("NOPE", "house_unknown")])
async def test_linking_needs_an_existing_house(db: None, code: str, reason: str) -> None:
    with pytest.raises(DeclarationError) as caught:
        await declarations.link_house(await support.create_account("resident"), code)
    assert (caught.value.field, caught.value.reason) == ("house_code", reason)


async def test_a_house_is_linked_once(db: None) -> None:
    house = await make_house()
    landlord = await support.create_account("resident")
    await declarations.link_house(landlord, house.house_code)
    with pytest.raises(DeclarationError) as caught:
        await declarations.link_house(landlord, house.house_code)
    assert caught.value.reason == "already_linked"


async def test_link_review_is_checked_like_declarations(db: None) -> None:
    house = await make_house()
    link = await declarations.link_house(await support.create_account("resident"), house.house_code)
    with pytest.raises(DeclarationError) as caught:
        await declarations.approve_house_link(link.id, staff=await staff_of(YUEHAI), now=NOW)
    assert caught.value.reason == "wrong_point"
    staff = await staff_of(FUTIAN)
    await declarations.approve_house_link(link.id, staff=staff, now=NOW)
    with pytest.raises(DeclarationError) as caught:
        await declarations.reject_house_link(link.id, staff=staff, reason="x", now=NOW)
    assert caught.value.reason == "not_pending"


# --- lists -------------------------------------------------------------------------------------------


async def test_my_declarations_lists_newest_first_with_names(db: None, count_queries: support.QueryCounter) -> None:
    house = await make_house()
    landlord = await landlord_with(house)
    first = await declarations.submit_declaration(landlord, move_in(house), today=TODAY)
    second = await declarations.submit_declaration(
        landlord, move_in(house, occupant(name="王芳", id_number=OTHER_ID)), today=TODAY
    )
    with count_queries() as queries:
        listed = await declarations.my_declarations(landlord.id)
    assert [(s.declaration.id, s.occupant_names) for s in listed] == [(second.id, ("王芳",)), (first.id, ("张伟",))]
    assert queries.count == 2, queries
    assert await declarations.my_declaration(landlord.id, first.id) is not None
    assert await declarations.my_declaration((await support.create_account("resident")).id, first.id) is None


@pytest.mark.parametrize(("raw", "expected"), [("JD00000042", 42), ("jd42", 42), ("42", 42), ("JDx", None), ("", None)])
def test_declaration_numbers_parse(raw: str, expected: int | None) -> None:
    assert declarations.parse_declaration_number(raw) == expected


async def test_nul_bytes_never_reach_the_database(db: None) -> None:
    # PostgreSQL refuses NUL in text: every value that reaches a query or a row is cleaned first.
    house = await make_house()
    landlord = await landlord_with(house)
    data = move_in(house, occupant(workplace="示范\x00公司"), house_code=house.house_code + "\x00")
    declaration = await declarations.submit_declaration(landlord, data, today=TODAY)
    assert (await DeclarationOccupant.get(declaration=declaration)).workplace == "示范公司"
    for bad, reason in (("\x00", "street_missing"), ("4403\x00", "street_unknown")):
        assert ("street", reason) in await refused(
            landlord, move_in(None, declarant_kind=DeclarantKind.ASSISTED, district="440304", street=bad,
                              address_detail="x")  # fmt: skip
        )
    with pytest.raises(DeclarationError):
        await declarations.link_house(landlord, "\x00")
    rejected = await declarations.reject_declaration(declaration.id, staff=await staff_of(FUTIAN), reason="不\x00符", now=NOW)
    assert rejected.reason == "不符"
