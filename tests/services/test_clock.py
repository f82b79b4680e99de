"""The application clock (web/services/clock.py): the real date in Shenzhen, or one set by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from litestar.stores.memory import MemoryStore

from web.services.clock import SHENZHEN, Clock


def real_today() -> date:
    return datetime.now(SHENZHEN).date()


async def test_today_is_the_real_date_in_shenzhen() -> None:
    clock = Clock(MemoryStore())
    assert await clock.today() == real_today()
    assert await clock.override() is None


@pytest.mark.parametrize("day", [date(2027, 2, 1), date(2028, 2, 29), date(2025, 12, 31)])
async def test_a_set_date_becomes_today(day: date) -> None:
    clock = Clock(MemoryStore())
    await clock.set_today(day)
    assert await clock.today() == day
    assert await clock.override() == day


async def test_setting_none_goes_back_to_the_real_date() -> None:
    clock = Clock(MemoryStore())
    await clock.set_today(date(2027, 2, 1))
    await clock.set_today(None)
    assert await clock.today() == real_today()
    assert await clock.override() is None


async def test_two_clocks_on_one_store_agree() -> None:
    # Every worker builds its own Clock over the shared store.
    store = MemoryStore()
    await Clock(store).set_today(date(2027, 2, 1))
    assert await Clock(store).today() == date(2027, 2, 1)


async def test_now_keeps_the_time_of_day_on_the_set_date() -> None:
    clock = Clock(MemoryStore())
    await clock.set_today(date(2027, 2, 1))
    before = datetime.now(SHENZHEN)
    now = await clock.now()
    after = datetime.now(SHENZHEN)
    assert now.date() == date(2027, 2, 1)
    assert now.utcoffset() == timedelta(hours=8)
    assert before.time() <= now.time() <= after.time() or before.date() != after.date()


async def test_now_is_the_real_time_without_an_override() -> None:
    clock = Clock(MemoryStore())
    before = datetime.now(SHENZHEN)
    now = await clock.now()
    assert before <= now <= datetime.now(SHENZHEN)


async def test_without_a_store_the_clock_cannot_be_set() -> None:
    # Production passes no store: the real clock is the only clock.
    clock = Clock(None)
    assert await clock.today() == real_today()
    assert await clock.override() is None
    with pytest.raises(RuntimeError):
        await clock.set_today(date(2027, 2, 1))
