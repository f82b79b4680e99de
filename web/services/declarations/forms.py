"""Submitting a declaration: the rules of DOMAIN §3 over what a form carries, then the pending record.

Every rule answers with a reason code and the form field it concerns; all problems of a form are
reported at once (DeclarationRefused), so the page can show each beside its field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from tortoise.transactions import in_transaction

from web.models import (
    Account,
    DeclarantKind,
    DeclarationKind,
    DeclarationOccupant,
    House,
    HouseKind,
    HouseLink,
    IdType,
    Person,
    Registration,
    ResidenceDeclaration,
    Review,
    Role,
    Street,
)
from web.services import identity, rules
from web.services.declarations.common import (
    ADDRESS_MAX_LENGTH,
    EARLIEST_EVENT_DATE,
    HEAD_MAX_LENGTH,
    HUKOU_TYPES,
    ID_TYPES,
    OCCUPANT_FIELDS,
    OCCUPATIONS,
    REASONS,
    RELATION_MAX_LENGTH,
    WORKPLACE_MAX_LENGTH,
    DeclarationError,
    DeclarationRefused,
    house_by_code,
    is_street_code,
    normalize_house_code,
    occupant_field,
    squash,
    without_nul,
)
from web.services.validators import check_hukou_address, check_name, normalize_name

# Passports and permits: letters and digits (a few issuers print a hyphen), 5-32 characters.
_OTHER_ID_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{3,30}[A-Z0-9]")
# An emergency contact may be a mobile or a landline with its area code: digits, +, - and spaces.
_PHONE = re.compile(r"\+?[0-9][0-9 -]{5,18}[0-9]")


@dataclass(frozen=True)
class OccupantInput:
    """One person's row of a declaration form, as typed; `row` (1-3) names its fields (name_1 ...)."""

    row: int
    name: str = ""
    id_type: str = ""
    id_number: str = ""
    hukou_address_type: str = ""
    hukou_address: str = ""
    occupation: str = ""
    workplace: str = ""
    reason: str = ""  # 来深事由 code
    head_of_household: str = ""
    relation: str = ""
    emergency_phone: str = ""

    def is_blank(self) -> bool:
        """An untouched row of the form (the document type select always sends a value)."""
        return not any(getattr(self, name).strip() for name in OCCUPANT_FIELDS if name != "id_type")


@dataclass(frozen=True)
class DeclarationInput:
    """A declaration form as typed. The house is its code, or district + street + address by hand."""

    kind: str  # DeclarationKind
    declarant_kind: str  # DeclarantKind
    event_date: str
    house_code: str = ""
    district: str = ""
    street: str = ""
    address_detail: str = ""
    occupants: tuple[OccupantInput, ...] = ()


@dataclass
class _Checked:
    """What validation found, for the write."""

    kind: DeclarationKind
    declarant_kind: DeclarantKind
    event_date: date | None = None
    house: House | None = None
    street_code: str = ""
    address: str = ""
    occupants: list[tuple[OccupantInput, str, str]] = field(default_factory=list)  # row, name, number
    people: dict[tuple[str, str], Person] = field(default_factory=dict)
    dwelling_known: bool = False  # the house, or a valid street and address typed by hand
    errors: list[DeclarationError] = field(default_factory=list)

    def refuse(self, reason: str, field_name: str | None = None) -> None:
        self.errors.append(DeclarationError(reason, field_name))


def parse_event_date(raw: str, *, today: date) -> tuple[date | None, str | None]:
    """A move-in or move-out date (YYYY-MM-DD), or why not: date_missing, date_invalid, date_in_future,
    date_too_early."""
    text = "".join(unicodedata.normalize("NFKC", raw[:40]).split())
    if not text:
        return None, "date_missing"
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, "date_invalid"
    if day > today:
        return None, "date_in_future"
    if day < EARLIEST_EVENT_DATE:
        return None, "date_too_early"
    return day, None


def check_id_number(id_type: str, raw: str, *, today: date) -> tuple[str, str | None]:
    """The ID number as stored and why it fails: id_number_missing, id_number_invalid (a citizen ID
    number fails GB 11643-1999; another document's number is not 5-32 letters and digits)."""
    number = identity.normalize_id_number(raw[:64])
    if not number:
        return number, "id_number_missing"
    if id_type == IdType.RESIDENT_ID:
        return number, "id_number_invalid" if identity.check_citizen_id(number, today=today) else None
    return number, None if _OTHER_ID_NUMBER.fullmatch(number) else "id_number_invalid"


