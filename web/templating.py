"""The Jinja environment: translations, and the few globals every template may use."""

from __future__ import annotations

from jinja2 import Environment

from web import i18n
from web.settings import Settings


def configure_environment(env: Environment, settings: Settings) -> None:
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        current_locale=i18n.current_locale,
        html_lang=lambda: i18n.HTML_LANG[i18n.current_locale()],
        settings=settings,
    )
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
