"""The counter of an acceptance point (柜台): real-name authentication and opening unit accounts.

Both happen only with the person in front of the staff (DOMAIN §2): accounts registered online are
authenticated after the staff checked the identity card and the mobile number; unit accounts are
opened only at an acceptance point (单位账号只能在受理点开设). Checks return reason codes per
field, never messages: the controller translates. Every write is audited.

Times are the real clock (like the audit log): they record when something happened at the counter.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from web.adapters.sms import SmsDeliveryError, SmsGateway
from web.models import AcceptancePoint, Account, AuditEntry, IdType, Person, Role, SmsCode, Unit
from web.services import account_lookup, audit, messages, password_setup, sms, validators
from web.services.clock import SHENZHEN
from web.services.declarations.review import N_, in_default_language
from web.services.identity import (
    check_credit_code,
    mask_id_number,
    mask_mobile,
    normalize_credit_code,
    normalize_mobile,
)
from web.services.passwords import hash_password

# --- real-name authentication (实名认证) -------------------------------------------------------------

LOOKUP_ACTION = "account.real_name_lookup"  # staff looked at the person's accounts: 谁查看了我的信息
VERIFY_ACTION = "account.real_name_verify"
CONFIRM_FIELDS = ("checked_id_card", "checked_mobile", "mobile_last4")
VERIFIED_TITLE = N_("Your account is now real-name authenticated")
VERIFIED_BODY = N_(
    "Staff at %(point)s checked your identity card and mobile number on %(time)s. Your account is"
    " authenticated: you can now endorse, renew, replace and re-apply for your residence permit online."
)
SOME_POINT = N_("an acceptance point")


@dataclass(frozen=True)
class CounterAccount:
    """An account as the staff see it at the counter: no full mobile number, no password state."""

    id: int
    username: str
    role: str
    masked_mobile: str
    authenticated_at: datetime | None


@dataclass(frozen=True)
class Lookup:
    """The accounts of the person with an ID number. `reason`: validators.check_id_number's codes,
    or not_found (no person with that number, or a person without an account: the same answer)."""

    id_number: str  # normalized, shown back in the form
    reason: str | None = None
    person_id: int | None = None
    name: str = ""
    masked_id_number: str = ""
    accounts: tuple[CounterAccount, ...] = ()


@dataclass(frozen=True)
class Authentication:
    """The outcome of confirming one account: `errors` per field, or `already` (authenticated
    before, perhaps by a colleague a moment ago), or `done`."""

    lookup: Lookup
    account: CounterAccount | None = None
    errors: dict[str, str] = field(default_factory=dict)
    already: bool = False
    done: bool = False


def _counter_account(account: Account) -> CounterAccount:
    return CounterAccount(account.id, account.username, str(account.role), mask_mobile(account.mobile),
                          account.real_name_verified_at)


async def find_accounts(raw_id_number: str, *, today: date) -> Lookup:
    """The active personal and unit accounts of the person with this citizen ID number."""
    number, reason = validators.check_id_number(raw_id_number, today=today, sex=None, birth_date=None)
    if reason:
        return Lookup(number, reason)
    person = await Person.get_or_none(id_type=IdType.RESIDENT_ID, id_number=number)
    if person is None:
        return Lookup(number, "not_found")
    accounts = await Account.filter(
        person_id=person.id, role__in=[Role.RESIDENT, Role.UNIT_AGENT], is_active=True
    ).order_by("id")
    if not accounts:
        return Lookup(number, "not_found")
    return Lookup(number, None, person.id, person.name, mask_id_number(number),
                  tuple(_counter_account(account) for account in accounts))


async def look_up(raw_id_number: str, *, staff: Account, today: date, ip: str) -> Lookup:
    """find_accounts, audited when it shows someone's accounts (the person can see who looked)."""
    lookup = await find_accounts(raw_id_number, today=today)
    if lookup.person_id is not None:
        await audit.record(actor=staff, action=LOOKUP_ACTION, target_type="person", target_id=lookup.person_id,
                           subject_id=lookup.person_id, ip=ip)
    return lookup


def _digits(raw: str) -> str:
    return "".join(unicodedata.normalize("NFKC", validators.clip(raw)).split())


