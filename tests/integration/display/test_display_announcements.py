"""The voice call in the events: `ticket_called` / `ticket_recalled` carry the announcement the hall plays.

The enricher adds `announcement` = announcement_payload(number, counter number, the site's voice
settings) without touching the database: the service puts the site's voice block in the call event,
read in the same transaction as the call, so a settings change takes effect at the next call in every
server process.
"""
from __future__ import annotations

import threading
from typing import Any

import socketio

from display.voice import VoiceSettings, announcement, announcement_payload
from display.voice.announce import call_announcement, enrich_call_event

DISPLAY_KEY = "demo-display-1"
KIOSK_KEY = "demo-kiosk-1"


class DisplayListener:
    """A python-socketio client that connects as the hall display and keeps every call event."""

    def __init__(self, url: str) -> None:
        self.client = socketio.Client(reconnection=False)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.arrived = threading.Condition()
        for name in ("ticket_called", "ticket_recalled"):
            self.client.on(name, self._keeper(name))
        self.client.connect(url, auth={"token": DISPLAY_KEY}, transports=["websocket"], wait_timeout=10)

    def _keeper(self, name: str):  # type: ignore[no-untyped-def]
        def keep(payload: dict[str, Any]) -> None:
            with self.arrived:
                self.calls.append((name, payload))
                self.arrived.notify_all()
        return keep

    def wait_for(self, count: int, timeout_s: float = 10) -> list[tuple[str, dict[str, Any]]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.calls) >= count, timeout=timeout_s), self.calls
            return list(self.calls)

    def close(self) -> None:
        self.client.disconnect()


def _issue(live_server, service_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = live_server.api("POST", "/tickets", token=KIOSK_KEY, json={"service_id": service_id, "priority": None})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_call_and_its_recall_carry_the_vietnamese_announcement(live_server) -> None:  # type: ignore[no-untyped-def]
    clerk = live_server.login("canbo1")
    listener = DisplayListener(live_server.url)
    try:
        ticket = _issue(live_server, 1)
        called = live_server.api("POST", "/counters/1/call-next", token=clerk).json()
        live_server.api("POST", f"/tickets/{called['id']}/recall", token=clerk).raise_for_status()

        (first_name, first), (second_name, second) = listener.wait_for(2)
    finally:
        listener.close()

    assert ticket["number"] == called["number"] == "1001"
    assert (first_name, second_name) == ("ticket_called", "ticket_recalled")
    expected = {**announcement_payload("1001", 1, VoiceSettings(), pack_url_base="/display/voice/packs/default/"),
                "enabled": True}
    assert first["announcement"] == expected
    assert second["announcement"] == expected
    assert first["announcement"]["clips"] == [
        "chime", "phrase_moi_cong_dan_co_so", "mot", "nghin", "khong", "tram", "linh", "mot", "phrase_den_quay_so", "mot",
    ]
    assert first["announcement"]["text"] == "Mời công dân có số một nghìn không trăm linh một đến quầy số một"


def test_the_announcement_follows_the_sites_voice_settings_at_once(live_server) -> None:  # type: ignore[no-untyped-def]
    clerks = {counter: live_server.login(f"canbo{counter}") for counter in (1, 4)}
    listener = DisplayListener(live_server.url)
    try:
        _issue(live_server, 1)
        _issue(live_server, 6)
        live_server.update_site_settings(voice=dict(variant="southern", chime=False, repeat=2, pack="trung-tam"))
        live_server.api("POST", "/counters/1/call-next", token=clerks[1]).raise_for_status()
        live_server.update_site_settings(voice=dict(enabled=False))
        live_server.api("POST", "/counters/4/call-next", token=clerks[4]).raise_for_status()

        (_, southern), (_, silent) = listener.wait_for(2)
    finally:
        listener.close()

    assert southern["announcement"]["clips"] == announcement("1001", 1, VoiceSettings(variant="southern", chime=False, repeat=2))
    assert southern["announcement"]["clips"][:6] == ["phrase_moi_cong_dan_co_so", "mot", "ngan", "khong", "tram", "le"]
    assert southern["announcement"]["clips"].count("pause") == 1
    assert southern["announcement"]["pack_url"] == "/display/voice/packs/trung-tam/"
    assert silent["number"] == "A001"
    assert silent["announcement"]["enabled"] is False
    assert silent["announcement"]["clips"] == announcement("A001", 4, VoiceSettings(variant="southern", chime=False, repeat=2))
    assert silent["announcement"]["clips"][1:5] == ["letter_a", "khong", "khong", "mot"]


def test_the_enricher_leaves_other_events_alone_and_never_fails_a_call() -> None:
    other = {"id": 1, "number": "1001", "counter_number": 1}
    enrich_call_event("ticket_finished", other)
    assert "announcement" not in other

    odd = {"id": 2, "number": "Đ-7", "counter_number": 2, "voice": {"pack": "default"}}
    enrich_call_event("ticket_called", odd)
    assert odd["announcement"]["clips"] == []  # no clip can say "Đ": the display speaks the text instead
    assert odd["announcement"]["text"] == "Mời công dân có số Đ-7 đến quầy số 2"

    broken_settings = call_announcement("1005", 3, {"variant": "central", "repeat": 9})
    assert broken_settings["clips"] == announcement("1005", 3)  # invalid settings fall back to the defaults


def test_digit_style_reads_a_prefixed_number_letter_by_letter() -> None:
    payload = call_announcement("A005", 4, {"number_style": "digits", "chime": True, "repeat": 1})
    assert payload["clips"] == ["chime", "phrase_moi_cong_dan_co_so", "letter_a", "khong", "khong", "nam",
                                "phrase_den_quay_so", "bon"]
    assert payload["text"] == "Mời công dân có số A không không năm đến quầy số bốn"
