"""One validator per kind of value: names, dates, ID numbers, mobiles, usernames, passwords...

Every check returns a reason code (None when the value is good), never a message: the caller
translates. Registration (web/services/registration.py), the profile, the counter and the
applications all check a value with the same rule, found here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from web.services import identity, rules

# Longer input is cut before anything else looks at it: nothing typed can fill the session store.
MAX_INPUT_LENGTH = 300
NAME_MAX_LENGTH = 64  # Person.name
HUKOU_ADDRESS_MAX_LENGTH = 255  # Person.hukou_address
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
PASSWORD_MAX_LENGTH = 128  # argon2 takes any length; a cap keeps one request's hashing cheap
# Usernames: 4-20 characters, a letter first, then letters, digits or underscores; stored lowercase.
USERNAME_MIN_LENGTH = 4
USERNAME_MAX_LENGTH = 20
_USERNAME_CHARACTERS = re.compile(r"[a-z0-9_]+")
# Names that would pass for the service itself in messages or screenshots.
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "system", "staff", "support", "service", "juzhu", "null"}
)
# Marks that appear in names: 买买提·艾力 (middle dots), O'Neil, Jean-Luc, St. John.
_NAME_MARKS = frozenset(" ·•・‧.-'’")
_BIRTH_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{4})(\d{2})(\d{2})")
_SMS_CODE = re.compile(r"[0-9]{6}")
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


def text(form: Mapping[str, Any], name: str) -> str:
    """A form field as text: absent, or a file where text belongs (a multipart POST), is ""."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def clip(value: object) -> str:
    return value[:MAX_INPUT_LENGTH] if isinstance(value, str) else ""


def _squash(raw: str) -> str:
    """Surrounding and repeated whitespace (ideographic spaces included) removed."""
    return " ".join(clip(raw).split())


# --- one rule per kind of value -------------------------------------------------------------------


def check_account_type(raw: str) -> str | None:
    """Only personal accounts are registered online; unit accounts only at an acceptance point."""
    if raw == "personal":
        return None
    return "unit" if raw == "unit" else "missing"


def normalize_name(raw: str) -> str:
    return _squash(raw)


def check_name(name: str) -> str | None:
    """missing, too_long, characters (letters, combining marks, spaces and a few name marks only)."""
    if not name:
        return "missing"
    if len(name) > NAME_MAX_LENGTH:
        return "too_long"
    if any(unicodedata.category(char)[0] not in "LM" and char not in _NAME_MARKS for char in name):
        return "characters"
    return None


def check_sex(raw: str) -> str | None:
    return None if raw in ("M", "F") else "missing"


def check_ethnicity(raw: str) -> str | None:
    return None if raw in {entry.code for entry in rules.ETHNICITIES} else "missing"


def parse_birth_date(raw: str, *, today: date) -> tuple[date | None, str | None]:
    """The date typed (YYYY-MM-DD, also with / . 年月日 or as 8 digits, full-width digits too), or why not:
    missing, format (not a real date, e.g. 2026-02-30), future, too_early."""
    text = "".join(unicodedata.normalize("NFKC", clip(raw)).split())
    if not text:
        return None, "missing"
    match = _BIRTH_DATE.fullmatch(text)
    if not match:
        return None, "format"
    parts = [int(part) for part in match.groups() if part is not None]
    try:
        day = date(*parts)
    except ValueError:
        return None, "format"
    if day > today:
        return None, "future"
    if day < EARLIEST_BIRTH_DATE:
        return None, "too_early"
    return day, None


def check_id_number(raw: str, *, today: date, sex: str | None, birth_date: date | None) -> tuple[str, str | None]:
    """The ID number as stored, and why it fails: missing, the identity.check_citizen_id reasons
    (length, format, province, birth_date, checksum), then sex_mismatch / birth_date_mismatch when
    it disagrees with what step 2 says."""
    number = identity.normalize_id_number(clip(raw))
    if not number:
        return number, "missing"
    if reason := identity.check_citizen_id(number, today=today):
        return number, reason
    if sex is not None and birth_date is not None:
        mismatch = identity.check_citizen_id_matches(number, sex=sex, birth_date=birth_date)
        if mismatch:
            return number, f"{mismatch}_mismatch"
    return number, None


def normalize_hukou_address(raw: str) -> str:
    return _squash(raw)


def check_hukou_address(address: str) -> str | None:
    if not address:
        return "missing"
    if len(address) > HUKOU_ADDRESS_MAX_LENGTH:
        return "too_long"
    if any(unicodedata.category(char)[0] == "C" for char in address):
        return "characters"
    return None


def check_mobile(raw: str) -> tuple[str, str | None]:
    """The 11-digit number (full-width digits, spaces, +86 accepted), or why not: missing, format."""
    text = clip(raw)
    if not text.strip():
        return "", "missing"
    mobile = identity.normalize_mobile(text)
    return (mobile, None) if mobile else (text.strip(), "format")


def normalize_username(raw: str) -> str:
    """As stored and as typed at login: full-width letters to ASCII, no spaces, lowercase."""
    return "".join(unicodedata.normalize("NFKC", clip(raw)).split()).lower()


def check_username(username: str) -> str | None:
    """missing, length (4-20), start (a letter first), characters (a-z, 0-9, _), taken (reserved)."""
    if not username:
        return "missing"
    if not USERNAME_MIN_LENGTH <= len(username) <= USERNAME_MAX_LENGTH:
        return "length"
    if not ("a" <= username[0] <= "z"):
        return "start"
    if not _USERNAME_CHARACTERS.fullmatch(username):
        return "characters"
    if username in RESERVED_USERNAMES:
        return "taken"
    return None


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords (web/data/README.md says where the list comes from)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_password(password: str, *, username: str, id_number: str) -> str | None:
    """missing, too_short, too_long, contains_username, contains_id_number, common.

    Case does not matter: "Password1" is as guessable as "password1", and a username or an ID
    number (with x or X) inside the password is found whatever its case.
    """
    if not password:
        return "missing"
    if len(password) < rules.PASSWORD_MIN_LENGTH:
        return "too_short"
    if len(password) > PASSWORD_MAX_LENGTH:
        return "too_long"
    folded = password.casefold()
    if username and username.casefold() in folded:
        return "contains_username"
    if id_number and id_number.casefold() in folded:
        return "contains_id_number"
    if folded in common_passwords():
        return "common"
    return None


def check_password_confirm(password: str, confirm: str) -> str | None:
    if not confirm:
        return "missing"
    return None if confirm == password else "mismatch"


def check_sms_code(raw: str) -> tuple[str, str | None]:
    """The 6 digits typed (full-width digits and spaces accepted), or "format"."""
    code = "".join(unicodedata.normalize("NFKC", clip(raw)).split())
    return code, None if _SMS_CODE.fullmatch(code) else "format"


def check_agree(raw: str) -> str | None:
    return None if raw else "missing"
