"""Administration of acceptance points (受理点): the list by district, and checked edits.

The seed creates the 74 points once; from then on administrators own their name, address, hours,
position, daily capacity and whether they take applications (web/services/seed.py says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tortoise.transactions import in_transaction

from web.models import AcceptancePoint, Account, Street
from web.services import audit

# Lengths of the columns (web/models/places.py): longer input is refused, never cut.
NAME_MAX_LENGTH = AcceptancePoint._meta.fields_map["name"].max_length
ADDRESS_MAX_LENGTH = AcceptancePoint._meta.fields_map["address"].max_length
HOURS_MAX_LENGTH = AcceptancePoint._meta.fields_map["hours"].max_length
DAILY_CAPACITY_MIN = 1
DAILY_CAPACITY_MAX = 10_000
# Shenzhen spans 113°46'–114°37' E and 22°27'–22°52' N (市政府 figures), with a small margin so a
# point on the city's edge is never refused. A position outside is a typing error (lat/lng swapped).
LAT_RANGE = (Decimal("22.40"), Decimal("22.90"))
LNG_RANGE = (Decimal("113.70"), Decimal("114.70"))
COORDINATE_PLACES = Decimal("0.000001")  # DecimalField(decimal_places=6)

FIELDS = ("name", "address", "hours", "lat", "lng", "daily_capacity", "is_active")
_MAX_INPUT = 300  # what is kept of a typed value to show it back


@dataclass(frozen=True)
class District:
    adcode: str
    name: str
    name_en: str


@dataclass(frozen=True)
class PointRow:
    """One line of the administrators' list."""

    code: str
    name: str
    street: str
    street_en: str
    district: str
    district_en: str
    address: str
    hours: str
    daily_capacity: int
    is_active: bool


@dataclass
class PointCheck:
    """Checked form values: `values` ready to save when `errors` (field -> reason code) is empty."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


async def districts() -> list[District]:
    """The districts that have streets, in division-code order."""
    rows = await Street.all().order_by("district_adcode").values("district_adcode", "district", "district_en")
    seen: dict[str, District] = {}
    for row in rows:
        seen.setdefault(row["district_adcode"], District(row["district_adcode"], row["district"], row["district_en"]))
    return list(seen.values())


async def list_points(district_adcode: str | None = None) -> list[PointRow]:
    """Every point (active or not) of one district, or of the city, by street code (one query)."""
    query = AcceptancePoint.all()
    if district_adcode:
        query = query.filter(street__district_adcode=district_adcode)
    rows = await query.order_by("code").values(
        "code", "name", "address", "hours", "daily_capacity", "is_active",
        street_name="street__name", street_en="street__name_en",
        district="street__district", district_en="street__district_en",
    )
    return [
        PointRow(
            code=row["code"], name=row["name"], street=row["street_name"], street_en=row["street_en"],
            district=row["district"], district_en=row["district_en"], address=row["address"],
            hours=row["hours"], daily_capacity=row["daily_capacity"], is_active=row["is_active"],
        )
        for row in rows
    ]


async def get_point(code: str) -> AcceptancePoint | None:
    """The point of that street code with its street loaded, or None."""
    return await AcceptancePoint.get_or_none(code=code).select_related("street")


def point_form(point: AcceptancePoint) -> dict[str, str]:
    """The edit form's values as stored."""
    return {
        "name": point.name,
        "address": point.address,
        "hours": point.hours,
        "lat": _plain(point.lat),
        "lng": _plain(point.lng),
        "daily_capacity": str(point.daily_capacity),
        "is_active": "1" if point.is_active else "",
    }


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The typed values to show back on error: strings, cut to a sane length."""
    return {name: str(form.get(name, "") or "")[:_MAX_INPUT] for name in FIELDS}


def _plain(value: Decimal) -> str:
    """22.550000 → "22.55": the number as a person would type it."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _text(raw: str, max_length: int) -> tuple[str, str | None]:
    value = " ".join(raw.split())
    if not value:
        return value, "missing"
    if len(value) > max_length:
        return value, "too_long"
    return value, None


def _coordinate(raw: str, bounds: tuple[Decimal, Decimal]) -> tuple[Decimal | None, str | None]:
    """missing, format (not a decimal number), out_of_bounds (outside Shenzhen)."""
    text = raw.strip()
    if not text:
        return None, "missing"
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, "format"
    if not value.is_finite():
        return None, "format"
    if not bounds[0] <= value <= bounds[1]:
        return None, "out_of_bounds"
    return value.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP), None


def _capacity(raw: str) -> tuple[int | None, str | None]:
    """missing, format (not a whole number), range (1-10000)."""
    text = raw.strip().replace(",", "")
    if not text:
        return None, "missing"
    if not (text.isascii() and text.isdigit()):
        return None, "format"
    value = int(text)
    if not DAILY_CAPACITY_MIN <= value <= DAILY_CAPACITY_MAX:
        return None, "range"
    return value, None


def check_point(raw: Mapping[str, str]) -> PointCheck:
    """Reason codes per field: name/address/hours missing or too_long; lat/lng missing, format or
    out_of_bounds; daily_capacity missing, format or range. `is_active` is a checkbox."""
    result = PointCheck()
    for name, max_length in (("name", NAME_MAX_LENGTH), ("address", ADDRESS_MAX_LENGTH), ("hours", HOURS_MAX_LENGTH)):
        value, reason = _text(raw.get(name, ""), max_length)
        result.values[name] = value
        if reason:
            result.errors[name] = reason
    for name, bounds in (("lat", LAT_RANGE), ("lng", LNG_RANGE)):
        number, reason = _coordinate(raw.get(name, ""), bounds)
        if reason:
            result.errors[name] = reason
        else:
            result.values[name] = number
    capacity, reason = _capacity(raw.get("daily_capacity", ""))
    if reason:
        result.errors["daily_capacity"] = reason
    else:
        result.values["daily_capacity"] = capacity
    result.values["is_active"] = bool(raw.get("is_active"))
    return result


async def update_point(code: str, values: Mapping[str, Any], *, actor: Account, ip: str = "") -> AcceptancePoint | None:
    """Save checked values (check_point) and audit what changed; None when there is no such point."""
    async with in_transaction():
        point = await AcceptancePoint.get_or_none(code=code)
        if point is None:
            return None
        changed = [name for name in FIELDS if getattr(point, name) != values[name]]
        if changed:
            detail = {name: {"from": _jsonable(getattr(point, name)), "to": _jsonable(values[name])} for name in changed}
            point.update_from_dict({name: values[name] for name in changed})
            await point.save(update_fields=changed)
            await audit.record(
                actor=actor, action="admin.point.update", target_type="acceptance_point", target_id=point.code,
                detail={"changes": detail}, ip=ip,
            )
    return point


def _jsonable(value: Any) -> Any:
    return _plain(value) if isinstance(value, Decimal) else value
