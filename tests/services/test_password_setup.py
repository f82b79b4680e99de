"""A unit agent's first password, set with the code texted when the account was opened."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from litestar.stores.memory import MemoryStore

from tests.support import create_account
from web.adapters.sms import OutboxGateway
from web.models import Account, SmsOutbox
from web.services import password_setup
from web.services.passwords import verify_password

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SECRET = "test-secret"
PASSWORD = "Harbour-lights-88"


async def agent_with_code(now: datetime = NOW) -> tuple[Account, str]:
    agent = await create_account("unit_agent", username="shifan_hr", mobile="13912345678", password_hash="x")
    await password_setup.send_setup_code(OutboxGateway(), agent, ip="", now=now, secret=SECRET)
    body = (await SmsOutbox.get(mobile="13912345678", purpose="password_setup")).body
    match = re.search(r"验证码(\d{6})", body)
    assert match, body
    return agent, match.group(1)


def form(code: str, **changes: str) -> dict[str, str]:
    return {"username": "ShiFan_HR", "sms_code": code, "password": PASSWORD, "password_confirm": PASSWORD, **changes}


async def set_password(raw: dict[str, str], *, now: datetime = NOW, store: MemoryStore | None = None,
                       ip: str = "10.0.0.1") -> password_setup.SetupResult:
    return await password_setup.set_first_password(raw, now=now, secret=SECRET, store=store or MemoryStore(), ip=ip)


async def test_the_code_sets_the_password_once(db: None) -> None:
    agent, code = await agent_with_code()
    result = await set_password(form(code), now=NOW + timedelta(hours=23))
    assert result.errors == {} and result.account is not None and result.account.id == agent.id
    assert verify_password((await Account.get(id=agent.id)).password_hash, PASSWORD)
    again = await set_password(form(code, password="Another-pass-99", password_confirm="Another-pass-99"),
                               now=NOW + timedelta(hours=23, minutes=1))
    assert again.errors == {"sms_code": "rejected"}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"username": ""}, {"username": "missing"}),
        ({"sms_code": "12345"}, {"sms_code": "format"}),
        ({"password": "short", "password_confirm": "short"}, {"password": "too_short"}),
        ({"password": "shifan_hr-2026", "password_confirm": "shifan_hr-2026"}, {"password": "contains_username"}),
        ({"password_confirm": "Harbour-lights-89"}, {"password_confirm": "mismatch"}),
    ],
)
async def test_form_errors_cost_none_of_the_codes_tries(db: None, changes: dict[str, str], errors: dict[str, str]) -> None:
    _, code = await agent_with_code()
    assert (await set_password(form(code, **changes))).errors == errors
    assert (await set_password(form(code))).errors == {}  # the code still works


async def test_a_wrong_code_an_unknown_username_and_an_expired_code_get_the_same_answer(db: None) -> None:
    _, code = await agent_with_code()
    wrong = "000000" if code != "000000" else "111111"
    assert (await set_password(form(wrong))).errors == {"sms_code": "rejected"}
    assert (await set_password(form(code, username="nobody_here"))).errors == {"sms_code": "rejected"}
    assert (await set_password(form(code), now=NOW + timedelta(hours=24))).errors == {"sms_code": "rejected"}


async def test_an_account_without_a_setup_code_cannot_be_set(db: None) -> None:
    await create_account("resident", username="li_ming", password_hash="x")
    assert (await set_password(form("123456", username="li_ming"))).errors == {"sms_code": "rejected"}


async def test_tries_are_limited_per_network_address(db: None) -> None:
    _, code = await agent_with_code()
    store = MemoryStore()
    for _ in range(password_setup.TRIES_PER_IP_PER_HOUR):
        await set_password(form(code, username="nobody_here"), store=store)
    limited = await set_password(form(code), store=store)
    assert limited.errors == {"sms_code": "rate_limited"} and limited.retry_at is not None
    assert (await set_password(form(code), store=store, ip="10.0.0.2")).errors == {}  # another network
