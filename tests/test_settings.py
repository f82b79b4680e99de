"""Settings.from_env: the rules for reading the environment (CONTRACT.md, configuration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from web.settings import PROJECT_ROOT, Settings, SettingsError


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"APP_ENV": "production", "VAR_DIR": str(tmp_path)})


def test_production_with_a_secret_key_is_production(tmp_path: Path) -> None:
    settings = Settings.from_env({"APP_ENV": "production", "SECRET_KEY": "k" * 48, "VAR_DIR": str(tmp_path)})
    assert settings.is_production
    assert settings.secure_cookies
    assert not settings.test_hooks_enabled
    assert settings.secret_key == "k" * 48


@pytest.mark.parametrize("app_env", ["prod", "Production", "staging", ""])
def test_an_unknown_app_env_is_rejected(app_env: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="APP_ENV"):
        Settings.from_env({"APP_ENV": app_env, "SECRET_KEY": "k", "VAR_DIR": str(tmp_path)})


def test_development_is_the_default_and_has_the_test_hooks() -> None:
    settings = Settings.from_env({"SECRET_KEY": "k"})
    assert settings.app_env == "development"
    assert settings.test_hooks_enabled
    assert not settings.secure_cookies


def test_the_default_database_is_a_sqlite_file_under_var() -> None:
    settings = Settings.from_env({"SECRET_KEY": "k"})
    assert settings.database_url == f"sqlite://{PROJECT_ROOT / 'var' / 'juzhu.sqlite3'}"


def test_var_dir_moves_the_default_database(tmp_path: Path) -> None:
    settings = Settings.from_env({"SECRET_KEY": "k", "VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path / 'juzhu.sqlite3'}"


def test_database_url_and_redis_url_are_taken_as_given(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "SECRET_KEY": "k", "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/juzhu", "REDIS_URL": "redis://127.0.0.1:6379/0",
    })
    assert settings.database_url == "postgres://postgres@127.0.0.1:5432/juzhu"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


def test_an_empty_redis_url_means_no_redis(tmp_path: Path) -> None:
    assert Settings.from_env({"SECRET_KEY": "k", "VAR_DIR": str(tmp_path), "REDIS_URL": ""}).redis_url is None


def test_outside_production_a_missing_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    first = Settings.from_env({"VAR_DIR": str(tmp_path)})
    second = Settings.from_env({"VAR_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key  # development sessions survive restarts
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only


@pytest.mark.parametrize(
    ("env", "message"),
    [({"SMS_BACKEND": "carrier-pigeon"}, "SMS_BACKEND"), ({"SMS_BACKEND": "http"}, "SMS_HTTP_URL")],
)
def test_sms_backend_is_checked(env: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"SECRET_KEY": "k", "VAR_DIR": str(tmp_path), **env})


def test_sms_backend_defaults_to_the_outbox(tmp_path: Path) -> None:
    assert Settings.from_env({"SECRET_KEY": "k", "VAR_DIR": str(tmp_path)}).sms_backend == "outbox"
