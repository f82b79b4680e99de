"""The Jinja environment: translations, and the few globals every template may use."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from web import i18n
from web.services import rules
from web.services.clock import SHENZHEN
from web.settings import Settings

# Babel's locale for each of our languages; en_GB writes dates as GOV.UK does ("7 March 2026").
BABEL_LOCALE = {"zh": "zh_Hans_CN", "en": "en_GB"}
# The city's service hotline, shown in every page's footer (12345: Shenzhen's government hotline).
SERVICE_HOTLINE = "12345"


def long_date(day: date | None) -> str:
    """A date in words in the request's language: 2026年3月7日 / 7 March 2026."""
    if day is None:
        return ""
    return format_date(day, format="long", locale=BABEL_LOCALE[i18n.current_locale()])


def local_datetime(moment: datetime | None) -> str:
    """A stored (UTC) moment as Shenzhen time: 2026年3月7日 14:05:03 / 7 Mar 2026, 14:05:03."""
    if moment is None:
        return ""
    return format_datetime(
        moment, format="medium", tzinfo=SHENZHEN, locale=BABEL_LOCALE[i18n.current_locale()]
    )


@pass_context
def signed_in_user(context: Context) -> object | None:
    """The account the access guard loaded for this request (no query of its own), or None."""
    request = context.get("request")
    return None if request is None else request.state.dict().get("account")


@pass_context
def unread_messages(context: Context) -> int:
    """Unread system messages of the signed-in account, counted by the guard for full pages."""
    request = context.get("request")
    return 0 if request is None else request.state.dict().get("unread_messages", 0)


def configure_environment(env: Environment, settings: Settings) -> None:
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        current_locale=i18n.current_locale,
        html_lang=lambda: i18n.HTML_LANG[i18n.current_locale()],
        settings=settings,
        service_hotline=SERVICE_HOTLINE,
        signed_in_user=signed_in_user,
        unread_messages=unread_messages,
        session_idle_seconds=rules.SESSION_IDLE_MINUTES * 60,
        session_warning_seconds=rules.SESSION_IDLE_WARNING_MINUTES * 60,
    )
    env.filters.update(long_date=long_date, local_datetime=local_datetime)
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
