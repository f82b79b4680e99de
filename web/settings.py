"""Runtime settings: one frozen dataclass, read from the environment once."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")


class SettingsError(RuntimeError):
    """The environment does not describe a runnable service."""


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    database_url: str = ""
    redis_url: str | None = None
    # Prefix of every Redis key, so that several deployments (or test runs) can share one Redis.
    redis_namespace: str = "juzhu"
    secret_key: str = ""
    sms_backend: str = "outbox"
    sms_http_url: str | None = None
    var_dir: Path = PROJECT_ROOT / "var"
    session_max_age: int = 12 * 3600  # absolute session limit: 12 hours
    debug: bool = False

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def test_hooks_enabled(self) -> bool:
        """The /dev routes (SMS outbox, settable clock) exist outside production only."""
        return not self.is_production

    @property
    def secure_cookies(self) -> bool:
        return self.is_production

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        app_env = env.get("APP_ENV", "development")
        if app_env not in ENVIRONMENTS:
            raise SettingsError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {app_env!r}")
        var_dir = Path(env.get("VAR_DIR", PROJECT_ROOT / "var"))
        database_url = env.get("DATABASE_URL") or f"sqlite://{var_dir / 'juzhu.sqlite3'}"
        secret_key = env.get("SECRET_KEY", "")
        if not secret_key:
            if app_env == "production":
                raise SettingsError("SECRET_KEY is required when APP_ENV=production")
            secret_key = _development_secret(var_dir)
        sms_backend = env.get("SMS_BACKEND", "outbox")
        if sms_backend not in ("outbox", "log", "http"):
            raise SettingsError(f"SMS_BACKEND must be outbox, log or http, not {sms_backend!r}")
        if sms_backend == "http" and not env.get("SMS_HTTP_URL"):
            raise SettingsError("SMS_BACKEND=http needs SMS_HTTP_URL")
        return cls(
            app_env=app_env,
            database_url=database_url,
            redis_url=env.get("REDIS_URL") or None,
            redis_namespace=env.get("REDIS_NAMESPACE") or "juzhu",
            secret_key=secret_key,
            sms_backend=sms_backend,
            sms_http_url=env.get("SMS_HTTP_URL") or None,
            var_dir=var_dir,
            debug=env.get("DEBUG", "") == "1",
        )


def _development_secret(var_dir: Path) -> str:
    """A per-machine key kept under var/, so development sessions survive restarts."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
