"""One-time SMS codes (web/services/sms.py): stored hashed, 6 digits, rate-limited, short-lived, single use."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import DATABASE_URL, is_postgres
from web.adapters.sms import OutboxGateway
from web.models import SmsCode, SmsOutbox
from web.services import sms
from web.services.clock import SHENZHEN
from web.services.sms import LIMITS, CodeRejected, SmsLimits, SmsRefused

SECRET = "test-sms-secret-" + "x" * 32
MOBILE = "13800138000"
OTHER_MOBILE = "13900139000"
IP = "203.0.113.7"
# Controllers pass the real clock in UTC; the daily limit counts by the calendar day in Shenzhen.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shenzhen
MINUTE = timedelta(minutes=1)
ON_SQLITE = not is_postgres(DATABASE_URL)


def shenzhen(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    """A moment of March 2026 on Shenzhen's clock, given to the services in UTC as the app does."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=SHENZHEN).astimezone(UTC)


async def send(
    *,
    mobile: str = MOBILE,
    purpose: str = "register",
    ip: str = IP,
    now: datetime = T0,
    limits: SmsLimits = LIMITS,
) -> str:
    """Send a code; return it as the developer's phone sees it, from the outbox."""
    await sms.send_code(
        OutboxGateway(), mobile=mobile, purpose=purpose, ip=ip, now=now, secret=SECRET, limits=limits
    )
    message = await SmsOutbox.filter(mobile=mobile).order_by("-id").first()
    assert message is not None and message.code is not None
    return message.code


async def refused(*, mobile: str = MOBILE, ip: str = IP, now: datetime = T0) -> SmsRefused:
    with pytest.raises(SmsRefused) as refusal:
        await send(mobile=mobile, ip=ip, now=now)
    return refusal.value


async def verify(code: str, *, mobile: str = MOBILE, purpose: str = "register", now: datetime = T0) -> None:
    await sms.verify_code(mobile=mobile, purpose=purpose, code=code, now=now, secret=SECRET)


async def rejection(code: str, *, mobile: str = MOBILE, purpose: str = "register", now: datetime = T0) -> str:
    with pytest.raises(CodeRejected) as rejected:
        await verify(code, mobile=mobile, purpose=purpose, now=now)
    return rejected.value.reason


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def send_ten(start: datetime, *, mobile: str = MOBILE) -> datetime:
    """The day's 10 codes, a minute apart from `start`; returns when the last one was sent."""
    for n in range(10):
        await send(mobile=mobile, now=start + n * MINUTE)
    return start + 9 * MINUTE


# --- sending ---------------------------------------------------------------------------------

async def test_a_code_is_six_digits_and_only_its_keyed_hash_is_stored(db: None) -> None:
    sent = await sms.send_code(OutboxGateway(), mobile=MOBILE, purpose="login", ip=IP, now=T0, secret=SECRET)

    message = await SmsOutbox.get(mobile=MOBILE)
    code = message.code
    assert code is not None and re.fullmatch(r"[0-9]{6}", code)
    assert code in message.body and message.purpose == "login"
    row = await SmsCode.filter(mobile=MOBILE).values()
    assert len(row) == 1
    assert not any(code in str(value) for value in row[0].values())  # the code appears only in the outbox
    assert row[0]["code_hash"] == sms.hash_code(SECRET, MOBILE, "login", code)
    assert (row[0]["created_at"], row[0]["expires_at"], row[0]["ip"]) == (T0, T0 + 5 * MINUTE, IP)
    assert (sent.masked_mobile, sent.resend_at) == ("138****8000", T0 + timedelta(seconds=60))


async def test_codes_are_not_predictable(db: None) -> None:
    codes = {await send(mobile=f"137{n:08d}") for n in range(20)}

    assert len(codes) > 15  # 20 draws from a million collide rarely, a fixed or counting code always


async def test_an_unknown_purpose_is_a_programming_error_and_sends_nothing(db: None) -> None:
    with pytest.raises(ValueError, match="unknown SMS purpose"):
        await sms.send_code(OutboxGateway(), mobile=MOBILE, purpose="lunch", ip=IP, now=T0, secret=SECRET)

    assert (await SmsCode.all().count(), await SmsOutbox.all().count()) == (0, 0)


@pytest.mark.parametrize("purpose", sms.PURPOSES)
async def test_every_purpose_of_the_platform_can_send_and_verify_a_code(db: None, purpose: str) -> None:
    code = await send(purpose=purpose)

    await verify(code, purpose=purpose, now=T0 + MINUTE)


