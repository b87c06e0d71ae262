"""A clerk never sees a rating: no score, reason or comment of any ticket reaches a clerk through any route
or any Socket.IO event (issue "The core keeps its promises", item 3). On SQLite and on PostgreSQL.

The test rates tickets of two counters from a terminal and from phones (with reasons and a comment no
other text contains), then, as each clerk, walks every GET route of the URL map a clerk may call with
every id and token that exists, and records every event the clerks' sockets received meanwhile.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask

from server.auth.access import PUBLIC, access_of
from tests.conftest import KIOSK, rating_terminal

SECRET_COMMENT = "Bình luận riêng 7731 về thái độ"
REASON_CODES = ("thai_do", "huong_dan", "cho_lau")
# What would betray a given rating in an answer or an event (keys and values).
TELLTALES = (SECRET_COMMENT, "7731", *REASON_CODES, "rating_received", '"score"', '"scores"', "low_rating")
PAGE_TELLTALES = (SECRET_COMMENT, "7731", "rating_received")
# The rating *menu* (the buttons and reasons a rater may choose) is public: the phone page shows it.
MENU_KEYS = ("rating", "rating_buttons")


def without_menu(document: Any) -> Any:
    if isinstance(document, dict):
        return {key: without_menu(value) for key, value in document.items() if key not in MENU_KEYS}
    if isinstance(document, list):
        return [without_menu(value) for value in document]
    return document


def _serve_and_rate(client, login) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Tickets served at counters 1 and 2 and rated from the terminal and from phones."""
    made: dict[str, Any] = {"ids": [], "tokens": []}
    for counter, service in ((1, 1), (2, 2), (1, 1)):
        issued = client.post("/api/v1/tickets", json={"service_id": service}, headers=KIOSK).json
        clerk = login(f"canbo{counter}")
        assert client.post(f"/api/v1/counters/{counter}/call-next", headers=clerk).json["id"] == issued["id"]
        assert client.post(f"/api/v1/tickets/{issued['id']}/finish", headers=clerk).status_code == 200
        made["ids"].append(issued["id"])
        made["tokens"].append(issued["public_url"].rsplit("/", 1)[1])
    terminal = client.post("/api/v1/ratings", headers=rating_terminal(1),
                           json={"ticket_id": made["ids"][2], "score": 1, "reasons": ["thai_do", "cho_lau"],
                                 "comment": SECRET_COMMENT})
    assert terminal.status_code == 201, terminal.json
    for token in made["tokens"][:2]:
        phone = client.post("/api/v1/ratings", json={"token": token, "score": 2, "reasons": ["huong_dan"],
                                                      "comment": SECRET_COMMENT})
        assert phone.status_code == 201, phone.json
    return made


def _clerk_routes(app: Flask) -> list[Any]:
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        if rule.rule.endswith("/openapi.json"):
            continue  # the API's description names every field, and holds no data
        declared = access_of(app.view_functions[rule.endpoint])
        if declared and (PUBLIC in declared or "clerk" in declared):
            rules.append(rule)
    return rules


def _urls(rule: Any, made: dict[str, Any]) -> list[str]:
    """The rule filled with every value that exists (ids, tokens), or one plausible value."""
    values: dict[str, list[str]] = {}
    for name in rule.arguments:
        if "token" in name:
            values[name] = made["tokens"]
        elif name in ("lang", "language"):
            values[name] = ["vi", "en"]
        elif name in ("filename", "path"):
            values[name] = ["index.js"]
        else:
            values[name] = [str(value) for value in range(1, 8)]
    urls = [rule.rule]
    for name, choices in values.items():
        urls = [re.sub(r"<(?:[^:<>]+:)?" + name + ">", choice, url) for url in urls for choice in choices]
    return urls


def test_no_route_and_no_event_shows_a_clerk_a_rating(app, client, login) -> None:  # type: ignore[no-untyped-def]
    from server.realtime import socketio

    clerk_tokens = {number: login(f"canbo{number}")["Authorization"][7:] for number in (1, 2, 3)}
    sockets = {number: socketio.test_client(app, auth={"token": token}) for number, token in clerk_tokens.items()}
    try:
        made = _serve_and_rate(client, login)
        received = {number: socket.get_received() for number, socket in sockets.items()}
    finally:
        for socket in sockets.values():
            socket.disconnect()
    # The ratings did happen and a supervisor sees them (the test would prove nothing otherwise).
    supervisor = login("giamsat")
    comments = client.get(f"/api/v1/tickets/{made['ids'][2]}", headers=supervisor).get_data(as_text=True)
    assert "rating_received" in comments and '"score"' in comments

    seen: list[str] = []
    for number, token in clerk_tokens.items():
        for event in received[number]:
            text = json.dumps(event, ensure_ascii=False)
            leaks = [telltale for telltale in TELLTALES if telltale in text]
            assert not leaks, f"clerk {number} received {event['name']} with {leaks}"
        for rule in _clerk_routes(app):
            for url in _urls(rule, made):
                answer = client.get(url, headers={"Authorization": f"Bearer {token}"})
                seen.append(url)
                if answer.status_code >= 400 or not answer.mimetype.startswith(("application/json", "text/")):
                    continue
                if answer.is_json:
                    text, telltales = json.dumps(without_menu(answer.json), ensure_ascii=False), TELLTALES
                else:
                    # Pages are shells (their data comes from the API) whose scripts name the rating menu.
                    text, telltales = answer.get_data(as_text=True), PAGE_TELLTALES
                leaks = [telltale for telltale in telltales if telltale in text]
                assert not leaks, f"GET {url} shows clerk {number} {leaks}"
    assert any(url.startswith("/api/v1/tickets/") for url in seen) and "/api/v1/snapshot" in seen
    assert sum(len(events) for events in received.values()) > 10
