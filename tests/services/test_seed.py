"""The seed: streets and acceptance points from the CSV, the demo accounts of CONTRACT.md, idempotent."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio
from tortoise.context import TortoiseContext

from web import manage
from web.db import migrate, tortoise_config
from web.models import (
    AcceptancePoint,
    Account,
    House,
    InsuranceMonth,
    Permit,
    PermitStatus,
    Registration,
    Role,
    Street,
)
from web.services import rules
from web.services.identity import check_citizen_id, check_credit_code
from web.services.passwords import verify_password
from web.services.seed import (
    DEMO_PASSWORD,
    create_admin,
    months_before,
    read_streets,
    seed,
    seed_reference,
)

TODAY = date(2026, 3, 31)  # a month end: 13 months earlier is 28 February
DATABASE_URL = os.environ.get("DATABASE_URL", "")


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def _on_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def template(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """An empty database migrated once for this module: a SQLite file, or a PostgreSQL database
    on the server of DATABASE_URL when it names one."""
    if not _is_postgres(DATABASE_URL):
        path = tmp_path_factory.mktemp("seed") / "template.sqlite3"
        await migrate(f"sqlite://{path}")
        yield str(path)
        return
    name = f"juzhu_test_seed_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_on_database(DATABASE_URL, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        await migrate(_on_database(DATABASE_URL, name))
        yield name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def fresh_url(template: str, tmp_path: Path) -> AsyncIterator[str]:
    """A copy of the migrated template, private to the test (a file copy, or CREATE DATABASE ... TEMPLATE)."""
    if not _is_postgres(DATABASE_URL):
        path = tmp_path / "seed.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite://{path}"
        return
    name = f"{template}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_on_database(DATABASE_URL, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield _on_database(DATABASE_URL, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def models(fresh_url: str) -> AsyncIterator[TortoiseContext]:
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(fresh_url))
        yield context


async def _row_counts(context: TortoiseContext) -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in context.apps.get_models_iterable()}


async def test_seeding_twice_changes_nothing(models: TortoiseContext) -> None:
    first = await seed(today=TODAY, demo=True)
    counts = await _row_counts(models)
    second = await seed(today=TODAY, demo=True)

    assert first.total > 0
    assert second.total == 0, second.created
    assert await _row_counts(models) == counts


async def test_74_streets_each_with_its_acceptance_point(models: TortoiseContext) -> None:
    await seed_reference()

    assert await Street.all().count() == 74
    assert await AcceptancePoint.all().count() == 74
    futian = await AcceptancePoint.get(street__name="福田街道").prefetch_related("street")
    row = next(row for row in read_streets() if row["street"] == "福田街道")
    assert futian.code == futian.street.code == row["street_code"]
    assert futian.name == "福田街道居住证受理点"
    assert futian.address == "深圳市福田区福田街道"
    assert futian.hours == "周一至周五 9:00-12:00, 14:00-18:00"
    assert (futian.lat, futian.lng) == (Decimal(row["lat_approx"]), Decimal(row["lng_approx"]))
    assert futian.is_active and futian.daily_capacity > 0


async def test_production_gets_the_reference_data_and_no_demo_accounts(models: TortoiseContext) -> None:
    await seed(today=TODAY, demo=False)

    assert await AcceptancePoint.all().count() == 74
    assert await Account.all().count() == 0


@pytest.mark.parametrize(
    ("username", "mobile", "role"),
    [
        ("admin", "13800000001", Role.ADMIN),
        ("staff", "13800000002", Role.STAFF),
        ("unit", "13800000003", Role.UNIT_AGENT),
        ("resident", "13800000004", Role.RESIDENT),
        ("holder", "13800000005", Role.RESIDENT),
    ],
)
async def test_demo_accounts_of_the_contract(models: TortoiseContext, username: str, mobile: str, role: Role) -> None:
    await seed(today=TODAY, demo=True)

    account = await Account.get(username=username)
    assert (account.role, account.mobile, account.is_active) == (role, mobile, True)
    assert verify_password(account.password_hash, DEMO_PASSWORD)
    assert account.verified_mobile is None  # so the first login asks for the SMS code


async def test_staff_works_at_the_futian_point_and_the_unit_agent_is_authenticated(models: TortoiseContext) -> None:
    await seed(today=TODAY, demo=True)

    staff = await Account.get(username="staff").prefetch_related("point__street")
    assert staff.point.street.name == "福田街道"
    agent = await Account.get(username="unit").prefetch_related("unit")
    assert agent.real_name_verified_at is not None
    assert check_credit_code(agent.unit.credit_code) is None
    assert await agent.unit.members.all().count() == 2


async def test_resident_registered_13_months_with_12_months_of_insurance_and_no_permit(
    models: TortoiseContext,
) -> None:
    await seed(today=TODAY, demo=True)

    resident = await Account.get(username="resident").prefetch_related("person")
    person = resident.person
    assert resident.real_name_verified_at is not None
    assert check_citizen_id(person.id_number, today=TODAY) is None
    assert not person.id_number.startswith("4403")  # not a Shenzhen hukou: the permit is for them

    registration = await Registration.get(person=person).prefetch_related("street", "house")
    assert registration.end_date is None
    assert registration.start_date == date(2025, 2, 28) == months_before(TODAY, 13)
    assert registration.street.name == "福田街道"
    assert registration.house.house_code

    months = await InsuranceMonth.filter(id_number=person.id_number).order_by("month").values_list("month", flat=True)
    assert months == [date(2025, month, 1) for month in range(3, 13)] + [date(2026, 1, 1), date(2026, 2, 1)]
    assert not await Permit.exists(person=person)


async def test_holder_has_a_valid_permit_in_its_endorsement_window(models: TortoiseContext) -> None:
    await seed(today=TODAY, demo=True)

    holder = await Account.get(username="holder").prefetch_related("person")
    permit = await Permit.get(person=holder.person)
    next_full_year = permit.anchor_date.replace(year=permit.anchor_date.year + 1)
    assert permit.status == PermitStatus.VALID
    assert holder.real_name_verified_at is not None
    assert 0 < (next_full_year - TODAY).days <= rules.ENDORSEMENT_WINDOW_DAYS
    assert next_full_year - TODAY == timedelta(days=30)
    assert await Registration.exists(person=holder.person, end_date=None)
    assert await InsuranceMonth.filter(id_number=holder.person.id_number).count() >= 12


async def test_demo_houses_in_several_streets_with_buildings_and_rooms(models: TortoiseContext) -> None:
    await seed(today=TODAY, demo=True)

    houses: list[Any] = await House.all().values("street__name", "building", "room", "house_code")
    streets = {house["street__name"] for house in houses}
    assert "福田街道" in streets and len(streets) >= 3
    assert len({(house["street__name"], house["building"]) for house in houses}) >= 2 * len(streets)
    assert len({house["house_code"] for house in houses}) == len(houses)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 31), 13, date(2025, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
        (date(2026, 1, 15), 12, date(2025, 1, 15)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
    ],
)
def test_months_before_clamps_to_the_end_of_a_shorter_month(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


async def test_create_admin(models: TortoiseContext) -> None:
    account = await create_admin(username="root", password="correct horse battery", mobile="+86 139 0000 0000")

    assert (account.role, account.mobile) == (Role.ADMIN, "13900000000")
    assert verify_password(account.password_hash, "correct horse battery")
    with pytest.raises(ValueError, match="taken"):
        await create_admin(username="root", password="correct horse battery", mobile="13900000000")
    with pytest.raises(ValueError, match="characters"):
        await create_admin(username="root2", password="short", mobile="13900000000")
    with pytest.raises(ValueError, match="mobile"):
        await create_admin(username="root2", password="correct horse battery", mobile="12345")


def test_manage_commands_migrate_seed_and_create_an_admin(
    fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", fresh_url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse battery")

    assert manage.main(["migrate"]) == 0
    assert manage.main(["seed"]) == 0
    assert manage.main(["seed"]) == 0
    assert manage.main(["createadmin", "--username", "root", "--mobile", "13900000000"]) == 0
    assert manage.main(["createadmin", "--username", "root", "--mobile", "13900000000"]) == 1

    out, err = capsys.readouterr()
    assert "acceptance_points 74" in out and "accounts 5" in out
    assert "nothing new" in out
    assert "administrator 'root' created" in out
    assert "taken" in err
