"""系统消息 (web/services/messages.py): send, list, count unread, mark read."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support import create_account
from web.models import SystemMessage
from web.services import messages

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


async def test_notify_puts_an_unread_message_in_the_inbox(db: None) -> None:
    account = await create_account("resident")

    message = await messages.notify(account.id, "您的密码已修改", "正文")

    assert (message.title, message.body, message.read_at) == ("您的密码已修改", "正文", None)
    assert await messages.unread_count(account.id) == 1


async def test_an_overlong_title_is_cut_not_refused(db: None) -> None:
    account = await create_account("resident")

    message = await messages.notify(account.id, "长" * 500 + "\n", "正文")

    stored = await SystemMessage.get(id=message.id)
    assert len(stored.title) == 128 and stored.title.endswith("…")


async def test_inbox_is_newest_first_and_only_the_accounts_own(db: None) -> None:
    account, other = await create_account("resident"), await create_account("unit_agent")
    for number in range(3):
        await messages.notify(account.id, f"标题{number}", "")
    await messages.notify(other.id, "别人的", "")

    inbox = await messages.inbox(account.id)

    assert [message.title for message in inbox] == ["标题2", "标题1", "标题0"]
    assert [message.title for message in await messages.inbox(account.id, limit=2)] == ["标题2", "标题1"]


async def test_mark_read_works_only_on_the_accounts_own_messages(db: None) -> None:
    account, other = await create_account("resident"), await create_account("resident")
    mine = await messages.notify(account.id, "我的", "")
    theirs = await messages.notify(other.id, "别人的", "")

    assert await messages.mark_read(account.id, mine.id, now=NOW) is True
    assert await messages.mark_read(account.id, mine.id, now=NOW) is True  # again: still found
    assert await messages.mark_read(account.id, theirs.id, now=NOW) is False
    assert await messages.mark_read(account.id, 987654, now=NOW) is False

    assert (await SystemMessage.get(id=mine.id)).read_at == NOW
    assert (await SystemMessage.get(id=theirs.id)).read_at is None
    assert await messages.unread_count(account.id) == 0
    assert await messages.unread_count(other.id) == 1


async def test_mark_all_read_leaves_other_accounts_alone(db: None) -> None:
    account, other = await create_account("resident"), await create_account("resident")
    for _ in range(3):
        await messages.notify(account.id, "t", "")
    await messages.notify(other.id, "t", "")

    assert await messages.mark_all_read(account.id, now=NOW) == 3
    assert await messages.mark_all_read(account.id, now=NOW) == 0
    assert await messages.unread_count(account.id) == 0
    assert await messages.unread_count(other.id) == 1
