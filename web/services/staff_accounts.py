"""Staff accounts (受理点工作人员), made and kept by administrators (DOMAIN §2).

Passwords: the administrator never chooses or sees one. A new account gets an unusable random
password and its mobile a code to set one at 设置密码 (/account/setup, web/services/password_setup.py:
the same flow as unit agents). /forgot-password cannot serve staff (it asks for the ID number of the
account's person, and staff accounts have none), so "send a new code" here is their way back in when
they forget the password. The first sign-in also asks for an SMS code (verified_mobile starts empty).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from web.adapters.sms import SmsDeliveryError, SmsGateway
from web.models import AcceptancePoint, Account, Role
from web.services import audit, auth, password_setup, sms, validators
from web.services.passwords import hash_password

PAGE_SIZE = 50
# In the service's language (Simplified Chinese): the staff member is not the one acting when it is sent.
SETUP_TEXT = (
    "【深圳居住证】受理点工作人员账号{username}的设置密码验证码为{code}，{hours}小时内有效。"
    "请打开本平台“设置密码”页面（{path}），输入用户名{username}和验证码设置密码。请勿告诉他人。"
)
FIELDS = ("username", "mobile", "point")


@dataclass(frozen=True)
class StaffRow:
    id: int
    username: str
    mobile: str
    point_code: str | None
    point_name: str | None
    is_active: bool
    last_login_at: datetime | None


@dataclass(frozen=True)
class StaffPage:
    rows: list[StaffRow]
    next_after: str | None  # the last username of this page when there is another page


@dataclass
class StaffCheck:
    """`values` (username, mobile, point: the AcceptancePoint) are ready when `errors` is empty."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeSent:
    """The outcome of texting a set-password code: `refused` is None when it went, else an
    sms.SmsRefused reason ("resend_wait", "daily_limit") or "delivery" (the gateway failed), with
    `retry_at` for the limits."""

    account: Account
    refused: str | None = None
    retry_at: datetime | None = None


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(form.get(name, "") or "")[: validators.MAX_INPUT_LENGTH] for name in FIELDS}


async def point_choices() -> list[tuple[str, str]]:
    """(code, name) of the points staff can be assigned to: the active ones, by street code."""
    rows = await AcceptancePoint.filter(is_active=True).order_by("code").values_list("code", "name")
    return [(code, name) for code, name in rows]


