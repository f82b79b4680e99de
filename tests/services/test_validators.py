"""The rules for single values (web/services/validators.py): names, dates, ID numbers, mobiles, passwords."""

from __future__ import annotations

from datetime import date

import pytest

from web.services import validators
from web.services.identity import make_id_number
from web.services.validators import (
    check_account_type,
    check_hukou_address,
    check_id_number,
    check_mobile,
    check_name,
    check_password,
    check_password_confirm,
    check_sms_code,
    check_username,
    normalize_username,
    parse_birth_date,
)

TODAY = date(2026, 3, 1)
BIRTH_DATE = date(1990, 3, 27)
ID_NUMBER = make_id_number("440304", BIRTH_DATE, 123)  # a man
PASSWORD = "Lychee-harbour-42"

# --- one rule per kind of value ---------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "reason"), [
    ("personal", None), ("unit", "unit"), ("", "missing"), ("Personal", "missing"), ("staff", "missing"),
])
def test_only_personal_accounts_are_registered_online(raw: str, reason: str | None) -> None:
    assert check_account_type(raw) == reason


@pytest.mark.parametrize(("raw", "reason"), [
    ("张伟", None),
    ("  张　伟 ", None),  # spaces, the ideographic one included, are squashed
    ("买买提·艾力", None),
    ("O'Neil Jean-Luc", None),
    ("", "missing"),
    ("   ", "missing"),
    ("张" * 64, None),
    ("张" * 65, "too_long"),
    ("张伟2", "characters"),
    ("<b>张伟</b>", "characters"),
    ("张\x00伟", "characters"),
])
def test_name(raw: str, reason: str | None) -> None:
    assert check_name(validators.normalize_name(raw)) == reason


@pytest.mark.parametrize(("raw", "expected", "reason"), [
    ("1990-03-27", date(1990, 3, 27), None),
    ("1990-3-7", date(1990, 3, 7), None),
    ("1990/03/27", date(1990, 3, 27), None),
    ("1990年3月27日", date(1990, 3, 27), None),
    ("19900327", date(1990, 3, 27), None),
    ("１９９０－０３－２７", date(1990, 3, 27), None),  # full-width digits and hyphens
    ("2000-02-29", date(2000, 2, 29), None),  # a leap day
    ("2026-03-01", TODAY, None),  # born today
    ("1900-01-01", date(1900, 1, 1), None),
    ("", None, "missing"),
    ("2026-02-30", None, "format"),
    ("1990-13-01", None, "format"),
    ("1999-02-29", None, "format"),
    ("27/03/1990", None, "format"),
    ("yesterday", None, "format"),
    ("2026-03-02", None, "future"),
    ("1899-12-31", None, "too_early"),
])
def test_birth_date(raw: str, expected: date | None, reason: str | None) -> None:
    assert parse_birth_date(raw, today=TODAY) == (expected, reason)


def id_ending_in_x() -> str:
    number = next(make_id_number("110105", date(1949, 12, 31), n) for n in range(1, 1000)
                  if make_id_number("110105", date(1949, 12, 31), n).endswith("X"))
    return number


@pytest.mark.parametrize(("raw", "sex", "birth_date", "expected", "reason"), [
    (ID_NUMBER, "M", BIRTH_DATE, ID_NUMBER, None),
    (ID_NUMBER, None, None, ID_NUMBER, None),  # step 2 not answered yet: no comparison
    (" ".join([ID_NUMBER[:6], ID_NUMBER[6:14], ID_NUMBER[14:]]), "M", BIRTH_DATE, ID_NUMBER, None),
    (ID_NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９")), "M", BIRTH_DATE, ID_NUMBER, None),
    ("11010519491231002x", "F", date(1949, 12, 31), "11010519491231002X", None),  # DOMAIN §7 example
    ("", "M", BIRTH_DATE, "", "missing"),
    ("4403041990032712", "M", BIRTH_DATE, "4403041990032712", "length"),
    ("44030419900327123Y", "M", BIRTH_DATE, "44030419900327123Y", "format"),
    (make_id_number("990304", BIRTH_DATE, 123), "M", BIRTH_DATE, None, "province"),
    ("440304199002301230", "M", BIRTH_DATE, None, "birth_date"),
    (make_id_number("440304", date(2026, 3, 2), 123), "M", BIRTH_DATE, None, "birth_date"),  # born tomorrow
    (ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1"), "M", BIRTH_DATE, None, "checksum"),
    (ID_NUMBER, "F", BIRTH_DATE, ID_NUMBER, "sex_mismatch"),
    (ID_NUMBER, "M", date(1990, 3, 28), ID_NUMBER, "birth_date_mismatch"),
    (make_id_number("440304", BIRTH_DATE, 124), "M", BIRTH_DATE, None, "sex_mismatch"),
    (ID_NUMBER, "F", date(1991, 1, 1), ID_NUMBER, "birth_date_mismatch"),  # the date is named first
])
def test_id_number(raw: str, sex: str | None, birth_date: date | None, expected: str | None,
                   reason: str | None) -> None:
    number, found = check_id_number(raw, today=TODAY, sex=sex, birth_date=birth_date)
    assert found == reason
    if expected is not None:
        assert number == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("广东省深圳市福田区福中三路1号", None), ("", "missing"), ("  ", "missing"), ("地" * 255, None),
    ("地" * 256, "too_long"), ("福田\x00区", "characters"), ("福田\u200b区", "characters"),
])
def test_hukou_address(raw: str, reason: str | None) -> None:
    assert check_hukou_address(validators.normalize_hukou_address(raw)) == reason


