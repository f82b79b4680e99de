"""The staff queue of permit applications on PostgreSQL at volume: query plans and times.

    .venv/bin/python -m bench.queue_plan [--rows 100000] [--keep]

DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/test); the bench makes a
database of its own there (juzhu_bench_queue_<pid>), migrates it, seeds the acceptance points and
COPYs `--rows` applications over five points and every state into it. Then it runs the queue's pages
through the real service (web/services/staff_queue.py), captures each SQL statement they send, and
EXPLAIN (ANALYZE, BUFFERS)es it with the same parameters. It prints the plans and times and exits
non-zero when a statement reads permit_applications by a sequential scan. The database is dropped at
the end unless --keep.

The data is a stress case, not a typical day: one point holds 85% of the rows with a backlog of
~55,000 submitted applications (so that a keyset page 50,000 rows deep exists), and about half of
the accepted ones are past their time limit. tests/services/test_staff_queue.py runs the same
checks on 20,000 rows in the PostgreSQL test run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from web.services.identity import make_id_number

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/test"
TABLE = "permit_applications"
POINTS = 5
BUSY_SHARE = 0.85  # of the rows at the first point
# State weights: a backlog of submitted ones, some in each later state, the closed ones.
STATE_WEIGHTS = {
    "submitted": 65, "accepted": 6, "under_review": 5, "approved": 2, "pending_payment": 2,
    "in_production": 3, "ready_for_collection": 3, "collected": 12, "rejected": 2,
}  # fmt: skip
TIMED = {"accepted", "under_review", "approved", "pending_payment", "in_production"}
CLOSED = {"collected", "rejected"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "华", "建华", "玉兰", "文", "辉", "婷", "浩", "宇"]  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    busy_point_id: int
    today: date
    common_name: str  # a name many applicants of the busy point share
    acceptance_number: str
    id_number: str


@dataclass(frozen=True)
class Plan:
    label: str
    sql: str
    text: str
    execution_ms: float

    @property
    def seq_scan(self) -> bool:
        return f"Seq Scan on {TABLE}" in self.text

    @property
    def indexes(self) -> list[str]:
        """The indexes through which the plan reads permit_applications."""
        return sorted(set(_INDEX_SCAN.findall(self.text)) | set(_BITMAP_SCAN.findall(self.text)))

    @property
    def index_scan(self) -> bool:
        return bool(self.indexes)


_INDEX_SCAN = re.compile(rf"Index (?:Only )?Scan(?: Backward)? using (\w+) on {TABLE}\b")
_BITMAP_SCAN = re.compile(r"Bitmap Index Scan on (\w+)")


# --- the data -----------------------------------------------------------------------------------


def _application_rows(
    count: int, person_ids: list[int], point_ids: list[int], submitter_id: int, today: date, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    states = list(STATE_WEIGHTS)
    weights = list(STATE_WEIGHTS.values())
    for index in range(count):
        person_id, (id_number, name, birth) = person_ids[index], _person(index)
        point_id = point_ids[0] if rng.random() < BUSY_SHARE else rng.choice(point_ids[1:])
        state = rng.choices(states, weights)[0]
        accepted_at = due = None
        if state == "submitted" or state in CLOSED:
            submitted_at = now - timedelta(seconds=rng.randrange(2 * 365 * 86400))
        else:  # accepted within the last 40 days: about half past the 21-day limit
            accepted_at = now - timedelta(seconds=rng.randrange(40 * 86400))
            submitted_at = accepted_at - timedelta(seconds=rng.randrange(3 * 86400))
        if state != "submitted":
            accepted_at = accepted_at or submitted_at + timedelta(days=1)
            due = (accepted_at + timedelta(days=21)).date()
        yield (
            f"SZ{submitted_at:%Y%m%d}{index:06d}", person_id, submitter_id, "first", "residence_and_insurance",
            state, point_id, "PH2026BENCH", name, "M" if int(id_number[16]) % 2 else "F", birth, id_number,
            submitted_at, accepted_at, due, now, None if state in CLOSED else person_id,
        )


def _person(index: int) -> tuple[str, str, date]:
    """A unique ID number, a name (often shared) and the birth date, for the index-th applicant."""
    birth = date(1970, 1, 1) + timedelta(days=index // 999)
    name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
    return make_id_number("430102", birth, index % 999 + 1), name, birth


async def load(connection: asyncpg.Connection, rows: int, *, today: date, seed: int = 2026) -> Dataset:
    """COPY `rows` applicants and their applications into the (migrated, seeded) database."""
    rng = random.Random(seed)
    point_ids = [row["id"] for row in await connection.fetch(
        "SELECT id FROM acceptance_points ORDER BY id LIMIT $1", POINTS)]
    submitter_id = await connection.fetchval(
        "INSERT INTO accounts (username, password_hash, role, mobile, created_at) "
        "VALUES ('bench_unit', 'x', 'unit_agent', '13900000000', now()) RETURNING id")
    first_person = (await connection.fetchval("SELECT coalesce(max(id), 0) FROM people")) + 1
    now = datetime.now(UTC)
    people = ((first_person + index, "resident_id", *_person(index)[:2], now) for index in range(rows))
    await connection.copy_records_to_table(
        "people", records=people, columns=["id", "id_type", "id_number", "name", "created_at"])
    await connection.execute("SELECT setval(pg_get_serial_sequence('people', 'id'), (SELECT max(id) FROM people))")
    person_ids = list(range(first_person, first_person + rows))
    await connection.copy_records_to_table(
        TABLE,
        records=_application_rows(rows, person_ids, point_ids, submitter_id, today, rng),
        columns=["acceptance_number", "person_id", "submitted_by_id", "kind", "condition", "state", "point_id",
                 "photo_number", "name", "sex", "birth_date", "id_number", "submitted_at", "accepted_at",
                 "due_date", "created_at", "open_person_id"],
    )  # fmt: skip
    await connection.execute(f"VACUUM ANALYZE {TABLE}")  # as autovacuum would: statistics, visibility map
    sample = await connection.fetchrow(
        f"SELECT acceptance_number, id_number FROM {TABLE} WHERE point_id = $1 ORDER BY id LIMIT 1 OFFSET $2",
        point_ids[0], rows // 3)
    common = await connection.fetchval(
        f"SELECT name FROM {TABLE} WHERE point_id = $1 GROUP BY name ORDER BY count(*) DESC LIMIT 1", point_ids[0])
    return Dataset(point_ids[0], today, common, sample["acceptance_number"], sample["id_number"])


async def overdue_end(connection: asyncpg.Connection, dataset: Dataset) -> tuple[date, int] | None:
    """The (due_date, id) of the busy point's last overdue application: the default view's page after
    it lists the other open ones, one query per state."""
    row = await connection.fetchrow(
        f"SELECT due_date, id FROM {TABLE} WHERE point_id = $1 AND due_date < $2 AND state = ANY($3::text[])"
        " ORDER BY due_date DESC, id DESC LIMIT 1", dataset.busy_point_id, dataset.today, sorted(TIMED))
    return (row["due_date"], row["id"]) if row else None


async def deep_cursor(connection: asyncpg.Connection, dataset: Dataset, depth: int) -> tuple[datetime, int] | None:
    """The (submitted_at, id) of the depth-th submitted application of the busy point (OFFSET: the
    bench's own look-up, never the product's)."""
    row = await connection.fetchrow(
        f"SELECT submitted_at, id FROM {TABLE} WHERE point_id = $1 AND state = 'submitted'"
        " ORDER BY submitted_at, id OFFSET $2 LIMIT 1", dataset.busy_point_id, depth - 1)
    return (row["submitted_at"], row["id"]) if row else None


# --- capturing and explaining ---------------------------------------------------------------------


class _Capture(logging.Handler):
    """The (sql, parameters) of each statement Tortoise sends (it logs them at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s: %s" and isinstance(record.args, tuple) and len(record.args) == 2:
            self.statements.append((str(record.args[0]), list(record.args[1] or [])))


@contextmanager
def captured() -> Iterator[_Capture]:
    logger = logging.getLogger("tortoise.db_client")
    handler = _Capture()
    level, disabled = logger.level, logger.disabled
    logger.setLevel(logging.DEBUG)
    logger.disabled = False
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.disabled = disabled


async def explain(connection: asyncpg.Connection, label: str, sql: str, values: list[Any]) -> Plan:
    rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *values)
    text = "\n".join(row[0] for row in rows)
    execution = next((float(line.split(":")[1].split()[0]) for line in text.splitlines()
                      if line.strip().startswith("Execution Time")), float("nan"))
    return Plan(label, sql, text, execution)


