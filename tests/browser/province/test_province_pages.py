"""The province pages in Chromium at 1440×900 and 390×844: the ranking's numbers equal the hand-computed
fixture (tests/integration/province/conftest.py). Screenshots go to test-artifacts/ (and
HANGCHO_SHOTS_DIR when set)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest

from tests.conftest import stop_process
from tests.integration.province.conftest import start_province_server

SIZES = ((1440, 900), (390, 844))


@pytest.fixture(scope="module")
def province_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("province")
    url, process = start_province_server(f"sqlite:///{directory / 'central.sqlite3'}", directory)
    yield url
    stop_process(process)


def shoot(page, artifacts: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    path = artifacts / name
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("HANGCHO_SHOTS_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / name)


def log_in(page, url: str, target: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login?next={quote(target)}")
    page.fill("#username", "tinh")
    page.fill("#password", "demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#ranking-table, #site-reports")


@pytest.mark.parametrize("width,height", SIZES)
def test_the_ranking_page_shows_the_hand_computed_figures(province_url, new_page, artifacts, width, height) -> None:  # type: ignore[no-untyped-def]
    page = new_page(width, height)
    log_in(page, province_url, "/province/rankings?from=2026-11-02&to=2026-11-03")
    rows = page.locator("#ranking-table tbody tr")
    table = [[rows.nth(i).locator(f"[data-col={col}]").inner_text().strip()
              for col in ("rank", "satisfaction_index", "ratings", "response_rate", "issued", "served", "no_show")]
             for i in range(rows.count())]
    assert table == [["1", "75,0", "4", "100,0%", "5", "4", "1"],
                     ["2", "25,0", "4", "100,0%", "4", "4", "0"],
                     ["3", "100,0", "3", "100,0%", "3", "3", "0"]]
    names = [rows.nth(i).locator("[data-col=name] a").inner_text() for i in range(3)]
    assert names == ["Xã Minh Khai", "Xã Hòa Bình", "Xã Tân Lập"]
    assert "Chưa đủ số đánh giá" in rows.nth(2).inner_text()
    # Minh Khai's waits 60, 90, 120, 180, 240 s: median 2 min, shown from the 5-second buckets
    assert rows.nth(0).locator("[data-col=wait_p50_s]").inner_text() == "2 phút"
    shoot(page, artifacts, f"province-rankings-{width}x{height}.png")
    if width == 1440:
        page.select_option("#metric-input", "wait_p90_s")
        page.click("button[type=submit]")
        page.wait_for_url("**metric=wait_p90_s**")
        assert page.locator("#ranking-table tbody tr").first.locator("[data-col=name] a").inner_text() == "Xã Hòa Bình"
        page.locator("#ranking-table tbody tr").first.locator("[data-col=name] a").click()
        page.wait_for_selector("#site-table")
        assert page.locator("#total-issued").inner_text() == "4"
        shoot(page, artifacts, "province-site-1440x900.png")
        with page.expect_download() as download:
            page.goto(f"{province_url}/province/rankings")
            page.click("#download-xlsx")
        assert download.value.suggested_filename.endswith(".xlsx")
