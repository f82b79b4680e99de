"""Helpers for HTTP tests: the app's own event loop, forms with their CSRF token, signing in, counting SQL."""

from __future__ import annotations

import html
import itertools
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from httpx import Response
from litestar import Litestar
from litestar.serialization import encode_json
from litestar.testing import AsyncTestClient

from web.sessions import signed_in_session

T = TypeVar("T")

SESSION_COOKIE = "juzhu_session"
SESSION_STORE = "sessions"
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "_csrf_token"
_CSRF_INPUT = re.compile(
    r'<input[^>]*name="_csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="_csrf_token"'
)
_usernames = itertools.count(1)


def run_db(client: AsyncTestClient, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run `await fn(*args)` on the app's event loop, where its database connections live.

    The test client serves the app on its own thread (STACK.md trap 9): a test that awaited the ORM
    directly would talk to another connection, or to no database at all.
    """
    return client.blocking_portal.call(fn, *args)


async def csrf_token(client: AsyncTestClient, url: str = "/") -> str:
    """The CSRF token a browser would send from the page at `url`.

    The form's hidden `_csrf_token` field when the page has one, else the `csrftoken` cookie
    (what htmx sends in the x-csrftoken header).
    """
    response = await client.get(url)
    match = _CSRF_INPUT.search(response.text)
    if match:
        return match.group(1) or match.group(2)
    token = client.cookies.get(CSRF_COOKIE)
    if token is None:
        raise AssertionError(f"GET {url} gave neither a {CSRF_FIELD} field nor a {CSRF_COOKIE} cookie")
    return token


async def post_form(
    client: AsyncTestClient,
    url: str,
    data: dict[str, Any] | None = None,
    *,
    form_page: str | None = None,
    follow_redirects: bool = False,
) -> Response:
    """POST a form as a browser does: url-encoded, with the `_csrf_token` of the page that showed it.

    `form_page` is the page the token is read from (default "/": any page carries the cookie).
    Redirects are not followed by default, so tests see the 303 the handler chose.
    """
    token = await csrf_token(client, form_page or "/")
    return await client.post(
        url, data={**(data or {}), CSRF_FIELD: token}, follow_redirects=follow_redirects
    )


@asynccontextmanager
async def serve(app: Litestar, **client_args: Any) -> AsyncIterator[AsyncTestClient]:
    """A test client for `app` (lifespan run), its Redis stores emptied before and after.

    The `client` fixture uses this; call it directly for an app with other settings.
    """
    async with AsyncTestClient(app=app, **client_args) as client:
        run_db(client, empty_stores, app)
        try:
            yield client
        finally:
            run_db(client, empty_stores, app)
            run_db(client, close_stores, app)


def _redis_stores(app: Litestar) -> list[Any]:
    from litestar.stores.redis import RedisStore

    from web.stores import STORE_NAMES

    stores = [app.stores.get(name) for name in STORE_NAMES]
    return [store for store in stores if isinstance(store, RedisStore)]


async def empty_stores(app: Litestar) -> None:
    """Empty the app's Redis stores (this run's namespace only); file stores live in tmp_path."""
    for store in _redis_stores(app):
        await store.delete_all()


async def close_stores(app: Litestar) -> None:
    """Close the app's Redis clients, which the app leaves open at shutdown."""
    clients = {id(store._redis): store._redis for store in _redis_stores(app)}
    for redis in clients.values():
        await redis.aclose(close_connection_pool=True)


def _password_hash(password: str) -> str:
    try:
        from web.services.passwords import hash_password
    except ImportError:  # before the password service exists any string will do
        return "not-a-real-hash:" + password
    return hash_password(password)


async def create_account(role: str, **fields: Any) -> Any:
    """An active Account of `role` with a unique username; `fields` override the defaults."""
    from web.models import Account

    number = next(_usernames)
    password = fields.pop("password", "Test-pass-2026!")
    values: dict[str, Any] = {
        "username": f"{role}{number}",
        # argon2id costs ~30 ms: skipped when the caller brings its own hash
        "password_hash": fields.pop("password_hash", None) or _password_hash(password),
        "role": role,
        "mobile": f"139{number:08d}",
    }
    if "verified_mobile" in Account._meta.fields_map:
        values["verified_mobile"] = values["mobile"]
    values.update(fields)
    return await Account.create(**values)


