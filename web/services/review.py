"""The acceptance point's review queue (DOMAIN §3): pending declarations and house links of its street.

Reads only: the decisions themselves (approve, reject) live in web/services/declarations.py.
Every query takes the point's street code, so an item of another street is simply not found and
the controller answers 404 (existence must not leak).

The declaration queue puts late declarations (declared after the 7/15-day deadline) first, then
the oldest first, and pages by keyset on (is_late, submitted_at, id): a deep page costs what the
first one does. House links have no submission time, so they page by id, the order they came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Generic, TypeVar

from tortoise.expressions import Q

from web.models import (
    Account,
    DeclarantKind,
    DeclarationKind,
    DeclarationOccupant,
    DeclarationStatus,
    HouseLink,
    IdType,
    ResidenceDeclaration,
    Review,
)
from web.services import declarations, rules
from web.services.clock import SHENZHEN
from web.services.identity import mask_id_number, mask_mobile

PAGE_SIZE = 20

# Common reasons to pick when rejecting (the staff may add free text, or write their own with
# "other"). Stored in Chinese, the language of the record the declarant receives.
DECLARATION_REJECTION_REASONS: tuple[rules.Label, ...] = (
    rules.Label("address", "房屋地址与实际不符", "The address does not match the dwelling"),
    rules.Label("identity", "身份证件信息有误", "The identity document details are wrong"),
    rules.Label("not_living", "经核查，申报人员未在该处居住", "The people declared do not live there"),
    rules.Label("dates", "入住或搬离日期有误", "The move-in or move-out date is wrong"),
    rules.Label("declarant", "申报人无权为该房屋申报", "The declarant may not declare for this dwelling"),
    rules.Label("other", "其他", "Other"),
)
HOUSE_LINK_REJECTION_REASONS: tuple[rules.Label, ...] = (
    rules.Label("not_owner", "无法核实申请人为该房屋的出租人", "The applicant could not be confirmed as the landlord"),
    rules.Label("documents", "请携带房产证明材料到受理点核实", "Bring the property documents to the acceptance point"),
    rules.Label("wrong_house", "房屋信息有误", "The house details are wrong"),
    rules.Label("other", "其他", "Other"),
)
OTHER_REASON = "other"

T = TypeVar("T")


@dataclass(frozen=True)
class QueuePage(Generic[T]):
    items: list[T]
    next_after: str | None  # the cursor of the next page; None on the last page


@dataclass(frozen=True)
class DeclarationCursor:
    """Where a page of the declaration queue ends, in the queue's order."""

    is_late: bool
    submitted_at: datetime
    id: int

    def encode(self) -> str:
        micros = int(self.submitted_at.timestamp() * 1_000_000)
        return f"{int(self.is_late)}.{micros}.{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> DeclarationCursor | None:
        """The cursor a page link carries; None (the first page) for anything malformed."""
        try:
            late, micros, ident = (raw or "").split(".")
            if late not in ("0", "1"):
                return None
            moment = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
            return cls(is_late=late == "1", submitted_at=moment, id=int(ident))
        except (ValueError, OverflowError, OSError):
            return None