async def scenario_plans(
    connection: asyncpg.Connection, label: str, run: Callable[[], Awaitable[Any]]
) -> tuple[list[Plan], float]:
    """Run one page through the service; EXPLAIN every statement it sent. Also its median wall time (ms)."""
    with captured() as capture:
        await run()
    plans = [await explain(connection, f"{label} #{number}", sql, values)
             for number, (sql, values) in enumerate(capture.statements, 1)]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        await run()
        times.append((time.perf_counter() - started) * 1000)
    return plans, statistics.median(times)


def scenarios(
    dataset: Dataset, cursor: tuple[datetime, int] | None, overdue: tuple[date, int] | None
) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    """The pages measured: what a staff member of the busy point opens."""
    from web.services import staff_queue

    point, today = dataset.busy_point_id, dataset.today
    pages: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("default view, first page", lambda: staff_queue.queue_page(point, today=today)),
        ("counts per state", lambda: staff_queue.counts(point, today=today)),
        ("submitted, first page", lambda: staff_queue.queue_page(point, "submitted", today=today)),
        ("approved tab (3 states), first page", lambda: staff_queue.queue_page(point, "approved", today=today)),
        ("overdue list, first page", lambda: staff_queue.queue_page(point, staff_queue.OVERDUE, today=today)),
        ("name search", lambda: staff_queue.search(point, dataset.common_name, today=today)),
        ("ID number search", lambda: staff_queue.search(point, dataset.id_number, today=today)),
        ("acceptance number search", lambda: staff_queue.search(point, dataset.acceptance_number, today=today)),
    ]
    if overdue is not None:
        rest = staff_queue.Cursor(True, overdue[0], overdue[1])
        pages.insert(1, ("default view, page after the overdue ones",
                         lambda: staff_queue.queue_page(point, today=today, after=rest)))
    if cursor is not None:
        deep = staff_queue.Cursor(False, cursor[0], cursor[1])
        pages.insert(4, ("submitted, deep page",
                         lambda: staff_queue.queue_page(point, "submitted", today=today, after=deep)))
    return pages


