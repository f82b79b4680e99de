"""The acceptance point suggested to an applicant: nearest first, within the registration's district only."""

from __future__ import annotations

import math

import pytest

from tests.housing import FUTIAN, YUEHAI
from tests.support import count_queries
from web.models import AcceptancePoint, Street
from web.services.nearest_points import allowed, haversine_km, suggest_points

SHATOU = "440304005"  # 沙头街道, 福田区: (22.53, 114.04) in the seeded data
FUTIAN_DISTRICT = "440304"


async def district_codes(adcode: str) -> set[str]:
    return set(await Street.filter(district_adcode=adcode).values_list("code", flat=True))


def test_haversine_km() -> None:
    assert haversine_km((22.53, 114.07), (22.53, 114.07)) == 0
    assert round(haversine_km((0, 0), (0, 1)), 1) == 111.2  # one degree along the equator
    assert round(haversine_km((22.53, 114.07), (22.53, 114.04)), 1) == 3.1


async def test_the_registration_street_point_comes_first_then_the_district_by_distance(db: None) -> None:
    suggestion = await suggest_points(FUTIAN)

    assert (suggestion.district_adcode, suggestion.district, suggestion.district_en) == (FUTIAN_DISTRICT, "福田区", "Futian")
    assert suggestion.nearest is not None
    assert (suggestion.nearest.code, suggestion.nearest.name, suggestion.nearest.distance_km) == (
        FUTIAN, "福田街道居住证受理点", 0.0,
    )
    assert suggestion.nearest.address and suggestion.nearest.hours
    distances = [point.distance_km for point in suggestion.ranked]
    assert distances == sorted(distances)
    assert all(distance == round(distance, 1) for distance in distances)
    # Every active point of 福田区, and none of another district.
    assert {point.code for point in suggestion.ranked} == await district_codes(FUTIAN_DISTRICT)


async def test_the_browsers_position_re_ranks_the_points(db: None) -> None:
    from_street = await suggest_points(FUTIAN)
    from_shatou = await suggest_points(FUTIAN, origin=(22.53, 114.04))

    assert from_shatou.ranked[0].code == SHATOU and from_shatou.ranked[0].distance_km == 0.0
    assert [p.code for p in from_shatou.ranked] != [p.code for p in from_street.ranked]
    assert {p.code for p in from_shatou.ranked} == {p.code for p in from_street.ranked}
    futian = next(point for point in from_shatou.ranked if point.code == FUTIAN)
    assert futian.distance_km == 3.1


async def test_a_position_far_away_still_offers_only_the_registration_district(db: None) -> None:
    suggestion = await suggest_points(FUTIAN, origin=(22.52, 113.93))  # 南山区, by 粤海街道

    assert {point.code for point in suggestion.ranked} == await district_codes(FUTIAN_DISTRICT)
    assert not allowed(suggestion, YUEHAI)


@pytest.mark.parametrize("origin", [(math.nan, 114.0), (91.0, 114.0), (22.5, 181.0), (math.inf, 0.0),
                                    ("x", "y"), ()])  # fmt: skip
async def test_a_position_that_is_not_on_earth_is_ignored(db: None, origin: tuple[float, float]) -> None:
    suggestion = await suggest_points(FUTIAN, origin=origin)
    assert suggestion.ranked[0].code == FUTIAN and suggestion.ranked[0].distance_km == 0.0


async def test_inactive_points_are_left_out_and_not_allowed(db: None) -> None:
    await AcceptancePoint.filter(code=FUTIAN).update(is_active=False)

    suggestion = await suggest_points(FUTIAN)

    assert FUTIAN not in {point.code for point in suggestion.ranked}
    assert suggestion.nearest is not None and suggestion.nearest.code != FUTIAN
    assert not allowed(suggestion, FUTIAN)


async def test_allowed_only_in_the_registration_district(db: None) -> None:
    suggestion = await suggest_points(FUTIAN)

    assert allowed(suggestion, FUTIAN) and allowed(suggestion, SHATOU)
    assert not allowed(suggestion, YUEHAI)  # 南山区
    assert not allowed(suggestion, "") and not allowed(suggestion, "NOPOINT")


async def test_an_unknown_street_allows_nothing(db: None) -> None:
    suggestion = await suggest_points("999999999")

    assert suggestion.ranked == () and suggestion.nearest is None
    assert not allowed(suggestion, FUTIAN)


async def test_a_suggestion_costs_two_queries(db: None) -> None:
    with count_queries() as queries:
        await suggest_points(FUTIAN, origin=(22.53, 114.04))
    assert queries.count == 2, queries
