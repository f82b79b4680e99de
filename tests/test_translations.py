"""The Simplified Chinese catalogue covers every message the templates and the Python code use."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from web.i18n import read_catalogue

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = PROJECT_ROOT / "babel.cfg"
HOW_TO_FIX = (
    "run: .venv/bin/pybabel extract -F babel.cfg -o web/translations/messages.pot --no-location "
    "--sort-output . && .venv/bin/pybabel update -i web/translations/messages.pot -d web/translations "
    "-l zh --ignore-obsolete --no-fuzzy-matching, then translate in "
    "web/translations/zh/LC_MESSAGES/messages.po; or add the entries by hand to the .po file of "
    "your area in that folder (web/i18n.py merges every .po file there)"
)


def _only_project_sources(path: str) -> bool:
    """Skip hidden folders (.venv, .git) and var/, as pybabel's own walk skips hidden ones."""
    name = Path(path).name
    return not name.startswith((".", "_")) and name not in {"var", "node_modules"}


@cache
def extracted() -> Catalog:
    """Every message the code uses, found the way `pybabel extract -F babel.cfg` finds them."""
    with BABEL_CFG.open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, str(BABEL_CFG))
    catalogue = Catalog()
    for filename, lineno, message, _comments, context in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, directory_filter=_only_project_sources
    ):
        catalogue.add(message, None, [(filename, lineno)], context=context)
    return catalogue


@cache
def chinese() -> Catalog:
    return read_catalogue("zh")


def _is_translated(string: str | tuple[str, ...] | None) -> bool:
    if isinstance(string, tuple | list):
        return bool(string) and all(string)
    return bool(string)


def _describe(message_id: str | tuple[str, ...], locations: list[tuple[str, int | None]]) -> str:
    where = ", ".join(f"{path}:{line}" for path, line in locations[:3])
    return f"  {message_id!r}  ({where})"


def test_extraction_finds_the_messages_of_the_layout() -> None:
    # Guards the guard: an extraction that found nothing would pass every other test here.
    assert "Skip to main content" in extracted()
    assert "There is a problem" in extracted()


def test_every_message_has_a_simplified_chinese_translation() -> None:
    problems = []
    for message in extracted():
        if not message.id:
            continue
        translation = chinese().get(message.id, message.context)
        if translation is None:
            problems.append(_describe(message.id, message.locations) + " missing")
        elif translation.fuzzy:
            problems.append(_describe(message.id, message.locations) + " fuzzy")
        elif not _is_translated(translation.string):
            problems.append(_describe(message.id, message.locations) + " untranslated")
    assert not problems, (
        f"{len(problems)} message(s) without a Simplified Chinese translation:\n"
        + "\n".join(problems) + f"\n{HOW_TO_FIX}"
    )


def test_catalogue_has_no_obsolete_entries() -> None:
    in_use = {(message.id if isinstance(message.id, str) else message.id[0], message.context)
              for message in extracted() if message.id}
    unused = [
        f"  {message.id!r}" for message in chinese()
        if message.id and (message.id if isinstance(message.id, str) else message.id[0],
                           message.context) not in in_use
    ]
    unused += [f"  {message_id!r} (#~ obsolete)" for message_id in chinese().obsolete]
    assert not unused, (
        f"{len(unused)} catalogue entr(ies) no longer used by the code:\n" + "\n".join(unused)
        + f"\n{HOW_TO_FIX}"
    )


def test_translations_keep_the_placeholders_of_their_message() -> None:
    # newstyle gettext formats every message with %: a lost or renamed %(name)s raises at render time.
    problems = [
        f"  {message.id!r}: {'; '.join(str(error) for error in errors)}"
        for message, errors in chinese().check()
        if errors
    ]
    assert not problems, "translations that break their placeholders:\n" + "\n".join(problems)


def test_each_message_is_translated_in_one_file_only() -> None:
    # web/i18n.py merges the area files; a message in two of them would silently take one of them.
    from collections import Counter

    from babel.messages.pofile import read_po

    from web.i18n import CATALOGUE_DIR

    seen: Counter[str] = Counter()
    for po_path in (CATALOGUE_DIR / "zh" / "LC_MESSAGES").glob("*.po"):
        with po_path.open("rb") as po_file:
            seen.update(message.id for message in read_po(po_file) if message.id)
    twice = sorted(message_id for message_id, count in seen.items() if count > 1)
    assert not twice, "translated in more than one .po file:\n" + "\n".join(f"  {m!r}" for m in twice)
