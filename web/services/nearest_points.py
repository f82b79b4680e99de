"""Suggest the acceptance point (受理点) nearest to the applicant, among those they may apply at.

DOMAIN §4: an application goes to a point in the district of the applicant's residence registration
(属地原则); the platform suggests the nearest one and the applicant may choose another of them.
Houses carry no coordinates, so "the applicant's address" is the registration's street (its office's
approximate position, data/shenzhen_streets.csv); a browser may send its own position instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from web.models import AcceptancePoint, Street

EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)


@dataclass(frozen=True)
class RankedPoint:
    code: str  # the point's street code: what the form posts as `acceptance_point`
    name: str
    address: str
    hours: str
    distance_km: float  # great-circle distance from the origin, rounded to 0.1 km


@dataclass(frozen=True)
class PointSuggestion:
    district_adcode: str  # empty when the street is unknown
    district: str  # the district's Chinese name
    district_en: str
    ranked: tuple[RankedPoint, ...]  # the district's active points, nearest first

    @property
    def nearest(self) -> RankedPoint | None:
        return self.ranked[0] if self.ranked else None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance in km between two (latitude, longitude) pairs in degrees."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _valid_origin(origin: tuple[float, float] | None) -> tuple[float, float] | None:
    """The browser's position, or None when it is missing or not a position on Earth (a tampered
    query string must not break the page: the street's position is used instead)."""
    if origin is None:
        return None
    try:
        lat, lng = float(origin[0]), float(origin[1])
    except (TypeError, ValueError, IndexError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


def _position(lat: Decimal, lng: Decimal) -> tuple[float, float]:
    return float(lat), float(lng)


async def suggest_points(street_code: str, *, origin: tuple[float, float] | None = None) -> PointSuggestion:
    """The active points of the street's district, nearest first (two queries).

    Distances run from `origin` (latitude, longitude from the browser's geolocation) when it is a
    valid position, else from the street. Ties keep the points' code order. An unknown street gives
    an empty suggestion, in which no point is allowed.
    """
    street = await Street.get_or_none(code=street_code)
    if street is None:
        return PointSuggestion(district_adcode="", district="", district_en="", ranked=())
    start = _valid_origin(origin) or _position(street.lat, street.lng)
    points = await AcceptancePoint.filter(is_active=True, street__district_adcode=street.district_adcode).order_by(
        "code"
    )
    distances = [(haversine_km(start, _position(point.lat, point.lng)), point) for point in points]
    distances.sort(key=lambda pair: pair[0])  # stable: equal distances stay in code order
    ranked = tuple(
        RankedPoint(point.code, point.name, point.address, point.hours, round(distance, 1))
        for distance, point in distances
    )
    return PointSuggestion(street.district_adcode, street.district, street.district_en, ranked)


def allowed(suggestion: PointSuggestion, point_code: str) -> bool:
    """属地原则: only an active point of the registration's district may take the application."""
    return any(point.code == point_code for point in suggestion.ranked)
