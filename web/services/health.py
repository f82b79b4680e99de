"""Health of the parts the service cannot run without: the database and the session store."""

from __future__ import annotations

import logging

from litestar.stores.base import Store
from tortoise import connections

log = logging.getLogger(__name__)


async def check(session_store: Store) -> dict[str, str]:
    """{"status": "ok", "database": "ok"} (CONTRACT.md), or with the failing part marked "error"."""
    report = {"status": "ok", "database": "ok"}
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure of the database makes the service unhealthy
        log.exception("health check: database")
        report["database"] = report["status"] = "error"
    try:
        await session_store.exists("healthz")
    except Exception:  # Redis down, or var/ unwritable
        log.exception("health check: session store")
        report["sessions"] = "error"
        report["status"] = "error"
    return report
