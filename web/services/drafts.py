"""Server-side drafts of half-filled forms, one per account and kind of form.

Kept in the database, not the session: a draft survives signing out, being signed out by a login
elsewhere, and moving to another device (DOMAIN §2; the application wizard resumes from them).
"""

from __future__ import annotations

import secrets
from typing import Any

from tortoise.exceptions import IntegrityError

from web.models import Draft


async def load(account_id: int, kind: str) -> dict[str, Any] | None:
    draft = await Draft.get_or_none(account_id=account_id, kind=kind)
    return dict(draft.data) if draft else None


def _storable(value: Any) -> Any:
    """PostgreSQL's JSON cannot hold NUL characters: a tampered form must not fail the save."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {str(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


async def save(account_id: int, kind: str, data: dict[str, Any]) -> Draft:
    """Create or replace the draft; its one-time submit token is kept."""
    data = _storable(data)
    draft = await Draft.get_or_none(account_id=account_id, kind=kind)
    if draft is None:
        try:
            return await Draft.create(account_id=account_id, kind=kind, data=data,
                                      token=secrets.token_urlsafe(24))
        except IntegrityError:  # a concurrent first save: update that one instead
            draft = await Draft.get(account_id=account_id, kind=kind)
    draft.data = data
    await draft.save(update_fields=["data", "updated_at"])
    return draft


async def save_with_new_token(account_id: int, kind: str, data: dict[str, Any]) -> str:
    """Save the draft and give it a fresh one-time submit token (a check-your-answers page)."""
    draft = await save(account_id, kind, data)
    draft.token = secrets.token_urlsafe(24)
    await draft.save(update_fields=["token"])
    return draft.token


async def discard(account_id: int, kind: str) -> None:
    await Draft.filter(account_id=account_id, kind=kind).delete()


async def take_token(account_id: int, kind: str, token: str) -> bool:
    """Spend the draft's one-time submit token: True once, False for a replayed or tampered token.

    The conditional UPDATE is atomic in the database, so two concurrent submits (a double click,
    two tabs) cannot both pass.
    """
    if not token:
        return False
    spent = await Draft.filter(account_id=account_id, kind=kind, token=token).update(token=None)
    return spent == 1
