"""个人信息 rules: basic information, password and mobile changes, forgotten passwords, sign-in history.

Checks return reason codes per field (field name → code), never messages: the controller translates.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from litestar.stores.base import Store
from tortoise.exceptions import IntegrityError

from web.models import Account, IdType, LoginEvent, Person, Sex
from web.services import auth, passwords, ratelimit, sms, validators
from web.services.identity import normalize_id_number

# --- Basic information ------------------------------------------------------------------------------
# The fields are registration's, their checks web/services/validators.py's: one rule per value.

DETAIL_FIELDS = ("name", "sex", "ethnicity", "birth_date", "id_number", "hukou_address")
# 实名认证 fixes who the account belongs to: staff checked these against the ID card at the counter.
LOCKED_AFTER_AUTHENTICATION = frozenset({"name", "id_number", "sex", "birth_date"})


def locked_fields(account: Account) -> frozenset[str]:
    """The basic-information fields this account may no longer change."""
    return LOCKED_AFTER_AUTHENTICATION if account.real_name_verified_at else frozenset()


def details_form(person: Person | None) -> dict[str, str]:
    """The details form filled with what is stored (the GET of the edit page)."""
    if person is None:
        return dict.fromkeys(DETAIL_FIELDS, "")
    return {
        "name": person.name,
        "sex": person.sex.value if person.sex else "",
        "ethnicity": person.ethnicity,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "id_number": person.id_number,
        "hukou_address": person.hukou_address,
    }


@dataclass(frozen=True)
class DetailsCheck:
    """The cleaned values of the editable fields, and a reason code for each field that is wrong:
    registration's codes (check_name, check_sex, check_ethnicity, parse_birth_date, check_id_number,
    check_hukou_address), plus id_number "taken" (another person's number)."""

    values: dict[str, object]
    errors: dict[str, str]


def check_details(raw: Mapping[str, str], *, editable: frozenset[str], id_type: IdType, today: date) -> DetailsCheck:
    """Check the fields of `raw` that may be changed; the others are not even read."""
    checked: dict[str, tuple[object, str | None]] = {}  # field -> (cleaned value, reason)
    if "name" in editable:
        name = validators.normalize_name(raw.get("name", ""))
        checked["name"] = (name, validators.check_name(name))
    if "sex" in editable:
        sex = validators.clip(raw.get("sex", ""))
        reason = validators.check_sex(sex)
        checked["sex"] = (Sex(sex) if reason is None else sex, reason)
    if "ethnicity" in editable:
        ethnicity = validators.clip(raw.get("ethnicity", ""))
        checked["ethnicity"] = (ethnicity, validators.check_ethnicity(ethnicity))
    if "birth_date" in editable:
        checked["birth_date"] = validators.parse_birth_date(raw.get("birth_date", ""), today=today)
    if "id_number" in editable:
        if id_type == IdType.RESIDENT_ID:
            # The number must agree with the sex and birth date given with it, as at registration.
            sex_value, birth_value = checked.get("sex", (None, None))[0], checked.get("birth_date", (None, None))[0]
            checked["id_number"] = validators.check_id_number(
                raw.get("id_number", ""), today=today,
                sex=sex_value if isinstance(sex_value, Sex) else None,
                birth_date=birth_value if isinstance(birth_value, date) else None,
            )
        else:
            # Passports and travel permits: no checksum to test; the counter checked the document.
            number = normalize_id_number(validators.clip(raw.get("id_number", "")))
            checked["id_number"] = (number, None if number else "missing")
    if "hukou_address" in editable:
        address = validators.normalize_hukou_address(raw.get("hukou_address", ""))
        checked["hukou_address"] = (address, validators.check_hukou_address(address))
    errors = {name: reason for name, (_, reason) in checked.items() if reason}
    return DetailsCheck(values={name: value for name, (value, reason) in checked.items() if not reason},
                        errors=errors)


async def update_details(account: Account, person: Person, raw: Mapping[str, str], *, today: date) -> dict[str, str]:
    """Save the basic information typed on the form; returns the errors (nothing saved) or {}.

    Once the account is authenticated, name, ID number, sex and birth date are ignored whatever
    the form sends: only the fields still editable are read.
    """
    editable = frozenset(DETAIL_FIELDS) - locked_fields(account)
    result = check_details(raw, editable=editable, id_type=person.id_type, today=today)
    errors = dict(result.errors)
    number = result.values.get("id_number")
    if "id_number" not in errors and number and number != person.id_number:
        if await Person.filter(id_type=person.id_type, id_number=number).exclude(id=person.id).exists():
            errors["id_number"] = "taken"
    if errors:
        return {name: errors[name] for name in DETAIL_FIELDS if name in errors}
    changed = [name for name, value in result.values.items() if getattr(person, name) != value]
    if not changed:
        return {}
    for name in changed:
        setattr(person, name, result.values[name])
    try:
        await person.save(update_fields=changed)
    except IntegrityError:
        return {"id_number": "taken"}  # taken between the check and the save
    return {}


# --- Password ---------------------------------------------------------------------------------------

# Tries of the current password per account, before it is hashed: a borrowed session must not
# become a way to guess the password (OWASP ASVS 2.2.1).
PASSWORD_CHANGE_TRIES = 5
PASSWORD_CHANGE_WINDOW_SECONDS = 15 * 60
PASSWORD_FIELDS = ("current_password", "password", "password_confirm")


@dataclass(frozen=True)
class PasswordCheck:
    """Codes: current_password missing/wrong/too_many (until `retry_at`); password missing, same
    (as the current one) or validators.check_password's; password_confirm missing/mismatch."""

    errors: dict[str, str] = field(default_factory=dict)
    retry_at: datetime | None = None


def check_new_password(password: str, confirm: str, *, username: str, id_number: str) -> dict[str, str]:
    """The new password and its confirmation, under the registration policy (no hashing)."""
    reasons = {
        "password": validators.check_password(password, username=username, id_number=id_number),
        "password_confirm": validators.check_password_confirm(password, confirm),
    }
    return {name: reason for name, reason in reasons.items() if reason}


async def check_password_change(
    account: Account, *, current: str, password: str, confirm: str, id_number: str,
    store: Store, now: datetime,
) -> PasswordCheck:
    """Whether the account may change its password to `password`; nothing is saved."""
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "missing"
    errors.update(check_new_password(password, confirm, username=account.username, id_number=id_number))
    if errors:
        return PasswordCheck({name: errors[name] for name in PASSWORD_FIELDS if name in errors})
    retry_at = await ratelimit.hit(
        store, f"password-change:{account.id}", limit=PASSWORD_CHANGE_TRIES,
        window_seconds=PASSWORD_CHANGE_WINDOW_SECONDS, now=now,
    )
    if retry_at is not None:
        return PasswordCheck({"current_password": "too_many"}, retry_at=retry_at)
    if not passwords.verify_password(account.password_hash, current):
        return PasswordCheck({"current_password": "wrong"})
    if password == current:
        return PasswordCheck({"password": "same"})
    return PasswordCheck()


# --- Mobile -----------------------------------------------------------------------------------------


async def check_new_mobile(account: Account, raw: str) -> tuple[str | None, str | None]:
    """(the 11-digit number, None) or (None, reason): missing, format, same, taken."""
    mobile, reason = validators.check_mobile(raw)
    if reason:
        return None, reason
    if mobile == account.mobile:
        return None, "same"
    if await Account.filter(mobile=mobile).exclude(id=account.id).exists():
        return None, "taken"
    return mobile, None


def normalize_code(raw: str) -> str | None:
    """The 6 digits of an SMS code as typed (full-width digits and spaces allowed), or None."""
    code, reason = validators.check_sms_code(raw)
    return None if reason else code


async def change_mobile(
    account: Account, *, raw_mobile: str, raw_code: str, now: datetime, secret: str
) -> tuple[str | None, dict[str, str]]:
    """Bind the new number once its code (sent to that number) is right: (new mobile, {}) or (None, errors).

    Codes: mobile as check_new_mobile; sms_code format or an sms.CodeRejected reason. The code is
    not tried while the number is wrong, so a typo in the number costs none of its 5 tries.
    `verified_mobile` stays the old number: the next login asks for an SMS code (DOMAIN §2).
    """
    mobile, reason = await check_new_mobile(account, raw_mobile)
    code = normalize_code(raw_code)
    errors: dict[str, str] = {}
    if reason:
        errors["mobile"] = reason
    if code is None:
        errors["sms_code"] = "format"
    if errors or mobile is None or code is None:
        return None, errors
    try:
        await sms.verify_code(mobile=mobile, purpose="change_mobile", code=code, now=now, secret=secret)
    except sms.CodeRejected as rejected:
        return None, {"sms_code": rejected.reason}
    account.mobile = mobile
    await account.save(update_fields=["mobile"])
    return mobile, {}


# --- Forgotten password -----------------------------------------------------------------------------
# The visitor gives a username and an ID number. Whether they belong together must not show: the
# page answers the same either way, a code goes only to the number bound to a matching account, and
# a non-matching request runs through the same states (sent, wrong, expired, too many tries) as
# a real code would. The progress is kept in the server-side session, never in the URL.

# Requests for a reset code, counted whether or not the details match (so the limit reveals nothing).
RESET_REQUESTS_PER_IP_PER_HOUR = 10
RESET_REQUESTS_PER_USERNAME_PER_HOUR = 5
# Minutes between a right code and the new password.
RESET_CONFIRM_MINUTES = 10


def check_reset_identity(username: str, id_number: str, *, today: date) -> dict[str, str]:
    """Codes: username missing; id_number as validators.check_id_number. No account is read."""
    reasons = {
        "username": None if validators.normalize_username(username) else "missing",
        "id_number": validators.check_id_number(id_number, today=today, sex=None, birth_date=None)[1],
    }
    return {name: reason for name, reason in reasons.items() if reason}


def reset_digest(secret: str, username: str, id_number: str) -> str:
    """Names a (username, ID number) pair in the session without keeping the ID number there."""
    message = f"{validators.normalize_username(username)}\n{normalize_id_number(id_number)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def find_reset_account(username: str, id_number: str) -> Account | None:
    """The active account of that username whose person has that ID number, else None."""
    account = await Account.get_or_none(username=validators.normalize_username(username), is_active=True)
    if account is None or account.person_id is None:
        return None
    person = await Person.get_or_none(id=account.person_id)
    if person is None or person.id_number != normalize_id_number(id_number):
        return None
    return account


async def reset_request_refused(
    store: Store, *, username: str, ip: str, now: datetime
) -> sms.SmsRefused | None:
    """The limits on asking for reset codes, the same for matching and non-matching details."""
    user_key = hashlib.sha256(validators.normalize_username(username).encode()).hexdigest()[:32]
    for key, limit in ((f"reset-ip:{ip}", RESET_REQUESTS_PER_IP_PER_HOUR),
                       (f"reset-user:{user_key}", RESET_REQUESTS_PER_USERNAME_PER_HOUR)):
        retry_at = await ratelimit.hit(store, key, limit=limit, window_seconds=3600, now=now)
        if retry_at is not None:
            return sms.SmsRefused("ip_limit" if key.startswith("reset-ip") else "account_limit", retry_at)
    return None


def new_reset_request(secret: str, username: str, id_number: str, now: datetime) -> dict[str, Any]:
    """What the session keeps after a code was asked for (JSON-safe)."""
    return {"who": reset_digest(secret, username, id_number), "sent_at": now.timestamp(), "attempts": 0}


def resend_wait(state: Mapping[str, Any] | None, *, now: datetime) -> datetime | None:
    """When another code may be asked for in this browser, if not yet (as the SMS service's 60 s)."""
    if not state or "sent_at" not in state:
        return None
    allowed = datetime.fromtimestamp(float(state["sent_at"]), tz=now.tzinfo) + sms.LIMITS.resend_after
    return allowed if allowed > now else None


async def verify_reset_code(
    state: dict[str, Any] | None, *, username: str, id_number: str, raw_code: str,
    now: datetime, secret: str,
) -> tuple[Account | None, str | None]:
    """(the account, None) when the code sent for these details is right, else (None, reason):
    format, or an sms.CodeRejected reason (missing, expired, too_many_attempts, wrong).

    `state` is the session's request record; it counts the tries of a non-matching request.
    """
    code = normalize_code(raw_code)
    if code is None:
        return None, "format"
    if not state or state.get("who") != reset_digest(secret, username, id_number):
        return None, "missing"  # no code was asked for with these details in this browser
    account = await find_reset_account(username, id_number)
    if account is not None:
        try:
            await sms.verify_code(mobile=account.mobile, purpose="reset_password", code=code,
                                  now=now, secret=secret)
        except sms.CodeRejected as rejected:
            return None, rejected.reason
        return account, None
    # No such account: walk through the states a real code would, in verify_code's order.
    attempts = int(state.get("attempts", 0))
    if attempts >= sms.LIMITS.max_attempts:
        return None, "too_many_attempts"
    if now.timestamp() - float(state["sent_at"]) >= sms.LIMITS.code_ttl.total_seconds():
        return None, "expired"
    state["attempts"] = attempts + 1
    return None, "too_many_attempts" if attempts + 1 >= sms.LIMITS.max_attempts else "wrong"


def reset_confirmed(state: Mapping[str, Any] | None, *, now: datetime) -> int | None:
    """The account id whose code was right in this browser, while the new password may be set."""
    if not state or "account_id" not in state:
        return None
    if now.timestamp() - float(state.get("verified_at", 0)) > RESET_CONFIRM_MINUTES * 60:
        return None
    return int(state["account_id"])


async def reset_password(account: Account, password: str, *, now: datetime) -> None:
    """Set the new password and sign the account out everywhere (devices forgotten too)."""
    await auth.change_password(account, password, now=now)  # revokes remembered devices
    await auth.end_sessions(account)


async def id_number_of(account: Account) -> str:
    """The ID number of the account's person ("" without one), for the password policy."""
    if account.person_id is None:
        return ""
    person = await Person.get_or_none(id=account.person_id)
    return person.id_number if person else ""


# --- Sign-in history --------------------------------------------------------------------------------

SIGN_IN_HISTORY = 20


@dataclass(frozen=True)
class SignIn:
    at: datetime
    browser: str | None  # product names, not translated: "Chrome", "WeChat"
    system: str | None  # "Windows", "iPhone", "Android"
    ip_masked: str
    success: bool


# Order matters: many browsers also name the ones they are built on ("Chrome ... Safari").
_BROWSERS = (
    ("MicroMessenger", "WeChat"),
    ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("Edg/", "Edge"), ("Edge/", "Edge"),
    ("OPR/", "Opera"), ("Opera", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("QQBrowser", "QQ Browser"), ("UCBrowser", "UC Browser"), ("Quark", "Quark"),
    ("Baidu", "Baidu"), ("MiuiBrowser", "Mi Browser"), ("HuaweiBrowser", "Huawei Browser"),
    ("CriOS", "Chrome"), ("FxiOS", "Firefox"), ("Firefox/", "Firefox"),
    ("HeadlessChrome", "Chrome"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"),
    ("Version/", "Safari"),  # Safari says "Version/17.0 ... Safari/605": only after the others
)
_SYSTEMS = (
    ("HarmonyOS", "HarmonyOS"), ("OpenHarmony", "HarmonyOS"),
    ("iPhone", "iPhone"), ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"), ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> tuple[str | None, str | None]:
    """(browser, operating system) read simply from a User-Agent header; None where unknown."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    return browser, system


async def recent_sign_ins(account_id: int, limit: int = SIGN_IN_HISTORY) -> list[SignIn]:
    """The account's latest sign-in attempts, successful or not, newest first."""
    events = await LoginEvent.filter(account_id=account_id).order_by("-at", "-id").limit(limit)
    return [
        SignIn(event.at, *describe_device(event.user_agent), ip_masked=event.ip_masked, success=event.success)
        for event in events
    ]
