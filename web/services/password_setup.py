"""设置密码: the password of an account opened for someone, set with a code texted to its mobile.

Unit accounts are opened at an acceptance point (DOMAIN §2, web/services/counter.py), staff accounts
by an administrator (web/services/staff_accounts.py), each with an unusable random password. The
holder receives an SMS code (purpose PURPOSE, valid CODE_TTL_HOURS) and sets a password at
/account/setup with username + code. The forgotten-password page cannot serve them: it asks for the
ID number of the account's person, and these accounts have none.

Whether a username exists, or has a code waiting, must not show: every refusal of the code is the
one reason "rejected", and a per-address limit sits in front of the check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from litestar.stores.base import Store

from web.adapters.sms import SmsGateway
from web.models import Account
from web.services import profile, ratelimit, sms, validators

PURPOSE = "password_setup"  # web/services/sms.py PURPOSES
# The agent may set the password back at the office: a day, not the 5 minutes of a sign-in code.
# Still single use and void after 5 wrong tries (sms.verify_code).
CODE_TTL_HOURS = 24
LIMITS = sms.SmsLimits(code_ttl=timedelta(hours=CODE_TTL_HOURS))
SETUP_PATH = "/account/setup"
# In the service's language (Simplified Chinese): the agent is not the one acting when it is sent.
TEXT = (
    "【深圳居住证】您的单位账号{username}已在受理点开通。设置密码验证码{code}，{hours}小时内有效。"
    "请打开本平台“设置密码”页面（{path}），输入用户名{username}和验证码设置密码。请勿告诉他人。"
)
FIELDS = ("username", "sms_code", "password", "password_confirm")
SHOWN_FIELDS = ("username",)  # typed values shown back on error (never the code or passwords)
# Tries per network address: enough for an office behind one router, too few to hunt for codes.
TRIES_PER_IP_PER_HOUR = 20


async def send_setup_code(gateway: SmsGateway, account: Account, *, ip: str, now: datetime, secret: str) -> sms.SentCode:
    """Text the account's mobile a code to set its password; raises sms.SmsRefused (limits) or
    SmsDeliveryError (gateway)."""
    return await sms.send_code(
        gateway, mobile=account.mobile, purpose=PURPOSE, ip=ip, now=now, secret=secret, limits=LIMITS,
        text=lambda code: TEXT.format(username=account.username, code=code, hours=CODE_TTL_HOURS, path=SETUP_PATH),
    )


@dataclass
class SetupResult:
    """Reason codes per field: username missing; sms_code format, rejected (unknown username, no
    code, wrong, expired, spent or too many tries: one answer for all) or rate_limited (until
    `retry_at`); password and password_confirm as registration's checks."""

    errors: dict[str, str] = field(default_factory=dict)
    account: Account | None = None
    retry_at: datetime | None = None


async def set_first_password(raw: Mapping[str, str], *, now: datetime, secret: str, store: Store, ip: str) -> SetupResult:
    """Set the password of the account named in `raw` when its setup code is right.

    The code is tried only when the new password is acceptable, so a weak password costs the
    agent none of the code's 5 tries. Success signs the account out everywhere (a fresh start).
    """
    username = validators.normalize_username(raw.get("username", ""))
    code, code_reason = validators.check_sms_code(raw.get("sms_code", ""))
    password = str(raw.get("password", ""))[: validators.PASSWORD_MAX_LENGTH + 1]
    account = await Account.get_or_none(username=username, is_active=True) if username else None
    reasons = {
        "username": None if username else "missing",
        "sms_code": code_reason,
        **profile.check_new_password(
            password, str(raw.get("password_confirm", ""))[: validators.PASSWORD_MAX_LENGTH + 1],
            username=username, id_number=await profile.id_number_of(account) if account else "",
        ),
    }
    errors = {name: reasons[name] for name in FIELDS if reasons.get(name)}
    if errors:
        return SetupResult(errors)
    retry_at = await ratelimit.hit(store, f"password-setup:{ip}", limit=TRIES_PER_IP_PER_HOUR,
                                   window_seconds=3600, now=now)
    if retry_at is not None:
        return SetupResult({"sms_code": "rate_limited"}, retry_at=retry_at)
    if account is None:
        return SetupResult({"sms_code": "rejected"})
    try:
        await sms.verify_code(mobile=account.mobile, purpose=PURPOSE, code=code, now=now, secret=secret, limits=LIMITS)
    except sms.CodeRejected:
        return SetupResult({"sms_code": "rejected"})
    await profile.reset_password(account, password, now=now)
    return SetupResult(account=account)
