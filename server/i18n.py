"""The i18n catalogue: Vietnamese first, English second, through Babel's gettext catalogues.

msgids are English; each package keeps its own catalogue (server/translations, kiosk/translations,
display/translations, and those of the staff blueprints), and Flask-Babel merges them. The .po files
are the source in git; the .mo files are compiled from them at start-up when missing or stale.
Screens pick the language from `?lang=`, then the `hangcho_lang` cookie, then Vietnamese — never from
the browser's Accept-Language, because kiosk PCs are often set up in English.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel, force_locale, get_locale, gettext

from server.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")
LANGUAGE_COOKIE = "hangcho_lang"

babel = Babel()


def translation_directories() -> list[Path]:
    """Every `translations` folder of the project's packages (server's own sub-packages included)."""
    packages = ("server", "kiosk", "display", "hardware")
    found = sorted({path for package in packages for path in (PROJECT_ROOT / package).rglob("translations") if path.is_dir()})
    return found


def compile_catalogues(directories: Iterable[Path]) -> int:
    """Compile each messages.po whose .mo is missing or older; returns how many were compiled."""
    compiled = 0
    for directory in directories:
        for po_path in directory.glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            tmp_path = mo_path.with_suffix(".mo.tmp")
            with tmp_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            tmp_path.replace(mo_path)  # atomic: another process may be reading it
            compiled += 1
    return compiled


def select_language() -> str:
    if request:
        choice = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        if choice in LANGUAGES:
            return choice
    return "vi"


def init_i18n(app: Flask) -> None:
    directories = translation_directories()
    count = compile_catalogues(directories)
    if count:
        logger.info("compiled %d translation catalogue(s)", count)
    babel.init_app(
        app,
        locale_selector=select_language,
        default_locale="vi",
        default_translation_directories=";".join(str(d) for d in directories),
    )
    app.jinja_env.globals.update(get_locale=lambda: str(get_locale() or "vi"), catalogue=catalogue)


def catalogue(messages: dict[str, str]) -> dict[str, dict[str, str]]:
    """The given {key: English msgid} in both languages, for a page that switches without reloading."""
    result: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        with force_locale(language):
            result[language] = {key: gettext(msgid) for key, msgid in messages.items()}
    return result
