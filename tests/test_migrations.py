"""The migrations build the whole data model on SQLite and PostgreSQL, and the database keeps its invariants."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.migrations.autodetector import MigrationAutodetector

from web.db import migrate, tortoise_config
from web.models import (
    AcceptancePoint,
    Account,
    ApplicationKind,
    ApplicationState,
    Condition,
    DeclarantKind,
    DeclarationKind,
    IdType,
    Permit,
    PermitApplication,
    PermitStatus,
    Person,
    Registration,
    ResidenceDeclaration,
    Role,
    Street,
)

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A uniquely named, empty PostgreSQL database, dropped afterwards."""
    name = f"juzhu_test_migrations_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is unreachable: {error}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A fresh, empty database of each kind with every migration applied, shared by this module.

    Each test creates its own rows under unique keys, so the tests do not see each other.
    """
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('migrations') / 'migrated.sqlite3'}"
        await migrate(url)
        yield url
    else:
        async with postgres_database() as url:
            await migrate(url)
            yield url


def config_for(url: str) -> dict[str, Any]:
    """web.db's config, with the connection named after the backend.

    Tortoise caches each model's INSERT per connection name, in its placeholder style, for the whole
    process: SQLite and PostgreSQL in one run must not share the name "default".
    """
    config = tortoise_config(url)
    name = url.split(":", 1)[0]
    config["connections"] = {name: url}
    config["apps"]["juzhu"]["default_connection"] = name
    return config


@asynccontextmanager
async def models_on(url: str) -> AsyncIterator[TortoiseContext]:
    async with TortoiseContext() as context:
        await context.init(config=config_for(url))
        yield context


async def _schema(context: TortoiseContext, url: str) -> tuple[dict[str, set[str]], set[str]]:
    """The tables with their columns, and the index names, as the database reports them."""
    connection = context.db()
    if url.startswith("sqlite"):
        tables = [
            row["name"]
            for row in await connection.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        columns = {
            table: {row["name"] for row in await connection.execute_query_dict(f'PRAGMA table_info("{table}")')}
            for table in tables
        }
        indexes = await connection.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'index'")
        return columns, {row["name"] for row in indexes}
    rows = await connection.execute_query_dict(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
    )
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], set()).add(row["column_name"])
    indexes = await connection.execute_query_dict("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    return columns, {row["indexname"] for row in indexes}


async def test_migrations_build_every_table_column_and_index_of_every_model(migrated_url: str) -> None:
    async with models_on(migrated_url) as context:
        models = list(context.apps.get_models_iterable())
        columns, indexes = await _schema(context, migrated_url)

    assert len(models) >= 24
    for model in models:
        table = model._meta.db_table
        assert table in columns, f"no table {table} for {model.__name__}"
        assert set(model._meta.fields_db_projection.values()) == columns[table], table
        for index in model._meta.indexes:
            assert index.name in indexes, f"no index {index.name} on {table}"


async def test_models_need_no_new_migration() -> None:
    # The autodetector compares the migration files with the models; the database plays no part,
    # so one run covers both backends. This is `tortoise makemigrations` without writing a file.
    config = tortoise_config("sqlite://:memory:")
    async with models_on("sqlite://:memory:") as context:
        changes = await MigrationAutodetector(context.apps, config["apps"]).changes()
    assert [operation.describe() for writer in changes for operation in writer.operations] == []


async def _world() -> dict[str, Any]:
    """The least the uniqueness tests need, under keys of its own: street, point, person, account, declaration."""
    key = uuid.uuid4().hex[:9]
    street = await Street.create(
        code=key, name="福田街道", name_en="Futian Subdistrict", district="福田区", district_en="Futian",
        district_adcode="440304", lat="22.52", lng="114.06",
    )  # fmt: skip
    point = await AcceptancePoint.create(
        code=key, name="福田街道居住证受理点", street=street, address="深圳市福田区福田街道",
        hours="周一至周五", lat="22.52", lng="114.06",
    )  # fmt: skip
    person = await Person.create(id_type=IdType.OTHER, id_number=key, name="张三")
    account = await Account.create(
        username=f"resident-{key}", password_hash="x", role=Role.RESIDENT, mobile="13800000004", person=person
    )
    declaration = await ResidenceDeclaration.create(
        declarant=account, declarant_kind=DeclarantKind.SELF, kind=DeclarationKind.MOVE_IN, street=street,
        event_date=date(2025, 1, 1),
    )  # fmt: skip
    return {"key": key, "street": street, "point": point, "person": person, "account": account,
            "declaration": declaration}  # fmt: skip


async def _registration(world: dict[str, Any], start: date) -> Registration:
    return await Registration.create(
        person=world["person"], street=world["street"], address="深圳市福田区福田街道示范花园1栋101室",
        start_date=start, declaration=world["declaration"],
    )  # fmt: skip


async def _application(world: dict[str, Any]) -> PermitApplication:
    return await PermitApplication.create(
        person=world["person"], submitted_by=world["account"], kind=ApplicationKind.FIRST,
        condition=Condition.RESIDENCE_AND_INSURANCE, point=world["point"], name="张三", sex="F",
        birth_date=date(1949, 12, 31), id_number=world["key"],
    )  # fmt: skip


async def test_database_rejects_a_second_active_registration(migrated_url: str) -> None:
    async with models_on(migrated_url):
        world = await _world()
        first = await _registration(world, date(2025, 1, 1))
        with pytest.raises(IntegrityError):
            await _registration(world, date(2025, 6, 1))

        first.end_date = date(2025, 5, 31)  # moved out: the next registration may start
        await first.save(update_fields=["end_date"])
        await _registration(world, date(2025, 6, 1))
        assert await Registration.filter(person=world["person"], end_date=None).count() == 1


async def test_database_rejects_a_second_open_application(migrated_url: str) -> None:
    async with models_on(migrated_url):
        world = await _world()
        first = await _application(world)
        with pytest.raises(IntegrityError):
            await _application(world)

        first.state = ApplicationState.REJECTED  # a closed application frees the person to apply again
        await first.save()
        second = await _application(world)
        assert second.open_person_id == world["person"].id


async def test_database_rejects_a_second_permit_in_force(migrated_url: str) -> None:
    async with models_on(migrated_url):
        world = await _world()
        key = world["key"]
        first = await Permit.create(
            number=f"{key}-1", person=world["person"], issued_on=date(2024, 1, 1), anchor_date=date(2024, 1, 1)
        )
        with pytest.raises(IntegrityError):
            await Permit.create(
                number=f"{key}-2", person=world["person"], issued_on=date(2025, 1, 1), anchor_date=date(2025, 1, 1)
            )

        first.status = PermitStatus.CANCELLED  # 注销: the person may re-apply and hold a new permit
        await first.save()
        await Permit.create(
            number=f"{key}-2", person=world["person"], issued_on=date(2025, 1, 1), anchor_date=date(2025, 1, 1)
        )


async def test_database_rejects_a_duplicate_username(migrated_url: str) -> None:
    async with models_on(migrated_url):
        world = await _world()
        with pytest.raises(IntegrityError):
            await Account.create(
                username=world["account"].username, password_hash="y", role=Role.STAFF, mobile="13800000002"
            )
