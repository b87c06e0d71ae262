"""Issue 14 at the province in Chromium (1440×900): the rankings page shows each centre's repeat-visit rate,
flagged ratings and the index without them; the live board shows each centre's open red items. A fourth
commune, Phường Trung Tâm, joins the hand-made province of tests/integration/province/conftest.py through
the real ingest (its events hash-chained as its site would write them). Figures by hand, 2 Nov 2026:

- four citizens served at counter 1, rated 5, 5, 2, 5 → satisfaction index 75,0; the last 5 flagged
  (`burst`) → without it 5, 5, 2 → 66,7;
- dossiers HS-1 (received), HS-1 again (returned: a repeat), HS-3 (received), HS-4 (returned, a repeat by
  the site's window) → 2 repeats of 4 known visits → 50,0 %;
- the week's review raised satisfaction_low, repeat_rate_high and rating_flags; satisfaction_low got an
  action due 12 Nov (long past: overdue), rating_flags was cleared → 2 open, 1 overdue.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

from server.db import make_engine, make_session_factory
from server.province import ingest as province_ingest
from server.province.models import ProvinceSite
from server.queue import events as ev
from server.queue.hashchain import GENESIS, canonical_event, chain_hash
from tests.browser.province.test_province_pages import log_in, shoot
from tests.conftest import stop_process
from tests.integration.province.conftest import DAY, History, local, start_province_server

TRUNG_TAM = 14
ORIGIN = 1  # the commune's own site id, part of each event's hash


def trung_tam_history() -> History:
    history = History()
    dossiers = (("HS-1", "received", False), ("HS-1", "returned", True), ("HS-3", "received", False),
                ("HS-4", "returned", True))
    for (code, outcome, repeat), score in zip(dossiers, (5, 5, 2, 5)):
        history.served(DAY, 1, 1, 401, 60, 300, score)
        ticket = history.ticket
        finished = history.events[-2].created_at if score else history.events[-1].created_at
        history.add(finished - dt.timedelta(seconds=30), ev.DOSSIER_ATTACHED, {
            "id": ticket, "number": str(1000 + ticket), "service_id": 1, "counter_id": 1, "clerk_id": 401,
            "code": code, "outcome": outcome, "missing": ["don"] if outcome == "returned" else [],
            "visit_number": 2 if repeat else 1, "repeat": repeat, "breach": False, "new_missing": [],
            "replaced_code": None, "keyed": False})
    history.events.sort(key=lambda event: event.created_at)
    evening = local(DAY, 18, 0)
    history.add(evening, ev.RATING_FLAGS_REVIEWED, {"business_date": DAY.isoformat(), "unflagged": [], "flags": [
        {"rating_id": 4, "ticket_id": 4, "service_id": 1, "counter_id": 1, "clerk_id": 401, "score": 5,
         "kinds": ["burst"]}]})
    review = local(DAY + dt.timedelta(days=7), 0, 10)
    history.add(review, ev.LEADER_ITEMS_RAISED, {"week_start": DAY.isoformat(), "items": [
        {"item_id": 1, "kind": "satisfaction_low", "figure": 0.75, "target": 0.8},
        {"item_id": 2, "kind": "repeat_rate_high", "figure": 0.5, "target": 0.2},
        {"item_id": 3, "kind": "rating_flags", "figure": 1.0, "target": 0.0}]})
    history.add(review + dt.timedelta(hours=2), ev.LEADER_ACTION_RECORDED, {
        "item_id": 1, "kind": "satisfaction_low", "week_start": DAY.isoformat(),
        "action": "Họp rút kinh nghiệm với cán bộ quầy 1", "due": "2026-11-12", "by": 8})
    history.add(review + dt.timedelta(hours=3), ev.LEADER_ACTION_RECORDED, {
        "item_id": 3, "kind": "rating_flags", "week_start": DAY.isoformat(),
        "action": "Kiểm tra thiết bị đánh giá quầy 1", "due": "2026-11-13", "by": 8})
    history.add(review + dt.timedelta(hours=4), ev.LEADER_ITEM_CLEARED, {
        "item_id": 3, "kind": "rating_flags", "week_start": DAY.isoformat(), "note": "Đã thay thiết bị", "by": 8})
    for seq, event in enumerate(history.events, start=1):
        event.seq = seq
    return history


def ingest_trung_tam(database_url: str) -> None:
    engine = make_engine(database_url)
    session = make_session_factory(engine)()
    now = dt.datetime.now(dt.timezone.utc)
    session.add(ProvinceSite(id=TRUNG_TAM, code="XA-TT", name="Phường Trung Tâm",
                             key_hash=hashlib.sha256(b"XA-TT").hexdigest(), created_at=now, origin_site_id=ORIGIN,
                             connected=True, last_seen_at=now))
    session.commit()
    batch, previous = [], GENESIS
    for event in trung_tam_history().events:
        previous = chain_hash(previous, canonical_event(ORIGIN, event.seq, event.type, event.payload, event.created_at))
        batch.append({"site_id": ORIGIN, "seq": event.seq, "type": event.type, "payload": event.payload,
                      "created_at": event.created_at.isoformat(), "hash": previous})
    result = province_ingest.ingest(session, TRUNG_TAM, batch, now, timezone="Asia/Ho_Chi_Minh")
    assert result.error is None and result.stored == len(batch), result
    session.close()
    engine.dispose()


@pytest.fixture(scope="module")
def province_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("province14")
    database_url = f"sqlite:///{directory / 'central.sqlite3'}"
    url, process = start_province_server(database_url, directory)
    ingest_trung_tam(database_url)
    yield url
    stop_process(process)


def test_the_rankings_page_shows_repeat_visits_and_flagged_ratings(province_url, new_page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page = new_page(1440, 900)
    log_in(page, province_url, "/province/rankings?from=2026-11-02&to=2026-11-03&metric=repeat_visit_rate")
    expect(page.locator("#ranking-heading")).to_have_text("Tỷ lệ phải đi lại")
    first = page.locator("#ranking-table tbody tr").first
    assert first.locator("[data-col=name] a").inner_text() == "Phường Trung Tâm"
    cells = {col: first.locator(f"[data-col={col}]").inner_text().strip()
             for col in ("rank", "repeat_visit_rate", "satisfaction_index", "satisfaction_index_unflagged",
                         "flagged_ratings", "ratings")}
    assert cells == {"rank": "1", "repeat_visit_rate": "50,0%", "satisfaction_index": "75,0",
                     "satisfaction_index_unflagged": "66,7", "flagged_ratings": "1", "ratings": "4"}
    # The hand-made communes record no dossier and no kiosk answer: no rate, ranked after.
    others = page.locator("#ranking-table tbody tr")
    assert [others.nth(i).locator("[data-col=repeat_visit_rate]").inner_text() for i in (1, 2, 3)] == ["–"] * 3
    shoot(page, artifacts, "province-rankings-repeat-visits-1440x900.png")
    first.locator("[data-col=name] a").click()
    page.wait_for_selector("#site-table")
    assert page.locator("#total-repeat-rate").inner_text() == "50,0%"
    assert page.locator("#total-flagged").inner_text() == "1"
    items = page.locator("#red-items li")
    assert [items.nth(i).inner_text() for i in range(items.count())] == [
        "Mức hài lòng dưới mục tiêu · tuần từ 02/11/2026 · Quá hạn từ 12/11/2026",
        "Tỷ lệ đi lại vượt mục tiêu · tuần từ 02/11/2026 · chưa có biện pháp khắc phục"]
    shoot(page, artifacts, "province-site-repeat-visits-1440x900.png")


def test_the_board_shows_each_centres_open_red_items(province_url, new_page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page = new_page(1440, 900)
    page.goto(f"{province_url}/login?next=/province")
    page.fill("#username", "tinh")
    page.fill("#password", "demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("html[data-ready=yes]")
    row = page.locator("tr[data-site-id='14']")
    expect(row.locator(".red-count")).to_have_text("2")
    expect(row.locator(".red-overdue")).to_have_text("1 quá hạn")
    expect(row.locator(".red-first")).to_have_text("Mức hài lòng dưới mục tiêu · và 1 mục khác")
    tooltip = row.locator(".red-cell div").get_attribute("title") or ""
    assert tooltip.splitlines() == ["Mức hài lòng dưới mục tiêu · tuần từ 02/11/2026 · hạn khắc phục 12/11/2026",
                                    "Tỷ lệ đi lại vượt mục tiêu · tuần từ 02/11/2026 · chưa có biện pháp khắc phục"]
    expect(page.locator("tr[data-site-id='11'] .red-count")).to_have_text("0")
    page.click("button[data-sort='red_items_open']")  # most (overdue first) red items first
    expect(page.locator("#sites-table tbody tr").first).to_have_attribute("data-site-id", "14")
    shoot(page, artifacts, "province-board-red-items-1440x900.png")
