"""Photo registries (web/adapters/photos.py): the local one serves a placeholder for well-formed numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from web.adapters.photos import LocalPhotoRegistry, Photo, get_photo_registry, placeholder_svg
from web.settings import Settings

SVG = "{http://www.w3.org/2000/svg}"


async def test_a_well_formed_number_gets_the_placeholder_with_the_number_under_it() -> None:
    photo = await LocalPhotoRegistry().lookup(" sz2026ab01 ")

    assert isinstance(photo, Photo)
    assert photo.number == "SZ2026AB01" and photo.content_type == "image/svg+xml"
    root = ElementTree.fromstring(photo.data)
    assert root.tag == f"{SVG}svg"
    assert [text.text for text in root.iter(f"{SVG}text")] == ["SZ2026AB01"]


@pytest.mark.parametrize("number", ["", "AB12", "AB-12345", "照片123456", "A" * 33])
async def test_a_malformed_number_has_no_photo(number: str) -> None:
    assert await LocalPhotoRegistry().lookup(number) is None


def test_the_placeholder_is_self_contained() -> None:
    data = placeholder_svg("A" * 32).decode()
    # Served as an image: nothing it could fetch or run.
    assert "href" not in data and "<script" not in data and "url(" not in data
    assert 'font-size="10"' in data  # 32 characters still fit the width


def test_the_placeholder_escapes_what_it_prints() -> None:
    root = ElementTree.fromstring(placeholder_svg('<b>"&'))
    assert [text.text for text in root.iter(f"{SVG}text")] == ['<b>"&']


def test_the_settings_choose_the_local_registry(tmp_path: Path) -> None:
    settings = Settings(app_env="test", secret_key="k", var_dir=tmp_path)
    assert isinstance(get_photo_registry(settings), LocalPhotoRegistry)