def deadline_days(house_kind: HouseKind) -> int:
    return rules.DECLARATION_DEADLINE_DAYS[house_kind]


def dwelling_kind(declarant_kind: DeclarantKind, house: House | None) -> HouseKind:
    """The kind of dwelling that sets the deadline: the house's own, or what the declarant implies."""
    if house is not None:
        return HouseKind(house.kind)
    return {
        DeclarantKind.UNIT: HouseKind.DORMITORY,
        DeclarantKind.SELF: HouseKind.OWN,
        DeclarantKind.LANDLORD: HouseKind.RENTAL,
        DeclarantKind.ASSISTED: HouseKind.RENTAL,  # 辅助申报: the landlord of a rental did not declare
    }[declarant_kind]


def is_late(kind: DeclarationKind, event_date: date, house_kind: HouseKind, *, today: date) -> bool:
    """Declared after the deadline (7 days for rentals and dormitories, 15 otherwise, DOMAIN §3).

    Decision: the deadline counts from the move-in or the move-out; a change of data has none.
    """
    if kind == DeclarationKind.CHANGE:
        return False
    return today > event_date + timedelta(days=deadline_days(house_kind))


def allowed_declarant_kinds(account: Account) -> frozenset[DeclarantKind]:
    """Residents declare as landlords, for their own home, or assisted; unit agents for their unit."""
    if account.role == Role.RESIDENT:
        return frozenset({DeclarantKind.LANDLORD, DeclarantKind.SELF, DeclarantKind.ASSISTED})
    if account.role == Role.UNIT_AGENT and account.unit_id is not None:  # type: ignore[attr-defined]
        return frozenset({DeclarantKind.UNIT})
    return frozenset()


@dataclass(frozen=True)
class DeclarationPreview:
    """A declaration that passed every check, for the check-your-answers page."""

    street_name: str
    address: str
    house_code: str | None  # None: the address was typed by hand
    event_date: date
    is_late: bool
    deadline_days: int


async def check_declaration(account: Account, data: DeclarationInput, *, today: date) -> DeclarationPreview:
    """Run every check of submit_declaration without storing anything, or raise DeclarationRefused."""
    checked = await _check(account, _without_nul(data), today=today)
    if checked.errors:
        raise DeclarationRefused(checked.errors)
    assert checked.event_date is not None
    house_kind = dwelling_kind(checked.declarant_kind, checked.house)
    street = await Street.get(code=checked.street_code)
    return DeclarationPreview(
        street_name=street.name,
        address=checked.address,
        house_code=checked.house.house_code if checked.house else None,
        event_date=checked.event_date,
        is_late=is_late(checked.kind, checked.event_date, house_kind, today=today),
        deadline_days=deadline_days(house_kind),
    )


async def submit_declaration(account: Account, data: DeclarationInput, *, today: date) -> ResidenceDeclaration:
    """Check a declaration form and store it 待审核 (pending), or raise DeclarationRefused with every
    problem found. Occupants become Persons (found by document type and number, or created)."""
    checked = await _check(account, _without_nul(data), today=today)
    if checked.errors:
        raise DeclarationRefused(checked.errors)
    assert checked.event_date is not None
    late = is_late(checked.kind, checked.event_date, dwelling_kind(checked.declarant_kind, checked.house), today=today)
    async with in_transaction():
        declaration = await ResidenceDeclaration.create(
            declarant=account,
            declarant_kind=checked.declarant_kind,
            kind=checked.kind,
            house=checked.house,
            street_id=checked.street_code,
            address_detail=checked.address,
            event_date=checked.event_date,
            is_late=late,
            unit_id=account.unit_id if checked.declarant_kind == DeclarantKind.UNIT else None,  # type: ignore[attr-defined]
        )
        for occupant, name, number in checked.occupants:
            person = checked.people.get((occupant.id_type, number)) or await _new_person(occupant, name, number)
            await DeclarationOccupant.create(declaration=declaration, person=person, **_occupant_values(checked.kind, occupant))
    return declaration


def _without_nul(data: DeclarationInput) -> DeclarationInput:
    occupants = tuple(
        replace(occupant, **{name: without_nul(getattr(occupant, name)) for name in OCCUPANT_FIELDS})
        for occupant in data.occupants
    )
    texts = ("kind", "declarant_kind", "event_date", "house_code", "district", "street", "address_detail")
    return replace(data, occupants=occupants, **{name: without_nul(getattr(data, name)) for name in texts})


