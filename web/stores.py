"""Key-value stores for sessions, rate limits and the test clock: Redis when configured, else files."""

from __future__ import annotations

from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore

from web.settings import Settings

STORE_NAMES = ("sessions", "ratelimit", "clock")


def build_stores(settings: Settings) -> dict[str, Store]:
    """One store per name; with REDIS_URL every worker shares them, as several workers need."""
    if settings.redis_url:
        root = RedisStore.with_client(url=settings.redis_url, namespace=settings.redis_namespace)
        return {name: root.with_namespace(name) for name in STORE_NAMES}
    base = settings.var_dir / "stores"
    stores: dict[str, Store] = {}
    for name in STORE_NAMES:
        (base / name).mkdir(parents=True, exist_ok=True)
        stores[name] = FileStore(base / name)
    return stores
