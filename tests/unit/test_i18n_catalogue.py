"""Every user-facing string in code and templates has a Vietnamese translation in a catalogue."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from server.i18n import translation_directories
from server.settings import PROJECT_ROOT

PACKAGES = ("server", "kiosk", "display")
KEYWORDS = {"_": None, "gettext": None, "N_": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]


def extracted_messages() -> dict[str, str]:
    """msgid → first place it appears, across the project's packages."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        directory = PROJECT_ROOT / package
        if not directory.exists():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(directory), METHOD_MAP, keywords=KEYWORDS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
        ):
            if "/translations/" in filename or "/tests/" in filename:
                continue
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def vietnamese_catalogue() -> dict[str, str]:
    merged: dict[str, str] = {}
    for directory in translation_directories():
        po_path = Path(directory) / "vi" / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale="vi")
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                merged[message.id if isinstance(message.id, str) else message.id[0]] = (
                    message.string if isinstance(message.string, str) else message.string[0]
                )
    return merged


def test_the_core_catalogue_exists() -> None:
    assert (PROJECT_ROOT / "server" / "translations" / "vi" / "LC_MESSAGES" / "messages.po").exists()


def test_every_message_has_a_vietnamese_translation() -> None:
    messages = extracted_messages()
    catalogue = vietnamese_catalogue()
    missing = {msgid: where for msgid, where in messages.items() if msgid not in catalogue}
    assert len(messages) > 50
    assert missing == {}, "untranslated:\n" + "\n".join(f"{where}: {msgid!r}" for msgid, where in sorted(missing.items()))


def test_translations_keep_their_placeholders() -> None:
    import re

    placeholder = re.compile(r"%\((\w+)\)s")
    catalogue = vietnamese_catalogue()
    broken = {msgid: text for msgid, text in catalogue.items()
              if sorted(placeholder.findall(msgid)) != sorted(placeholder.findall(text))}
    assert broken == {}
