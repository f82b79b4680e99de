"""Fixed-window counters (web/services/ratelimit.py) on each kind of store the app runs on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

from tests.conftest import REDIS_URL, RUN_ID
from web.services import ratelimit
from web.services.clock import SHENZHEN

WINDOW = 600
# 2026-03-02 01:30:00 UTC is a multiple of 600 seconds: the start of a window.
WINDOW_START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(seconds=WINDOW)


@pytest.fixture(params=["memory", "file", *(["redis"] if REDIS_URL else [])])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A MemoryStore, a FileStore in tmp_path, and with REDIS_URL a Redis namespace of this run's own."""
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "file":
        yield FileStore(tmp_path / "ratelimit")
    else:
        assert REDIS_URL is not None
        client = Redis.from_url(REDIS_URL)
        redis = RedisStore(client, namespace=f"juzhu_test_{RUN_ID}_ratelimit")
        await redis.delete_all()
        yield redis
        await redis.delete_all()
        await client.aclose()


async def hits(store: Store, key: str, count: int, *, now: datetime, limit: int = 3) -> list[datetime | None]:
    return [await ratelimit.hit(store, key, limit=limit, window_seconds=WINDOW, now=now) for _ in range(count)]


@pytest.mark.parametrize(
    "into_the_window",
    [timedelta(0), timedelta(seconds=1), timedelta(seconds=WINDOW - 1)],
    ids=["start", "1s", "last-s"],
)
async def test_limit_hits_are_allowed_then_each_further_hit_gets_the_window_end(
    store: Store, into_the_window: timedelta
) -> None:
    assert await hits(store, "login:1.2.3.4", 5, now=WINDOW_START + into_the_window) == [None] * 3 + [WINDOW_END] * 2


@pytest.mark.parametrize("limit", [1, 30])
async def test_the_limit_is_the_number_of_hits_allowed(store: Store, limit: int) -> None:
    results = await hits(store, "k", limit + 1, now=WINDOW_START, limit=limit)

    assert results == [None] * limit + [WINDOW_END]


async def test_hits_spread_over_a_window_count_together(store: Store) -> None:
    results = [
        await ratelimit.hit(store, "k", limit=3, window_seconds=WINDOW, now=WINDOW_START + timedelta(seconds=s))
        for s in (0, 200, 400, 599)
    ]

    assert results == [None, None, None, WINDOW_END]


@pytest.mark.parametrize("into_the_next", [timedelta(0), timedelta(seconds=WINDOW - 1)], ids=["at-its-start", "last-s"])
async def test_a_new_window_allows_the_limit_again(store: Store, into_the_next: timedelta) -> None:
    await hits(store, "k", 4, now=WINDOW_START)

    next_window = await hits(store, "k", 4, now=WINDOW_END + into_the_next)

    assert next_window == [None] * 3 + [WINDOW_END + timedelta(seconds=WINDOW)]


async def test_keys_are_counted_independently(store: Store) -> None:
    assert await hits(store, "login:1.2.3.4", 4, now=WINDOW_START) == [None] * 3 + [WINDOW_END]

    assert await hits(store, "login:5.6.7.8", 3, now=WINDOW_START) == [None] * 3
    assert await hits(store, "sms:1.2.3.4", 3, now=WINDOW_START) == [None] * 3


async def test_the_retry_time_is_the_same_instant_in_the_callers_time_zone(store: Store) -> None:
    local = WINDOW_START.astimezone(SHENZHEN)

    retry_at = (await hits(store, "k", 4, now=local))[-1]

    assert retry_at == WINDOW_END and retry_at is not None and retry_at.tzinfo == SHENZHEN


@pytest.mark.parametrize(
    ("retry_in", "expected"),
    [
        (timedelta(seconds=90), timedelta(seconds=90)),
        (timedelta(0), timedelta(0)),
        (-timedelta(seconds=5), timedelta(0)),
    ],
    ids=["future", "now", "past"],
)
def test_retry_after_is_the_time_left_never_negative(retry_in: timedelta, expected: timedelta) -> None:
    assert ratelimit.retry_after(WINDOW_START, WINDOW_START + retry_in) == expected


async def test_hits_made_at_the_same_time_still_allow_only_the_limit(store: Store) -> None:
    results = await asyncio.gather(
        *(ratelimit.hit(store, "k", limit=3, window_seconds=WINDOW, now=WINDOW_START) for _ in range(10))
    )

    assert results.count(None) == 3
