"""Access control: every route declares `opt={"access": ...}` and one app-wide guard enforces it.

Access values:
- "public": anyone.
- "signed_in": any signed-in account.
- a role name ("resident", "unit_agent", "staff", "admin") or a tuple of them.
A route that declares nothing is refused: access fails closed.

Refusals: signed out → 401 (GET pages redirect to /login, see web/errors.py); signed in with the
wrong role → 403. Routes whose objects must not leak their existence raise NotFound themselves.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from web.services import rules
from web.sessions import end_session

ROLES = ("resident", "unit_agent", "staff", "admin")
SESSION_ACCOUNT_KEY = "account_id"


async def load_account(connection: ASGIConnection[Any, Any, Any, Any]) -> Any | None:
    """The signed-in account of this request, loaded once and kept on request.state.

    A session stops being signed in when the account signed in elsewhere (single active session,
    DOMAIN §2), after 30 idle minutes, or 12 hours after sign-in; it then keeps a notice that the
    login page shows.
    """
    state = connection.state
    if "account_loaded" in state.dict():
        return state.account
    state.account_loaded = True
    state.account = None
    session = connection.scope.get("session")
    account_id = session.get(SESSION_ACCOUNT_KEY) if isinstance(session, dict) else None
    if account_id is None:
        return None
    from web.models import Account

    account = await Account.get_or_none(id=account_id)
    now = time.time()
    notice = _session_ended(session, account, now)
    if notice is not None:
        end_session(connection, notice)
        return None
    session["last_seen"] = now
    state.account = account
    if connection.scope.get("method") == "GET" and "hx-request" not in connection.headers:
        # The header's unread badge (系统消息): one indexed count, for full pages only.
        from web.services.messages import unread_count

        state.unread_messages = await unread_count(account.id)
    return account


def _session_ended(session: dict[str, Any], account: Any, now: float) -> dict[str, str] | None:
    """Why this signed-in session is over, or None while it is good."""
    if account is None or not account.is_active:
        return {"kind": "ended"}
    if session.get("login_id") != account.current_session_id:
        at = account.last_login_at.isoformat() if account.last_login_at else ""
        return {"kind": "elsewhere", "at": at}
    if now - session.get("started_at", 0) > rules.SESSION_ABSOLUTE_HOURS * 3600:
        return {"kind": "expired"}
    if now - session.get("last_seen", 0) > rules.SESSION_IDLE_MINUTES * 60:
        return {"kind": "idle"}
    return None


def allowed_roles(access: object) -> tuple[str, ...] | None:
    """The roles an access value admits; None means anyone, signed in or not."""
    if access == "public":
        return None
    if access == "signed_in":
        return ROLES
    if isinstance(access, str) and access in ROLES:
        return (access,)
    if isinstance(access, tuple) and access and all(role in ROLES for role in access):
        return access
    raise ValueError(f"unknown access value {access!r}")


async def requires_access(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app-wide guard: enforce the route's declared access."""
    if connection.scope.get("method") == "OPTIONS":
        return  # Litestar's automatic OPTIONS answers only reveal the Allow header
    if "access" not in handler.opt:
        raise PermissionDeniedException()  # undeclared routes fail closed
    roles = allowed_roles(handler.opt["access"])
    # Loaded on public pages too (free without a session) so the header can show who is signed in.
    account = await load_account(connection)
    if roles is None:
        return
    if account is None:
        raise NotAuthorizedException()
    if account.role not in roles:
        raise PermissionDeniedException()


class WrongPlatform(HTTPException):
    """A resident on one platform asked for a page of the other (web/errors.py offers the switch)."""

    status_code = 409

    def __init__(self, platform: str) -> None:
        super().__init__(detail=platform)
        self.platform = platform


def requires_platform(platform: str) -> Any:
    """Controller guard: residents use the platform they chose at login (DOMAIN §1: two platforms
    behind one login); the other platform's pages offer to switch rather than mix the two."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        account = await load_account(connection)
        if account is None or account.role != "resident":
            return  # the access guard has already decided for everyone else
        session = connection.scope.get("session")
        chosen = session.get("platform", "permit") if isinstance(session, dict) else "permit"
        if chosen != platform:
            raise WrongPlatform(platform)

    return guard
