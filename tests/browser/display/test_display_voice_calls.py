"""The hall's voice: each call's clips played gaplessly, calls queued in order and never over each other,
a recall announced again, browser speech only as a fallback, and the one-time audio unlock.

The player's state is read from window.HangChoVoice (queue, playing, history with start and end times).
Chromium runs with --autoplay-policy=no-user-gesture-required, as a hall TV should (docs/display.md),
except in the unlock test.
"""
from __future__ import annotations

import os


from display.voice import VoiceSettings, announcement

CIVIL_STATUS, LAND = 1, 3
CALL_1001_AT_COUNTER_1 = ["chime", "phrase_moi_cong_dan_co_so", "mot", "nghin", "khong", "tram", "linh", "mot",
                          "phrase_den_quay_so", "mot"]


def test_a_call_is_spoken_with_its_vietnamese_clips_and_captioned(desk, open_display, spoken) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    desk.issue(CIVIL_STATUS)

    desk.call_next(1)

    hall.wait_for_function("() => document.documentElement.dataset.speaking === 'yes'")
    assert hall.text_content("#caption-text") == "Mời công dân có số một nghìn không trăm linh một đến quầy số một"
    assert hall.is_hidden("#notice")
    (entry,) = spoken(hall, 1)
    assert entry["clips"] == CALL_1001_AT_COUNTER_1 == announcement("1001", 1)
    assert entry["mode"] == "clips"
    assert (entry["number"], entry["counter"], entry["kind"]) == ("1001", 1, "called")
    assert entry["endedAt"] > entry["startedAt"]
    hall.wait_for_function("() => document.documentElement.dataset.speaking === 'no'")
    assert hall.is_hidden("#caption")


def test_a_recall_is_announced_again_with_the_same_clips(desk, open_display, spoken) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    desk.issue(CIVIL_STATUS)
    called = desk.call_next(1)
    spoken(hall, 1)

    desk.recall(called["id"], 1)

    first, again = spoken(hall, 2)
    assert again["kind"] == "recalled"
    assert again["clips"] == first["clips"] == CALL_1001_AT_COUNTER_1
    assert again["startedAt"] >= first["endedAt"]
    assert hall.get_attribute("#newest", "class").split().count("is-new") == 1


def test_two_calls_in_quick_succession_are_announced_in_order_without_overlap(desk, open_display, spoken) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    desk.issue(CIVIL_STATUS)
    desk.issue(LAND)

    first_call = desk.call_next(1)
    second_call = desk.call_next(3)

    # The second call waits its turn while the first is spoken.
    hall.wait_for_function("() => window.HangChoVoice.queue.length === 1 && window.HangChoVoice.playing"
                           " && window.HangChoVoice.playing.number === '1001'")
    assert hall.evaluate("() => window.HangChoVoice.queue[0].number") == "3001"
    first, second = spoken(hall, 2)
    assert [first["number"], second["number"]] == [first_call["number"], second_call["number"]] == ["1001", "3001"]
    assert second["startedAt"] >= first["endedAt"]
    assert second["audioStart"] >= first["audioEnd"]  # on the audio clock too: nothing is cut off
    assert first["clips"] == CALL_1001_AT_COUNTER_1
    assert second["clips"] == announcement("3001", 3) == [
        "chime", "phrase_moi_cong_dan_co_so", "ba", "nghin", "khong", "tram", "linh", "mot", "phrase_den_quay_so", "ba"]
    assert hall.evaluate("() => window.HangChoVoice.queue.length") == 0


def test_the_sites_voice_settings_change_the_next_call(live_server, desk, open_display, spoken) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    desk.issue(CIVIL_STATUS)
    live_server.update_site_settings(voice=dict(variant="southern", repeat=2))

    desk.call_next(1)

    (entry,) = spoken(hall, 1)
    assert entry["clips"] == announcement("1001", 1, VoiceSettings(variant="southern", repeat=2))
    assert "ngan" in entry["clips"] and "le" in entry["clips"] and entry["clips"].count("pause") == 1
    assert entry["mode"] == "clips"


def test_a_pack_that_cannot_load_falls_back_to_browser_speech_or_the_caption(live_server, desk, open_display, spoken) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    desk.issue(CIVIL_STATUS)
    live_server.update_site_settings(voice=dict(pack="chua-ghi-am"))  # a pack nobody has recorded yet

    desk.call_next(1)

    hall.wait_for_function("() => document.documentElement.dataset.speaking === 'yes'")
    assert hall.text_content("#caption-text") == "Mời công dân có số một nghìn không trăm linh một đến quầy số một"
    (entry,) = spoken(hall, 1)
    has_vietnamese_voice = hall.evaluate("() => speechSynthesis.getVoices().some((voice) => voice.lang.startsWith('vi'))")
    assert entry["mode"] == ("speech" if has_vietnamese_voice else "caption")


def test_a_counter_page_with_voice_on_calls_only_its_own_numbers(desk, open_display, spoken) -> None:  # type: ignore[no-untyped-def]
    silent = open_display("/display/counter/1", width=1280, height=720)
    speaking = open_display("/display/counter/3", width=1280, height=720, query="voice=1")
    desk.issue(CIVIL_STATUS)
    desk.issue(LAND)

    desk.call_next(1)
    desk.call_next(3)

    (entry,) = spoken(speaking, 1)
    assert (entry["number"], entry["counter"]) == ("3001", 3)
    silent.wait_for_function("() => document.getElementById('counter-number').textContent === '1001'")
    assert silent.evaluate("() => window.HangChoVoice.history.length") == 0
    assert speaking.evaluate("() => window.HangChoVoice.history.length + window.HangChoVoice.queue.length") == 1


def test_without_autoplay_the_board_asks_for_one_tap_and_then_speaks(browser, live_server, desk, spoken) -> None:  # type: ignore[no-untyped-def]
    chromium = os.environ.get("HANGCHO_CHROMIUM", "/usr/bin/chromium")
    strict = browser.browser_type.launch(executable_path=chromium, headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
    try:
        hall = strict.new_page(viewport={"width": 1920, "height": 1080})
        hall.goto(live_server.url + "/display/hall?key=demo-display-1")
        unlock = hall.locator("#audio-unlock")
        unlock.wait_for(state="visible")
        assert "Bấm để bật âm thanh" in unlock.text_content()
        desk.issue(CIVIL_STATUS)
        desk.call_next(1)
        hall.wait_for_function("() => document.getElementById('newest-number').textContent === '1001'")
        assert hall.evaluate("() => [window.HangChoVoice.queue.length, window.HangChoVoice.history.length]") == [1, 0]

        unlock.click()

        unlock.wait_for(state="hidden")
        (entry,) = spoken(hall, 1)
        assert entry["clips"] == CALL_1001_AT_COUNTER_1
        assert hall.evaluate("() => window.HangChoVoice.audioState") == "running"
    finally:
        strict.close()


