"""Signing in (web/services/auth.py): lockout, the SMS check, single session, device tokens, password change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from tests import support
from web.models import Account, DeviceToken, LoginEvent
from web.services import auth, passwords
from web.services.auth import LoginRefused

PASSWORD = "Right-pass-2026!"
WRONG = "Wrong-pass-2026!"
NEW_PASSWORD = "Brand-new-pass-2026!"
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # the services take the real clock in UTC
LOCK = timedelta(minutes=15)
TOKEN_LIFE = timedelta(days=30)


@cache
def _hash(password: str) -> str:
    return passwords.hash_password(password)


@pytest.fixture(autouse=True)
def reuse_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """One real argon2id hash per password for the whole module: each costs ~30 ms.

    support.create_account hashes its password even when given `password_hash`, so its hasher is
    swapped for a cached one; the service under test keeps its own hashing and verifying.
    """
    monkeypatch.setattr(support, "_password_hash", _hash)


async def new_account(**fields: Any) -> Account:
    return await support.create_account("resident", password=PASSWORD, **fields)


async def refusal(username: str, password: str, now: datetime) -> LoginRefused:
    with pytest.raises(LoginRefused) as refused:
        await auth.check_password(username, password, now=now)
    return refused.value


async def fail(account: Account, at: list[datetime]) -> list[LoginRefused]:
    """Wrong passwords at each of the times `at`; the refusals, in order."""
    return [await refusal(account.username, WRONG, when) for when in at]


async def reload(account: Account) -> Account:
    return await Account.get(id=account.id)


# --- passwords and lockout ---------------------------------------------------------------------

@pytest.mark.parametrize("case", ["unknown username", "wrong password"])
async def test_unknown_username_and_wrong_password_get_the_same_credentials_refusal(
    db: None, case: str
) -> None:
    account = await new_account()
    username, password = ("nobody-here", PASSWORD) if case == "unknown username" else (account.username, WRONG)

    refused = await refusal(username, password, T0)

    assert (refused.reason, refused.until, str(refused)) == ("credentials", None, "credentials")


@pytest.mark.parametrize("typed", ["{}", "  {}\t", "{}-upper"], ids=["as-stored", "spaces", "upper-case"])
async def test_the_username_is_matched_ignoring_case_and_surrounding_spaces(db: None, typed: str) -> None:
    account = await new_account()
    username = account.username.upper() if typed == "{}-upper" else typed.format(account.username)

    assert (await auth.check_password(username, PASSWORD, now=T0)).id == account.id


@pytest.mark.parametrize(
    "spacing",
    [timedelta(0), timedelta(seconds=1), timedelta(minutes=3), timedelta(minutes=3, seconds=44)],
    ids=["same-instant", "1s-apart", "3min-apart", "spread-over-14m56s"],
)
async def test_fifth_wrong_password_within_15_minutes_locks_the_account_for_15_minutes(
    db: None, spacing: timedelta
) -> None:
    account = await new_account()
    times = [T0 + n * spacing for n in range(5)]

    refusals = await fail(account, times)

    assert [r.reason for r in refusals] == ["credentials"] * 4 + ["locked"]
    assert [r.until for r in refusals] == [None] * 4 + [times[4] + LOCK]  # the 5th already says until when
    stored = await reload(account)
    assert (stored.failed_logins, stored.locked_until) == (5, times[4] + LOCK)


async def test_four_wrong_passwords_do_not_lock(db: None) -> None:
    account = await new_account()
    await fail(account, [T0 + timedelta(seconds=n) for n in range(4)])

    assert (await auth.check_password(account.username, PASSWORD, now=T0 + timedelta(seconds=5))).id == account.id
    stored = await reload(account)
    assert (stored.failed_logins, stored.locked_until) == (4, None)


async def test_four_wrong_then_the_right_password_signs_in_and_complete_login_resets_the_count(db: None) -> None:
    account = await new_account()
    await fail(account, [T0 + timedelta(seconds=n) for n in range(4)])
    signed_in = await auth.check_password(account.username, PASSWORD, now=T0 + timedelta(seconds=10))
    await auth.complete_login(signed_in, now=T0 + timedelta(seconds=10), ip="", user_agent="", sms_verified=True)

    assert (await reload(account)).failed_logins == 0
    # The count starts again after the sign-in: four more wrong passwords do not lock, the fifth does.
    later = [T0 + timedelta(seconds=20 + n) for n in range(5)]
    refusals = await fail(account, later)
    assert [r.reason for r in refusals] == ["credentials"] * 4 + ["locked"]


@pytest.mark.parametrize(
    ("age_of_first_four", "locked"),
    [
        (timedelta(minutes=14, seconds=59), True),
        (timedelta(minutes=15, seconds=1), False),
        (timedelta(hours=3), False),
    ],
    ids=["14m59s-old-count", "15m01s-old-do-not", "3h-old-do-not"],
)
async def test_failures_older_than_15_minutes_do_not_count(
    db: None, age_of_first_four: timedelta, locked: bool
) -> None:
    account = await new_account()
    await fail(account, [T0] * 4)

    fifth = await refusal(account.username, WRONG, T0 + age_of_first_four)

    assert fifth.reason == ("locked" if locked else "credentials")


async def test_while_locked_even_the_right_password_is_refused_with_the_same_until(db: None) -> None:
    account = await new_account()
    (*_, fifth) = await fail(account, [T0] * 5)

    # Refused before any hashing, so the whole table costs one lock.
    for into_the_lock in (timedelta(0), timedelta(seconds=1), timedelta(minutes=7), LOCK - timedelta(seconds=1)):
        right = await refusal(account.username, PASSWORD, T0 + into_the_lock)
        wrong = await refusal(account.username, WRONG, T0 + into_the_lock)
        assert (right.reason, right.until) == ("locked", fifth.until) == ("locked", T0 + LOCK), into_the_lock
        assert (wrong.reason, wrong.until) == ("locked", T0 + LOCK), into_the_lock  # guesses do not extend it
    assert (await reload(account)).locked_until == T0 + LOCK


async def test_from_until_on_the_right_password_works_again(db: None) -> None:
    account = await new_account()
    await fail(account, [T0] * 5)

    for after_the_lock in (timedelta(0), timedelta(seconds=1), timedelta(days=1)):
        signed_in = await auth.check_password(account.username, PASSWORD, now=T0 + LOCK + after_the_lock)
        assert signed_in.id == account.id, after_the_lock


async def test_one_wrong_password_after_the_lock_does_not_lock_again(db: None) -> None:
    account = await new_account()
    await fail(account, [T0 + timedelta(minutes=n) for n in range(5)])  # locked until T0 + 19 min

    refused = await refusal(account.username, WRONG, T0 + timedelta(minutes=4) + LOCK)

    assert (refused.reason, refused.until) == ("credentials", None)


@pytest.mark.parametrize(("password", "reason"), [(PASSWORD, "inactive"), (WRONG, "credentials")])
async def test_an_inactive_account_is_told_apart_only_once_the_password_is_right(
    db: None, password: str, reason: str
) -> None:
    account = await new_account(is_active=False)

    assert (await refusal(account.username, password, T0)).reason == reason


async def test_wrong_passwords_are_recorded_with_a_masked_ip_and_the_user_agent(db: None) -> None:
    account = await new_account()
    with pytest.raises(LoginRefused):
        await auth.check_password(account.username, WRONG, now=T0, ip="203.0.113.77", user_agent="Firefox")

    event = await LoginEvent.get(account_id=account.id)
    assert (event.success, event.at, event.ip_masked, event.user_agent) == (False, T0, "203.0.113.*", "Firefox")


async def test_a_password_hashed_with_weaker_parameters_is_rehashed_at_sign_in(db: None) -> None:
    weak = PasswordHasher.from_parameters(CHEAPEST).hash(PASSWORD)
    account = await new_account(password_hash=weak)

    with pytest.raises(LoginRefused):
        await auth.check_password(account.username, WRONG, now=T0)
    assert (await reload(account)).password_hash == weak  # only the right password may upgrade it
    await auth.check_password(account.username, PASSWORD, now=T0)

    upgraded = (await reload(account)).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(upgraded, PASSWORD)


# --- the SMS check and the single active session ----------------------------------------------

@pytest.mark.parametrize(
    ("verified_mobile", "needed"),
    [(None, True), ("13900000001", False), ("13900000002", True)],
    ids=["first-login", "same-mobile", "mobile-changed"],
)
async def test_an_sms_check_is_needed_on_the_first_login_and_after_the_mobile_changed(
    db: None, verified_mobile: str | None, needed: bool
) -> None:
    account = await new_account(mobile="13900000001", verified_mobile=verified_mobile)

    assert auth.needs_sms_check(account) is needed


@pytest.mark.parametrize(("sms_verified", "still_needed"), [(True, False), (False, True)])
async def test_only_a_login_completed_with_an_sms_code_clears_the_sms_check(
    db: None, sms_verified: bool, still_needed: bool
) -> None:
    account = await new_account(verified_mobile=None)

    await auth.complete_login(account, now=T0, ip="", user_agent="", sms_verified=sms_verified)

    assert auth.needs_sms_check(await reload(account)) is still_needed


async def test_complete_login_records_a_new_session_the_time_and_a_login_event(db: None) -> None:
    account = await new_account()
    first = await auth.complete_login(account, now=T0, ip="198.51.100.9", user_agent="Safari", sms_verified=False)
    later = T0 + timedelta(hours=2)
    second = await auth.complete_login(account, now=later, ip="2001:db8:1:2::9", user_agent="Edge", sms_verified=False)

    assert first != second and len(second) >= 32
    stored = await reload(account)
    assert (stored.current_session_id, stored.last_login_at) == (second, later)
    events = await LoginEvent.filter(account_id=account.id).order_by("at").values_list(
        "success", "at", "ip_masked", "user_agent"
    )
    assert events == [(True, T0, "198.51.100.*", "Safari"), (True, later, "2001:db8:1:*", "Edge")]


async def test_complete_login_keeps_only_the_first_255_characters_of_the_user_agent(db: None) -> None:
    account = await new_account()
    await auth.complete_login(account, now=T0, ip="", user_agent="A" * 300, sms_verified=False)

    assert (await LoginEvent.get(account_id=account.id)).user_agent == "A" * 255


async def test_replace_session_gives_this_session_a_new_id_that_ends_all_others(db: None) -> None:
    account = await new_account()
    old = await auth.complete_login(account, now=T0, ip="", user_agent="", sms_verified=False)

    new = await auth.replace_session(account)

    assert new != old
    assert (await reload(account)).current_session_id == new


async def test_end_sessions_signs_the_account_out_everywhere(db: None) -> None:
    account = await new_account()
    await auth.complete_login(account, now=T0, ip="", user_agent="", sms_verified=False)

    await auth.end_sessions(account)

    assert (await reload(account)).current_session_id is None


@pytest.mark.parametrize(
    ("ip", "masked"),
    [
        ("192.168.1.23", "192.168.1.*"),
        ("8.8.8.8", "8.8.8.*"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3:*"),
        ("2001:db8:85a3::7348", "2001:db8:85a3:*"),
        ("", ""),
        ("testclient", ""),
        ("1.2.3", ""),
        ("1.2.3.4.5", ""),
    ],
)
def test_mask_ip_keeps_the_network_and_drops_the_host(ip: str, masked: str) -> None:
    assert auth.mask_ip(ip) == masked


@pytest.mark.parametrize(("ip", "host_group"), [("2001::1234:5678", "1234"), ("fe80::abcd:1:2", "abcd")])
def test_mask_ip_never_keeps_ipv6_host_groups(ip: str, host_group: str) -> None:
    assert host_group not in auth.mask_ip(ip)


# --- 记住密码: device tokens -------------------------------------------------------------------

async def test_a_device_token_signs_in_once_and_is_replaced_by_a_new_one(db: None) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)

    device = await auth.login_with_device_token(account.username, token, now=T0 + timedelta(days=1))

    assert device.account.id == account.id and device.new_token != token
    # Rotation: the spent token fails like a wrong password; the new one works.
    reused = await _device_refusal(account.username, token, T0 + timedelta(days=2))
    assert reused.reason == "credentials"
    again = await auth.login_with_device_token(account.username, device.new_token, now=T0 + timedelta(days=2))
    assert again.account.id == account.id


async def test_the_rotated_token_lives_30_days_from_its_own_use(db: None) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)
    used_at = T0 + timedelta(days=29)
    rotated = (await auth.login_with_device_token(account.username, token, now=used_at)).new_token

    assert (await auth.login_with_device_token(account.username, rotated, now=used_at + timedelta(days=29))).account


async def test_only_a_hash_of_the_device_token_is_stored(db: None) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)

    rows = await DeviceToken.all().values()
    assert len(rows) == 1
    assert not any(token in str(value) for row in rows for value in row.values())
    assert len(rows[0]["token_hash"]) == 64 and rows[0]["expires_at"] == T0 + TOKEN_LIFE


async def _device_refusal(username: str, token: str, now: datetime) -> LoginRefused:
    with pytest.raises(LoginRefused) as refused:
        await auth.login_with_device_token(username, token, now=now)
    return refused.value


async def _revoke_by_forgetting(account: Account, token: str) -> None:
    await auth.forget_device(token, now=T0 + timedelta(hours=1))


async def _revoke_all(account: Account, token: str) -> None:
    await auth.revoke_device_tokens(account, now=T0 + timedelta(hours=1))


async def _change_password(account: Account, token: str) -> None:
    await auth.change_password(account, NEW_PASSWORD, now=T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    ("username", "token", "revoke", "at"),
    [
        pytest.param("someone-else", None, None, T0 + timedelta(days=1), id="wrong-username"),
        pytest.param(None, "not-a-token", None, T0 + timedelta(days=1), id="unknown-token"),
        pytest.param(None, None, None, T0 + TOKEN_LIFE, id="expired-at-30-days"),
        pytest.param(None, None, None, T0 + TOKEN_LIFE + timedelta(days=100), id="long-expired"),
        pytest.param(None, None, _revoke_by_forgetting, T0 + timedelta(days=1), id="forget_device"),
        pytest.param(None, None, _revoke_all, T0 + timedelta(days=1), id="revoke_device_tokens"),
        pytest.param(None, None, _change_password, T0 + timedelta(days=1), id="change_password"),
    ],
)
async def test_a_device_token_that_is_not_valid_gets_the_credentials_refusal(
    db: None, username: str | None, token: str | None, revoke: Any, at: datetime
) -> None:
    account = await new_account()
    issued = await auth.issue_device_token(account, now=T0)
    if revoke:
        await revoke(account, issued)

    refused = await _device_refusal(username or account.username, token or issued, at)

    assert (refused.reason, refused.until) == ("credentials", None)


async def test_device_remembered_agrees_with_what_a_token_sign_in_would_do(db: None) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)

    assert await auth.device_remembered(account.username, token, now=T0 + timedelta(days=1))
    assert await auth.device_remembered(account.username, token, now=T0 + timedelta(days=1))  # spends nothing
    assert not await auth.device_remembered("someone-else", token, now=T0)
    assert not await auth.device_remembered(account.username, "", now=T0)
    assert not await auth.device_remembered(account.username, token, now=T0 + TOKEN_LIFE)
    await _change_password(account, token)
    assert not await auth.device_remembered(account.username, token, now=T0 + timedelta(days=1))


async def test_a_device_token_works_until_just_before_30_days(db: None) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)

    device = await auth.login_with_device_token(account.username, token, now=T0 + TOKEN_LIFE - timedelta(seconds=1))

    assert device.account.id == account.id


async def test_another_accounts_token_does_not_sign_in_as_this_account(db: None) -> None:
    mine, theirs = await new_account(), await new_account()
    their_token = await auth.issue_device_token(theirs, now=T0)

    assert (await _device_refusal(mine.username, their_token, T0)).reason == "credentials"
    # ...and trying it did not spend it
    assert (await auth.login_with_device_token(theirs.username, their_token, now=T0)).account.id == theirs.id


async def test_the_device_token_username_is_matched_ignoring_case_and_spaces(db: None) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)

    device = await auth.login_with_device_token(f"  {account.username.upper()} ", token, now=T0)

    assert device.account.id == account.id


async def test_a_locked_account_is_refused_with_a_device_token_too_and_the_token_survives_the_lock(
    db: None,
) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)
    await fail(account, [T0] * 5)

    refused = await _device_refusal(account.username, token, T0 + timedelta(minutes=1))

    assert (refused.reason, refused.until) == ("locked", T0 + LOCK)
    assert (await auth.login_with_device_token(account.username, token, now=T0 + LOCK)).account.id == account.id


async def test_an_inactive_account_is_refused_with_a_device_token(db: None) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)
    await Account.filter(id=account.id).update(is_active=False)

    assert (await _device_refusal(account.username, token, T0)).reason == "inactive"


async def test_forget_device_revokes_only_that_device(db: None) -> None:
    account = await new_account()
    phone, laptop = await auth.issue_device_token(account, now=T0), await auth.issue_device_token(account, now=T0)

    await auth.forget_device(phone, now=T0)

    assert (await _device_refusal(account.username, phone, T0)).reason == "credentials"
    assert (await auth.login_with_device_token(account.username, laptop, now=T0)).account.id == account.id


async def test_revoke_device_tokens_forgets_every_device_of_the_account_and_no_other(db: None) -> None:
    account, other = await new_account(), await new_account()
    tokens = [await auth.issue_device_token(account, now=T0) for _ in range(3)]
    others = await auth.issue_device_token(other, now=T0)

    await auth.revoke_device_tokens(account, now=T0 + timedelta(minutes=1))

    for token in tokens:
        assert (await _device_refusal(account.username, token, T0 + timedelta(minutes=2))).reason == "credentials"
    assert (await auth.login_with_device_token(other.username, others, now=T0)).account.id == other.id
    revoked = await DeviceToken.filter(account_id=account.id).values_list("revoked_at", flat=True)
    assert revoked == [T0 + timedelta(minutes=1)] * 3


async def test_two_simultaneous_uses_of_one_device_token_sign_in_only_once(db: None) -> None:
    account = await new_account()
    token = await auth.issue_device_token(account, now=T0)

    results = await asyncio.gather(
        *(auth.login_with_device_token(account.username, token, now=T0) for _ in range(2)),
        return_exceptions=True,
    )

    assert sorted(type(result).__name__ for result in results) == ["DeviceLogin", "LoginRefused"]
    assert await DeviceToken.filter(account_id=account.id, revoked_at__isnull=True).count() == 1


# --- changing the password ---------------------------------------------------------------------

async def test_change_password_replaces_the_password_and_ends_other_sessions_and_devices(db: None) -> None:
    account = await new_account()
    old_session = await auth.complete_login(account, now=T0, ip="", user_agent="", sms_verified=True)
    token = await auth.issue_device_token(account, now=T0)

    new_session = await auth.change_password(account, NEW_PASSWORD, now=T0 + timedelta(minutes=5))

    later = T0 + timedelta(minutes=6)
    assert (await refusal(account.username, PASSWORD, later)).reason == "credentials"
    assert (await auth.check_password(account.username, NEW_PASSWORD, now=later)).id == account.id
    assert (await _device_refusal(account.username, token, later)).reason == "credentials"
    stored = await reload(account)
    assert new_session not in (old_session, None) and stored.current_session_id == new_session
    assert passwords.verify_password(stored.password_hash, NEW_PASSWORD)