async def _new_person(occupant: OccupantInput, name: str, number: str) -> Person:
    values: dict[str, object] = {"name": name, "hukou_address": normalize_name(occupant.hukou_address)}
    if occupant.id_type == IdType.RESIDENT_ID:
        facts = identity.parse_citizen_id(number)
        values.update(sex=facts.sex, birth_date=facts.birth_date)
    person, _ = await Person.get_or_create(id_type=occupant.id_type, id_number=number, defaults=values)
    return person


def _occupant_values(kind: DeclarationKind, occupant: OccupantInput) -> dict[str, object]:
    if kind == DeclarationKind.MOVE_OUT:
        return {}
    return {
        "hukou_address_type": occupant.hukou_address_type,
        # As declared: a person already known keeps the profile's address, staff see both.
        "hukou_address": normalize_name(occupant.hukou_address),
        "occupation": int(occupant.occupation),
        "workplace": squash(occupant.workplace),
        "reason_code": int(occupant.reason),
        "head_of_household": squash(occupant.head_of_household),
        "relation": squash(occupant.relation),
        "emergency_phone": squash(occupant.emergency_phone),
    }


async def _check(account: Account, data: DeclarationInput, *, today: date) -> _Checked:
    try:
        kind, declarant_kind = DeclarationKind(data.kind), DeclarantKind(data.declarant_kind)
    except ValueError:
        raise DeclarationError("kind_invalid") from None
    if declarant_kind not in allowed_declarant_kinds(account):
        raise DeclarationError("declarant_not_allowed")
    checked = _Checked(kind=kind, declarant_kind=declarant_kind)
    checked.event_date, reason = parse_event_date(data.event_date, today=today)
    if reason:
        checked.refuse(reason, "event_date")
    await _check_house(account, data, checked)
    _check_occupant_rows(data, checked, today=today)
    await _check_people(checked)
    return checked


async def _check_house(account: Account, data: DeclarationInput, checked: _Checked) -> None:
    code = normalize_house_code(data.house_code)
    if code:
        checked.house = await house_by_code(code)
        if checked.house is None:
            checked.refuse("house_unknown", "house_code")
            return
        checked.street_code, checked.address = checked.house.street_id, checked.house.address  # type: ignore[attr-defined]
        checked.dwelling_known = True
        await _check_house_may_be_declared(account, checked)
        return
    if checked.declarant_kind == DeclarantKind.LANDLORD:
        # A landlord declares only for a linked house, which exists with its code.
        checked.refuse("house_required", "house_code")
        return
    street_code = data.street.strip()
    street = await Street.get_or_none(code=street_code) if is_street_code(street_code) else None
    if not data.district.strip():
        checked.refuse("district_missing", "district")
    elif street is None or street.district_adcode != data.district.strip():
        checked.refuse("street_missing" if not data.street.strip() else "street_unknown", "street")
    address = squash(data.address_detail)
    if not address:
        checked.refuse("address_missing", "address_detail")
    elif len(address) > ADDRESS_MAX_LENGTH or any(unicodedata.category(c)[0] == "C" for c in address):
        checked.refuse("address_invalid", "address_detail")
    if street is not None:
        checked.street_code = street.code
    checked.address = address
    checked.dwelling_known = not checked.errors or all(e.field == "event_date" for e in checked.errors)


async def _check_house_may_be_declared(account: Account, checked: _Checked) -> None:
    house = checked.house
    assert house is not None
    if checked.declarant_kind == DeclarantKind.LANDLORD:
        if not await HouseLink.exists(account_id=account.id, house_id=house.id, status=Review.APPROVED):
            checked.refuse("house_not_linked", "house_code")
    elif checked.declarant_kind == DeclarantKind.SELF and house.kind != HouseKind.OWN:
        checked.refuse("house_not_own", "house_code")
    elif checked.declarant_kind == DeclarantKind.UNIT and house.kind != HouseKind.DORMITORY:
        checked.refuse("house_not_dormitory", "house_code")


