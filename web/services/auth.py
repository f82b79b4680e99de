"""Signing in: passwords with lockout, the SMS check, remember-me device tokens, single active session.

Security timers use the real clock (`datetime.now(UTC)` passed in as `now`), never the /dev clock:
moving "today" for date rules must not unlock accounts or expire sessions.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from web.models import Account, DeviceToken, LoginEvent
from web.services import passwords, rules


class LoginRefused(Exception):
    """`reason`: "credentials" (unknown user or wrong password: one answer for both), "locked"
    (until `until`), or "inactive" (a disabled account, told apart only once the password is right)."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


@dataclass(frozen=True)
class DeviceLogin:
    account: Account
    new_token: str  # the rotated token to set in the device cookie


def normalize_username(raw: str) -> str:
    return raw.strip().lower()


def needs_sms_check(account: Account) -> bool:
    """DOMAIN §2: an SMS code on the first login and after the bound mobile changed."""
    return account.verified_mobile != account.mobile


def mask_ip(ip: str) -> str:
    """Enough to recognise a network in the sign-in history, not to track a person: the /24 of
    IPv4, the /48 of IPv6; anything that is not an address gives ""."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    if address.version == 4:
        return ".".join(str(address).split(".")[:3]) + ".*"
    return ":".join(f"{int(group, 16):x}" for group in address.exploded.split(":")[:3]) + ":*"


def _locked_until(account: Account, now: datetime) -> datetime | None:
    return account.locked_until if account.locked_until and account.locked_until > now else None


async def check_password(
    username: str, password: str, *, now: datetime, ip: str = "", user_agent: str = ""
) -> Account:
    """The account whose password this is, or LoginRefused. Wrong passwords count towards a lock."""
    account = await Account.get_or_none(username=normalize_username(username))
    if account is None:
        passwords.verify_no_account(password)  # same time as a real check: no username probing
        raise LoginRefused("credentials")
    if until := _locked_until(account, now):
        raise LoginRefused("locked", until)  # refused before hashing: even the right password
    if not passwords.verify_password(account.password_hash, password):
        await _record_failure(account, now=now, ip=ip, user_agent=user_agent)
        if until := _locked_until(account, now):
            raise LoginRefused("locked", until)
        raise LoginRefused("credentials")
    if not account.is_active:
        raise LoginRefused("inactive")
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
        await account.save(update_fields=["password_hash"])
    return account


async def _record_failure(account: Account, *, now: datetime, ip: str, user_agent: str) -> None:
    await LoginEvent.create(
        account=account, at=now, success=False, ip_masked=mask_ip(ip), user_agent=user_agent[:255]
    )
    since = now - timedelta(minutes=rules.LOGIN_FAILURE_WINDOW_MINUTES)
    last_success = (
        await LoginEvent.filter(account=account, success=True).order_by("-at").first()
    )
    if last_success and last_success.at > since:
        since = last_success.at  # a successful sign-in starts the count again
    failures = await LoginEvent.filter(account=account, success=False, at__gt=since).count()
    account.failed_logins = failures
    if failures >= rules.LOGIN_FAILURES_BEFORE_LOCK:
        account.locked_until = now + timedelta(minutes=rules.LOGIN_LOCK_MINUTES)
    await account.save(update_fields=["failed_logins", "locked_until"])


async def complete_login(
    account: Account, *, now: datetime, ip: str, user_agent: str, sms_verified: bool
) -> str:
    """Make this the account's one active session and return its login id (kept in the session).

    Writing `current_session_id` ends every other session of the account, in every worker: their
    next request sees a different id (web/guards.py).
    """
    login_id = secrets.token_urlsafe(24)
    account.current_session_id = login_id
    account.last_login_at = now
    account.failed_logins = 0
    account.locked_until = None
    fields = ["current_session_id", "last_login_at", "failed_logins", "locked_until"]
    if sms_verified:
        account.verified_mobile = account.mobile
        fields.append("verified_mobile")
    async with in_transaction():
        await account.save(update_fields=fields)
        await LoginEvent.create(
            account=account, at=now, success=True, ip_masked=mask_ip(ip), user_agent=user_agent[:255]
        )
    return login_id


async def end_sessions(account: Account) -> None:
    """Sign the account out everywhere (password change, "sign out everywhere")."""
    account.current_session_id = None
    await account.save(update_fields=["current_session_id"])


async def replace_session(account: Account) -> str:
    """Keep the current session but end all others: returns the new login id for this session."""
    login_id = secrets.token_urlsafe(24)
    account.current_session_id = login_id
    await account.save(update_fields=["current_session_id"])
    return login_id


# --- 记住密码: device tokens -------------------------------------------------------------------------

def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def issue_device_token(account: Account, *, now: datetime) -> str:
    """A new 30-day token for this device; only its hash is stored."""
    raw = secrets.token_urlsafe(32)
    await DeviceToken.create(
        account=account,
        token_hash=_token_hash(raw),
        created_at=now,
        expires_at=now + timedelta(days=rules.DEVICE_TOKEN_DAYS),
    )
    return raw


async def login_with_device_token(username: str, raw_token: str, *, now: datetime) -> DeviceLogin:
    """Sign in without a password on a remembered device; the token is spent and replaced.

    Obeys the lock like a password would. A token that is unknown, revoked, expired or another
    account's gives the same "credentials" refusal as a wrong password.
    """
    token = await DeviceToken.get_or_none(token_hash=_token_hash(raw_token)).select_related("account")
    account = token.account if token else None
    if (
        token is None
        or account is None
        or account.username != normalize_username(username)
        or token.revoked_at is not None
        or token.expires_at <= now
    ):
        raise LoginRefused("credentials")
    if until := _locked_until(account, now):
        raise LoginRefused("locked", until)
    if not account.is_active:
        raise LoginRefused("inactive")
    # Rotation: a stolen copy of the cookie stops working once the owner has used it.
    revoked = await DeviceToken.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=now)
    if not revoked:
        raise LoginRefused("credentials")  # used by a concurrent request
    return DeviceLogin(account=account, new_token=await issue_device_token(account, now=now))


async def device_remembered(username: str, raw_token: str, *, now: datetime) -> bool:
    """Whether this device's token would still sign `username` in (read only: nothing is spent)."""
    if not raw_token or not username:
        return False
    token = await DeviceToken.get_or_none(
        token_hash=_token_hash(raw_token), revoked_at__isnull=True, expires_at__gt=now
    ).select_related("account")
    return token is not None and token.account.username == normalize_username(username)


async def forget_device(raw_token: str, *, now: datetime) -> None:
    await DeviceToken.filter(token_hash=_token_hash(raw_token), revoked_at__isnull=True).update(
        revoked_at=now
    )


async def revoke_device_tokens(account: Account, *, now: datetime) -> None:
    """Forget every remembered device of the account (password change, sign out everywhere)."""
    await DeviceToken.filter(account=account, revoked_at__isnull=True).update(revoked_at=now)


async def change_password(account: Account, new_password: str, *, now: datetime) -> str:
    """Set a new password; end all other sessions and forget all devices. Returns this session's
    new login id (the caller stores it in the session to stay signed in)."""
    account.password_hash = passwords.hash_password(new_password)
    await account.save(update_fields=["password_hash"])
    await revoke_device_tokens(account, now=now)
    return await replace_session(account)
