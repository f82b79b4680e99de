"""Server-side sessions: stored only once they hold something, with ids only the server issues."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

# The id of the session this request may write: one the store knew, or a fresh one.
_SCOPE_ID = "juzhu.session_id"
# The id given up by rotate_session_id, deleted from the store with the response.
_SCOPE_RETIRED = "juzhu.session_retired"
# The session as it was loaded, to write back only what this request changed.
_SCOPE_LOADED = "juzhu.session_loaded"


class LazySessionBackend(ServerSideSessionBackend):
    """Two changes to Litestar's server-side backend (STACK.md traps 5 and 6):

    - An empty session is never written, and an emptied one is deleted: a public page read by a
      bot costs no store entry.
    - An id the client sent is kept only if the store knew it; otherwise the session gets a new
      id, so a visitor cannot plant a session id (fixation). `rotate_session_id` issues a new id
      at login and privilege changes.
    - Only the keys a request changed are written back, over what the store holds by then: a slow
      request (an inline check) must not put back an older draft that a faster one (a step's
      POST) saved meanwhile. Litestar writes the whole session it loaded.
    """

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        if session_id:
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                connection.scope[_SCOPE_ID] = session_id  # type: ignore[literal-required]
                connection.scope[_SCOPE_LOADED] = self.deserialize_data(data)  # type: ignore[literal-required]
                return self.deserialize_data(data)
        return {}

    def get_session_id(self, connection: ASGIConnection) -> str:
        scope = connection.scope
        if not scope.get(_SCOPE_ID):
            scope[_SCOPE_ID] = self.generate_session_id()  # type: ignore[literal-required]
        return scope[_SCOPE_ID]  # type: ignore[literal-required]

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        store = self.config.get_store_from_app(connection.scope["app"])
        old_id = connection.scope.get(_SCOPE_RETIRED)
        if old_id:
            await self.delete(old_id, store=store)
        if scope_session and scope_session is not Empty:
            loaded = connection.scope.get(_SCOPE_LOADED)
            if loaded is not None and not old_id:
                scope_session = await self._merged_with_store(scope_session, loaded, connection, store)
            if scope_session:
                await super().store_in_message(scope_session, message, connection)
                return
        cookie_id = connection.cookies.get(self.config.key)
        if not cookie_id:
            return
        await self.delete(cookie_id, store=store)
        params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        params["max_age"] = 0  # Max-Age wins over Expires in browsers: both must say "gone"
        MutableScopeHeaders.from_message(message).add(
            "Set-Cookie",
            Cookie(value="null", key=self.config.key, expires=0, **params).to_header(header=""),
        )

    async def _merged_with_store(
        self, session: dict[str, Any], loaded: dict[str, Any], connection: ASGIConnection, store: Any
    ) -> dict[str, Any]:
        """The stored session as it is now, with this request's own changes applied on top."""
        changed = {key: value for key, value in session.items() if key not in loaded or loaded[key] != value}
        removed = [key for key in loaded if key not in session]
        if not changed and not removed:
            return session
        raw = await self.get(self.get_session_id(connection), store=store)
        current = self.deserialize_data(raw) if raw is not None else {}
        current.update(changed)
        for key in removed:
            current.pop(key, None)
        return current


@dataclass
class LazySessionConfig(ServerSideSessionConfig):
    _backend_class = LazySessionBackend  # type: ignore[assignment]


def rotate_session_id(connection: ASGIConnection) -> None:
    """Give this session a new id when the response is sent, and delete the old one from the store.

    Call at login and at any change of privilege: an id known before sign-in must not survive it.
    """
    scope = connection.scope
    if scope.get(_SCOPE_ID):
        scope[_SCOPE_RETIRED] = scope[_SCOPE_ID]  # type: ignore[literal-required]
    scope[_SCOPE_ID] = secrets.token_hex(32)  # type: ignore[literal-required]


# --- What a signed-in session holds ------------------------------------------------------------------
# account_id, login_id (must equal Account.current_session_id: single active session), platform
# ("registration" | "permit"), started_at and last_seen (epoch seconds: absolute and idle limits).
# A signed-out session may hold `notice` (why it ended) and `pending_login` (between password and SMS).

PLATFORMS = ("registration", "permit")


def signed_in_session(*, account_id: int, login_id: str, platform: str, now: float) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "login_id": login_id,
        "platform": platform if platform in PLATFORMS else "permit",
        "started_at": now,
        "last_seen": now,
    }


def start_signed_in_session(
    connection: ASGIConnection, *, account_id: int, login_id: str, platform: str, now: float
) -> None:
    """Sign this browser in: a new session id, and nothing from the anonymous session carried over."""
    rotate_session_id(connection)
    connection.scope["session"] = signed_in_session(
        account_id=account_id, login_id=login_id, platform=platform, now=now
    )


def end_session(connection: ASGIConnection, notice: dict[str, str] | None = None) -> None:
    """Sign this browser out; keep only a notice for the login page (why the session ended)."""
    rotate_session_id(connection)
    connection.scope["session"] = {"notice": notice} if notice else {}