@pytest.mark.parametrize(
    ("after", "purpose", "mobile", "allowed"),
    [
        pytest.param(timedelta(seconds=1), "register", MOBILE, False, id="1s-later"),
        pytest.param(timedelta(seconds=59), "register", MOBILE, False, id="59s-later"),
        # A sign-in code right after a change-of-mobile code is legitimate: the wait is per purpose.
        pytest.param(timedelta(seconds=30), "login", MOBILE, True, id="30s-later-another-purpose"),
        pytest.param(timedelta(seconds=60), "register", MOBILE, True, id="60s-later"),
        pytest.param(timedelta(seconds=1), "register", OTHER_MOBILE, True, id="1s-later-another-mobile"),
    ],
)
async def test_a_resend_within_60_seconds_is_refused_until_the_minute_is_up(
    db: None, after: timedelta, purpose: str, mobile: str, allowed: bool
) -> None:
    await send(now=T0)

    if allowed:
        await send(mobile=mobile, purpose=purpose, now=T0 + after)
    else:
        with pytest.raises(SmsRefused) as refusal:
            await send(mobile=mobile, purpose=purpose, now=T0 + after)
        assert (refusal.value.reason, refusal.value.retry_at) == ("resend_wait", T0 + timedelta(seconds=60))


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(shenzhen(2, 0, 1), id="from-00:01"),
        pytest.param(shenzhen(2, 7, 50), id="from-07:50"),
        pytest.param(shenzhen(2, 10, 0), id="from-10:00"),
        pytest.param(shenzhen(2, 23, 49), id="from-23:49"),
    ],
)
async def test_the_eleventh_code_of_a_shenzhen_day_is_refused_until_shenzhen_midnight(
    db: None, first: datetime
) -> None:
    last = await send_ten(first)

    refusal = await refused(now=last + MINUTE)

    assert (refusal.reason, refusal.retry_at) == ("daily_limit", shenzhen(3, 0, 0))


async def test_a_send_at_2359_is_refused_and_at_0001_shenzhen_time_allowed(db: None) -> None:
    await send_ten(shenzhen(2, 9, 0))

    refusal = await refused(now=shenzhen(2, 23, 59))
    assert (refusal.reason, refusal.retry_at) == ("daily_limit", shenzhen(3, 0, 0))
    await send(now=shenzhen(3, 0, 1))  # 16:01 UTC: the same UTC day, but a new day in Shenzhen


async def test_the_daily_limit_is_per_number(db: None) -> None:
    last = await send_ten(T0)

    await send(mobile=OTHER_MOBILE, now=last + MINUTE)


@pytest.mark.parametrize("window_start", [T0, shenzhen(2, 23, 30)], ids=["10:00", "23:30-over-midnight"])
async def test_the_31st_code_from_one_network_within_an_hour_is_refused_across_mobiles(
    db: None, window_start: datetime
) -> None:
    for n in range(LIMITS.per_ip_per_hour):
        await send(mobile=f"137{n:08d}", now=window_start + n * MINUTE)

    refusal = await refused(mobile=OTHER_MOBILE, now=window_start + 45 * MINUTE)

    assert (refusal.reason, refusal.retry_at) == ("ip_limit", window_start + timedelta(hours=1))
    await send(mobile=OTHER_MOBILE, ip="198.51.100.1", now=window_start + 45 * MINUTE)  # another network
    await send(mobile=OTHER_MOBILE, ip=IP, now=window_start + 61 * MINUTE)  # the oldest has aged out


async def test_sends_without_a_known_address_are_not_capped_by_network(db: None) -> None:
    limits = SmsLimits(per_ip_per_hour=2)
    for n in range(3):
        await send(mobile=f"137{n:08d}", ip="", now=T0 + n * MINUTE, limits=limits)


async def test_a_network_at_its_cap_may_send_again_at_the_retry_time_it_was_given(db: None) -> None:
    limits = SmsLimits(per_ip_per_hour=2)
    await send(mobile="13700000001", now=T0, limits=limits)
    await send(mobile="13700000002", now=T0 + MINUTE, limits=limits)
    with pytest.raises(SmsRefused) as refusal:
        await send(mobile="13700000003", now=T0 + 2 * MINUTE, limits=limits)

    await send(mobile="13700000003", now=refusal.value.retry_at, limits=limits)


# --- verifying -----------------------------------------------------------------------------------

async def test_the_right_code_passes_once_then_is_missing(db: None) -> None:
    code = await send()

    await verify(code, now=T0 + MINUTE)

    assert await rejection(code, now=T0 + 2 * MINUTE) == "missing"
    assert (await SmsCode.get(mobile=MOBILE)).used_at == T0 + MINUTE


