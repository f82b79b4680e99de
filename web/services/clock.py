"""The application's notion of today: the real date in Shenzhen, or a date set through /dev/clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from litestar.stores.base import Store

SHENZHEN = ZoneInfo("Asia/Shanghai")
_KEY = "today"


class Clock:
    """Every date rule reads today from here, so tests and QA can move time by setting one date.

    The override lives in a shared store (Redis or files), so all workers agree on it. In production
    there is no store and no override: the real clock is the only clock.
    """

    def __init__(self, store: Store | None) -> None:
        self._store = store

    async def override(self) -> date | None:
        if self._store is None:
            return None
        raw = await self._store.get(_KEY)
        return date.fromisoformat(raw.decode()) if raw else None

    async def set_today(self, day: date | None) -> None:
        if self._store is None:
            raise RuntimeError("the clock can only be set outside production")
        if day is None:
            await self._store.delete(_KEY)
        else:
            await self._store.set(_KEY, day.isoformat())

    async def today(self) -> date:
        return (await self.override()) or datetime.now(SHENZHEN).date()

    async def now(self) -> datetime:
        """Now in Shenzhen; with an override, that day at the real time of day."""
        real = datetime.now(SHENZHEN)
        day = await self.override()
        if day is None:
            return real
        return real + timedelta(days=(day - real.date()).days)
