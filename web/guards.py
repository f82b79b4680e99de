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

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

ROLES = ("resident", "unit_agent", "staff", "admin")
SESSION_ACCOUNT_KEY = "account_id"


async def load_account(connection: ASGIConnection[Any, Any, Any, Any]) -> Any | None:
    """The signed-in account of this request, loaded once and kept on request.state."""
    state = connection.state
    if "account_loaded" in state.dict():
        return state.account
    account = None
    session = connection.scope.get("session")
    account_id = session.get(SESSION_ACCOUNT_KEY) if isinstance(session, dict) else None
    if account_id is not None:
        from web.models import Account

        account = await Account.get_or_none(id=account_id, is_active=True)
    state.account = account
    state.account_loaded = True
    return account


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
