"""One-time SMS codes: issue, rate-limit and verify (stored hashed, single use, short-lived)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from web.adapters.sms import SmsGateway
from web.models import SmsCode
from web.services.clock import SHENZHEN
from web.services.identity import mask_mobile


@dataclass(frozen=True)
class SmsLimits:
    code_ttl: timedelta = timedelta(minutes=5)
    resend_after: timedelta = timedelta(seconds=60)
    per_number_per_day: int = 10
    per_ip_per_hour: int = 30
    max_attempts: int = 5  # a code is void after this many wrong tries


LIMITS = SmsLimits()
PURPOSES = (
    "register", "login", "change_mobile", "reset_password", "authenticate", "set_password",
    "password_setup",  # the password of an opened account: unit agents, staff (web/services/password_setup.py)
)


@dataclass(frozen=True)
class SentCode:
    masked_mobile: str
    resend_at: datetime


class SmsRefused(Exception):
    """A limit was hit: `reason` is "resend_wait", "daily_limit" or "ip_limit"; retry at `retry_at`."""

    def __init__(self, reason: str, retry_at: datetime) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_at = retry_at


class CodeRejected(Exception):
    """`reason`: "missing" (none sent or all spent), "expired", "too_many_attempts" or "wrong"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def hash_code(secret: str, mobile: str, purpose: str, code: str) -> str:
    # Keyed, and bound to number and purpose: a leaked table row cannot be replayed elsewhere.
    message = f"{mobile}:{purpose}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def message_text(code: str, purpose: str) -> str:
    return f"【深圳居住证】您的验证码是{code}，5分钟内有效，请勿告诉他人。如非本人操作，请忽略。"


async def _check_limits(mobile: str, purpose: str, ip: str, now: datetime, limits: SmsLimits) -> None:
    # The wait between two codes is per purpose: a sign-in code right after a change-of-mobile code
    # to the same number is legitimate. The daily cap counts every purpose.
    latest = await SmsCode.filter(mobile=mobile, purpose=purpose).order_by("-created_at").first()
    if latest and now - latest.created_at < limits.resend_after:
        raise SmsRefused("resend_wait", latest.created_at + limits.resend_after)
    # Days are Shenzhen days; compared in UTC, as stored (SQLite compares datetimes as text).
    day_start = now.astimezone(SHENZHEN).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    if await SmsCode.filter(mobile=mobile, created_at__gte=day_start).count() >= limits.per_number_per_day:
        raise SmsRefused("daily_limit", day_start + timedelta(days=1))
    hour_ago = (now - timedelta(hours=1)).astimezone(UTC)
    if ip:
        sent = SmsCode.filter(ip=ip, created_at__gt=hour_ago)
        if await sent.count() >= limits.per_ip_per_hour:
            oldest = await sent.order_by("created_at").first()
            assert oldest is not None
            raise SmsRefused("ip_limit", oldest.created_at + timedelta(hours=1))


async def send_code(
    gateway: SmsGateway,
    *,
    mobile: str,
    purpose: str,
    ip: str,
    now: datetime,
    secret: str,
    limits: SmsLimits = LIMITS,
    text: Callable[[str], str] | None = None,
) -> SentCode:
    """Send a fresh 6-digit code to `mobile` (11 digits) for `purpose`, or raise SmsRefused.

    `text` makes the message from the code when the standard one (message_text) does not fit, e.g.
    a code that lasts longer than 5 minutes (`limits.code_ttl`) and says what it is for.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown SMS purpose {purpose!r}")
    await _check_limits(mobile, purpose, ip, now, limits)
    code = f"{secrets.randbelow(1_000_000):06d}"
    await SmsCode.create(
        mobile=mobile,
        purpose=purpose,
        code_hash=hash_code(secret, mobile, purpose, code),
        created_at=now,
        expires_at=now + limits.code_ttl,
        ip=ip,
    )
    body = text(code) if text is not None else message_text(code, purpose)
    await gateway.send(mobile, body, purpose=purpose, code=code)
    return SentCode(masked_mobile=mask_mobile(mobile), resend_at=now + limits.resend_after)


async def verify_code(
    *, mobile: str, purpose: str, code: str, now: datetime, secret: str, limits: SmsLimits = LIMITS
) -> None:
    """Spend the newest code for (mobile, purpose) if `code` matches it; else raise CodeRejected."""
    latest = (
        await SmsCode.filter(mobile=mobile, purpose=purpose).order_by("-created_at").first()
    )
    if latest is None or latest.used_at is not None:
        raise CodeRejected("missing")
    if latest.attempts >= limits.max_attempts:
        raise CodeRejected("too_many_attempts")
    if now >= latest.expires_at:
        raise CodeRejected("expired")
    candidate = hash_code(secret, mobile, purpose, code.strip())
    if not hmac.compare_digest(candidate, latest.code_hash):
        # Counted by the database itself, so parallel guesses cannot get past the limit.
        await SmsCode.filter(id=latest.id, attempts__lt=limits.max_attempts).update(
            attempts=F("attempts") + 1
        )
        attempts = (await SmsCode.get(id=latest.id)).attempts
        raise CodeRejected("too_many_attempts" if attempts >= limits.max_attempts else "wrong")
    updated = await SmsCode.filter(id=latest.id, used_at__isnull=True).update(used_at=now)
    if not updated:
        raise CodeRejected("missing")  # spent by a concurrent request
