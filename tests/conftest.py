"""Fixtures for every test: a real, freshly migrated database, private stores, the app and its client.

Every test starts from a migrated database holding only the reference data (streets and acceptance
points, from the idempotent seed). SQLite by default: one template file migrated and seeded per run,
copied for each test. With DATABASE_URL=postgres://...: a database of this run's own on that server,
migrated and seeded once, emptied again before each test, dropped at the end. The database named in
DATABASE_URL (`test`) is only the way in: it is never written to.

Stores: files under the test's tmp_path; with REDIS_URL, Redis keys under this run's own namespace
(other runs and a developer's server may share the Redis), emptied around each test.

HTTP tests take `client` (and reach the ORM through support.run_db); service tests take `db`.
One app runs per test: Tortoise keeps one global context.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests import support
from web.app import create_app
from web.db import migrate
from web.settings import Settings

SECRET_KEY = "test-secret-key-" + "x" * 32
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL") or None
# Names this run's PostgreSQL database and Redis namespace, apart from concurrent runs.
RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"
MIGRATIONS_TABLE = "tortoise_migrations"


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def seed_reference_data(database_url: str) -> None:
    """The reference data every test database starts with: streets and acceptance points.

    The idempotent seed of `make run`, without the demo accounts: tests make the accounts they need.
    """
    from tortoise.context import TortoiseContext

    from web.db import tortoise_config
    from web.services.seed import seed

    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        await seed(today=date.today(), demo=False)


class SqliteDatabases:
    """Migrates one template file per run; each test gets a copy (≈1 ms, full isolation)."""

    def __init__(self, directory: Path, portal: BlockingPortal) -> None:
        self.template = directory / "template.sqlite3"
        url = f"sqlite://{self.template}"
        portal.call(migrate, url)
        portal.call(seed_reference_data, url)

    def fresh(self, directory: Path) -> str:
        path = directory / "juzhu.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite://{path}"

    def close(self) -> None:
        pass


class PostgresDatabases:
    """One database per run on the server of DATABASE_URL, migrated once, emptied before each test."""

    def __init__(self, server_url: str, portal: BlockingPortal) -> None:
        self.portal = portal
        self.maintenance_url = with_database(server_url, "postgres")
        self.name = f"juzhu_test_{RUN_ID}"
        self.url = with_database(server_url, self.name)
        portal.call(self._drop_abandoned)
        portal.call(self._execute, self.maintenance_url, f'CREATE DATABASE "{self.name}"')
        portal.call(migrate, self.url)
        portal.call(seed_reference_data, self.url)
        self.connection = portal.call(self._connect, self.url)
        self.tables: list[str] = portal.call(self._tables)
        self.sequences: dict[str, str] = portal.call(self._sequences)
        # Tables the seed filled, with a checksum of their rows: left alone while unchanged.
        self.reference: dict[str, str] = portal.call(self._checksums, portal.call(self._non_empty))

    @staticmethod
    async def _connect(url: str) -> Any:
        return await asyncpg.connect(url)

    async def _execute(self, url: str, statement: str) -> None:
        connection = await self._connect(url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def _drop_abandoned(self) -> None:
        """Drop the databases of earlier runs that were killed before they could drop their own.

        Names carry the run's process id (juzhu_test_<pid>_<hex>, juzhu_e2e_<pid>_<hex>): a database
        whose process is gone is abandoned.
        """
        connection = await self._connect(self.maintenance_url)
        try:
            rows = await connection.fetch(
                "SELECT datname FROM pg_database WHERE datname ~ '^juzhu_(test|e2e)_[0-9]+_[0-9a-f]+$'"
            )
            for row in rows:
                pid = int(row["datname"].split("_")[2])
                if not Path(f"/proc/{pid}").exists():
                    await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        finally:
            await connection.close()

    async def _tables(self) -> list[str]:
        rows = await self.connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> $1",
            MIGRATIONS_TABLE,
        )
        return sorted(row["tablename"] for row in rows)

    async def _sequences(self) -> dict[str, str]:
        """The id sequence of each table that has one (serial and identity columns alike)."""
        rows = await self.connection.fetch(
            "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), column_name) AS sequence"
            " FROM information_schema.columns WHERE table_schema = 'public'"
        )
        return {row["table_name"]: row["sequence"] for row in rows if row["sequence"]}

    async def _non_empty(self) -> list[str]:
        probe = " UNION ALL ".join(
            f"SELECT '{table}' AS name WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in self.tables
        )
        return [row["name"] for row in await self.connection.fetch(probe)] if self.tables else []

    async def _checksums(self, tables: list[str]) -> dict[str, str]:
        if not tables:
            return {}
        query = " UNION ALL ".join(
            f"SELECT '{table}' AS name, md5(string_agg(row::text, ',' ORDER BY row::text)) AS sum"
            f' FROM "{table}" AS row'
            for table in tables
        )
        return {row["name"]: row["sum"] for row in await self.connection.fetch(query)}

    async def _reset(self) -> None:
        """Back to the state after migration and seed: empty the tables the last test wrote to.

        TRUNCATE costs ~3 ms per table, and CASCADE from `accounts` reaches most of the schema, so
        find the non-empty tables first (one cheap query), keep the reference tables whose rows are
        unchanged, and DELETE the rest with the foreign keys' triggers off
        (session_replication_role needs a superuser, as the test server's user is; without that
        privilege, TRUNCATE). Their id sequences restart, as in a fresh database.
        """
        used = await self._non_empty()
        current = await self._checksums([table for table in used if table in self.reference])
        dirty = [table for table in used if current.get(table, "") != self.reference.get(table)]
        if not dirty:
            return
        try:
            async with self.connection.transaction():
                await self.connection.execute("SET LOCAL session_replication_role = replica")
                for table in dirty:
                    await self.connection.execute(f'DELETE FROM "{table}"')
        except asyncpg.InsufficientPrivilegeError:
            names = ", ".join(f'"{table}"' for table in dirty)
            await self.connection.execute(f"TRUNCATE {names} CASCADE")
        sequences = [self.sequences[table] for table in dirty if table in self.sequences]
        await self.connection.execute(
            "SELECT setval(name, 1, false) FROM unnest($1::text[]) AS name", sequences
        )
        if any(table in self.reference for table in dirty):
            await seed_reference_data(self.url)

    def fresh(self, directory: Path) -> str:
        self.portal.call(self._reset)
        return self.url

    def close(self) -> None:
        self.portal.call(self.connection.close)
        self.portal.call(
            self._execute, self.maintenance_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'
        )


@pytest.fixture(scope="session")
def harness_portal() -> Iterator[BlockingPortal]:
    """An event loop on its own thread for the harness's database set-up (not the tests' loops)."""
    with start_blocking_portal() as portal:
        yield portal


@pytest.fixture(scope="session")
def databases(
    tmp_path_factory: pytest.TempPathFactory, harness_portal: BlockingPortal
) -> Iterator[SqliteDatabases | PostgresDatabases]:
    if is_postgres(DATABASE_URL):
        source: SqliteDatabases | PostgresDatabases = PostgresDatabases(DATABASE_URL, harness_portal)
    else:
        source = SqliteDatabases(tmp_path_factory.mktemp("database"), harness_portal)
    yield source
    source.close()


@pytest.fixture
def database_url(databases: SqliteDatabases | PostgresDatabases, tmp_path: Path) -> str:
    """A migrated database with only the reference data in it, private to this test."""
    return databases.fresh(tmp_path)


@pytest.fixture
def app_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        app_env="test",
        database_url=database_url,
        redis_url=REDIS_URL,
        redis_namespace=f"juzhu_test_{RUN_ID}",
        secret_key=SECRET_KEY,
        var_dir=tmp_path,
    )


def _assert_private_redis(app: Litestar) -> None:
    """Flushing between tests must never reach another run's keys, or a developer's server's."""
    from litestar.stores.redis import RedisStore

    from web.stores import STORE_NAMES

    for name in STORE_NAMES:
        store = app.stores.get(name)
        if isinstance(store, RedisStore):
            namespace = store.namespace or ""
            assert RUN_ID in namespace, f"Redis store {name!r} is not this run's own: {namespace!r}"


@pytest.fixture
def make_app() -> Callable[[Settings], Litestar]:
    """create_app, checked to use this run's private Redis namespace; for apps with other settings."""

    def make(settings: Settings) -> Litestar:
        app = create_app(settings)
        _assert_private_redis(app)
        return app

    return make


@pytest.fixture
def app(app_settings: Settings, make_app: Callable[[Settings], Litestar]) -> Litestar:
    return make_app(app_settings)


@pytest.fixture
async def client(app: Litestar, request: pytest.FixtureRequest) -> AsyncIterator[AsyncTestClient]:
    """The app served on the test client's own thread; database calls go through support.run_db."""
    if "db" in request.fixturenames:
        pytest.fail("use either `client` (HTTP tests, support.run_db) or `db` (service tests), not both")
    async with support.serve(app) as test_client:
        yield test_client


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[None]:
    """Tortoise on the test's own event loop, for service tests that call the ORM directly."""
    from tortoise import Tortoise

    from web.db import tortoise_config

    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()


@pytest.fixture
def count_queries() -> support.QueryCounter:
    """`with count_queries() as q: await client.get("/")`, then `assert q.count <= 2, q`."""
    return support.count_queries
