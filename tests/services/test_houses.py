"""The house finder (web/services/houses.py): cascading steps, search, tampered values, query budget."""

from __future__ import annotations

import pytest

from tests import support
from web.models import House, HouseKind
from web.services import houses

FUTIAN = "440304004"
YUEHAI = "440305007"


async def seed_houses() -> None:
    rows = [(FUTIAN, building, room) for building in ("1栋", "2栋", "10栋") for room in ("201室", "101室", "1001室")]
    rows.append((YUEHAI, "1栋", "101室"))
    for n, (street, building, room) in enumerate(rows):
        await House.create(
            house_code=f"{street}{n:05d}", street_id=street, building=building, room=room,
            address=f"深圳市示范花园{building}{room}", kind=HouseKind.RENTAL,
        )  # fmt: skip


async def test_nothing_chosen_lists_the_districts_only(db: None) -> None:
    finder = await houses.find()
    assert ("440304", "福田区") in [(o.value, o.label) for o in finder.districts]
    assert len(finder.districts) == len({o.value for o in finder.districts}) == 9  # Dapeng is a functional area, not a district
    assert finder.streets == finder.buildings == finder.rooms == []


async def test_each_step_opens_the_next(db: None) -> None:
    await seed_houses()
    finder = await houses.find(district="440304", street=FUTIAN, building="1栋")
    assert FUTIAN in [o.value for o in finder.streets]
    assert all(o.value.startswith("440304") for o in finder.streets)
    assert finder.buildings == ["1栋", "2栋", "10栋"]  # natural order
    assert [o.room for o in finder.rooms] == ["101室", "201室", "1001室"]


async def test_english_names(db: None) -> None:
    finder = await houses.find(district="440304", english=True)
    assert ("440304", "Futian") in [(o.value, o.label) for o in finder.districts]
    assert "Futian Subdistrict" in [o.label for o in finder.streets]


@pytest.mark.parametrize(("values", "kept"), [
    ({"district": "999999", "street": FUTIAN}, ("", "", "")),
    ({"district": "440305", "street": FUTIAN}, ("440305", "", "")),  # a street of another district
    ({"district": "440304", "street": FUTIAN, "building": "<script>"}, ("440304", FUTIAN, "")),
    ({"district": "' OR 1=1 --", "street": "", "building": ""}, ("", "", "")),
])  # fmt: skip
async def test_tampered_values_empty_the_steps_after_them(db: None, values: dict[str, str], kept: tuple) -> None:
    await seed_houses()
    finder = await houses.find(**values)
    assert (finder.district, finder.street, finder.building) == kept


async def test_a_chosen_house_fills_every_step(db: None) -> None:
    await seed_houses()
    house = await House.get(street_id=FUTIAN, building="2栋", room="201室")
    finder = await houses.find(house_code=house.house_code.lower())
    assert (finder.district, finder.street, finder.building, finder.house_code) == (
        "440304", FUTIAN, "2栋", house.house_code
    )
    assert finder.house is not None and house.house_code in [o.house_code for o in finder.rooms]


async def test_an_unknown_house_code_is_not_chosen(db: None) -> None:
    finder = await houses.find(house_code="NOPE")
    assert finder.house is None and finder.house_code == ""


@pytest.mark.parametrize(("text", "count"), [
    (f"{FUTIAN}0000", 9), ("示范花园10栋", 3), ("1001室", 3), ("x", 0), ("%", 0), ("_", 0), ("  ", 0),
])  # fmt: skip
async def test_search_by_code_or_address(db: None, text: str, count: int) -> None:
    await seed_houses()
    assert len(await houses.search_houses(text)) == count


async def test_search_is_limited(db: None) -> None:
    await seed_houses()
    assert len(await houses.search_houses("示范花园")) == houses.SEARCH_LIMIT


async def test_the_finder_runs_a_fixed_number_of_queries(db: None, count_queries: support.QueryCounter) -> None:
    await seed_houses()
    house = await House.get(street_id=FUTIAN, building="2栋", room="201室")
    with count_queries() as queries:
        await houses.find(house_code=house.house_code, search="示范")
    assert queries.count == 5, queries  # house, streets, buildings, rooms, search
    with count_queries() as queries:
        await houses.find(district="440304", street=FUTIAN, building="1栋")
    assert queries.count == 3, queries


async def test_a_step_changed_since_drops_the_chosen_house(db: None) -> None:
    await seed_houses()
    house = await House.get(street_id=FUTIAN, building="2栋", room="201室")
    finder = await houses.find(district="440305", street=FUTIAN, building="2栋", house_code=house.house_code)
    assert (finder.district, finder.street, finder.house_code) == ("440305", "", "")
    finder = await houses.find(district="440304", street=FUTIAN, building="1栋", house_code=house.house_code)
    assert (finder.building, finder.house_code) == ("1栋", "")
    finder = await houses.find(district="440304", street=FUTIAN, building="2栋", house_code=house.house_code)
    assert finder.house_code == house.house_code
