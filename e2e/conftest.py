"""Browser journeys: the real app as a uvicorn subprocess, driven by Debian's Chromium.

Run apart from tests/ (STACK.md trap 10): `APP_ENV=test .venv/bin/pytest -q -c e2e/pytest.ini e2e`.
The server gets a database of its own (a SQLite file, or with DATABASE_URL=postgres://... a fresh
database on that server), migrated and seeded with `python -m web.manage`, so the demo accounts of
CONTRACT.md exist. Every test that takes `page` runs twice: desktop (1280×800) and iPhone 13.
Screenshots of failed tests are kept in e2e/artifacts/.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright

from e2e.support import visitor_address

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"
STARTUP_TIMEOUT = 60  # seconds: migrating and seeding a fresh database included

DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
DEVICE_NAMES = ("desktop", "iphone13")


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright's default output folder is ./test-results: keep failures next to the journeys.
    if config.getoption("--output", default=None) in (None, "test-results"):
        config.option.output = str(ARTIFACTS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium (browsers cannot be downloaded here), quiet: no network of its own."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
        ],
    }


# --- the app under test -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def psql_admin(server_url: str, statement: str) -> None:
    """One statement on the server's maintenance database (CREATE/DROP DATABASE).

    On a thread of its own: sync Playwright keeps an event loop running on the main thread.
    """

    async def execute() -> None:
        connection = await asyncpg.connect(with_database(server_url, "postgres"))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(execute())).result()


class LiveServer:
    """uvicorn serving web.app:create_app on a free port, with its own database and var/ directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.database_name: str | None = None
        server_url = os.environ.get("DATABASE_URL", "")
        if server_url.startswith(("postgres://", "postgresql://")):
            self.server_url = server_url
            self.database_name = f"juzhu_e2e_{RUN_ID}"
            database_url = with_database(server_url, self.database_name)
        else:
            database_url = f"sqlite://{directory / 'e2e.sqlite3'}"
        self.env = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "VAR_DIR": str(directory / "var"),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SMS_BACKEND": "outbox",
            # Until Settings reads it, this only documents the wish: see the harness report.
            "REDIS_NAMESPACE": f"juzhu_e2e_{RUN_ID}",
        }

    def manage(self, *command: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "web.manage", *command],
            cwd=PROJECT_ROOT, env=self.env, check=True, capture_output=True, timeout=STARTUP_TIMEOUT,
        )

    def start(self) -> None:
        if self.database_name:
            psql_admin(self.server_url, f'CREATE DATABASE "{self.database_name}"')
        self.manage("migrate")
        self.manage("seed")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app",
                 "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"],
                cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        self.wait_until_healthy()

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the app did not answer /healthz within {STARTUP_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.database_name:
            psql_admin(self.server_url, f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("live_server"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """The app's address; page.goto("/") and friends are relative to it."""
    return live_server.url


# --- browsers: every journey on a desktop and on a phone --------------------------------------


@pytest.fixture(scope="session")
def devices(playwright: Playwright) -> dict[str, dict[str, Any]]:
    iphone = dict(playwright.devices["iPhone 13"])
    iphone.pop("default_browser_type", None)  # "webkit": we drive Chromium in the phone's shape
    return {"desktop": DESKTOP, "iphone13": iphone}


@pytest.fixture(params=DEVICE_NAMES)
def device_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def context(new_context: Any, devices: dict[str, dict[str, Any]], device_name: str) -> BrowserContext:
    """A fresh browser context shaped like the device (new_context keeps pytest-playwright's
    screenshot-on-failure and base_url)."""
    return new_context(**devices[device_name], **visitor_address())


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def no_js_page(new_context: Any, devices: dict[str, dict[str, Any]], device_name: str) -> Page:
    """The same device with JavaScript off: every page must work without it."""
    page = new_context(**devices[device_name], **visitor_address(), java_script_enabled=False).new_page()
    page.javascript_disabled = True  # type: ignore[attr-defined]  # read by support.axe_check
    return page

