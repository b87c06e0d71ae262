"""The event enricher that adds the voice call (`announcement`) to `ticket_called` / `ticket_recalled`.

The enricher runs in the publisher, after the commit, and must not touch the database. It therefore
takes the site's voice settings from the event payload itself: the domain service copies the site's
`voice` block into every call event, read in the same transaction as the call. That is always current
in every server process (a per-process cache refreshed by `settings_changed` would go stale in the
processes that did not make the change when several run behind Redis), and it costs no query.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from display.voice.reading import (
    DEFAULT_WORDING,
    InvalidVoiceSettings,
    UnreadableNumber,
    VoiceSettings,
    announcement_payload,
)

logger = logging.getLogger(__name__)

CALL_EVENTS = ("ticket_called", "ticket_recalled")
PACKS_URL = "/display/voice/packs/"
DEFAULT_PACK = "default"


def pack_url(pack: str) -> str:
    """Where the display finds a pack's manifest and clips (same origin: no internet needed)."""
    return PACKS_URL + quote(pack or DEFAULT_PACK, safe="") + "/"


def voice_settings_from(voice: Mapping[str, Any] | None) -> VoiceSettings:
    """The reading settings of a site's `voice` block; unknown keys (pack, enabled) are not reading settings."""
    voice = voice or {}
    defaults = VoiceSettings()
    return VoiceSettings(
        variant=voice.get("variant", defaults.variant),
        number_style=voice.get("number_style", defaults.number_style),
        chime=bool(voice.get("chime", defaults.chime)),
        repeat=int(voice.get("repeat", defaults.repeat)),
        wording=voice.get("wording") or DEFAULT_WORDING,
    )


def call_announcement(number: str, counter_number: int | str, voice: Mapping[str, Any] | None) -> dict[str, Any]:
    """`{clips, text, pack_url, enabled}` of one call; a number that no clip can read gets no clips.

    With no clips the display falls back to browser speech of `text`, so an odd number is still called.
    """
    voice = voice or {}
    url = pack_url(str(voice.get("pack") or DEFAULT_PACK))
    enabled = bool(voice.get("enabled", True))
    try:
        settings = voice_settings_from(voice)
    except (InvalidVoiceSettings, TypeError, ValueError) as error:
        logger.warning("site voice settings %r are invalid (%s); using the defaults", dict(voice), error)
        settings = VoiceSettings()
    try:
        payload = announcement_payload(number, counter_number, settings, pack_url_base=url)
    except UnreadableNumber as error:
        logger.warning("ticket %s at counter %s has no voice clips: %s", number, counter_number, error)
        text = settings.wording.replace("{number}", str(number)).replace("{counter}", str(counter_number))
        payload = {"clips": [], "text": text, "pack_url": url}
    payload["enabled"] = enabled
    return payload


def enrich_call_event(event_type: str, payload: dict[str, Any]) -> None:
    """Event enricher: add `announcement` to call events (see the module docstring)."""
    if event_type not in CALL_EVENTS or payload.get("number") is None or payload.get("counter_number") is None:
        return
    payload["announcement"] = call_announcement(str(payload["number"]), payload["counter_number"], payload.get("voice"))
