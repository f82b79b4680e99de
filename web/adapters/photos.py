"""Photo registries: fetch the photo a 数码相片图像号 stands for (DOMAIN §4).

DOMAIN Decision: the default registry (`LocalPhotoRegistry`) accepts every well-formed number and
serves a generated placeholder, since no photo studio is connected. A city connecting the
public-security photo service adds an adapter here and a setting to choose it (as SMS_BACKEND
chooses the SMS gateway); until then there is nothing to choose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from xml.sax.saxutils import escape

from web.services.photos import normalise_photo_number, photo_number_error
from web.settings import Settings

PLACEHOLDER_CONTENT_TYPE = "image/svg+xml"


@dataclass(frozen=True)
class Photo:
    number: str  # normalised
    content_type: str
    data: bytes


class PhotoRegistry(Protocol):
    async def lookup(self, number: str) -> Photo | None:
        """The photo of this number, or None when the registry has none (or the number is malformed)."""


# A neutral head-and-shoulders silhouette on the light blue of ID photos, 3:4 like a 358x441 ID
# photo, with the number under it. No external files, fonts or scripts: it is served as an image.
_PLACEHOLDER = """<svg xmlns="http://www.w3.org/2000/svg" width="240" height="320" viewBox="0 0 240 320" role="img" aria-label="{number}">
<rect width="240" height="320" fill="#dbe9f6"/>
<circle cx="120" cy="112" r="52" fill="#9aa7b4"/>
<path d="M28 276c0-58 41-92 92-92s92 34 92 92z" fill="#9aa7b4"/>
<rect y="276" width="240" height="44" fill="#ffffff"/>
<text x="120" y="304" font-family="monospace" font-size="{size}" text-anchor="middle" fill="#0b0c0c">{number}</text>
</svg>
"""


def placeholder_svg(number: str) -> bytes:
    """The placeholder photo of `number`: the silhouette with the number printed under it."""
    # Long numbers get a smaller font so that 32 characters still fit the 240-unit width.
    size = 16 if len(number) <= 20 else 10
    return _PLACEHOLDER.format(number=escape(number, {'"': "&quot;"}), size=size).encode("utf-8")


class LocalPhotoRegistry:
    """Every well-formed number has a photo: the placeholder (no studio is connected)."""

    async def lookup(self, number: str) -> Photo | None:
        if photo_number_error(number) is not None:
            return None
        normalised = normalise_photo_number(number)
        return Photo(normalised, PLACEHOLDER_CONTENT_TYPE, placeholder_svg(normalised))


def get_photo_registry(settings: Settings) -> PhotoRegistry:
    """The registry the service uses: only the local placeholder one for now, whatever the settings."""
    del settings  # kept in the signature so that a second registry needs no change at the callers
    return LocalPhotoRegistry()
