"""Rows of the residence-registration model for tests: houses, links, declarations, registrations.

Made directly through the models (the declarations service is tested on its own), with realistic
values; every argument that matters to a test is a keyword.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from web.models import (
    AcceptancePoint,
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
    Street,
)
from web.services.identity import make_id_number

FUTIAN = "440304004"  # 福田街道 (the demo staff's point)
YUEHAI = "440305007"  # 粤海街道
_numbers = itertools.count(1)


async def point_of(street_code: str) -> AcceptancePoint:
    return await AcceptancePoint.get(street_id=street_code)


async def make_house(street_code: str = FUTIAN, *, kind: HouseKind = HouseKind.RENTAL) -> House:
    number = next(_numbers)
    street = await Street.get(code=street_code)
    return await House.create(
        house_code=f"{street_code}{number:06d}",
        street=street,
        building=f"{number}栋",
        room="101室",
        address=f"深圳市{street.district}{street.name}测试花园{number}栋101室",
        kind=kind,
    )


async def make_person(name: str = "张伟", *, birth: date = date(1990, 3, 7), **fields: Any) -> Person:
    number = next(_numbers)
    values: dict[str, Any] = {
        "id_type": IdType.RESIDENT_ID,
        "id_number": make_id_number("430102", birth, number % 999 + 1),
        "name": name,
    }
    values.update(fields)
    return await Person.create(**values)


async def make_declaration(
    declarant: Account,
    *,
    house: House | None = None,
    street_code: str | None = None,
    people: list[Person] | None = None,
    kind: DeclarationKind = DeclarationKind.MOVE_IN,
    event_date: date = date(2026, 1, 10),
    is_late: bool = False,
    status: DeclarationStatus = DeclarationStatus.PENDING,
    submitted_at: datetime | None = None,
    reason: str = "",
    address_detail: str = "",
    hukou_address: str = "湖南省长沙市芙蓉区示范路1号",
) -> ResidenceDeclaration:
    """A declaration of `people` (default: one new person) at `house` (or a hand-typed address)."""
    if house is None and street_code is None:
        house = await make_house()
    declaration = await ResidenceDeclaration.create(
        declarant=declarant,
        declarant_kind=DeclarantKind.LANDLORD,
        kind=kind,
        house=house,
        street_id=street_code or house.street_id,  # type: ignore[union-attr]
        address_detail=address_detail or (house.address if house else ""),
        event_date=event_date,
        is_late=is_late,
        status=status,
        reason=reason,
    )
    if submitted_at is not None:  # auto_now_add: set afterwards, as if submitted then
        await ResidenceDeclaration.filter(id=declaration.id).update(submitted_at=submitted_at)
        declaration.submitted_at = submitted_at
    for person in people if people is not None else [await make_person()]:
        await DeclarationOccupant.create(
            declaration=declaration, person=person, hukou_address_type="other_province", occupation=5,
            workplace="深圳示范科技有限公司", reason_code=1, emergency_phone="13800009999",
            hukou_address=hukou_address,
        )
    return declaration


async def make_house_link(account: Account, *, house: House | None = None,
                          status: Review = Review.PENDING) -> HouseLink:
    return await HouseLink.create(account=account, house=house or await make_house(), status=status)


async def make_registration(
    person: Person, *, house: House | None = None, start: date, end: date | None = None,
    declarant: Account | None = None,
) -> Registration:
    """An approved move-in and the registration it made (ended on `end` when given)."""
    house = house or await make_house()
    declaration = await make_declaration(
        declarant or await _any_account(),
        house=house, people=[person], event_date=start, status=DeclarationStatus.REGISTERED,
    )
    await ResidenceDeclaration.filter(id=declaration.id).update(reviewed_at=datetime(2026, 1, 12, 2, tzinfo=UTC))
    registration = Registration(
        person=person, house=house, street_id=house.street_id, address=house.address, start_date=start,
        end_date=end, declaration=declaration,
    )
    await registration.save()
    return registration


async def _any_account() -> Account:
    number = next(_numbers)
    return await Account.create(username=f"declarant{number}", password_hash="x", role="resident",
                                mobile=f"137{number:08d}")
