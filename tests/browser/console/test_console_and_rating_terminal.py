"""The clerk's console and the counter's rating terminal, open at once in Debian's Chromium.

canbo1 works counter 1 in the console (1366×768); the rating terminal of counter 1 (a 10" tablet,
1280×800) faces the citizen. The clerk calls and finishes a ticket issued at the kiosk, the terminal
opens, the citizen rates; the supervisors' dashboard room hears `rating_received` (a python-socketio
client logged in as giamsat) and the clerk's page receives nothing about it: every WebSocket frame the
console receives is recorded by the browser (Playwright) and by a wrapper around the Socket.IO client.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

TPHT = 1
WAIT_S = 20.0

# Wraps the Socket.IO client factory before the page's scripts load: every event any socket of the page
# receives is kept in window.__receivedEvents (name and payload).
RECORD_SOCKET_EVENTS = """
window.__receivedEvents = [];
(function () {
  let realIo = null;
  function recordingIo(...args) {
    const socket = realIo(...args);
    socket.onAny((name, payload) => window.__receivedEvents.push({name, payload}));
    return socket;
  }
  Object.defineProperty(window, "io", {configurable: true, get() { return realIo && recordingIo; }, set(value) { realIo = value; }});
})();
"""


@pytest.fixture
def dashboard(live_server, socket_listener):  # type: ignore[no-untyped-def]
    """The supervisors' dashboard room, heard by a python-socketio client logged in as giamsat."""
    return socket_listener(live_server.url, {"token": live_server.login("giamsat")})


