"""The province catalogue: the standard list of fields (lĩnh vực) that the central publishes to every
site over the uplink. Its version is a digest of its content, so every central process names the same
version without bookkeeping, and a site asks for the list only when the version differs from the one it
applied (the site applies it through its own audited admin code, server/administration.py)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server import errors
from server.province.models import CatalogueField

MAX_ENTRIES = 500
COLUMNS = ("code", "name", "name_en", "prefix")


def catalogue_entries(session: Session) -> list[dict[str, Any]]:
    """The catalogue in its order: [{code, name, name_en, prefix}]."""
    return [{"code": row.code, "name": row.name, "name_en": row.name_en, "prefix": row.prefix}
            for row in session.scalars(select(CatalogueField).order_by(CatalogueField.position, CatalogueField.id))]


def catalogue_version(entries: list[dict[str, Any]]) -> str:
    """"" for no catalogue (nothing to apply); else the first 16 hex digits of the content's SHA-256."""
    if not entries:
        return ""
    canonical = json.dumps(entries, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def published(session: Session) -> dict[str, Any]:
    entries = catalogue_entries(session)
    return {"version": catalogue_version(entries), "fields": entries}


def _checked(entries: Any) -> list[dict[str, str]]:
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise errors.ValidationFailed(fields={"fields": f"a list of at most {MAX_ENTRIES} fields"})
    checked: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"fields.{index}"
        if not isinstance(entry, dict):
            raise errors.ValidationFailed(fields={where: "code, name, name_en, prefix"})
        values = {column: entry.get(column, "") for column in COLUMNS}
        if any(not isinstance(value, str) for value in values.values()):
            raise errors.ValidationFailed(fields={where: "text values"})
        values = {column: value.strip() for column, value in values.items()}
        problems = {}
        if not values["code"] or len(values["code"]) > 32:
            problems[f"{where}.code"] = "1–32 characters"
        elif values["code"] in seen:
            problems[f"{where}.code"] = "appears twice"
        if not values["name"] or len(values["name"]) > 200:
            problems[f"{where}.name"] = "1–200 characters"
        if len(values["name_en"]) > 200:
            problems[f"{where}.name_en"] = "at most 200 characters"
        if len(values["prefix"]) > 8 or any(not (c.isascii() and c.isalpha()) for c in values["prefix"]):
            problems[f"{where}.prefix"] = "ASCII letters only, at most 8"
        if any(ord(character) < 32 for value in values.values() for character in value):
            problems[where] = "control characters are not allowed"
        if problems:
            raise errors.ValidationFailed(fields=problems)
        seen.add(values["code"])
        checked.append({**values, "prefix": values["prefix"].upper()})
    return checked


def replace_catalogue(session: Session, entries: Any) -> dict[str, Any]:
    """The province's new list (all or nothing: a bad entry refuses the whole list); flushes, the caller
    commits. Sites pick it up at their next hello (within a heartbeat)."""
    checked = _checked(entries)
    session.execute(delete(CatalogueField))
    session.add_all(CatalogueField(position=index, **entry) for index, entry in enumerate(checked))
    session.flush()
    return published(session)


def parse_catalogue_csv(text: str) -> list[dict[str, str]]:
    """A CSV with a header row (code,name required; name_en, prefix optional), UTF-8 with or without BOM."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=None))
    try:
        header = {(column or "").strip() for column in reader.fieldnames or ()}
        if not {"code", "name"} <= header:
            raise errors.ValidationFailed(fields={"csv": "header must include code,name"})
        return [{column: (row.get(column) or "").strip() for column in COLUMNS} for row in reader]
    except csv.Error:
        raise errors.ValidationFailed(fields={"csv": "this file cannot be read as CSV"}) from None