def decode_link_cursor(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 12 else None


@dataclass(frozen=True)
class DeclarationItem:
    """One line of the queue."""

    id: int
    number: str  # 申报编号, as the declarant knows it
    kind: DeclarationKind
    declarant_kind: DeclarantKind
    declarant: str
    address: str
    event_date: date
    submitted_at: datetime
    is_late: bool
    occupants: tuple[str, ...]  # names


@dataclass(frozen=True)
class HouseLinkItem:
    id: int
    applicant: str
    house_code: str
    address: str


@dataclass(frozen=True)
class Counts:
    declarations: int
    late: int
    house_links: int


@dataclass(frozen=True)
class OccupantDetail:
    name: str
    id_type: IdType
    masked_id_number: str
    hukou_address_type: str
    hukou_address: str  # as declared
    # The address the person already has on record, when the declaration says otherwise.
    recorded_hukou_address: str
    occupation: int | None
    workplace: str
    reason_code: int | None
    head_of_household: str
    relation: str
    emergency_phone: str


@dataclass(frozen=True)
class DeclarationDetail:
    item: DeclarationItem
    street_name: str
    house_code: str | None  # None: the address was typed by hand
    house_kind: str | None
    days_after_event: int  # from the move-in (or move-out) to the declaration
    deadline_days: int | None
    status: DeclarationStatus
    reason: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    occupants: list[OccupantDetail]

    @property
    def is_pending(self) -> bool:
        return self.status == DeclarationStatus.PENDING


@dataclass(frozen=True)
class HouseLinkDetail:
    item: HouseLinkItem
    street_name: str
    house_kind: str
    building: str
    room: str
    applicant_mobile: str  # masked
    status: Review
    reason: str
    reviewed_by: str | None
    reviewed_at: datetime | None

    @property
    def is_pending(self) -> bool:
        return self.status == Review.PENDING


# --- the queue ------------------------------------------------------------------------------------


def _account_name(account: Account) -> str:
    """Who an account is, as staff read it: the person's name, the unit's, or the username."""
    if account.unit_id and account.unit is not None:
        return account.unit.name
    if account.person_id and account.person is not None:
        return account.person.name
    return account.username


def _address(declaration: ResidenceDeclaration) -> str:
    if declaration.house_id and declaration.house is not None:
        return declaration.house.address
    return declaration.address_detail


def _declaration_item(declaration: ResidenceDeclaration) -> DeclarationItem:
    return DeclarationItem(
        id=declaration.id,
        number=declarations.declaration_number(declaration),
        kind=DeclarationKind(declaration.kind),
        declarant_kind=DeclarantKind(declaration.declarant_kind),
        declarant=_account_name(declaration.declarant),
        address=_address(declaration),
        event_date=declaration.event_date,
        submitted_at=declaration.submitted_at,
        is_late=declaration.is_late,
        occupants=tuple(occupant.person.name for occupant in declaration.occupants),
    )


def _after(cursor: DeclarationCursor) -> Q:
    """Rows after `cursor` in the order (is_late DESC, submitted_at, id)."""
    later_same_group = Q(submitted_at__gt=cursor.submitted_at) | Q(
        submitted_at=cursor.submitted_at, id__gt=cursor.id
    )
    if cursor.is_late:
        return Q(Q(is_late=True) & later_same_group) | Q(is_late=False)
    return Q(is_late=False) & later_same_group


_DECLARATION_RELATIONS = ("house", "street", "declarant", "declarant__person", "declarant__unit")


async def pending_declarations(
    street_code: str, *, after: DeclarationCursor | None = None, limit: int = PAGE_SIZE
) -> QueuePage[DeclarationItem]:
    """A page of the street's pending declarations, late ones first, then the oldest.

    Three queries whatever the page size: the declarations with their house, street and
    declarant, then their occupants, then those occupants' people.
    """
    query = ResidenceDeclaration.filter(street_id=street_code, status=DeclarationStatus.PENDING)
    if after is not None:
        query = query.filter(_after(after))
    rows = await (
        query.order_by("-is_late", "submitted_at", "id")
        .limit(limit + 1)
        .select_related(*_DECLARATION_RELATIONS)
        .prefetch_related("occupants__person")
    )
    page = rows[:limit]
    next_after = None
    if len(rows) > limit:
        last = page[-1]
        next_after = DeclarationCursor(last.is_late, last.submitted_at, last.id).encode()
    return QueuePage([_declaration_item(row) for row in page], next_after)


def _house_link_item(link: HouseLink) -> HouseLinkItem:
    return HouseLinkItem(
        id=link.id, applicant=_account_name(link.account), house_code=link.house.house_code,
        address=link.house.address,
    )


async def pending_house_links(
    street_code: str, *, after: int | None = None, limit: int = PAGE_SIZE
) -> QueuePage[HouseLinkItem]:
    """A page of the street's pending house links, in the order they came in (one query)."""
    query = HouseLink.filter(house__street_id=street_code, status=Review.PENDING)
    if after is not None:
        query = query.filter(id__gt=after)
    rows = await (
        query.order_by("id").limit(limit + 1)
        .select_related("house", "account", "account__person", "account__unit")
    )
    page = rows[:limit]
    next_after = str(page[-1].id) if len(rows) > limit else None
    return QueuePage([_house_link_item(row) for row in page], next_after)


async def counts(street_code: str) -> Counts:
    pending = ResidenceDeclaration.filter(street_id=street_code, status=DeclarationStatus.PENDING)
    return Counts(
        declarations=await pending.count(),
        late=await pending.filter(is_late=True).count(),
        house_links=await HouseLink.filter(house__street_id=street_code, status=Review.PENDING).count(),
    )


# --- one item -------------------------------------------------------------------------------------


def _occupant_detail(occupant: DeclarationOccupant) -> OccupantDetail:
    person = occupant.person
    return OccupantDetail(
        name=person.name,
        id_type=IdType(person.id_type),
        masked_id_number=mask_id_number(person.id_number),
        hukou_address_type=occupant.hukou_address_type,
        hukou_address=occupant.hukou_address,
        recorded_hukou_address=(
            person.hukou_address if occupant.hukou_address and person.hukou_address != occupant.hukou_address else ""
        ),
        occupation=occupant.occupation,
        workplace=occupant.workplace,
        reason_code=occupant.reason_code,
        head_of_household=occupant.head_of_household,
        relation=occupant.relation,
        emergency_phone=occupant.emergency_phone,
    )


async def declaration_for_point(declaration_id: int, street_code: str) -> DeclarationDetail | None:
    """A declaration of the point's street, or None: another street's looks like no declaration."""
    declaration = await (
        ResidenceDeclaration.filter(id=declaration_id, street_id=street_code)
        .select_related(*_DECLARATION_RELATIONS, "reviewed_by")
        .prefetch_related("occupants__person")
        .first()
    )
    if declaration is None:
        return None
    house = declaration.house if declaration.house_id else None
    submitted_on = declaration.submitted_at.astimezone(SHENZHEN).date()
    return DeclarationDetail(
        item=_declaration_item(declaration),
        street_name=declaration.street.name,
        house_code=house.house_code if house else None,
        house_kind=house.kind if house else None,
        days_after_event=(submitted_on - declaration.event_date).days,
        deadline_days=rules.DECLARATION_DEADLINE_DAYS[house.kind] if house else None,
        status=DeclarationStatus(declaration.status),
        reason=declaration.reason,
        reviewed_by=declaration.reviewed_by.username if declaration.reviewed_by_id else None,
        reviewed_at=declaration.reviewed_at,
        occupants=[_occupant_detail(occupant) for occupant in declaration.occupants],
    )


async def house_link_for_point(link_id: int, street_code: str) -> HouseLinkDetail | None:
    """A house link of the point's street, or None: another street's looks like no link."""
    link = await (
        HouseLink.filter(id=link_id, house__street_id=street_code)
        .select_related("house", "house__street", "account", "account__person", "account__unit", "reviewed_by")
        .first()
    )
    if link is None:
        return None
    return HouseLinkDetail(
        item=_house_link_item(link),
        street_name=link.house.street.name,
        house_kind=link.house.kind,
        building=link.house.building,
        room=link.house.room,
        applicant_mobile=mask_mobile(link.account.mobile),
        status=Review(link.status),
        reason=link.reason,
        reviewed_by=link.reviewed_by.username if link.reviewed_by_id else None,
        reviewed_at=link.reviewed_at,
    )


# --- the rejection reason ---------------------------------------------------------------------------


def rejection_reason(
    reasons: tuple[rules.Label, ...], code: str, detail: str
) -> tuple[str | None, dict[str, str]]:
    """The reason to store from the picked common reason and the free text, or the reason codes of
    what is missing: `reason_code` (nothing picked and nothing written), `reason_detail`
    ("other" picked without text, or the whole reason too long).
    """
    detail = " ".join(detail.split())
    by_code = rules.labels_by_code(reasons)
    if code in by_code and code != OTHER_REASON:
        label = by_code[code].zh
        reason = f"{label}：{detail}" if detail else label
    elif detail:
        reason = detail
    else:
        return None, {"reason_detail" if code == OTHER_REASON else "reason_code": "missing"}
    if len(reason) > declarations.REASON_MAX_LENGTH:
        return None, {"reason_detail": "too_long"}
    return reason, {}
