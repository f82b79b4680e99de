"""Fixed-window counters in the shared store (Redis or files), for limits that must hold across workers."""

from __future__ import annotations

from datetime import datetime, timedelta

from litestar.stores.base import Store


async def hit(store: Store, key: str, *, limit: int, window_seconds: int, now: datetime) -> datetime | None:
    """Count one attempt for `key`; return when to retry if the limit is already used up, else None.

    The window is fixed (aligned to multiples of its length), which allows at most twice the limit
    across a window boundary: good enough to keep password guessing and SMS floods slow.
    """
    epoch = int(now.timestamp())
    window_start = epoch - epoch % window_seconds
    bucket = f"{key}:{window_start}"
    raw = await store.get(bucket)
    count = int(raw) if raw else 0
    if count >= limit:
        return datetime.fromtimestamp(window_start + window_seconds, tz=now.tzinfo)
    await store.set(bucket, str(count + 1), expires_in=window_seconds)
    return None


def retry_after(now: datetime, retry_at: datetime) -> timedelta:
    return max(retry_at - now, timedelta(0))