async def open_session(client: AsyncTestClient, account: Any, platform: str = "permit") -> str:
    """Store a signed-in session for `account` exactly as the session middleware would."""
    app = client.app
    session_id = secrets.token_hex(16)  # ServerSideSessionConfig's default: 32 hex characters
    max_age = app.state.settings.session_max_age
    login_id = secrets.token_urlsafe(24)
    data = signed_in_session(account_id=account.id, login_id=login_id, platform=platform, now=time.time())
    await app.stores.get(SESSION_STORE).set(session_id, encode_json(data), expires_in=max_age)
    # single active session (DOMAIN §2): the account remembers which session is the live one
    account.current_session_id = login_id
    await account.save(update_fields=["current_session_id"])
    return session_id


def sign_in_as(client: AsyncTestClient, role: str, platform: str = "permit", **fields: Any) -> Any:
    """Create an account of `role`, sign this client in as it, and return the account.

    Writes the server-side session directly (store "sessions", cookie "juzhu_session") as the
    session middleware would, so access tests stay fast. When /login exists this body may sign in
    through the real form instead; callers only rely on the signature and the returned account.
    """

    async def create_and_open() -> tuple[Any, str]:
        account = await create_account(role, **fields)
        return account, await open_session(client, account, platform)

    account, session_id = run_db(client, create_and_open)
    # the same domain and path the middleware's own Set-Cookie uses, so a later response replaces it
    client.cookies.set(SESSION_COOKIE, session_id, domain=client.base_url.host)
    return account


def sign_out(client: AsyncTestClient) -> None:
    """Forget this client's session cookie (an anonymous browser again)."""
    client.cookies.delete(SESSION_COOKIE, domain=client.base_url.host)


# --- SQL statement counting -------------------------------------------------------------------

DB_LOGGER = "tortoise.db_client"


@dataclass
class QueryLog:
    """SQL statements run while a `count_queries()` block was open."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        lines = [f"{len(self.statements)} SQL statement(s):"]
        lines += [f"  {n}. {sql}" for n, sql in enumerate(self.statements, 1)]
        return "\n".join(lines)


class _StatementHandler(logging.Handler):
    """Collects the statements Tortoise logs at DEBUG: `"%s: %s" % (sql, values)`, or the bare SQL
    of a script. The connection open/close messages, which carry other arguments, are skipped."""

    def __init__(self, log: QueryLog) -> None:
        super().__init__(level=logging.DEBUG)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s: %s" and isinstance(record.args, tuple) and len(record.args) == 2:
            self.log.statements.append(str(record.args[0]).strip())
        elif not record.args and isinstance(record.msg, str):
            self.log.statements.append(record.msg.strip())


@contextmanager
def count_queries() -> Iterator[QueryLog]:
    """Count the SQL statements run inside the block, on any thread (the app's included).

    Tortoise logs every statement on the "tortoise.db_client" logger, on SQLite and PostgreSQL
    alike; a handler on that logger sees them without touching the connections.
    """
    log = QueryLog()
    logger = logging.getLogger(DB_LOGGER)
    handler = _StatementHandler(log)
    saved_level, saved_disabled = logger.level, logger.disabled
    logger.setLevel(logging.DEBUG)
    logger.disabled = False
    logger.addHandler(handler)
    try:
        yield log
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.disabled = saved_disabled


# --- reading pages ----------------------------------------------------------------------------

_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
_HTML_LANG = re.compile(r'<html[^>]*\blang="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")


def page_heading(response: Response) -> str:
    """The text of the page's <h1>, as a screen reader would announce it."""
    match = _H1.search(response.text)
    assert match, f"no <h1> in the page:\n{response.text[:2000]}"
    return " ".join(html.unescape(_TAG.sub("", match.group(1))).split())


def page_language(response: Response) -> str:
    match = _HTML_LANG.search(response.text)
    assert match, "no <html lang> in the page"
    return match.group(1)


def set_cookies(response: Response) -> dict[str, str]:
    """The cookies a response sets, by name: the whole Set-Cookie header of each."""
    return {header.split("=", 1)[0].strip(): header for header in response.headers.get_list("set-cookie")}


QueryCounter = Callable[[], AbstractContextManager[QueryLog]]


# --- reading pages ---------------------------------------------------------------------------------


def error_at(response: Response, field: str) -> str:
    """The message beside a field (without its visually hidden "Error:" prefix)."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', response.text, re.S)
    assert match, f"no error message at {field}:\n{response.text[:3000]}"
    text = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1), count=1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def page_title(response: Response) -> str:
    """The document title, e.g. to check an error page starts with "错误："."""
    match = re.search(r"<title>(.*?)</title>", response.text, re.S)
    assert match
    return html.unescape(match.group(1)).strip()
