"""Hostile input stops here, once for every route: integers the database cannot hold, JSON nested deep
enough to exhaust the parser's recursion, and control characters that PostgreSQL refuses (NUL) or that
no screen should show.

- Path integers: the app's `int` URL converter is bounded to the database's INTEGER range, so
  `/tickets/9223372036854775808` is simply a path that matches nothing (404).
- Query strings, HTML form posts and the path: a control character is refused before any view runs
  (422 naming the field, 404 for a path).
- JSON: the app's JSON provider refuses documents nested deeper than MAX_JSON_DEPTH before the parser
  recurses, and the `NaN`/`Infinity` constants that are not JSON (400). Strings inside JSON bodies are
  checked where bodies are read (server/api/validation.py `json_body`), which every JSON route uses.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from server import errors
from server.errors import N_

# PostgreSQL INTEGER (the type of every id and number column); SQLite's is wider.
DB_INT_MAX = 2**31 - 1
DB_INT_MIN = -(2**31)
# Deepest nesting any request of the API needs is 4 (settings → rating → buttons → button).
MAX_JSON_DEPTH = 32

# C0 controls except tab, line feed and carriage return; DEL and C1 controls; lone UTF-16 surrogates
# (JSON "\ud800" decodes to one, and no database encodes it).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_PROBLEM = N_("must not contain control characters")


class BoundedIntegerConverter(IntegerConverter):
    """Werkzeug's `int` converter, limited to what an INTEGER column holds: a larger id names nothing."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min if min is not None else 0,
                         max=max if max is not None else DB_INT_MAX, signed=signed)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def first_control_character(value: Any, location: str = "") -> str | None:
    """The location ("reasons.2", "body") of the first key or string holding a control character."""
    if isinstance(value, str):
        return (location or "body") if has_control_characters(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{location}.{key}" if location else str(key)
            if has_control_characters(str(key)):
                return where
            found = first_control_character(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = first_control_character(item, f"{location}.{index}" if location else str(index))
            if found:
                return found
    return None


def refuse_control_characters(value: Any) -> None:
    """422 naming the field when any string (or key) of `value` holds a control character."""
    location = first_control_character(value)
    if location is not None:
        raise errors.ValidationFailed(fields={location: CONTROL_PROBLEM})


_ESCAPES = re.compile(rb"\\.", re.DOTALL)
_STRINGS = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def json_depth_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the document nests arrays/objects deeper than `limit`, or its brackets do not pair up
    (the parser would refuse it anyway, but only after recursing into it). Linear work in C: drop
    escapes, then strings, then everything but brackets; each round removes the innermost pairs."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # cannot be deeper than its number of openings
    brackets = _STRINGS.sub(b"", _ESCAPES.sub(b"", data)).translate(None, _NOT_BRACKETS)
    for _level in range(limit):
        if not brackets:
            return False
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            return True
        brackets = shorter
    return bool(brackets)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing over-deep documents before parsing and the non-JSON NaN/Infinity."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        data = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else s
        if json_depth_exceeds(data):
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH}")
        kwargs.setdefault("parse_constant", _refuse_constant)
        return json.loads(s, **kwargs)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def check_request_text() -> None:
    """before_request hook: no control character in the path, the query string or a form post."""
    if has_control_characters(request.path):
        raise errors.NotFound()
    for source in (request.args, request.form if request.mimetype in FORM_TYPES else None):
        for key, values in (source.lists() if source else ()):
            if has_control_characters(key) or any(has_control_characters(value) for value in values):
                location = "query" if has_control_characters(key) else key
                raise errors.ValidationFailed(fields={location: CONTROL_PROBLEM})


def init_inputs(app: Flask) -> None:
    """Install the bounded converter (before any route is added), the JSON provider and the hook."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json_provider_class = BoundedJSONProvider
    app.json = BoundedJSONProvider(app)
    app.before_request(check_request_text)
