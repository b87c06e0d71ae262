"""Issue 15: a ticket's QR code that works from any phone, through the province server.

Real processes: a central (PostgreSQL) and sites (SQLite) uplinked to it; the "phone" is a requests
session and a python-socketio client that only ever talk to the central.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import requests
import socketio
from sqlalchemy import create_engine, text

from tests.integration.province.conftest import Central, add_site, issue, make_central, start_site, wait_until


class Phone:
    """A citizen's phone on mobile data: it reaches the central, never the site."""

    def __init__(self, central: Central, token: str) -> None:
        self.central, self.token = central, token
        self.pushes: list[dict[str, Any]] = []
        self.client: socketio.Client | None = None
        self._lock = threading.Lock()

    def view(self) -> requests.Response:
        return requests.get(f"{self.central.url}/api/v1/public/tickets/{self.token}", timeout=10)

    def follow(self) -> None:
        client = socketio.Client(reconnection=False)

        @client.on("*", namespace="/phone")
        def on_any(event: str, data: Any = None) -> None:
            with self._lock:
                self.pushes.append({"event": event, **(data or {})})

        client.connect(self.central.url, namespaces=["/phone"], transports=["websocket"],
                       auth={"ticket_token": self.token}, wait_timeout=10)
        self.client = client

    def pushed(self, event: str) -> int:
        with self._lock:
            return sum(1 for push in self.pushes if push["event"] == event)

    def rate(self, score: int, reasons: list[str] | None = None) -> requests.Response:
        return requests.post(f"{self.central.url}/api/v1/ratings", timeout=10,
                             json={"token": self.token, "score": score, "reasons": reasons or [], "comment": ""})

    def close(self) -> None:
        if self.client is not None:
            self.client.disconnect()


def token_of(ticket: dict[str, Any]) -> str:
    return ticket["public_url"].rsplit("/", 1)[1]


def staff(site, path: str) -> requests.Response:  # type: ignore[no-untyped-def]
    return site.api("POST", path, site.login("giamsat"))


def site_ratings(site, ticket_id: int) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    engine = create_engine(site.database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                text("SELECT score, channel FROM ratings WHERE ticket_id = :id"), {"id": ticket_id})]
    finally:
        engine.dispose()


def uplinked_ticket(central: Central, site) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Once the site has heard the central's public URL, its tickets' QR codes point there."""
    found: list[dict[str, Any]] = []

    def printed_for_central() -> bool:
        found[:] = issue(site)
        return found[0]["public_url"].startswith(central.url + "/t/")

    wait_until(printed_for_central, what="a QR code pointing at the central")
    # The phone may open the link only once the uplink has brought the ticket to the central.
    token = found[0]["public_url"].rsplit("/", 1)[1]
    wait_until(lambda: requests.get(f"{central.url}/api/v1/public/tickets/{token}", timeout=10).status_code == 200,
               what="the ticket known at the central")
    return found[0]


def call_until(site, ticket: dict[str, Any], counter_id: int = 1) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Call the site's queue at the counter until this ticket is called; the call's answer."""
    answers: list[dict[str, Any]] = []

    def called() -> bool:
        answer = staff(site, f"/counters/{counter_id}/call-next")
        assert answer.status_code == 200, answer.text
        answers[:] = [answer.json()]
        return answer.json()["id"] == ticket["id"]

    wait_until(called, what="the ticket called")
    return answers[0]


def serve(site, ticket: dict[str, Any], counter_id: int = 1) -> None:  # type: ignore[no-untyped-def]
    call_until(site, ticket, counter_id)
    assert staff(site, f"/tickets/{ticket['id']}/finish").status_code == 200