def _check_occupant_rows(data: DeclarationInput, checked: _Checked, *, today: date) -> None:
    rows = [occupant for occupant in data.occupants if not occupant.is_blank()]
    if not rows:
        checked.refuse("occupants_missing", occupant_field("name", 1))
        return
    if len(rows) > rules.MAX_OCCUPANTS_PER_DECLARATION:
        checked.refuse("too_many_occupants", "occupants")
        return
    seen: set[tuple[str, str]] = set()
    for occupant in rows:
        row = occupant.row
        name = normalize_name(occupant.name[:300])
        if reason := check_name(name):
            checked.refuse(f"name_{reason}", occupant_field("name", row))
        if occupant.id_type not in ID_TYPES:
            checked.refuse("id_type_invalid", occupant_field("id_type", row))
            continue
        number, reason = check_id_number(occupant.id_type, occupant.id_number, today=today)
        if reason:
            checked.refuse(reason, occupant_field("id_number", row))
        elif (occupant.id_type, number) in seen:
            checked.refuse("duplicate_person", occupant_field("id_number", row))
        else:
            seen.add((occupant.id_type, number))
            checked.occupants.append((occupant, name, number))
        if checked.kind != DeclarationKind.MOVE_OUT:
            _check_occupant_details(occupant, checked)


def _check_occupant_details(occupant: OccupantInput, checked: _Checked) -> None:
    """The move-in fields of DOMAIN §3 (also carried by a change of occupant data)."""
    row = occupant.row

    def refuse_unless(ok: bool, reason: str, name: str) -> None:
        if not ok:
            checked.refuse(reason, occupant_field(name, row))

    refuse_unless(occupant.hukou_address_type in HUKOU_TYPES, "hukou_type_missing", "hukou_address_type")
    hukou_reason = check_hukou_address(normalize_name(occupant.hukou_address[:300]))
    refuse_unless(hukou_reason is None, f"hukou_address_{hukou_reason}", "hukou_address")
    refuse_unless(occupant.occupation in OCCUPATIONS, "occupation_missing", "occupation")
    refuse_unless(len(squash(occupant.workplace)) <= WORKPLACE_MAX_LENGTH, "workplace_too_long", "workplace")
    refuse_unless(occupant.reason in REASONS, "reason_missing", "reason")
    head, relation = squash(occupant.head_of_household), squash(occupant.relation)
    refuse_unless(len(head) <= HEAD_MAX_LENGTH, "head_too_long", "head_of_household")
    refuse_unless(len(relation) <= RELATION_MAX_LENGTH, "relation_too_long", "relation")
    refuse_unless(not head or bool(relation), "relation_missing", "relation")
    phone = squash(unicodedata.normalize("NFKC", occupant.emergency_phone[:64]))
    refuse_unless(bool(phone), "phone_missing", "emergency_phone")
    refuse_unless(not phone or bool(_PHONE.fullmatch(phone)), "phone_invalid", "emergency_phone")


async def _check_people(checked: _Checked) -> None:
    """The rules about the people themselves: known names, registrations at this or another house."""
    if not checked.occupants:
        return
    numbers = {number for _, _, number in checked.occupants}
    people = await Person.filter(id_number__in=numbers)
    checked.people = {(person.id_type, person.id_number): person for person in people}
    active = {
        registration.person_id: registration  # type: ignore[attr-defined]
        for registration in await Registration.filter(
            person_id__in=[person.id for person in people], end_date__isnull=True
        )
    }
    for occupant, name, number in checked.occupants:
        id_field = occupant_field("id_number", occupant.row)
        person = checked.people.get((occupant.id_type, number))
        if person is not None and _same_name(person.name, name) is False:
            # The document number is someone else's: say so on the name, not the number.
            checked.refuse("name_mismatch", occupant_field("name", occupant.row))
            continue
        if not checked.dwelling_known:
            continue  # where "here" is must be known first
        registration = active.get(person.id) if person is not None else None
        here = registration is not None and _registered_here(registration, checked)
        if checked.kind == DeclarationKind.MOVE_IN:
            if here:
                checked.refuse("already_registered_here", id_field)
            elif registration is not None:
                checked.refuse("already_registered", id_field)
        elif not here:
            checked.refuse("not_registered_here", id_field)
        elif (
            checked.kind == DeclarationKind.MOVE_OUT
            and checked.event_date is not None
            and checked.event_date < registration.start_date  # type: ignore[union-attr]
        ):
            checked.refuse("move_out_before_move_in", "event_date")


def _same_name(known: str, typed: str) -> bool:
    return "".join(known.split()).casefold() == "".join(typed.split()).casefold()


def _registered_here(registration: Registration, checked: _Checked) -> bool:
    """Whether an active registration is at the declared dwelling: the same house, or, for an address
    typed by hand, the same street and address."""
    if checked.house is not None:
        return registration.house_id == checked.house.id  # type: ignore[attr-defined]
    return (
        registration.house_id is None  # type: ignore[attr-defined]
        and registration.street_id == checked.street_code  # type: ignore[attr-defined]
        and squash(registration.address) == checked.address
    )
