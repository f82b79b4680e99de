"""Acceptance points (受理点): listing them, by district."""

from __future__ import annotations

from dataclasses import dataclass

from web.models import AcceptancePoint


@dataclass(frozen=True)
class District:
    adcode: str
    name: str
    name_en: str
    points: list[AcceptancePoint]


async def points_by_district() -> list[District]:
    """Every active point, grouped by district in division-code order (one query)."""
    points = (
        await AcceptancePoint.filter(is_active=True)
        .select_related("street")
        .order_by("street__district_adcode", "code")
    )
    districts: dict[str, District] = {}
    for point in points:
        street = point.street
        district = districts.setdefault(
            street.district_adcode,
            District(street.district_adcode, street.district, street.district_en, []),
        )
        district.points.append(point)
    return list(districts.values())