def test_a_phone_that_reaches_only_the_central_follows_its_ticket_and_rates_it(
        fresh_postgres_url, tmp_path: Path, sqlite_template: Path) -> None:  # type: ignore[no-untyped-def]
    central = make_central(fresh_postgres_url(), tmp_path)
    key = add_site(central, "XA-A", "Xã A")
    central.start()
    path = tmp_path / "site.sqlite3"
    shutil.copy(sqlite_template, path)
    site = start_site(f"sqlite:///{path}", tmp_path, central, key)
    phone = None
    try:
        ahead_of_me = issue(site)[0]
        ticket = uplinked_ticket(central, site)
        token = token_of(ticket)
        phone = Phone(central, token)

        # The site sent the digest, never the token: the central stores and the phone finds it by its hash.
        digest = hashlib.sha256(token.encode()).hexdigest()
        wait_until(lambda: central.query("SELECT 1 FROM province_phone_tickets WHERE token_sha256 = :d", d=digest),
                   what="the ticket's digest at the central")
        assert central.query("SELECT 1 FROM province_events WHERE CAST(payload AS TEXT) LIKE :d", d=f"%{digest}%")
        assert not central.query("SELECT 1 FROM province_events WHERE CAST(payload AS TEXT) LIKE :token",
                                 token=f"%{token}%")

        # Following: the same people ahead and estimated wait as the site's own phone page.
        at_site = site.api("GET", f"/public/tickets/{token}").json()
        wait_until(lambda: phone.view().ok and phone.view().json().get("site"), what="the central's view")
        view = phone.view().json()
        assert (view["number"], view["status"], view["ahead"], view["estimated_wait_s"]) == \
            (at_site["number"], "waiting", at_site["ahead"], at_site["estimated_wait_s"])
        assert view["ahead"] >= 1 and view["site"]["centre_name"] == at_site["site"]["centre_name"]
        page = requests.get(f"{central.url}/t/{token}", timeout=10)
        assert page.status_code == 200 and ticket["number"] in page.text

        # Live: the phone's socket is told when the queue moves; the view names the counter once called.
        phone.follow()
        wait_until(lambda: phone.pushed("snapshot"), what="the phone's snapshot")
        before = phone.view().json()["ahead"]
        assert staff(site, "/counters/1/call-next").json()["id"] == ahead_of_me["id"]
        wait_until(lambda: phone.view().json()["ahead"] == before - 1
                   == site.api("GET", f"/public/tickets/{token}").json()["ahead"], what="one person fewer ahead")
        pushes_before = phone.pushed("ticket_changed")
        called = call_until(site, ticket, counter_id=2)
        wait_until(lambda: phone.pushed("ticket_changed") > pushes_before, timeout_s=10, what="a push to the phone")
        wait_until(lambda: phone.view().json()["status"] == "called", timeout_s=10, what="called, at the central")
        assert phone.view().json()["counter_number"] == called["counter_number"]

        # Rating: relayed to the site live, answered with the site's 201; a second is the site's 409.
        assert staff(site, f"/tickets/{ticket['id']}/finish").status_code == 200
        wait_until(lambda: phone.view().json()["can_rate"], what="the central's view to allow a rating")
        first = phone.rate(5)
        assert first.status_code == 201, first.text
        assert first.json()["channel"] == "phone"
        second = phone.rate(1)
        assert second.status_code == 409 and second.json()["error"] == "already_rated", second.text
        assert site_ratings(site, ticket["id"]) == [(5, "phone")]
        view = phone.view().json()
        assert view["rating_status"] == "accepted" and not view["can_rate"]

        # Forged and foreign tokens: not found at the central, and guessing is throttled per token pattern.
        forged = token[:4] + "x" * (len(token) - 4)
        assert requests.get(f"{central.url}/api/v1/public/tickets/{forged}", timeout=10).status_code == 404
        # The page of a link that names nothing says so in Vietnamese (it once failed to build its own style sheet).
        invalid = requests.get(f"{central.url}/t/{forged}", timeout=10)
        assert invalid.status_code == 404 and "Đường dẫn phiếu này không hợp lệ" in invalid.text, invalid.text[:500]
        assert requests.get(central.url + re.search(r'href="([^"]*ticket\.css)"', invalid.text)[1], timeout=10).ok
        assert Phone(central, forged).rate(5).status_code == 403
        answers = [requests.get(f"{central.url}/api/v1/public/tickets/Zq9g{n}uess", timeout=10).status_code
                   for n in range(12)]
        assert answers[:9] == [404] * 9 and answers[-1] == 429
        assert phone.view().status_code == 200  # another pattern: the citizen holding a real token is not locked out
        # Not even when the guesses share the real token's own first characters: the throttle refuses
        # only tokens that match nothing, so nobody can lock a citizen out of their ticket.
        same_pattern = [requests.get(f"{central.url}/api/v1/public/tickets/{token[:4]}{n}guess", timeout=10).status_code
                        for n in range(12)]
        assert same_pattern[-1] == 429
        assert phone.view().status_code == 200
        assert requests.get(f"{central.url}/t/{token}", timeout=10).status_code == 200
    finally:
        if phone is not None:
            phone.close()
        site.stop()
        central.stop()


