"""系统消息: notices in an account's inbox (password changed, application progress, reminders)."""

from __future__ import annotations

from datetime import datetime

from web.models import SystemMessage

# The inbox page shows this many, newest first; older ones stay stored.
INBOX_SIZE = 100
_TITLE_MAX = SystemMessage._meta.fields_map["title"].max_length


async def notify(account_id: int, title: str, body: str) -> SystemMessage:
    """Put a message in the account's inbox, unread.

    `title` and `body` are stored as given, in the words the recipient will read: translate them
    before calling (the request's language when the recipient is the one acting). An overlong title
    is cut rather than refused: a notice must never make the action that caused it fail.
    """
    title = " ".join(title.split())
    if len(title) > _TITLE_MAX:
        title = title[: _TITLE_MAX - 1] + "…"
    return await SystemMessage.create(account_id=account_id, title=title, body=body)


async def inbox(account_id: int, limit: int = INBOX_SIZE) -> list[SystemMessage]:
    """The account's newest messages first (the id breaks ties between messages of one instant)."""
    return await SystemMessage.filter(account_id=account_id).order_by("-created_at", "-id").limit(limit)


async def unread_count(account_id: int) -> int:
    """How many messages the account has not read: one indexed COUNT (idx_system_messages_unread)."""
    return await SystemMessage.filter(account_id=account_id, read_at__isnull=True).count()


async def mark_read(account_id: int, message_id: int, *, now: datetime) -> bool:
    """Mark one of the account's own messages read. False when the account has no such message,
    so that another account's message is indistinguishable from one that does not exist."""
    updated = await SystemMessage.filter(
        id=message_id, account_id=account_id, read_at__isnull=True
    ).update(read_at=now)
    if updated:
        return True
    return await SystemMessage.exists(id=message_id, account_id=account_id)  # already read: fine


async def mark_all_read(account_id: int, *, now: datetime) -> int:
    """Mark every unread message of the account read; returns how many were unread."""
    return await SystemMessage.filter(account_id=account_id, read_at__isnull=True).update(read_at=now)
