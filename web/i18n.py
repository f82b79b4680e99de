"""Translations: Babel catalogues read at start-up, the request's locale in a context variable."""

from __future__ import annotations

import io
from collections.abc import Iterable
from contextvars import ContextVar
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Message ids are English; Simplified Chinese is the default language of the service.
LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
LOCALE_COOKIE = "lang"
CATALOGUE_DIR = Path(__file__).parent / "translations"

_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def read_catalogue(locale: str) -> Catalog:
    """All .po files of a locale merged into one catalogue.

    Each area may keep its own file (messages.po, auth.po, ...) so that work on different areas
    never edits the same file; a message must be translated in exactly one of them.
    """
    merged = Catalog(locale=locale)
    for po_path in sorted((CATALOGUE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po_file:
            for message in read_po(po_file, locale=locale):
                if message.id:
                    merged[message.id] = message
    return merged


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of one locale, compiled in memory from its .po files (no .mo build step)."""
    catalogue = read_catalogue(locale)
    if not len(catalogue):
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(fp=buffer)


def current_locale() -> str:
    return _locale.get()


def gettext(message: str) -> str:
    """The message in the request's language. Python code formats the result itself."""
    return translations(_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_locale.get()).ngettext(singular, plural, n)


def code_options(entries: Iterable[Any]) -> list[tuple[str, str]]:
    """A code list (rules.Label, rules.Ethnicity: .code, .zh, .en) as (code, name) pairs in the
    request's language, for selects, radios and lookups."""
    chinese = _locale.get() == "zh"
    return [(entry.code, entry.zh if chinese else entry.en) for entry in entries]


def set_locale(locale: str) -> None:
    """Use this locale for the rest of the current task (tests and CLI scripts)."""
    _locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def _requested_locale(scope: Scope) -> tuple[str, bool]:
    """The locale asked for by ?lang= (to be remembered in a cookie) or by the cookie."""
    query = scope.get("query_string", b"").decode("latin-1")
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == "lang" and value in LOCALES:
            return value, True
    for name, raw in scope.get("headers", []):
        if name == b"cookie":
            cookie = SimpleCookie()
            try:
                cookie.load(raw.decode("latin-1"))
            except Exception:  # a malformed cookie header must not break the page
                continue
            if LOCALE_COOKIE in cookie and cookie[LOCALE_COOKIE].value in LOCALES:
                return cookie[LOCALE_COOKIE].value, False
    return DEFAULT_LOCALE, False


class LocaleMiddleware:
    """Sets the request's locale; `?lang=en|zh` also stores the choice in a cookie for a year."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        locale, remember = _requested_locale(scope)
        token = _locale.set(locale)

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers.add(
                    "set-cookie",
                    f"{LOCALE_COOKIE}={locale}; Path=/; Max-Age=31536000; SameSite=Lax",
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            _locale.reset(token)
