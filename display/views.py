"""The display blueprint: the hall board, the counter display page, and the voice packs they play.

Both pages are shells (public HTML); their live data comes only over Socket.IO with the display's
device key (`?key=` once, then remembered by the browser). Voice packs are public static files: the
clips say nothing a citizen does not hear in the hall anyway.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, render_template, send_from_directory
from werkzeug.wrappers import Response

from display.voice.announce import enrich_call_event
from display.voice.pack import MANIFEST
from server.auth.access import public
from server.errors import N_
from server.models import Counter
from server.runtime import EXTENSION_KEY, db_session, runtime

logger = logging.getLogger(__name__)

blueprint = Blueprint(
    "display",
    __name__,
    url_prefix="/display",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# A pack is a folder name: letters, digits, dot, dash and underscore, never starting with a dot.
PACK_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")
# Clips rarely change; the manifest is revalidated on every page load so a re-recorded pack shows up.
CLIP_MAX_AGE_S = 24 * 3600


# --------------------------------------------------------------------------- pages

def _page_strings() -> dict[str, str]:
    """Strings the scripts show, as English msgids; the page gets both languages (see `catalogue`)."""
    return {
        "offline": N_("Connection lost"),
        "no_key": N_("This screen has no device key yet. Open it once with ?key=<display device key>."),
        "bad_key": N_("The device key of this screen was not accepted. Ask the administrator for a display key."),
        "invite": N_("Please come forward, number"),
        "counter": N_("Counter"),
        "paused": N_("Paused"),
        "closed": N_("Closed"),
        "next": N_("Next"),
        "no_calls": N_("No calls yet today"),
        "call_line": N_("Please come forward, number {number}, to counter {counter}"),
        "no_counter": N_("This counter does not exist or is no longer in use."),
        "idle": N_("Ready to serve"),
        "idle_hint": N_("Please wait for your number on the screens and speakers"),
    }


@blueprint.get("/hall")
@public
def hall():  # type: ignore[no-untyped-def]
    """The hall board (1920×1080 TV): latest calls, counters, waiting counts, clock, notice, voice."""
    return render_template("display/hall.html", strings=_page_strings())


@blueprint.get("/counter/<int:counter_id>")
@public
def counter(counter_id: int):  # type: ignore[no-untyped-def]
    """One counter's display: its current number, huge; "Tạm dừng" when paused."""
    found = db_session().get(Counter, counter_id)
    if found is None or not found.active:
        abort(404)
    return render_template("display/counter.html", strings=_page_strings(), counter_id=found.id,
                           counter_number=found.number)


# --------------------------------------------------------------------------- voice packs

class _ManifestFiles:
    """The file names each pack's manifest lists, re-read when the manifest changes on disk."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def files(self, manifest_path: Path) -> frozenset[str]:
        """File names listed in the manifest; empty when it is missing or unreadable (nothing is served)."""
        try:
            mtime = manifest_path.stat().st_mtime
        except OSError:
            return frozenset()
        with self._lock:
            cached = self._cache.get(manifest_path)
            if cached is not None and cached[0] == mtime:
                return cached[1]
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            clips = manifest.get("clips", {}) if isinstance(manifest, dict) else {}
            names = frozenset(
                entry["file"] for entry in clips.values() if isinstance(entry, dict) and isinstance(entry.get("file"), str)
            )
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            logger.warning("voice pack manifest %s cannot be read: %s", manifest_path, error)
            names = frozenset()
        with self._lock:
            self._cache[manifest_path] = (mtime, names)
        return names


_manifest_files = _ManifestFiles()


@blueprint.get("/voice/packs/<pack>/<path:filename>")
@public
def voice_pack_file(pack: str, filename: str) -> Response:
    """A pack's manifest.json or one of the clip files it lists; anything else is 404."""
    if not PACK_NAME.match(pack):
        abort(404)
    pack_dir = Path(runtime().settings.voice_pack_dir) / pack
    if filename == MANIFEST:
        if not (pack_dir / MANIFEST).is_file():
            abort(404)
        response = send_from_directory(pack_dir, MANIFEST, max_age=0, mimetype="application/json")
        response.cache_control.no_cache = True
        response.cache_control.public = True
        return response
    if filename not in _manifest_files.files(pack_dir / MANIFEST):
        abort(404)
    # send_from_directory refuses names that leave the folder, even if a manifest lists one.
    response = send_from_directory(pack_dir, filename, max_age=CLIP_MAX_AGE_S)
    response.cache_control.public = True
    return response


# --------------------------------------------------------------------------- set-up

def init_app(app: Flask) -> None:
    """Add the voice call to `ticket_called` / `ticket_recalled` before they are pushed."""
    runtime_of_app: Any = app.extensions[EXTENSION_KEY]
    if enrich_call_event not in runtime_of_app.event_enrichers:
        runtime_of_app.event_enrichers.append(enrich_call_event)