@pytest.mark.parametrize(("raw", "expected", "reason"), [
    ("13812345678", "13812345678", None),
    ("138 1234 5678", "13812345678", None),
    ("+86 138-1234-5678".replace("-", " "), "13812345678", None),
    ("８６１３８１２３４５６７８", "13812345678", None),
    ("", "", "missing"),
    ("12812345678", "12812345678", "format"),
    ("1381234567", "1381234567", "format"),
    ("138123456789", "138123456789", "format"),
])
def test_mobile(raw: str, expected: str, reason: str | None) -> None:
    assert check_mobile(raw) == (expected, reason)


@pytest.mark.parametrize(("raw", "normalized", "reason"), [
    ("zhangwei", "zhangwei", None),
    ("ZhangWei_90", "zhangwei_90", None),  # stored lowercase
    (" ｚｈａｎｇ ", "zhang", None),  # full-width letters and spaces
    ("abcd", "abcd", None),
    ("a" * 20, "a" * 20, None),
    ("", "", "missing"),
    ("abc", "abc", "length"),
    ("a" * 21, "a" * 21, "length"),
    ("1zhang", "1zhang", "start"),
    ("_zhang", "_zhang", "start"),
    ("zhang-wei", "zhang-wei", "characters"),
    ("zhang.wei", "zhang.wei", "characters"),
    ("张伟张伟", "张伟张伟", "start"),
    ("admin", "admin", "taken"),  # reserved
    ("Admin", "admin", "taken"),
])
def test_username(raw: str, normalized: str, reason: str | None) -> None:
    assert normalize_username(raw) == normalized
    assert check_username(normalized) == reason


@pytest.mark.parametrize(("password", "reason"), [
    (PASSWORD, None),
    ("", "missing"),
    ("Sh0rt!x", "too_short"),  # 7 characters
    ("Lychee-8", None),  # exactly 8
    ("x" * 128 + "Q", "too_long"),
    ("x" * 120 + "Q" * 8, None),
    ("password", "common"),
    ("Password1", "common"),  # case does not make a common password safe
    ("QWERTYUIOP", "common"),
    ("1qaz2wsx", "common"),
    ("my-zhangwei-key", "contains_username"),
    ("ZHANGWEI!2026", "contains_username"),
    (f"id:{ID_NUMBER}", "contains_id_number"),
    (f"id:{ID_NUMBER.lower()}", "contains_id_number"),
])
def test_password_policy(password: str, reason: str | None) -> None:
    assert check_password(password, username="zhangwei", id_number=ID_NUMBER) == reason


def test_a_password_with_an_x_ending_id_number_in_lowercase_is_refused() -> None:
    number = id_ending_in_x()
    assert check_password(f"my{number.lower()}", username="someone", id_number=number) == "contains_id_number"


@pytest.mark.parametrize(("password", "confirm", "reason"), [
    (PASSWORD, PASSWORD, None), (PASSWORD, "", "missing"), (PASSWORD, PASSWORD.lower(), "mismatch"),
    ("", "", "missing"),
])
def test_password_confirmation(password: str, confirm: str, reason: str | None) -> None:
    assert check_password_confirm(password, confirm) == reason


@pytest.mark.parametrize(("raw", "expected", "reason"), [
    ("123456", "123456", None), (" 123 456 ", "123456", None), ("１２３４５６", "123456", None),
    ("", "", "format"), ("12345", "12345", "format"), ("1234567", "1234567", "format"), ("12a456", "12a456", "format"),
])
def test_sms_code_format(raw: str, expected: str, reason: str | None) -> None:
    assert check_sms_code(raw) == (expected, reason)


def test_the_common_password_list_holds_the_10000_most_common() -> None:
    common = validators.common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "12345678", "iloveyou"} <= common
    assert all(entry == entry.lower() for entry in common)
