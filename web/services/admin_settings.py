"""What the settings page shows: the effective configuration without secrets, and the domain constants.

Both are read from the running values (Settings, web/services/rules.py), never written out by hand,
so the page cannot drift from what the service does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from types import ModuleType
from urllib.parse import urlsplit

from web.services import rules
from web.settings import Settings


@dataclass(frozen=True)
class Configuration:
    app_env: str
    database_kind: str  # "sqlite" or "postgres"
    database_location: str  # the file, or host:port/database: never the user or password
    redis: bool
    sms_backend: str  # the gateway's URL is not shown: it may carry the provider's key
    session_max_age_seconds: int
    session_idle_minutes: int
    session_idle_warning_minutes: int
    session_absolute_hours: int
    test_hooks: bool
    debug: bool
    secure_cookies: bool


@dataclass(frozen=True)
class Constant:
    name: str
    value: str


def database_summary(url: str) -> tuple[str, str]:
    """(kind, location) of a database URL with the credentials left out."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return "sqlite", url.removeprefix("sqlite://")
    if parts.scheme in ("postgres", "postgresql", "asyncpg"):
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return "postgres", f"{host}{port}{parts.path}"
    return parts.scheme, ""


def configuration(settings: Settings) -> Configuration:
    kind, location = database_summary(settings.database_url)
    return Configuration(
        app_env=settings.app_env,
        database_kind=kind,
        database_location=location,
        redis=settings.redis_url is not None,
        sms_backend=settings.sms_backend,
        session_max_age_seconds=settings.session_max_age,
        session_idle_minutes=rules.SESSION_IDLE_MINUTES,
        session_idle_warning_minutes=rules.SESSION_IDLE_WARNING_MINUTES,
        session_absolute_hours=rules.SESSION_ABSOLUTE_HOURS,
        test_hooks=settings.test_hooks_enabled,
        debug=settings.debug,
        secure_cookies=settings.secure_cookies,
    )


def _describe(value: object) -> str | None:
    """A number, or a table of numbers keyed by an enum ("first: 0, renewal: 20"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict) and value and all(isinstance(v, int | float) for v in value.values()):
        return ", ".join(f"{key.value if isinstance(key, Enum) else key}: {v}" for key, v in value.items())
    return None


def domain_constants(module: ModuleType = rules) -> list[Constant]:
    """The numeric constants of rules.py in the order they are written (code lists left out)."""
    constants = []
    for name, value in vars(module).items():
        if not name.isupper() or name.startswith("_"):
            continue
        text = _describe(value)
        if text is not None:
            constants.append(Constant(name, text))
    return constants
