"""数码相片图像号 (the photo receipt number): how it is written, and when it is well-formed.

DOMAIN §4 Decision: 6-32 letters or digits. An approved studio or booth issues it once the photo
passed the public-security check; web/adapters/photos.py looks it up to fetch the photo.
"""

from __future__ import annotations

import re

from web.services import rules

# ASCII only: str.isalnum() would also take Chinese characters and full-width digits.
_PHOTO_NUMBER = re.compile(
    rf"[A-Z0-9]{{{rules.PHOTO_NUMBER_MIN_LENGTH},{rules.PHOTO_NUMBER_MAX_LENGTH}}}"
)


def normalise_photo_number(value: str | None) -> str:
    """The number as stored and looked up: surrounding spaces dropped, letters in upper case
    (receipts print it in capitals; people type it either way)."""
    return (value or "").strip().upper()


def photo_number_error(value: str | None) -> str | None:
    """Why the typed number cannot be a photo number: "required" (nothing typed) or "format"
    (not 6-32 letters or digits); None when it is well-formed."""
    number = normalise_photo_number(value)
    if not number:
        return "required"
    if _PHOTO_NUMBER.fullmatch(number) is None:
        return "format"
    return None