def check_confirmations(form: Mapping[str, str], account: CounterAccount) -> dict[str, str]:
    """checked_id_card / checked_mobile missing (both boxes are required); mobile_last4 (optional)
    format (not 4 digits) or mismatch (not the end of the account's mobile)."""
    errors = {name: "missing" for name in ("checked_id_card", "checked_mobile") if not form.get(name)}
    last4 = _digits(form.get("mobile_last4", ""))
    if last4:
        if not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
            errors["mobile_last4"] = "format"
        elif not account.masked_mobile.endswith(last4):
            errors["mobile_last4"] = "mismatch"
    return errors


async def authenticate(
    raw_id_number: str, account_id: int | None, form: Mapping[str, str], *,
    staff: Account, now: datetime, today: date, ip: str,
) -> Authentication:
    """Mark the account authenticated once the staff confirmed the checks; audit it and tell the
    account holder. The account must belong to the person of the ID number sent with the form."""
    lookup = await find_accounts(raw_id_number, today=today)
    target = next((account for account in lookup.accounts if account.id == account_id), None)
    if target is None:
        return Authentication(lookup, errors={"id_number": lookup.reason or "not_found"})
    if target.authenticated_at is not None:
        return Authentication(lookup, target, already=True)
    errors = check_confirmations(form, target)
    if errors:
        return Authentication(lookup, target, errors=errors)
    point = await AcceptancePoint.get_or_none(id=staff.point_id) if staff.point_id else None  # type: ignore[attr-defined]
    async with in_transaction():
        # Compare-and-set: two colleagues confirming at once authenticate (and notify) once.
        updated = await Account.filter(id=target.id, real_name_verified_at__isnull=True).update(
            real_name_verified_at=now)
        if updated:
            await audit.record(
                actor=staff, action=VERIFY_ACTION, target_type="account", target_id=target.id,
                subject_id=lookup.person_id, ip=ip,
                detail={"username": target.username, "point": point.code if point else None,
                        "mobile_last4_matched": bool(form.get("mobile_last4", "").strip())},
            )
            values = {"point": point.name if point else in_default_language(SOME_POINT),
                      "time": now.astimezone(SHENZHEN).strftime("%Y-%m-%d %H:%M")}
            await messages.notify(target.id, in_default_language(VERIFIED_TITLE), in_default_language(VERIFIED_BODY) % values)
    if not updated:  # a colleague was a moment faster: show when they did it
        at = await Account.filter(id=target.id).values_list("real_name_verified_at", flat=True).first()
        return Authentication(lookup, replace(target, authenticated_at=at), already=True)
    return Authentication(lookup, replace(target, authenticated_at=now), done=True)


# --- unit accounts (单位账号) ---------------------------------------------------------------------

OPEN_ACTION = "unit.open"
SETUP_CODE_ACTION = "unit.setup_code"
UNIT_FIELDS = (
    "unit_name", "credit_code", "address", "contact_name", "contact_phone",
    "agent_username", "agent_name", "agent_mobile", "documents_checked",
)
UNIT_NAME_MAX_LENGTH = Unit._meta.fields_map["name"].max_length  # type: ignore[attr-defined]
ADDRESS_MAX_LENGTH = Unit._meta.fields_map["address"].max_length  # type: ignore[attr-defined]
# A mobile, or a landline with its area code and extension: 0755-83001234-801, (0755) 8300 1234.
_LANDLINE = re.compile(r"\+?[0-9()\- ]{7,20}")
RECENT_UNITS = 20


