"""One wait estimate: the kiosk screen and the phone page (kiosk/static/kiosk/texts.js, run in Node.js)
and the paper ticket (hardware/printing/ticket.py) say the same wait for every estimate the server gives
(whole minutes, rounded half up by server/queue/rules.estimated_wait_seconds)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

from hardware.printing.ticket import describe_wait
from server.queue.rules import estimated_wait_seconds
from server.settings import PROJECT_ROOT

NODE = shutil.which("node")


def screen_texts(app, seconds: list[int]) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """texts.wait(seconds, ahead) as the kiosk and the phone page show it, in both languages."""
    from kiosk.views import WAIT_TEXTS
    from server.i18n import catalogue

    with app.test_request_context():
        strings = catalogue(WAIT_TEXTS)
    script = f"""
      global.window = global; global.document = {{documentElement: {{}}}};
      require({json.dumps(str(PROJECT_ROOT / "kiosk/static/kiosk/texts.js"))});
      const catalogue = {json.dumps(strings)};
      const out = {{}};
      for (const language of ["vi", "en"]) {{
        const texts = window.KioskTexts.create(catalogue, language);
        out[language] = {json.dumps(seconds)}.map((s) => texts.wait(s, s > 0 ? 1 : 0));
      }}
      console.log(JSON.stringify(out));
    """
    assert NODE, "Node.js is part of the project's set-up (README) and must be on PATH"
    return json.loads(subprocess.run([NODE, "-e", script], check=True, capture_output=True, text=True).stdout)


def test_screen_and_paper_say_the_same_wait(app) -> None:  # type: ignore[no-untyped-def]
    # Every estimate the server can give for up to 40 people at up to 15 minutes each, 1–4 counters.
    estimates = sorted({estimated_wait_seconds(ahead, average, counters)
                        for ahead in range(1, 41) for average in range(30, 901, 15) for counters in range(1, 5)})
    assert all(value % 60 == 0 for value in estimates)
    screen = screen_texts(app, estimates)
    for index, seconds in enumerate(estimates):
        assert screen["vi"][index] == describe_wait(seconds, "vi"), seconds
        assert re.findall(r"\d+", screen["en"][index]) == re.findall(r"\d+", describe_wait(seconds, "en")), seconds


def test_the_estimate_rounds_half_up_to_whole_minutes() -> None:
    assert estimated_wait_seconds(2, 75, 1) == 180  # 150 s: the "2 or 3 minutes" of the report
    assert estimated_wait_seconds(1, 20, 1) == 60  # never "under a minute" with someone ahead
    assert estimated_wait_seconds(0, 300, 1) == 0
