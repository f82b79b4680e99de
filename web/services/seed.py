"""First set-up data: streets and acceptance points from the CSV, the demo accounts, administrators.

Seeding is idempotent: every row is found by its natural key (street code, username, ID number,
house code, permit number) before it is created, so running it again changes nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tortoise.transactions import in_transaction

from web.models import (
    AcceptancePoint,
    Account,
    DeclarantKind,
    DeclarationKind,
    DeclarationOccupant,
    DeclarationStatus,
    House,
    HouseKind,
    IdType,
    InsuranceMonth,
    Permit,
    PermitStatus,
    Person,
    Registration,
    ResidenceDeclaration,
    Role,
    Sex,
    Street,
    Unit,
    UnitMember,
)
from web.services.dates import add_months
from web.services.identity import make_credit_code, make_id_number, normalize_mobile
from web.services.passwords import hash_password

STREETS_CSV = Path(__file__).resolve().parent.parent / "data" / "shenzhen_streets.csv"

POINT_HOURS = "周一至周五 9:00-12:00, 14:00-18:00"
POINT_DAILY_CAPACITY = 200

ADMIN_PASSWORD_MIN_LENGTH = 12  # OWASP ASVS 2.1.1
DEMO_PASSWORD = "Demo-2026!"  # CONTRACT.md: every demo account
DEMO_STREET = "福田街道"  # staff's point and the resident's address (CONTRACT.md)
DEMO_UNIT_NAME = "深圳示范科技有限公司"
# A made-up code of a Shenzhen (440300) enterprise (91); the seed adds the GB 32100 check character.
DEMO_UNIT_CREDIT_CODE = make_credit_code("91440300MA5DEM001")
DEMO_PERMIT_NUMBER = "SZDEMO000001"

# Demo houses for the residence-registration screens: street name -> kind of dwelling.
DEMO_HOUSE_STREETS = {
    "福田街道": HouseKind.RENTAL,
    "粤海街道": HouseKind.RENTAL,
    "民治街道": HouseKind.DORMITORY,
    "布吉街道": HouseKind.OWN,
}
DEMO_BUILDINGS = (1, 2)
DEMO_ROOMS = ("101", "102", "201", "202")


@dataclass(frozen=True)
class DemoPerson:
    username: str
    mobile: str
    name: str
    sex: Sex
    ethnicity: str
    address_code: str  # of the hukou: non-Shenzhen for residents, who need a permit
    birth_date: date
    sequence: int
    hukou_address: str
    education: str


DEMO_AGENT = DemoPerson(
    "unit", "13800000003", "陈静", Sex.FEMALE, "01", "440304", date(1985, 3, 8), 246,
    "广东省深圳市福田区示范路3号", "bachelor",
)  # fmt: skip
DEMO_RESIDENT = DemoPerson(
    "resident", "13800000004", "李明", Sex.MALE, "01", "430102", date(1992, 6, 15), 135,
    "湖南省长沙市芙蓉区示范路1号", "bachelor",
)  # fmt: skip
DEMO_HOLDER = DemoPerson(
    "holder", "13800000005", "王芳", Sex.FEMALE, "08", "450103", date(1995, 11, 20), 246,
    "广西壮族自治区南宁市青秀区示范路2号", "associate",
)  # fmt: skip


@dataclass
class SeedResult:
    """Rows created per table: all zero on a second run."""

    created: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, rows: int = 1) -> None:
        self.created[table] = self.created.get(table, 0) + rows

    @property
    def total(self) -> int:
        return sum(self.created.values())


async def seed(*, today: date, demo: bool, streets_csv: Path = STREETS_CSV) -> SeedResult:
    """Seed the reference data and, when `demo` (never in production), the demo accounts.

    `today` anchors the demo dates: the resident registered 13 months before it, the holder's
    endorsement window open around it.
    """
    result = SeedResult()
    async with in_transaction():
        await _seed_places(streets_csv, result)
        if demo:
            await _seed_demo(today, result)
    return result


async def seed_reference(streets_csv: Path = STREETS_CSV) -> SeedResult:
    """Only the reference data every database needs: the streets and their acceptance points."""
    result = SeedResult()
    async with in_transaction():
        await _seed_places(streets_csv, result)
    return result


def read_streets(path: Path = STREETS_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


async def _seed_places(path: Path, result: SeedResult) -> None:
    rows = read_streets(path)
    streets = {street.code: street for street in await Street.all()}
    new_streets: list[Street] = []
    for row in rows:
        # The CSV is the source of truth for streets: a city replaces the file and seeds again.
        values = {
            "name": row["street"],
            "name_en": row["street_en"],
            "district": row["district"],
            "district_en": row["district_en"],
            "district_adcode": row["district_adcode"],
            "functional_area": row["functional_area"],
            "lat": Decimal(row["lat_approx"]),
            "lng": Decimal(row["lng_approx"]),
        }
        street = streets.get(row["street_code"])
        if street is None:
            new_streets.append(Street(code=row["street_code"], **values))
        elif any(getattr(street, name) != value for name, value in values.items()):
            await street.update_from_dict(values).save()
            result.count("streets_updated")
    await Street.bulk_create(new_streets)
    result.count("streets", len(new_streets))

    # Points are created once: afterwards administrators own their hours, capacity and address.
    existing = set(await AcceptancePoint.all().values_list("code", flat=True))
    new_points = [
        AcceptancePoint(
            code=row["street_code"],
            name=f"{row['street']}居住证受理点",
            street_id=row["street_code"],
            address=f"深圳市{row['district']}{row['street']}",
            hours=POINT_HOURS,
            lat=Decimal(row["lat_approx"]),
            lng=Decimal(row["lng_approx"]),
            daily_capacity=POINT_DAILY_CAPACITY,
        )
        for row in rows
        if row["street_code"] not in existing
    ]
    await AcceptancePoint.bulk_create(new_points)
    result.count("acceptance_points", len(new_points))


async def _seed_demo(today: date, result: SeedResult) -> None:
    now = datetime.now(UTC)
    point = await AcceptancePoint.get(street__name=DEMO_STREET)
    houses = await _seed_demo_houses(result)

    await _account("admin", Role.ADMIN, "13800000001", result)
    staff = await _account("staff", Role.STAFF, "13800000002", result, point=point)

    unit, created = await Unit.get_or_create(
        credit_code=DEMO_UNIT_CREDIT_CODE,
        defaults={
            "name": DEMO_UNIT_NAME,
            "address": f"深圳市福田区{DEMO_STREET}示范大厦8楼",
            "contact_name": DEMO_AGENT.name,
            "contact_phone": DEMO_AGENT.mobile,
            "point": point,
        },
    )
    result.count("units", int(created))
    agent = await _person(DEMO_AGENT, result)
    await _account(
        DEMO_AGENT.username, Role.UNIT_AGENT, DEMO_AGENT.mobile, result,
        person=agent, unit=unit, real_name_verified_at=now,
    )  # fmt: skip

    # resident: registered in 福田 for 13 months, 12 months of insurance, no permit (CONTRACT.md).
    resident = await _person(DEMO_RESIDENT, result)
    resident_account = await _account(
        DEMO_RESIDENT.username, Role.RESIDENT, DEMO_RESIDENT.mobile, result,
        person=resident, real_name_verified_at=now,
    )  # fmt: skip
    await _registration(
        resident, declarant=resident_account, reviewer=staff,
        house=houses[(DEMO_STREET, 1, "101")], start=months_before(today, 13), result=result,
    )  # fmt: skip
    await _insurance(resident, months=12, today=today, result=result)

    # holder: a valid permit whose next full year is 30 days away, so the 60-day window is open.
    holder = await _person(DEMO_HOLDER, result)
    holder_account = await _account(
        DEMO_HOLDER.username, Role.RESIDENT, DEMO_HOLDER.mobile, result,
        person=holder, real_name_verified_at=now,
    )  # fmt: skip
    await _registration(
        holder, declarant=holder_account, reviewer=staff,
        house=houses[("粤海街道", 1, "101")], start=months_before(today, 36), result=result,
    )  # fmt: skip
    await _insurance(holder, months=24, today=today, result=result)
    anchor = years_before(today + timedelta(days=30), 1)
    _, created = await Permit.get_or_create(
        number=DEMO_PERMIT_NUMBER,
        defaults={"person": holder, "issued_on": anchor, "anchor_date": anchor, "status": PermitStatus.VALID},
    )
    result.count("permits", int(created))

    for person in (resident, holder):
        _, created = await UnitMember.get_or_create(unit=unit, person=person)
        result.count("unit_members", int(created))


async def _seed_demo_houses(result: SeedResult) -> dict[tuple[str, int, str], House]:
    houses: dict[tuple[str, int, str], House] = {}
    for street_name, kind in DEMO_HOUSE_STREETS.items():
        street = await Street.get(name=street_name)
        for building in DEMO_BUILDINGS:
            for room in DEMO_ROOMS:
                # Decision: a house code is the street code, a 2-digit building and a 4-digit room.
                house, created = await House.get_or_create(
                    house_code=f"{street.code}{building:02d}{int(room):04d}",
                    defaults={
                        "street": street,
                        "building": f"{building}栋",
                        "room": f"{room}室",
                        "address": f"深圳市{street.district}{street.name}示范花园{building}栋{room}室",
                        "kind": kind,
                    },
                )
                houses[(street_name, building, room)] = house
                result.count("houses", int(created))
    return houses


async def _account(username: str, role: Role, mobile: str, result: SeedResult, **values: object) -> Account:
    account = await Account.get_or_none(username=username)
    if account is None:
        # Hash only on creation: a second run must not rewrite the hash (or cost 27 ms each).
        # verified_mobile stays NULL, so the first login asks for an SMS code (CONTRACT.md).
        account = await Account.create(
            username=username, password_hash=hash_password(DEMO_PASSWORD), role=role, mobile=mobile, **values
        )
        result.count("accounts")
    return account


async def _person(demo: DemoPerson, result: SeedResult) -> Person:
    person, created = await Person.get_or_create(
        id_type=IdType.RESIDENT_ID,
        id_number=make_id_number(demo.address_code, demo.birth_date, demo.sequence),
        defaults={
            "name": demo.name,
            "sex": demo.sex,
            "ethnicity": demo.ethnicity,
            "birth_date": demo.birth_date,
            "hukou_address": demo.hukou_address,
            "mobile": demo.mobile,
            "education": demo.education,
            "workplace": DEMO_UNIT_NAME,
        },
    )
    result.count("people", int(created))
    return person


async def _registration(
    person: Person, *, declarant: Account, reviewer: Account, house: House, start: date, result: SeedResult
) -> None:
    """An approved move-in (辅助申报 by the resident) and the registration it created."""
    if await Registration.exists(person=person, end_date=None):
        return
    street = await house.street
    declaration = await ResidenceDeclaration.create(
        declarant=declarant,
        declarant_kind=DeclarantKind.ASSISTED,
        kind=DeclarationKind.MOVE_IN,
        house=house,
        street=street,
        address_detail=house.address,
        event_date=start,
        status=DeclarationStatus.REGISTERED,
        reviewed_by=reviewer,
        reviewed_at=datetime.now(UTC),
    )
    await DeclarationOccupant.create(
        declaration=declaration,
        person=person,
        hukou_address_type="other_province",
        occupation=3,  # 职员
        workplace=person.workplace,
        reason_code=1,  # 务工
        emergency_phone="13800009999",
    )
    await Registration.create(
        person=person, house=house, street=street, address=house.address, start_date=start, declaration=declaration
    )
    result.count("residence_declarations")
    result.count("registrations")


async def _insurance(person: Person, *, months: int, today: date, result: SeedResult) -> None:
    """Social insurance for the `months` calendar months ending with last month."""
    this_month = today.replace(day=1)
    wanted = {months_before(this_month, n) for n in range(1, months + 1)}
    have = set(await InsuranceMonth.filter(id_number=person.id_number).values_list("month", flat=True))
    missing = sorted(wanted - have)
    await InsuranceMonth.bulk_create(
        [InsuranceMonth(id_number=person.id_number, month=month, insurer=DEMO_UNIT_NAME) for month in missing]
    )
    result.count("insurance_months", len(missing))


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, clamped to the end of a shorter month."""
    return add_months(day, -months)