@dataclass
class UnitCheck:
    """The cleaned values, ready when `errors` (field -> reason code, in form order) is empty."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Opening:
    """A unit account opened (`unit`, `agent`), or the errors of the form. `sms_refused`: why the
    setup code was not sent (sms.SmsRefused reasons, or "delivery"); the unit page can resend."""

    errors: dict[str, str] = field(default_factory=dict)
    unit: Unit | None = None
    agent: Account | None = None
    sms_refused: str | None = None


def unit_form(raw: Mapping[str, Any]) -> dict[str, str]:
    """The form as typed, cut to a sane length (shown back on error)."""
    return {name: validators.clip(str(raw.get(name, "") or "")) for name in UNIT_FIELDS}


def _squash(raw: str) -> str:
    return " ".join(validators.clip(raw).split())


def _text_reason(value: str, max_length: int) -> str | None:
    if not value:
        return "missing"
    if len(value) > max_length:
        return "too_long"
    if any(unicodedata.category(char)[0] == "C" for char in value):
        return "characters"
    return None


def check_phone(raw: str) -> tuple[str, str | None]:
    """A mobile (stored as 11 digits) or a landline (as typed, spaces squeezed): missing, format."""
    text = _squash(unicodedata.normalize("NFKC", validators.clip(raw)))
    if not text:
        return "", "missing"
    mobile = normalize_mobile(text)
    if mobile:
        return mobile, None
    digits = sum(char.isdigit() for char in text)
    return text, None if _LANDLINE.fullmatch(text) and 7 <= digits <= 16 else "format"


async def check_new_unit(raw: Mapping[str, str]) -> UnitCheck:
    """Reason codes: unit_name/address missing, too_long, characters; credit_code missing,
    check_credit_code's (length, format, checksum) or taken; contact_name/agent_name as
    validators.check_name; contact_phone missing, format; agent_username as
    validators.check_username or taken; agent_mobile missing, format; documents_checked missing."""
    check = UnitCheck()
    reasons: dict[str, str | None] = {}
    values = check.values
    values["unit_name"] = _squash(raw.get("unit_name", ""))
    reasons["unit_name"] = _text_reason(values["unit_name"], UNIT_NAME_MAX_LENGTH)
    values["credit_code"] = normalize_credit_code(validators.clip(raw.get("credit_code", "")))
    reason = check_credit_code(values["credit_code"]) if values["credit_code"] else "missing"
    if reason is None and await Unit.exists(credit_code=values["credit_code"]):
        reason = "taken"
    reasons["credit_code"] = reason
    values["address"] = _squash(raw.get("address", ""))
    reasons["address"] = _text_reason(values["address"], ADDRESS_MAX_LENGTH)
    for name in ("contact_name", "agent_name"):
        values[name] = validators.normalize_name(raw.get(name, ""))
        reasons[name] = validators.check_name(values[name])
    values["contact_phone"], reasons["contact_phone"] = check_phone(raw.get("contact_phone", ""))
    values["agent_username"] = validators.normalize_username(raw.get("agent_username", ""))
    reason = validators.check_username(values["agent_username"])
    if reason is None:
        reason = await account_lookup.username_reason(values["agent_username"])
    reasons["agent_username"] = reason
    # Agents may share a number with a personal account (account_lookup.mobile_reason): no uniqueness.
    values["agent_mobile"], reasons["agent_mobile"] = validators.check_mobile(raw.get("agent_mobile", ""))
    reasons["documents_checked"] = None if raw.get("documents_checked") else "missing"
    check.errors = {name: reason for name in UNIT_FIELDS if (reason := reasons.get(name))}
    return check


async def _send_setup_code(gateway: SmsGateway, agent: Account, *, now: datetime, secret: str) -> str | None:
    """Text the agent a code to set a password; None when sent, else why not."""
    try:
        # No network address: the per-address SMS limit guards anonymous forms, and a counter opening
        # many units in an hour would hit it. The per-number limits still hold.
        await password_setup.send_setup_code(gateway, agent, ip="", now=now, secret=secret)
    except sms.SmsRefused as refused:
        return refused.reason
    except SmsDeliveryError:
        return "delivery"
    return None


async def open_unit_account(
    raw: Mapping[str, str], *, staff: Account, gateway: SmsGateway, now: datetime, ip: str, secret: str,
) -> Opening:
    """Create the unit (at the staff's point) and its agent account, then text the agent a code.

    The agent's password is random and never shown: unusable until the agent sets one with the
    code (web/services/password_setup.py). The account is authenticated at once: the staff checked
    the agent's identity card and the unit's papers (`documents_checked`). Staff without a point
    cannot open units (the controller says so first).
    """
    if staff.point_id is None:  # type: ignore[attr-defined]
        raise ValueError("staff without an acceptance point cannot open unit accounts")
    check = await check_new_unit(raw)
    if check.errors:
        return Opening(check.errors)
    values = check.values
    try:
        async with in_transaction():
            unit = await Unit.create(
                name=values["unit_name"], credit_code=values["credit_code"], address=values["address"],
                contact_name=values["contact_name"], contact_phone=values["contact_phone"],
                point_id=staff.point_id,  # type: ignore[attr-defined]
            )
            agent = await Account.create(
                username=values["agent_username"], password_hash=hash_password(secrets.token_urlsafe(32)),
                role=Role.UNIT_AGENT, mobile=values["agent_mobile"], unit=unit, real_name_verified_at=now,
            )
            # Account has no name column: the agent's name is kept with the audit entry of the opening.
            await audit.record(
                actor=staff, action=OPEN_ACTION, target_type="unit", target_id=unit.id, ip=ip,
                detail={"unit_name": unit.name, "credit_code": unit.credit_code, "agent_id": agent.id,
                        "agent_username": agent.username, "agent_name": values["agent_name"]},
            )
    except IntegrityError:
        # Taken by a colleague between the check and the insert: say which, like the check would.
        errors = {}
        if await Unit.exists(credit_code=values["credit_code"]):
            errors["credit_code"] = "taken"
        if await Account.exists(username=values["agent_username"]):
            errors["agent_username"] = "taken"
        if not errors:
            raise
        return Opening(errors)
    refused = await _send_setup_code(gateway, agent, now=now, secret=secret)
    return Opening(unit=unit, agent=agent, sms_refused=refused)


@dataclass(frozen=True)
class AgentRow:
    id: int
    username: str
    name: str  # from the opening's audit entry ("" when unknown)
    masked_mobile: str
    authenticated_at: datetime | None
    last_login_at: datetime | None
    code_sent_at: datetime | None  # the newest setup code
    code_expires_at: datetime | None
    code_used_at: datetime | None


@dataclass(frozen=True)
class UnitSummary:
    unit: Unit
    point_name: str
    agents: tuple[AgentRow, ...]


async def unit_of_point(unit_id: int, point_id: int | None) -> Unit | None:
    """The unit, if the staff's point opened it; another point's unit is None, like no unit."""
    if point_id is None:
        return None
    return await Unit.get_or_none(id=unit_id, point_id=point_id)


async def unit_summary(unit_id: int, point_id: int | None) -> UnitSummary | None:
    """The unit page: the unit, its agents, and the state of each agent's setup code."""
    unit = await unit_of_point(unit_id, point_id)
    if unit is None:
        return None
    point = await AcceptancePoint.get(id=unit.point_id)  # type: ignore[attr-defined]
    opened = await AuditEntry.filter(action=OPEN_ACTION, target_type="unit", target_id=str(unit.id)).first()
    names = {opened.detail.get("agent_username"): opened.detail.get("agent_name", "")} if opened else {}
    rows = []
    for agent in await Account.filter(unit_id=unit.id, role=Role.UNIT_AGENT).order_by("id"):
        code = await SmsCode.filter(mobile=agent.mobile, purpose=password_setup.PURPOSE).order_by("-created_at").first()
        rows.append(AgentRow(
            agent.id, agent.username, names.get(agent.username) or "", mask_mobile(agent.mobile),
            agent.real_name_verified_at, agent.last_login_at,
            code.created_at if code else None, code.expires_at if code else None, code.used_at if code else None,
        ))
    return UnitSummary(unit, point.name, tuple(rows))


async def recent_units(point_id: int, limit: int = RECENT_UNITS) -> list[Unit]:
    """The units the point opened most recently, for the counter menu."""
    return await Unit.filter(point_id=point_id).order_by("-created_at", "-id").limit(limit)


async def resend_setup_code(
    unit_id: int, agent_id: int, *, staff: Account, gateway: SmsGateway, now: datetime, ip: str, secret: str,
) -> str | None:
    """A new setup code for an agent of one of the point's units (the first text did not arrive or
    expired, or the agent forgot the password: the code sets a new one). Raises LookupError for
    another point's unit or agent; returns why no code was sent, or None."""
    unit = await unit_of_point(unit_id, staff.point_id)  # type: ignore[attr-defined]
    agent = await Account.get_or_none(id=agent_id, unit_id=unit.id, role=Role.UNIT_AGENT, is_active=True) if unit else None
    if unit is None or agent is None:
        raise LookupError("no such agent at this point")
    refused = await _send_setup_code(gateway, agent, now=now, secret=secret)
    await audit.record(actor=staff, action=SETUP_CODE_ACTION, target_type="unit", target_id=unit.id, ip=ip,
                       detail={"agent_username": agent.username, "sent": refused is None})
    return refused
