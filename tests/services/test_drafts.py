"""Server-side drafts: one per account and form, surviving sign-out; one-time submit tokens."""

from __future__ import annotations

import asyncio

from tests.support import create_account
from web.services import drafts


async def test_a_draft_is_saved_replaced_and_discarded(db: None) -> None:
    account = await create_account("resident")
    assert await drafts.load(account.id, "apply") is None

    await drafts.save(account.id, "apply", {"step": "condition", "condition": "talent"})
    await drafts.save(account.id, "apply", {"step": "photo", "condition": "talent"})
    assert await drafts.load(account.id, "apply") == {"step": "photo", "condition": "talent"}

    await drafts.discard(account.id, "apply")
    assert await drafts.load(account.id, "apply") is None


async def test_drafts_are_per_account_and_per_form(db: None) -> None:
    first, second = await create_account("resident"), await create_account("resident")
    await drafts.save(first.id, "apply", {"a": 1})
    await drafts.save(first.id, "details", {"b": 2})

    assert await drafts.load(second.id, "apply") is None
    assert await drafts.load(first.id, "details") == {"b": 2}


async def test_a_submit_token_can_be_spent_once(db: None) -> None:
    account = await create_account("resident")
    draft = await drafts.save(account.id, "apply", {"a": 1})

    assert await drafts.take_token(account.id, "apply", "tampered") is False
    assert await drafts.take_token(account.id, "apply", "") is False
    assert await drafts.take_token(account.id, "apply", draft.token) is True
    assert await drafts.take_token(account.id, "apply", draft.token) is False


async def test_concurrent_submits_spend_the_token_only_once(db: None) -> None:
    account = await create_account("resident")
    draft = await drafts.save(account.id, "apply", {"a": 1})

    results = await asyncio.gather(*(drafts.take_token(account.id, "apply", draft.token) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_saving_keeps_the_submit_token(db: None) -> None:
    account = await create_account("resident")
    token = (await drafts.save(account.id, "apply", {"a": 1})).token
    assert (await drafts.save(account.id, "apply", {"a": 2})).token == token


async def test_nul_characters_from_a_tampered_form_are_dropped(db: None) -> None:
    account = await create_account("resident")
    await drafts.save(account.id, "details", {"name": "张\x00伟", "rows": [{"x": "a\x00"}]})
    assert await drafts.load(account.id, "details") == {"name": "张伟", "rows": [{"x": "a"}]}
