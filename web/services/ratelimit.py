"""Fixed-window counters in the shared store (Redis or files), for limits that must hold across workers."""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime, timedelta

from litestar.stores.base import Store
from litestar.stores.redis import RedisStore

# Without Redis the counters live in one process's store: a lock per key makes read-and-increment
# atomic there (several workers need REDIS_URL for exact limits, as the README says).
# Weakly held: a lock lives only while some request holds or awaits it, so keys do not pile up.
_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _lock(key: str) -> asyncio.Lock:
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    return lock


async def _increment(store: Store, key: str, expires_in: int) -> int:
    """Add one to the counter under `key` and return the new count, atomically."""
    if isinstance(store, RedisStore):
        full_key = store._make_key(key)
        async with store._redis.pipeline(transaction=True) as pipe:
            pipe.incr(full_key)
            pipe.expire(full_key, expires_in, nx=True)
            count, _ = await pipe.execute()
        return int(count)
    async with _lock(key):
        raw = await store.get(key)
        count = (int(raw) if raw else 0) + 1
        await store.set(key, str(count), expires_in=expires_in)
        return count


async def hit(store: Store, key: str, *, limit: int, window_seconds: int, now: datetime) -> datetime | None:
    """Count one attempt for `key`; return when to retry if it is over the limit, else None.

    The window is fixed (aligned to multiples of its length), which allows at most twice the limit
    across a window boundary: good enough to keep password guessing and SMS floods slow.
    """
    epoch = int(now.timestamp())
    window_start = epoch - epoch % window_seconds
    count = await _increment(store, f"{key}:{window_start}", window_seconds)
    if count > limit:
        return datetime.fromtimestamp(window_start + window_seconds, tz=now.tzinfo)
    return None


def retry_after(now: datetime, retry_at: datetime) -> timedelta:
    return max(retry_at - now, timedelta(0))
