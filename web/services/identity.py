"""Identity numbers: citizen ID (GB 11643-1999), unified social credit code (GB 32100-2015), mobile.

Checks return a reason code (None when valid), never a message: the caller translates the code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from web.models.people import Sex

# GB 11643-1999: weights of positions 1-17 and the check character for S mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# The 34 province-level divisions (GB/T 2260): the first two digits of an address code.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",  # 北京 天津 河北 山西 内蒙古
        "21", "22", "23",  # 辽宁 吉林 黑龙江
        "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
        "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
        "50", "51", "52", "53", "54",  # 重庆 四川 贵州 云南 西藏
        "61", "62", "63", "64", "65",  # 陕西 甘肃 青海 宁夏 新疆
        "71", "81", "82",  # 台湾 香港 澳门
    }
)  # fmt: skip

# GB 32100-2015: 31 characters (no I, O, S, V, Z) and the weights of positions 1-17.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_MOBILE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")


@dataclass(frozen=True)
class CitizenId:
    """What a valid citizen ID number says about its holder."""

    number: str
    address_code: str
    birth_date: date
    sex: Sex  # an odd sequence number is male


def _compact(raw: str) -> str:
    """Full-width letters and digits to ASCII (NFKC), all whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", raw).split())


def normalize_id_number(raw: str) -> str:
    """The ID number as stored: ASCII, no spaces, upper case (a typed lowercase x is X)."""
    return _compact(raw).upper()


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def check_citizen_id(number: str, *, today: date) -> str | None:
    """Why a normalized citizen ID number is invalid: length, format, province, birth_date, checksum.

    The birth date must exist and not lie after `today`.
    """
    if len(number) != 18:
        return "length"
    if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        return "format"
    if number[:2] not in PROVINCE_CODES:
        return "province"
    birth_date = _birth_date(number)
    if birth_date is None or birth_date > today:
        return "birth_date"
    if id_check_character(number[:17]) != number[17]:
        return "checksum"
    return None


def parse_citizen_id(number: str) -> CitizenId:
    """Address code, birth date and sex of a number that passed check_citizen_id."""
    birth_date = _birth_date(number)
    if birth_date is None:
        raise ValueError("not a valid citizen ID number")
    return CitizenId(
        number=number,
        address_code=number[:6],
        birth_date=birth_date,
        sex=Sex.MALE if int(number[14:17]) % 2 else Sex.FEMALE,
    )


def check_citizen_id_matches(number: str, *, sex: str, birth_date: date) -> str | None:
    """Whether the sex and birth date entered on a form agree with a valid number: sex, birth_date."""
    facts = parse_citizen_id(number)
    if facts.birth_date != birth_date:
        return "birth_date"
    if facts.sex != sex:
        return "sex"
    return None


def make_id_number(address_code: str, birth_date: date, sequence: int) -> str:
    """A citizen ID number with its check character (for the seed and tests).

    `sequence` is 1-999: odd for a man, even for a woman.
    """
    if len(address_code) != 6 or not address_code.isdigit() or not 0 < sequence < 1000:
        raise ValueError("address_code must be 6 digits and sequence 1-999")
    first17 = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


def mask_id_number(number: str) -> str:
    """Personal data on screen: 4403**********123X, the first and last four characters only.

    Short numbers (passports) keep fewer characters so that most of the number stays hidden.
    """
    keep = 4 if len(number) >= 12 else 2 if len(number) >= 6 else 0
    if keep == 0:
        return "*" * len(number)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def normalize_credit_code(raw: str) -> str:
    return _compact(raw).upper()


def credit_check_character(first17: str) -> str:
    total = sum(
        _CREDIT_ALPHABET.index(char) * weight
        for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str | None:
    """Why a normalized unified social credit code (统一社会信用代码) is invalid: length, format, checksum."""
    if len(code) != 18:
        return "length"
    if any(char not in _CREDIT_ALPHABET for char in code):
        return "format"
    if credit_check_character(code[:17]) != code[17]:
        return "checksum"
    return None


def make_credit_code(first17: str) -> str:
    """A unified social credit code with its check character (for the seed and tests)."""
    if len(first17) != 17 or any(char not in _CREDIT_ALPHABET for char in first17):
        raise ValueError("first17 must be 17 characters of the GB 32100 alphabet")
    return first17 + credit_check_character(first17)


def normalize_mobile(raw: str) -> str | None:
    """The 11-digit mobile number, or None when it is not a mainland mobile number.

    Accepts full-width digits, spaces and a +86 / 86 prefix: `^(?:\\+?86)?1[3-9]\\d{9}$`.
    """
    match = _MOBILE.fullmatch(_compact(raw))
    return match.group(1) if match else None


def mask_mobile(mobile: str) -> str:
    """A mobile number as shown back to its owner: 138****8000."""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) == 11 else "*" * len(mobile)
