"""The uplink between real site processes and a real central process: every event arrives once, in
order, through a kill -9 of the central; the central's live state agrees with each site's own; the
sites never notice the central is down."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.integration.province.conftest import (Central, add_site, issue, make_central, site_seq, start_site, wait_until)


def site_events(site) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    engine = create_engine(site.database_url)
    try:
        with engine.connect() as connection:
            return [(row[0], row[1]) for row in connection.execute(text("SELECT seq, hash FROM events ORDER BY seq"))]
    finally:
        engine.dispose()


def central_events(central: Central, code: str) -> list[tuple[int, str]]:
    return [(row[0], row[1]) for row in central.query(
        "SELECT e.seq, e.hash FROM province_events e JOIN province_sites s ON s.id = e.site_id "
        "WHERE s.code = :code ORDER BY e.id", code=code)]


def caught_up(central: Central, sites: dict[str, object]) -> bool:
    rows = central.sites()
    return all(rows[code]["last_seq"] == site_seq(site) and rows[code]["connected"] for code, site in sites.items())


def waiting_at(site) -> int:  # type: ignore[no-untyped-def]
    """The site's own figure: the sum of its fields' waiting counts."""
    return sum(row["waiting"] for row in requests.get(site.url + "/api/v1/services", timeout=10).json())


def call_next(site, counter_id: int) -> None:  # type: ignore[no-untyped-def]
    token = requests.post(site.url + "/api/v1/auth/login", json={"username": "giamsat", "password": "demo"},
                          timeout=10).json()["token"]
    answer = requests.post(f"{site.url}/api/v1/counters/{counter_id}/call-next",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text


def test_every_event_of_two_sites_reaches_a_central_on_postgres_once_and_in_order_through_a_kill_9(
        fresh_postgres_url, tmp_path: Path, sqlite_template: Path) -> None:  # type: ignore[no-untyped-def]
    central = make_central(fresh_postgres_url(), tmp_path)
    keys = {"XA-A": add_site(central, "XA-A", "Xã A"), "XA-B": add_site(central, "XA-B", "Xã B")}
    central.start()
    sites = {}
    try:
        for code in keys:
            path = tmp_path / f"{code}.sqlite3"
            shutil.copy(sqlite_template, path)
            sites[code] = start_site(f"sqlite:///{path}", tmp_path, central, keys[code])
        for site in sites.values():
            issue(site, 4)
            call_next(site, 1)
        wait_until(lambda: caught_up(central, sites), what="both sites caught up")

        # The central dies mid-stream; the sites go on as if nothing happened.
        issue(sites["XA-A"], 2)
        central.kill()
        for site in sites.values():
            issue(site, 3)
            call_next(site, 2)
        for code, site in sites.items():
            assert site_seq(site) > central.query(
                "SELECT last_seq FROM province_sites WHERE code = :code", code=code)[0][0]
            health = requests.get(site.url + "/api/v1/uplink", headers={"Authorization": "Bearer " + requests.post(
                site.url + "/api/v1/auth/login", json={"username": "giamsat", "password": "demo"}, timeout=10
            ).json()["token"]}, timeout=10).json()
            assert health["enabled"] is True and health["lag_events"] > 0

        central.start()
        wait_until(lambda: caught_up(central, sites), timeout_s=60, what="both sites caught up after the restart")
        rows = central.sites()
        for code, site in sites.items():
            # Exactly once and in order: the central's rows, in insertion order, are the site's own log.
            assert central_events(central, code) == site_events(site)
            assert rows[code]["waiting"] == waiting_at(site)
            assert rows[code]["issued_today"] == {"XA-A": 9, "XA-B": 7}[code]
        verify = central.get(f"/api/v1/province/sites/{rows['XA-A']['id']}/verify", "thanhtra").json()
        assert verify == {"ok": True, "checked": site_seq(sites["XA-A"]), "first_bad_seq": None}
    finally:
        for site in sites.values():
            site.stop()
        central.stop()