@pytest.mark.parametrize("typed", [" {} ", "{}\n", "\t{}"], ids=["spaces", "newline", "tab"])
async def test_spaces_around_the_code_are_ignored(db: None, typed: str) -> None:
    code = await send()

    await verify(typed.format(code), now=T0 + MINUTE)


@pytest.mark.parametrize(
    ("after", "outcome"),
    [
        pytest.param(timedelta(0), "passes", id="at-once"),
        pytest.param(5 * MINUTE - timedelta(seconds=1), "passes", id="4m59s"),
        pytest.param(5 * MINUTE, "expired", id="5min"),
        pytest.param(timedelta(hours=2), "expired", id="2h"),
    ],
)
async def test_a_code_expires_after_5_minutes(db: None, after: timedelta, outcome: str) -> None:
    code = await send()

    if outcome == "passes":
        await verify(code, now=T0 + after)
    else:
        assert await rejection(code, now=T0 + after) == outcome


async def test_a_wrong_code_is_wrong_and_the_fifth_wrong_one_voids_the_code(db: None) -> None:
    code = await send()

    reasons = [await rejection(other_than(code), now=T0 + n * MINUTE / 10) for n in range(5)]

    assert reasons == ["wrong"] * 4 + ["too_many_attempts"]
    assert await rejection(code, now=T0 + MINUTE) == "too_many_attempts"  # even the right code
    assert (await SmsCode.get(mobile=MOBILE)).attempts == 5


async def test_four_wrong_codes_then_the_right_one_passes(db: None) -> None:
    code = await send()
    for _ in range(4):
        await rejection(other_than(code))

    await verify(code, now=T0 + MINUTE)


@pytest.mark.parametrize(
    ("purpose", "mobile", "reason"),
    [
        pytest.param("login", MOBILE, "missing", id="another-purpose"),
        pytest.param("register", OTHER_MOBILE, "missing", id="another-mobile"),
    ],
)
async def test_a_code_verifies_only_for_its_own_mobile_and_purpose(
    db: None, purpose: str, mobile: str, reason: str
) -> None:
    code = await send(purpose="register", mobile=MOBILE)

    assert await rejection(code, mobile=mobile, purpose=purpose, now=T0 + MINUTE) == reason
    await verify(code, now=T0 + MINUTE)  # still good where it belongs


async def test_a_code_for_another_purpose_is_wrong_when_that_purpose_has_its_own_code(db: None) -> None:
    register_code = await send(purpose="register", now=T0)
    login_code = await send(purpose="login", now=T0 + MINUTE)
    if register_code == login_code:
        pytest.skip("the two random codes happen to be equal")

    assert await rejection(register_code, purpose="login", now=T0 + 2 * MINUTE) == "wrong"
    await verify(login_code, purpose="login", now=T0 + 2 * MINUTE)


async def test_a_code_hashed_with_another_secret_does_not_verify(db: None) -> None:
    code = await send()

    with pytest.raises(CodeRejected) as rejected:
        await sms.verify_code(mobile=MOBILE, purpose="register", code=code, now=T0, secret="another-secret")
    assert rejected.value.reason == "wrong"


async def test_only_the_newest_code_verifies(db: None) -> None:
    older = await send(now=T0)
    newer = await send(now=T0 + MINUTE)
    while newer == older:  # one chance in a million
        newer = await send(now=T0 + 2 * MINUTE)

    assert await rejection(older, now=T0 + 2 * MINUTE) == "wrong"
    await verify(newer, now=T0 + 2 * MINUTE)
    assert await rejection(older, now=T0 + 2 * MINUTE) == "missing"  # the newest is spent: nothing left


async def test_without_any_code_sent_verification_is_missing(db: None) -> None:
    assert await rejection("123456") == "missing"


async def test_the_same_code_submitted_twice_at_once_passes_only_once(db: None) -> None:
    code = await send()

    results = await asyncio.gather(*(verify(code, now=T0 + MINUTE) for _ in range(2)), return_exceptions=True)

    assert sorted(repr(result) for result in results) == ["CodeRejected('missing')", "None"]


async def test_wrong_guesses_made_at_the_same_time_all_count_towards_the_five(db: None) -> None:
    code = await send()

    await asyncio.gather(*(rejection(other_than(code)) for _ in range(10)))

    assert (await SmsCode.get(mobile=MOBILE)).attempts >= 5
    assert await rejection(code, now=T0 + MINUTE) == "too_many_attempts"
