"""A person's residence registrations (我的居住登记), the receipt of one, and the public yes/no query.

The months shown are the ones eligibility uses: web/services/residence.continuous_registration on
the person's registrations. A registration is current while it has no end date (a move-out sets
the end date; the database allows one current registration per person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from web.models import (
    AcceptancePoint,
    DeclarationKind,
    DeclarationOccupant,
    DeclarationStatus,
    IdType,
    Person,
    Registration,
)
from web.services import declarations, rules, validators
from web.services.identity import check_citizen_id, mask_id_number
from web.services.residence import Continuity, Period, continuous_registration

# Older rejected declarations stay stored; the page shows the latest.
DECLARATIONS_SHOWN = 20
# The public query (居住登记查询): lookups per network address and window. It answers only yes or
# no, but a yes confirms a name and ID number belong together: keep guessing slow.
QUERIES_PER_IP = 10
QUERY_WINDOW_SECONDS = 600


@dataclass(frozen=True)
class RegistrationEntry:
    id: int
    address: str
    street_name: str
    district: str
    start_date: date
    end_date: date | None

    @property
    def is_current(self) -> bool:
        return self.end_date is None


@dataclass(frozen=True)
class DeclarationEntry:
    """A declaration about the person that is still waiting for review, or was rejected."""

    id: int
    kind: DeclarationKind
    address: str
    event_date: date
    submitted_at: datetime
    status: DeclarationStatus
    reason: str
    reviewed_at: datetime | None


@dataclass(frozen=True)
class MyRegistrations:
    current: RegistrationEntry | None
    past: list[RegistrationEntry]  # newest first
    continuity: Continuity  # on today
    pending: list[DeclarationEntry]
    rejected: list[DeclarationEntry]
    months_required: int = rules.REGISTRATION_MONTHS_REQUIRED

    @property
    def months(self) -> int:
        return self.continuity.months

    @property
    def reaches_required_on(self) -> date | None:
        """When the unbroken run reaches the months eligibility needs; None once reached or when
        the person is not registered now."""
        if self.continuity.months >= self.months_required:
            return None
        return self.continuity.qualifies_on(self.months_required)


@dataclass(frozen=True)
class Receipt:
    """居住登记回执: what the printed receipt of one registration says."""

    number: str
    name: str
    id_type: IdType
    masked_id_number: str
    address: str
    street_name: str
    district: str
    point_name: str | None
    point_address: str | None
    start_date: date
    end_date: date | None
    registered_at: datetime | None  # when staff approved the move-in


def receipt_number(registration: Registration) -> str:
    """The registration's number on its receipt: the street code and the registration's id."""
    return f"{registration.street_id}{registration.id:08d}"


def _entry(registration: Registration) -> RegistrationEntry:
    return RegistrationEntry(
        id=registration.id,
        address=registration.address,
        street_name=registration.street.name,
        district=registration.street.district,
        start_date=registration.start_date,
        end_date=registration.end_date,
    )


def _declaration_entry(occupant: DeclarationOccupant) -> DeclarationEntry:
    declaration = occupant.declaration
    address = declaration.house.address if declaration.house_id else declaration.address_detail
    return DeclarationEntry(
        id=declaration.id,
        kind=DeclarationKind(declaration.kind),
        address=address,
        event_date=declaration.event_date,
        submitted_at=declaration.submitted_at,
        status=DeclarationStatus(declaration.status),
        reason=declaration.reason,
        reviewed_at=declaration.reviewed_at,
    )


async def registrations_of(person_id: int, *, today: date) -> MyRegistrations:
    """Everything 我的居住登记 shows, in two queries."""
    registrations = await (
        Registration.filter(person_id=person_id).select_related("street").order_by("-start_date", "-id")
    )
    entries = [_entry(registration) for registration in registrations]
    occupants = await (
        DeclarationOccupant.filter(
            person_id=person_id,
            declaration__status__in=[DeclarationStatus.PENDING, DeclarationStatus.REJECTED],
        )
        .select_related("declaration", "declaration__house")
        .order_by("-declaration__submitted_at", "-declaration_id")
        .limit(DECLARATIONS_SHOWN)
    )
    declarations = [_declaration_entry(occupant) for occupant in occupants]
    periods = [Period(entry.start_date, entry.end_date) for entry in entries]
    return MyRegistrations(
        current=next((entry for entry in entries if entry.is_current), None),
        past=[entry for entry in entries if not entry.is_current],
        continuity=continuous_registration(periods, today),
        pending=[entry for entry in declarations if entry.status == DeclarationStatus.PENDING],
        rejected=[entry for entry in declarations if entry.status == DeclarationStatus.REJECTED],
    )


async def receipt(person_id: int, registration_id: int) -> Receipt | None:
    """The receipt of one of the person's registrations; None for anyone else's (or none at all)."""
    registration = await (
        Registration.filter(id=registration_id, person_id=person_id)
        .select_related("person", "street", "declaration")
        .first()
    )
    if registration is None:
        return None
    point = await AcceptancePoint.get_or_none(street_id=registration.street_id)
    person: Person = registration.person
    return Receipt(
        number=receipt_number(registration),
        name=person.name,
        id_type=IdType(person.id_type),
        masked_id_number=mask_id_number(person.id_number),
        address=registration.address,
        street_name=registration.street.name,
        district=registration.street.district,
        point_name=point.name if point else None,
        point_address=point.address if point else None,
        start_date=registration.start_date,
        end_date=registration.end_date,
        registered_at=registration.declaration.reviewed_at,
    )


# --- 居住登记查询: the public yes/no query ----------------------------------------------------------


@dataclass(frozen=True)
class QueryAnswer:
    """The checked query, or the reason code of each field that is wrong."""

    name: str = ""
    id_type: IdType | None = None
    id_number: str = ""
    errors: dict[str, str] | None = None


def check_query(name: str, id_type: str, id_number: str, *, today: date) -> QueryAnswer:
    """Validate the query form with the rules a declaration's occupant follows.

    Reasons: name (validators.check_name: missing, too_long, characters); id_type missing;
    id_number missing, check_citizen_id's reasons for an identity card, or invalid (another
    document's number is not 5-32 letters, digits and hyphens).
    """
    errors: dict[str, str] = {}
    name = validators.normalize_name(name)
    if reason := validators.check_name(name):
        errors["name"] = reason
    kind = IdType(id_type) if id_type in IdType._value2member_map_ else None
    if kind is None:
        errors["id_type"] = "missing"
    number, reason = declarations.check_id_number(kind or "", id_number, today=today)
    if reason == "id_number_missing":
        errors["id_number"] = "missing"
    elif kind == IdType.RESIDENT_ID and reason:
        errors["id_number"] = check_citizen_id(number, today=today) or "invalid"
    elif kind is not None and reason:
        errors["id_number"] = "invalid"
    return QueryAnswer(name=name, id_type=kind, id_number=number, errors=errors or None)


def _same_name(known: str, typed: str) -> bool:
    return "".join(known.split()).casefold() == "".join(typed.split()).casefold()


async def has_current_registration(*, name: str, id_type: IdType, id_number: str) -> bool:
    """Whether the person with this document and this name is registered now (one query).

    A wrong name answers no, exactly like an unknown number: the answer never tells whether the
    number alone is on record.
    """
    current = await (
        Registration.filter(end_date__isnull=True, person__id_type=id_type, person__id_number=id_number)
        .select_related("person")
        .first()
    )
    return current is not None and _same_name(current.person.name, name)