async def list_staff(*, point_code: str | None = None, after: str | None = None, limit: int = PAGE_SIZE) -> StaffPage:
    """Staff accounts by username, `limit` per page (keyset: `after` is the last username seen)."""
    query = Account.filter(role=Role.STAFF)
    if point_code:
        query = query.filter(point__code=point_code)
    if after:
        query = query.filter(username__gt=after)
    rows = await query.order_by("username").limit(limit + 1).values(
        "id", "username", "mobile", "is_active", "last_login_at", point_code="point__code", point_name="point__name",
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return StaffPage(
        rows=[StaffRow(**row) for row in rows],
        next_after=rows[-1]["username"] if more else None,
    )


async def get_staff(account_id: int) -> Account | None:
    """The staff account with its point loaded; other roles' accounts are None, like no account."""
    return await Account.get_or_none(id=account_id, role=Role.STAFF).select_related("point")


async def _active_point(code: str) -> AcceptancePoint | None:
    return await AcceptancePoint.get_or_none(code=code.strip(), is_active=True) if code.strip() else None


async def check_new_staff(raw: Mapping[str, str]) -> StaffCheck:
    """Reason codes: username as validators.check_username, or taken; mobile missing or format;
    point missing (none chosen, or not an active point)."""
    result = StaffCheck()
    username = validators.normalize_username(raw.get("username", ""))
    reason = validators.check_username(username)
    if reason is None and await Account.exists(username=username):
        reason = "taken"
    result.values["username"] = username
    if reason:
        result.errors["username"] = reason
    mobile, reason = validators.check_mobile(raw.get("mobile", ""))
    result.values["mobile"] = mobile
    if reason:
        result.errors["mobile"] = reason
    point = await _active_point(raw.get("point", ""))
    result.values["point"] = point
    if point is None:
        result.errors["point"] = "missing"
    return result


async def _send_code(gateway: SmsGateway, account: Account, *, now: datetime, secret: str) -> CodeSent:
    def text(code: str) -> str:
        return SETUP_TEXT.format(username=account.username, code=code, hours=password_setup.CODE_TTL_HOURS,
                                 path=password_setup.SETUP_PATH)

    try:
        # No network address: the per-address SMS limit guards anonymous forms, and an administrator
        # opening many accounts from one office would hit it. The per-number limits still hold.
        await sms.send_code(
            gateway, mobile=account.mobile, purpose=password_setup.PURPOSE, ip="", now=now, secret=secret,
            limits=password_setup.LIMITS, text=text,
        )
    except sms.SmsRefused as refused:
        return CodeSent(account, refused.reason, refused.retry_at)
    except SmsDeliveryError:
        return CodeSent(account, "delivery")
    return CodeSent(account)


async def create_staff(
    values: Mapping[str, Any], *, actor: Account, gateway: SmsGateway, now: datetime, secret: str, ip: str = ""
) -> CodeSent:
    """Create a staff account from checked values (check_new_staff) and text it a set-password code.

    The username's uniqueness is the database's: a name taken since the check raises IntegrityError.
    """
    point: AcceptancePoint = values["point"]
    async with in_transaction():
        account = await Account.create(
            # Random and never shown: unusable until the staff member sets a password with the code.
            username=values["username"], password_hash=hash_password(secrets.token_urlsafe(32)), role=Role.STAFF,
            mobile=values["mobile"], point=point,
        )
        await audit.record(
            actor=actor, action="admin.staff.create", target_type="account", target_id=account.id,
            detail={"username": account.username, "point": point.code}, ip=ip,
        )
    # After the commit: a refused text leaves the account, and "send a new code" retries.
    return await _send_code(gateway, account, now=now, secret=secret)


async def assign_point(account: Account, point_code: str, *, actor: Account, ip: str = "") -> str | None:
    """Move a staff member to another active point; the reason code "missing" when there is none."""
    point = await _active_point(point_code)
    if point is None:
        return "missing"
    previous = account.point.code if account.point else None  # type: ignore[union-attr]
    if previous == point.code:
        return None
    async with in_transaction():
        account.point = point
        await account.save(update_fields=["point_id"])
        await audit.record(
            actor=actor, action="admin.staff.assign", target_type="account", target_id=account.id,
            detail={"username": account.username, "from": previous, "to": point.code}, ip=ip,
        )
    return None


async def set_active(account: Account, active: bool, *, actor: Account, now: datetime, ip: str = "") -> None:
    """Disable (signed out at once, remembered devices forgotten) or enable again a staff account."""
    if account.is_active == active:
        return
    async with in_transaction():
        account.is_active = active
        fields = ["is_active"]
        if not active:
            # The guard refuses inactive accounts anyway; no live session is left to come back to.
            account.current_session_id = None
            fields.append("current_session_id")
        await account.save(update_fields=fields)
        if not active:
            await auth.revoke_device_tokens(account, now=now)
        await audit.record(
            actor=actor, action="admin.staff.enable" if active else "admin.staff.disable",
            target_type="account", target_id=account.id, detail={"username": account.username}, ip=ip,
        )


async def send_setup_code(
    account: Account, *, actor: Account, gateway: SmsGateway, now: datetime, secret: str, ip: str = ""
) -> CodeSent:
    """Text a new set-password code (the first one expired, or the password was forgotten).

    The current password keeps working until a new one is set with the code.
    """
    sent = await _send_code(gateway, account, now=now, secret=secret)
    if sent.refused is None:
        await audit.record(
            actor=actor, action="admin.staff.setup_code", target_type="account", target_id=account.id,
            detail={"username": account.username}, ip=ip,
        )
    return sent