async def measure(connection: asyncpg.Connection, dataset: Dataset, *, depth: int, verbose: bool = True) -> list[Plan]:
    """Every scenario's plans (Tortoise must be initialised on the same database)."""
    cursor = await deep_cursor(connection, dataset, depth)
    everything: list[Plan] = []
    for label, run in scenarios(dataset, cursor, await overdue_end(connection, dataset)):
        plans, wall_ms = await scenario_plans(connection, label, run)
        everything += plans
        if verbose:
            total = sum(plan.execution_ms for plan in plans)
            print(f"\n=== {label}: {len(plans)} statement(s), {total:.2f} ms in PostgreSQL, "
                  f"{wall_ms:.1f} ms through the service (median of 5)")
            for plan in plans:
                print(f"--- {plan.label}\n{plan.sql}\n{plan.text}")
    return everything


# --- the command ----------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _prepare(url: str) -> None:
    from tortoise.context import TortoiseContext

    from web.db import migrate, tortoise_config
    from web.services.seed import seed_reference

    await migrate(url)
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(url))
        await seed_reference()


async def main_async(rows: int, depth: int, keep: bool) -> int:
    from tortoise import Tortoise

    from web.db import tortoise_config

    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    name = f"juzhu_bench_queue_{os.getpid()}"
    maintenance = await asyncpg.connect(_with_database(server, "postgres"))
    await maintenance.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server, name)
    today = date(2026, 4, 20)
    try:
        await _prepare(url)
        connection = await asyncpg.connect(url)
        try:
            started = time.perf_counter()
            dataset = await load(connection, rows, today=today)
            print(f"loaded {rows:,} applications in {time.perf_counter() - started:.1f} s "
                  f"(busy point {dataset.busy_point_id}, today {today})")
            await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
            try:
                plans = await measure(connection, dataset, depth=depth)
            finally:
                await Tortoise.close_connections()
        finally:
            await connection.close()
    finally:
        if not keep:
            await maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await maintenance.close()
    bad = [plan.label for plan in plans if plan.seq_scan or not plan.index_scan]
    print("\nsummary (ms in PostgreSQL per statement):")
    for plan in plans:
        print(f"  {plan.label:<48}{plan.execution_ms:>9.3f}  "
              f"{'SEQ SCAN' if plan.seq_scan else ', '.join(plan.indexes) or 'NO INDEX'}")
    if bad:
        print(f"\nFAILED: a sequential scan, or no index, on {TABLE} in: {', '.join(bad)}")
        return 1
    print(f"\nok: every statement reads {TABLE} through an index" + (f" (kept database {name})" if keep else ""))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=50_000, help="rows before the deep page's cursor")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    return asyncio.run(main_async(args.rows, args.depth, args.keep))


if __name__ == "__main__":
    sys.exit(main())
