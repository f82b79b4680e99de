"""The settings page's data: configuration without secrets, and the constants of rules.py as they are."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from web.models import ApplicationKind
from web.services import admin_settings, rules
from web.settings import Settings


@pytest.mark.parametrize(
    ("url", "summary"),
    [
        ("sqlite://var/juzhu.sqlite3", ("sqlite", "var/juzhu.sqlite3")),
        ("postgres://juzhu:s3cret@db.internal:5432/juzhu", ("postgres", "db.internal:5432/juzhu")),
        ("postgresql://juzhu:s3cret@db.internal/juzhu", ("postgres", "db.internal/juzhu")),
    ],
)
def test_database_summary_leaves_out_user_and_password(url: str, summary: tuple[str, str]) -> None:
    assert admin_settings.database_summary(url) == summary


def test_configuration_shows_no_secret() -> None:
    settings = Settings(
        app_env="production", database_url="postgres://juzhu:s3cret@db:5432/juzhu",
        redis_url="redis://:redispass@cache:6379/0", secret_key="the-secret-key", sms_backend="http",
        sms_http_url="https://sms.example/send?key=apikey&to={mobile}&text={text}",
    )
    config = admin_settings.configuration(settings)
    assert (config.app_env, config.database_kind, config.redis, config.sms_backend) == ("production", "postgres", True, "http")
    assert config.test_hooks is False and config.secure_cookies is True
    shown = repr(config)
    for secret in ("s3cret", "redispass", "the-secret-key", "apikey"):
        assert secret not in shown


def test_constants_are_read_from_the_module_in_order() -> None:
    constants = {c.name: c.value for c in admin_settings.domain_constants()}
    assert constants["REGISTRATION_MONTHS_REQUIRED"] == str(rules.REGISTRATION_MONTHS_REQUIRED)
    assert constants["ENDORSEMENT_WINDOW_DAYS"] == str(rules.ENDORSEMENT_WINDOW_DAYS)
    assert constants["FEES_YUAN"].startswith(f"first: {rules.FEES_YUAN[ApplicationKind.FIRST]}")
    assert "ETHNICITIES" not in constants and "Label" not in constants  # code lists and types left out
    names = [c.name for c in admin_settings.domain_constants()]
    assert names.index("REGISTRATION_MONTHS_REQUIRED") < names.index("SESSION_IDLE_MINUTES")


def test_a_changed_value_shows_as_changed() -> None:
    module: Any = SimpleNamespace(WINDOW_DAYS=61, FLAG=True, _PRIVATE=3, lower=4, TABLE={"a": 1})
    constants = admin_settings.domain_constants(module)  # type: ignore[arg-type]
    assert [(c.name, c.value) for c in constants] == [("WINDOW_DAYS", "61"), ("TABLE", "a: 1")]
