"""数码相片图像号: normalised, then 6-32 ASCII letters or digits."""

from __future__ import annotations

import pytest

from web.services.photos import normalise_photo_number, photo_number_error


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
        ("AB12C", "format"),  # 5
        ("AB12CD", None),  # 6
        ("a" * 32, None),
        ("a" * 33, "format"),
        ("  ab12cd\n", None),  # surrounding spaces are dropped
        ("AB 12CD", "format"),
        ("AB-12CD", "format"),
        ("照片123456", "format"),
        ("ＡＢ１２３４", "format"),  # full-width letters and digits
        ("123456\x00", "format"),
    ],
)
def test_photo_number_error(value: str | None, error: str | None) -> None:
    assert photo_number_error(value) == error


@pytest.mark.parametrize(("value", "normalised"), [(" sz2026ab01 ", "SZ2026AB01"), (None, ""), ("AB12CD", "AB12CD")])
def test_normalise_photo_number(value: str | None, normalised: str) -> None:
    assert normalise_photo_number(value) == normalised