def open_console(new_page, live_server, username: str = "canbo1", query: str = ""):  # type: ignore[no-untyped-def]
    """The console page logged in through the log-in page, with every received frame recorded."""
    page = new_page(1366, 768)
    page.add_init_script(RECORD_SOCKET_EVENTS)
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on(
        "framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode(errors="replace"))))
    page.goto(live_server.url + "/counter" + query)
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/counter*")
    page.wait_for_selector("#console-main:not([hidden])")
    return page, frames


def issue(live_server) -> dict:  # type: ignore[no-untyped-def]
    answer = live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": TPHT})
    assert answer.status_code == 201, answer.text
    return answer.json()


def wait_in_waiting_list(page, number: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(f"#waiting-list .row-number:text-is('{number}')", timeout=WAIT_S * 1000)


def test_the_clerk_serves_the_citizen_rates_and_only_the_dashboard_hears_it(  # type: ignore[no-untyped-def]
        live_server, new_page, dashboard, artifacts) -> None:
    terminal = new_page(1280, 800)
    terminal.goto(live_server.url + "/rating/1?key=demo-rating-1")
    terminal.wait_for_selector("#idle-clerk-name:text-is('Nguyễn Thị Lan')")
    assert "key=" not in terminal.url  # the key is remembered by the tablet, not left in the address
    terminal.screenshot(path=str(artifacts / "rating-terminal-idle.png"))

    console, frames = open_console(new_page, live_server)
    assert console.inner_text("#counter-title") == "Quầy số 1"
    first = issue(live_server)
    wait_in_waiting_list(console, first["number"])

    # Call with the keyboard (F1), start and finish with the buttons.
    console.keyboard.press("F1")
    console.wait_for_selector(f"#current-number:text-is('{first['number']}')")
    console.click("#act-start")
    console.wait_for_selector(".current-status.status-serving")
    console.wait_for_function("() => document.getElementById('timer-second').textContent !== '–'")
    console.screenshot(path=str(artifacts / "console-serving.png"))
    console.click("#act-finish")
    console.wait_for_selector("#current-empty:not([hidden])")

    # The terminal opens for this ticket with its countdown; a low score asks for reasons.
    terminal.wait_for_selector("#screen-rate:not([hidden])")
    assert terminal.inner_text("#rate-number") == first["number"]
    # The countdown is written by the terminal's 250 ms tick, so it may still be empty as the screen shows.
    terminal.wait_for_function("() => document.getElementById('countdown-seconds').textContent !== ''")
    assert 20 <= int(terminal.inner_text("#countdown-seconds")) <= 30
    assert [terminal.inner_text(f".rt-score-{score} .rt-score-label") for score in (5, 4, 3, 2)] == [
        "Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"]
    terminal.screenshot(path=str(artifacts / "rating-terminal-rating.png"))
    terminal.click(".rt-score-2")
    terminal.wait_for_selector("#screen-reasons:not([hidden])")
    terminal.click(".rt-reason[data-reason='cho_lau']")
    terminal.screenshot(path=str(artifacts / "rating-terminal-reasons.png"))
    terminal.click("#send-rating")
    terminal.wait_for_selector("#screen-thanks:not([hidden])")
    terminal.screenshot(path=str(artifacts / "rating-terminal-thanks.png"))

    low = dashboard.wait_for("rating_received", lambda e: e["ticket_id"] == first["id"])
    assert (low["score"], low["reasons"], low["channel"], low["counter_id"], low["clerk_id"]) == (2, ["cho_lau"], "terminal", 1, 1)

    # A second citizen, served with the keyboard only (F1 call, X finish), rates "Rất hài lòng" directly.
    terminal.wait_for_selector("#screen-idle:not([hidden])", timeout=WAIT_S * 1000)
    second = issue(live_server)
    wait_in_waiting_list(console, second["number"])
    console.keyboard.press("F1")
    console.wait_for_selector(f"#current-number:text-is('{second['number']}')")
    console.keyboard.press("x")
    console.wait_for_selector("#current-empty:not([hidden])")
    terminal.wait_for_selector("#screen-rate:not([hidden])")
    assert terminal.inner_text("#rate-number") == second["number"]
    terminal.click(".rt-score-5")
    terminal.wait_for_selector("#screen-thanks:not([hidden])")
    high = dashboard.wait_for("rating_received", lambda e: e["ticket_id"] == second["id"])
    assert (high["score"], high["reasons"], high["channel"]) == (5, [], "terminal")

    # A later event reaches the console after both ratings were published: anything about them
    # would have arrived before it on the same connection.
    third = issue(live_server)
    wait_in_waiting_list(console, third["number"])
    received = console.evaluate("window.__receivedEvents")
    names = [event["name"] for event in received]
    assert {"ticket_called", "ticket_finished", "ticket_issued"} <= set(names)  # it does hear the service…
    assert "rating_received" not in names                                          # …but never a rating
    assert not any("score" in json.dumps(event["payload"]) or "cho_lau" in json.dumps(event["payload"]) for event in received)
    assert frames and not any("rating_received" in frame or '"score"' in frame for frame in frames)
    shown = console.inner_text("body")
    for verdict in ("Không hài lòng", "Rất hài lòng", "Chờ lâu"):
        assert verdict not in shown
    console.screenshot(path=str(artifacts / "console-after-ratings.png"))


def test_a_second_console_acting_on_the_same_ticket_gets_a_clear_refusal(live_server, new_page, artifacts) -> None:  # type: ignore[no-untyped-def]
    """canbo1 and the supervisor both work counter 1; the supervisor's page lags (its socket frames are
    held back), so it still shows the ticket canbo1 has just finished, and its "Finish" is refused."""
    ticket = issue(live_server)
    clerk, _ = open_console(new_page, live_server)
    wait_in_waiting_list(clerk, ticket["number"])
    clerk.click("#act-call_next")
    clerk.wait_for_selector(f"#current-number:text-is('{ticket['number']}')")

    supervisor = new_page(1366, 768)
    hold: dict[str, Any] = {"frames": False, "held": [], "routes": []}

    def lagging_socket(route) -> None:  # type: ignore[no-untyped-def]
        server = route.connect_to_server()
        hold["routes"].append(route)

        def from_server(message) -> None:  # type: ignore[no-untyped-def]
            if hold["frames"]:
                hold["held"].append((route, message))
            else:
                route.send(message)

        server.on_message(from_server)

    supervisor.route_web_socket("**/socket.io/**", lagging_socket)
    supervisor.goto(live_server.url + "/counter?counter=1")
    supervisor.fill("#username", "giamsat")
    supervisor.fill("#password", "demo")
    supervisor.click("#login-form button[type=submit]")
    supervisor.wait_for_selector(f"#current-number:text-is('{ticket['number']}')")

    hold["frames"] = True
    clerk.click("#act-finish")
    clerk.wait_for_selector("#current-empty:not([hidden])")
    supervisor.click("#act-finish")
    supervisor.wait_for_selector("#error-box:not([hidden])")
    message = supervisor.inner_text("#error-text")
    assert "không" in message.lower() and "finish" not in message  # the server's Vietnamese refusal
    assert supervisor.inner_text(".console-error-label") == "Không thực hiện được"
    supervisor.screenshot(path=str(artifacts / "console-refused.png"))
    # Once its events arrive the lagging console catches up by itself.
    hold["frames"] = False
    for route, message in hold["held"]:
        route.send(message)
    supervisor.wait_for_selector("#current-empty:not([hidden])", timeout=WAIT_S * 1000)