def test_a_rating_given_while_the_site_is_away_is_delivered_once_when_it_is_back(
        fresh_postgres_url, tmp_path: Path, sqlite_template: Path) -> None:  # type: ignore[no-untyped-def]
    central = make_central(fresh_postgres_url(), tmp_path)
    key = add_site(central, "XA-A", "Xã A")
    other_key = add_site(central, "XA-B", "Xã B")
    central.start()
    path, other_path, alone_path = tmp_path / "site.sqlite3", tmp_path / "other.sqlite3", tmp_path / "alone.sqlite3"
    for copy in (path, other_path, alone_path):
        shutil.copy(sqlite_template, copy)
    site = start_site(f"sqlite:///{path}", tmp_path, central, key)
    other = start_site(f"sqlite:///{other_path}", tmp_path, central, other_key)
    alone = start_site(f"sqlite:///{alone_path}", tmp_path, None, None)
    try:
        ticket = uplinked_ticket(central, site)
        phone = Phone(central, token_of(ticket))
        serve(site, ticket)
        wait_until(lambda: phone.view().ok and phone.view().json()["can_rate"], what="the ticket served at the central")

        # Another site's ticket, and a ticket of a site that is not uplinked: unknown to this phone's central.
        foreign = Phone(central, token_of(uplinked_ticket(central, other)))
        wait_until(lambda: foreign.view().ok and foreign.view().json()["site"].get("centre_name"),
                   what="the other site's ticket at the central")
        lonely = issue(alone)[0]
        assert lonely["public_url"].startswith(alone.url)  # no central: the site's own page, as before
        assert Phone(central, token_of(lonely)).view().status_code == 404

        # The site goes away; the central keeps the phone's ratings and says so.
        site.stop()
        kept = phone.rate(4)
        assert kept.status_code == 202, kept.text
        assert kept.json()["status"] == "pending" and kept.json()["message"]
        again = phone.rate(2, ["cho_lau"])
        assert again.status_code == 202
        view = phone.view().json()
        assert view["rating_status"] == "pending" and not view["can_rate"]

        # Back: delivered once, judged by the site: the first accepted, the second refused as already rated.
        site.start()
        wait_until(lambda: [r["status"] for r in phone.view().json()["ratings"]] == ["accepted", "refused"],
                   timeout_s=60, what="both verdicts at the central")
        view = phone.view().json()
        assert view["rating_status"] == "accepted"
        assert [r["error"] for r in view["ratings"]] == [None, "already_rated"]
        assert site_ratings(site, ticket["id"]) == [(4, "phone")]

        # Once: another reconnection delivers nothing again.
        site.restart()
        wait_until(lambda: central.sites()["XA-A"]["connected"], what="the site connected again")
        uplinked_ticket(central, site)
        assert site_ratings(site, ticket["id"]) == [(4, "phone")]
        assert [r["status"] for r in phone.view().json()["ratings"]] == ["accepted", "refused"]
        # The other site's ticket was never rated through this one.
        assert foreign.view().json()["rating_status"] is None
    finally:
        for server in (site, other, alone):
            server.stop()
        central.stop()
