"""A hall board whose browser blocks sound keeps its tap-to-enable banner and says so on the dashboard
(device health: "Âm thanh bị chặn"); started with the flags of deploy/hangcho-screen it is not blocked.

Each board runs in a Chromium of its own: without the launcher's autoplay flag (blocked), then with it.
"""
from __future__ import annotations

import os
import shlex
import subprocess
from server.settings import PROJECT_ROOT
from tests.browser.conftest import log_in

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


def launcher_flags() -> list[str]:
    """The Chromium flags deploy/hangcho-screen would start a hall board with (kiosk and profile aside)."""
    command = subprocess.run([str(PROJECT_ROOT / "deploy" / "hangcho-screen"), "--print-command",
                              "http://127.0.0.1:5000/display/hall", "k"], capture_output=True, text=True,
                             env={**os.environ, "HANGCHO_CHROMIUM": "/bin/true"}, check=True, timeout=30).stdout
    words = shlex.split(command)
    flags = words[words.index("/bin/true") + 1 : -1]
    return [flag for flag in flags if flag != "--kiosk" and not flag.startswith("--user-data-dir=")]


def hall_in_its_own_chromium(browser, live_server, args: list[str]):  # type: ignore[no-untyped-def]
    chromium = browser.browser_type.launch(executable_path=os.environ.get("HANGCHO_CHROMIUM", "/usr/bin/chromium"),
                                           headless=True, args=BASE_ARGS + args)
    hall = chromium.new_page(viewport={"width": 1920, "height": 1080})
    hall.goto(live_server.url + "/display/hall?key=demo-display-1")
    hall.wait_for_function("() => window.HangChoDisplay && window.HangChoDisplay.snapshots > 0")
    return chromium, hall


def sound_badge(dashboard):  # type: ignore[no-untyped-def]
    return dashboard.locator("#device-list li.hardware-item[data-role=sound] .status-badge")


def test_blocked_sound_keeps_the_banner_and_shows_on_the_dashboard_until_the_board_may_speak(
        browser, live_server, new_page) -> None:  # type: ignore[no-untyped-def]
    dashboard = new_page(1440, 900)
    log_in(dashboard, live_server, "giamsat", "/dashboard")

    chromium, hall = hall_in_its_own_chromium(browser, live_server, [])
    try:
        hall.locator("#audio-unlock").wait_for(state="visible")
        hall.wait_for_function("() => (window.HangChoDisplay.soundReport || {}).sent === 'blocked'")
        assert hall.evaluate("() => window.HangChoDisplay.soundReport.ok") is True
        badge = sound_badge(dashboard)
        badge.wait_for()
        assert badge.text_content() == "Âm thanh bị chặn"
        assert "device-blocked" in (badge.get_attribute("class") or "")
        assert dashboard.locator("#device-list li.hardware-item[data-role=sound]").text_content().startswith(
            "Loa của màn hình")
        ARTIFACTS.mkdir(exist_ok=True)
        dashboard.locator("section[aria-labelledby=devices-title]").screenshot(
            path=str(ARTIFACTS / "dashboard-1440x900-devices-sound-blocked.png"))
        hall.screenshot(path=str(ARTIFACTS / "hall-1920x1080-sound-blocked.png"))

        hall.locator("#audio-unlock").click()  # someone taps the board once

        hall.locator("#audio-unlock").wait_for(state="hidden")
        dashboard.wait_for_function("() => document.querySelector("
                                    "'#device-list li.hardware-item[data-role=sound] .status-badge')"
                                    ".textContent === 'Âm thanh bật'")
    finally:
        chromium.close()


def test_a_board_started_with_the_launcher_flags_is_never_blocked(browser, live_server, new_page) -> None:  # type: ignore[no-untyped-def]
    flags = launcher_flags()
    assert "--autoplay-policy=no-user-gesture-required" in flags
    chromium, hall = hall_in_its_own_chromium(browser, live_server, flags)
    try:
        hall.wait_for_function("() => (window.HangChoDisplay.soundReport || {}).sent === 'ok'")
        assert hall.locator("#audio-unlock").is_hidden()
        dashboard = new_page(1440, 900)
        log_in(dashboard, live_server, "giamsat", "/dashboard")
        assert sound_badge(dashboard).text_content() == "Âm thanh bật"
    finally:
        chromium.close()


def test_only_a_display_may_report_display_health(live_server, socket_listener) -> None:  # type: ignore[no-untyped-def]
    kiosk = socket_listener(live_server.url, {"token": "demo-kiosk-1"})
    kiosk.wait_for("snapshot")
    answer = kiosk.client.call("display_health", {"sound": "blocked"}, timeout=10)
    assert answer["ok"] is False and answer["error"] == "forbidden"
    display = socket_listener(live_server.url, {"token": "demo-display-1"})
    display.wait_for("snapshot")
    assert display.client.call("display_health", {"sound": "loud"}, timeout=10)["error"] == "validation_failed"
    assert display.client.call("display_health", {"sound": "blocked"}, timeout=10) == {"ok": True, "sound": "blocked"}
