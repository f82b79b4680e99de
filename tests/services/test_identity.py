"""Citizen ID, unified social credit code and mobile number checks (DOMAIN §7)."""

from __future__ import annotations

from datetime import date

import pytest

from web.models import Sex
from web.services.identity import (
    PROVINCE_CODES,
    check_citizen_id,
    check_citizen_id_matches,
    check_credit_code,
    make_credit_code,
    make_id_number,
    mask_id_number,
    mask_mobile,
    normalize_credit_code,
    normalize_id_number,
    normalize_mobile,
    parse_citizen_id,
)

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002X", None),  # DOMAIN §7 example
        ("440524188001010014", None),  # DOMAIN §7 example: born 1880 is old, not impossible
        ("110105194912310021", "checksum"),
        ("440524188001010015", "checksum"),
        ("11010519491231002", "length"),
        ("11010519491231002XX", "length"),
        ("", "length"),
        ("1101051949123100AX", "format"),
        ("11010519491231002Y", "format"),
        ("110105１９491231002X", "format"),  # full-width digits: normalize first
        ("99010519491231002X", "province"),
        ("00010519491231002X", "province"),
        ("110105194902300024", "birth_date"),  # 30 February
        ("110105194913010024", "birth_date"),  # month 13
        (make_id_number("440304", date(2026, 3, 2), 11), "birth_date"),  # born tomorrow
        (make_id_number("440304", date(2026, 3, 1), 11), None),  # born today
        (make_id_number("440304", date(2000, 2, 29), 11), None),  # a leap day
    ],
)
def test_check_citizen_id(number: str, reason: str | None) -> None:
    assert check_citizen_id(number, today=TODAY) == reason


def test_there_are_34_province_level_codes() -> None:
    assert len(PROVINCE_CODES) == 34
    assert {"11", "44", "65", "71", "81", "82"} <= PROVINCE_CODES


@pytest.mark.parametrize(
    ("number", "birth_date", "sex"),
    [
        ("11010519491231002X", date(1949, 12, 31), Sex.FEMALE),  # sequence 002: even
        ("440524188001010014", date(1880, 1, 1), Sex.MALE),  # sequence 001: odd
    ],
)
def test_parse_citizen_id_reads_birth_date_and_sex(number: str, birth_date: date, sex: Sex) -> None:
    facts = parse_citizen_id(number)
    assert (facts.birth_date, facts.sex, facts.address_code) == (birth_date, sex, number[:6])


@pytest.mark.parametrize(
    ("sex", "birth_date", "reason"),
    [
        (Sex.FEMALE, date(1949, 12, 31), None),
        (Sex.MALE, date(1949, 12, 31), "sex"),
        (Sex.FEMALE, date(1949, 12, 30), "birth_date"),
    ],
)
def test_entered_sex_and_birth_date_must_agree_with_the_number(sex: Sex, birth_date: date, reason: str | None) -> None:
    assert check_citizen_id_matches("11010519491231002X", sex=sex, birth_date=birth_date) == reason


@pytest.mark.parametrize(
    ("address_code", "birth_date", "sequence", "expected"),
    [
        ("110105", date(1949, 12, 31), 2, "11010519491231002X"),
        ("440524", date(1880, 1, 1), 1, "440524188001010014"),
    ],
)
def test_make_id_number_adds_the_check_character(
    address_code: str, birth_date: date, sequence: int, expected: str
) -> None:
    assert make_id_number(address_code, birth_date, sequence) == expected


@pytest.mark.parametrize("sequence", [0, 1000])
def test_make_id_number_refuses_a_sequence_outside_1_to_999(sequence: int) -> None:
    with pytest.raises(ValueError):
        make_id_number("110105", date(1990, 1, 1), sequence)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002X ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),  # full-width digits and x
        ("\u3000440524188001010014\t", "440524188001010014"),  # ideographic space
    ],
)
def test_normalize_id_number(raw: str, expected: str) -> None:
    assert normalize_id_number(raw) == expected


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("44030419900101123X", "4403**********123X"),
        ("E12345678", "E1*****78"),  # a passport: most of it hidden
        ("12345", "*****"),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y43", None),  # the example of GB 32100-2015
        (make_credit_code("91440300MA5DEM001"), None),
        ("91350100M000100Y44", "checksum"),
        ("91350100M000100Y4", "length"),
        ("91350100M000100YI3", "format"),  # I, O, S, V, Z are not in the alphabet
        ("91350100m000100y43", "format"),  # lower case: normalize first
    ],
)
def test_check_credit_code(code: str, reason: str | None) -> None:
    assert check_credit_code(code) == reason


def test_normalize_credit_code() -> None:
    assert normalize_credit_code(" 91350100ｍ000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits
        ("19912345678", "19912345678"),
        ("12800138000", None),  # second digit 2
        ("1380013800", None),  # 10 digits
        ("138001380001", None),  # 12 digits
        ("+8513800138000", None),
        ("138-0013-8000", None),
        ("١٣٨٠٠١٣٨٠٠٠", None),  # Arabic-Indic digits are not ASCII digits
        ("", None),
    ],
)
def test_normalize_mobile(raw: str, expected: str | None) -> None:
    assert normalize_mobile(raw) == expected


@pytest.mark.parametrize(
    ("mobile", "masked"),
    [("13800138000", "138****8000"), ("1380013", "*******")],
)
def test_mask_mobile_keeps_the_first_three_and_last_four_digits(mobile: str, masked: str) -> None:
    assert mask_mobile(mobile) == masked
