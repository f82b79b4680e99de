"""Tortoise ORM configuration, shared by the app and the `tortoise` migration command."""

from __future__ import annotations

from typing import Any

from web.settings import Settings

APP_LABEL = "juzhu"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config for one database URL (sqlite://path or postgres://...)."""
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://")
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": database_url},
        "apps": {
            APP_LABEL: {
                "models": ["web.models"],
                "migrations": "web.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Read by `tortoise makemigrations|migrate` through [tool.tortoise] in pyproject.toml.
TORTOISE_ORM = tortoise_config(Settings.from_env().database_url)


async def migrate(database_url: str) -> None:
    """Apply every migration to the database (what `tortoise migrate` does), inside a private context."""
    from tortoise.context import TortoiseContext
    from tortoise.migrations.api.migrate import migrate as migrate_api

    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        await migrate_api(config=tortoise_config(database_url))