def years_before(day: date, years: int) -> date:
    return add_months(day, -12 * years)


async def create_admin(*, username: str, password: str, mobile: str) -> Account:
    """An administrator account, made on the command line at first set-up (DOMAIN §2)."""
    if len(password) < ADMIN_PASSWORD_MIN_LENGTH:
        raise ValueError(f"the password needs at least {ADMIN_PASSWORD_MIN_LENGTH} characters")
    return await create_account(username=username, password=password, mobile=mobile, role=Role.ADMIN)


async def create_account(
    *, username: str, password: str, mobile: str, role: Role, point_code: str | None = None,
    with_person: bool = False,
) -> Account:
    """An account of any role from the command line (first set-up, test data for QA journeys).

    Staff belong to an acceptance point: `point_code` is its street code (e.g. 440304001).
    `with_person` gives a resident a Person with a made-up, valid ID number (QA journeys).
    """
    point = None
    if point_code:
        point = await AcceptancePoint.get_or_none(code=point_code)
        if point is None:
            raise ValueError(f"no acceptance point {point_code!r}")
    normalized = normalize_mobile(mobile)
    if normalized is None:
        raise ValueError("mobile must be an 11-digit mainland mobile number")
    if await Account.exists(username=username):
        raise ValueError(f"the username {username!r} is taken")
    person = await _made_up_person(username, normalized) if with_person else None
    return await Account.create(
        username=username, password_hash=hash_password(password), role=role, mobile=normalized,
        point=point, person=person,
    )


async def _made_up_person(username: str, mobile: str) -> Person:
    """A Person for a test account: a random birth date and sequence give a fresh valid ID number."""
    import secrets

    while True:
        birth = date(1970, 1, 1) + timedelta(days=secrets.randbelow(365 * 30))
        sequence = secrets.randbelow(999) + 1
        number = make_id_number("440304", birth, sequence)
        if not await Person.exists(id_type=IdType.RESIDENT_ID, id_number=number):
            break
    return await Person.create(
        id_type=IdType.RESIDENT_ID, id_number=number, name=f"测试{username[-4:]}",
        sex=Sex.MALE if sequence % 2 else Sex.FEMALE, ethnicity="01", birth_date=birth,
        hukou_address="广东省深圳市福田区福华路1号", mobile=mobile,
    )
