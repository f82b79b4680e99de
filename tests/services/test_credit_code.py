"""The unified social credit code check (统一社会信用代码, GB 32100-2015; DOMAIN §7) in
web/services/identity.py, as the counter uses it when opening a unit account."""

from __future__ import annotations

import pytest

from web.services.identity import (
    check_credit_code,
    credit_check_character,
    make_credit_code,
    normalize_credit_code,
)

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: 31 characters, no I, O, S, V, Z

# Codes printed on published business licences, and the example of the standard itself.
VALID = (
    "91350100M000100Y43",  # GB 32100-2015's example
    "914403001922038216",
    "91440300708461136T",
    "91330100716105852F",
    "91440300192317458F",
    "91110000802100433B",
    "12100000400000624D",  # 1 = 机构编制 (a public institution), not only 9 = 工商 (enterprises)
)


@pytest.mark.parametrize("code", VALID)
def test_published_codes_are_valid(code: str) -> None:
    assert check_credit_code(code) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        # wrong check character: each valid code with another last character
        ("91350100M000100Y44", "checksum"),
        ("914403001922038217", "checksum"),
        ("91440300708461136U", "checksum"),
        ("91330100716105852E", "checksum"),
        # two neighbouring characters swapped: the weights catch it
        ("91350100M000100Y34", "checksum"),
        # wrong length
        ("", "length"),
        ("91350100M000100Y4", "length"),  # 17
        ("91350100M000100Y433", "length"),  # 19
        ("9135010", "length"),
        # I, O, Z, S and V are not in the alphabet (mistaken for 1, 0, 2, 5 and U)
        ("91350100M000100YI3", "format"),
        ("91350100M0O0100Y43", "format"),
        ("91350100MZ00100Y43", "format"),
        ("9135S100M000100Y43", "format"),
        ("91350100M000V00Y43", "format"),
        ("91350100M000100Y4I", "format"),  # not even as the check character
        # other characters
        ("91350100m000100y43", "format"),  # lower case: normalize first
        ("91350100M000100Y4-", "format"),
        ("91350100M000100Y4 ", "format"),
        ("91350100М000100Y43", "format"),  # a Cyrillic М that looks like M
    ],
)
def test_invalid_codes_give_their_reason(code: str, reason: str) -> None:
    assert check_credit_code(code) == reason


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        (" 91350100ｍ000100y43 ", "91350100M000100Y43"),  # full-width, lower case, spaces
        ("9135 0100 M000 100Y 43", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
    ],
)
def test_typed_codes_are_normalized_before_the_check(raw: str, normalized: str) -> None:
    assert normalize_credit_code(raw) == normalized
    assert check_credit_code(normalized) is None


@pytest.mark.parametrize("code", VALID)
def test_exactly_one_check_character_fits_each_code(code: str) -> None:
    fitting = [char for char in ALPHABET if check_credit_code(code[:17] + char) is None]
    assert fitting == [code[17]]


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        ("91350100M000100Y4", "3"),
        ("00000000000000000", "0"),  # Σ = 0: (31 - 0) mod 31 = 0, not 31
        ("10000000000000000", "Y"),  # Σ = 1: 30 is the last character of the alphabet
        ("Y0000000000000000", "1"),  # Σ = 30
    ],
)
def test_check_character_at_the_edges_of_the_modulus(first17: str, check: str) -> None:
    assert credit_check_character(first17) == check


def test_make_credit_code_adds_the_check_character_and_refuses_bad_input() -> None:
    assert make_credit_code("91350100M000100Y4") == "91350100M000100Y43"
    with pytest.raises(ValueError):
        make_credit_code("91350100M000100I4")
    with pytest.raises(ValueError):
        make_credit_code("91350100M000100Y")
