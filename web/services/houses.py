"""Finding a house (房屋): district → street → building → room, or a search by house code or address.

Each step is one query; the whole finder, whatever was chosen, at most four (streets, buildings,
rooms, search), plus one to read a chosen house. Values from forms are never trusted: an unknown
district, street or building simply empties the steps after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from tortoise.expressions import Q

from web.models import House, Street
from web.services.declarations.common import is_house_code, normalize_house_code, without_nul

SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 10
_NUMBER = re.compile(r"(\d+)")


class Option(NamedTuple):
    """A select's option: (value, label), as the form macros take them."""

    value: str
    label: str


class HouseOption(NamedTuple):
    house_code: str
    room: str
    address: str


@dataclass
class Finder:
    """What the finder partial shows: the choices so far and the options of every step."""

    district: str = ""
    street: str = ""
    building: str = ""
    house_code: str = ""
    search: str = ""
    districts: list[Option] = field(default_factory=list)
    streets: list[Option] = field(default_factory=list)
    buildings: list[str] = field(default_factory=list)
    rooms: list[HouseOption] = field(default_factory=list)
    results: list[HouseOption] = field(default_factory=list)
    house: House | None = None
    searched: bool = False  # a search long enough to run was made (to say "nothing found")

    @property
    def building_options(self) -> list[Option]:
        return [Option(name, name) for name in self.buildings]

    @property
    def room_options(self) -> list[Option]:
        return [Option(room.house_code, room.room) for room in self.rooms]


def natural_key(text: str) -> tuple[object, ...]:
    """Sort 2栋 before 10栋: digits compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in _NUMBER.split(text))


async def street_rows() -> list[dict[str, str]]:
    """Every street with its district: 74 rows, one query (the district list comes from them)."""
    return await Street.all().order_by("district_adcode", "code").values(
        "code", "name", "name_en", "district", "district_en", "district_adcode"
    )


async def find(
    *, district: str = "", street: str = "", building: str = "", house_code: str = "", search: str = "",
    english: bool = False,
) -> Finder:
    """The finder's state for the values a form or query string sent, cascading from a chosen house."""
    finder = Finder(search=" ".join(without_nul(search).split())[:64])
    code = normalize_house_code(house_code)
    house = await House.get_or_none(house_code=code).select_related("street") if is_house_code(code) else None
    # The house wins unless a step before it was changed since (a new district drops the old room).
    if house is not None and _agrees(house, district, street, building):
        finder.house, finder.house_code = house, house.house_code
        district, street, building = house.street.district_adcode, house.street.code, house.building
    rows = await street_rows()
    districts: dict[str, str] = {}
    for row in rows:
        districts.setdefault(row["district_adcode"], row["district_en"] if english else row["district"])
    finder.districts = [Option(code, name) for code, name in districts.items()]
    if district in districts:
        finder.district = district
        finder.streets = [
            Option(row["code"], row["name_en"] if english else row["name"])
            for row in rows
            if row["district_adcode"] == district
        ]
    if finder.district and street in {option.value for option in finder.streets}:
        finder.street = street
        finder.buildings = await buildings_of(street)
    if finder.street and building in finder.buildings:
        finder.building = building
        finder.rooms = await rooms_of(finder.street, building)
    if len(finder.search) >= SEARCH_MIN_LENGTH:
        finder.searched = True
        finder.results = await search_houses(finder.search)
    return finder


def _agrees(house: House, district: str, street: str, building: str) -> bool:
    chosen = (house.street.district_adcode, house.street.code, house.building)
    return all(not given or given == value for given, value in zip((district, street, building), chosen, strict=True))


async def buildings_of(street_code: str) -> list[str]:
    """The buildings with houses in a street, in natural order: one query (idx_houses_street_building)."""
    names = await House.filter(street_id=street_code).distinct().values_list("building", flat=True)
    return sorted(set(names), key=natural_key)


async def rooms_of(street_code: str, building: str) -> list[HouseOption]:
    rows = await House.filter(street_id=street_code, building=building).values_list("house_code", "room", "address")
    return sorted((HouseOption(*row) for row in rows), key=lambda option: natural_key(option.room))


async def search_houses(text: str, limit: int = SEARCH_LIMIT) -> list[HouseOption]:
    """Houses whose code starts with the text, or whose address contains it: one query."""
    text = " ".join(without_nul(text).split())[:64]
    if len(text) < SEARCH_MIN_LENGTH:
        return []
    code = normalize_house_code(text)
    matches = Q(address__icontains=text)
    if is_house_code(code):
        matches |= Q(house_code__startswith=code)
    rows = await (
        House.filter(matches)
        .order_by("house_code")
        .limit(limit)
        .values_list("house_code", "room", "address")
    )
    return [HouseOption(*row) for row in rows]
