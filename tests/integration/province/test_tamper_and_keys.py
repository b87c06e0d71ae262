"""Tamper evidence end to end (verify-log at the site, refusal and alert at the central, the inspector's
re-check) and the uplink's keys (wrong, revoked, rotated, another site's) against a real central."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Iterator

import pytest
import socketio
from sqlalchemy import create_engine, text

from server.queue.hashchain import GENESIS, canonical_event, chain_hash
from tests.integration.province.conftest import (Central, add_site, issue, make_central, run_cli, site_seq, start_site,
                                                 wait_until)


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """One central on SQLite shared by this module's tests (each registers its own sites)."""
    directory = tmp_path_factory.mktemp("central")
    central = make_central(f"sqlite:///{directory / 'central.sqlite3'}", directory)
    central.start()
    yield central
    central.stop()


def chained(count: int, origin_site_id: int = 1, previous: str = GENESIS, first_seq: int = 1) -> list[dict[str, Any]]:
    """Events as a site's uplink sends them, with a valid chain."""
    events = []
    at = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.timezone.utc)
    for seq in range(first_seq, first_seq + count):
        payload = {"id": seq, "number": str(1000 + seq), "status": "waiting", "issued_at": at.isoformat()}
        previous = chain_hash(previous, canonical_event(origin_site_id, seq, "ticket_issued", payload, at))
        events.append({"site_id": origin_site_id, "seq": seq, "type": "ticket_issued", "payload": payload,
                       "created_at": at.isoformat(), "hash": previous})
    return events


def uplink_client(central: Central, key: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(central.url, auth={"key": key}, namespaces=["/uplink"], transports=["websocket"], wait_timeout=10)
    return client


def refused(central: Central, key: str) -> bool:
    try:
        client = uplink_client(central, key)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


def test_an_edited_event_row_is_named_by_verify_log_refused_by_the_central_and_found_by_the_inspector(
        central: Central, fresh_postgres_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = add_site(central, "XA-T", "Xã Thử (PostgreSQL)")
    site = start_site(fresh_postgres_url(), tmp_path, None, None)  # not uplinked yet
    try:
        issue(site, 3)
        assert run_cli(site.env, "verify-log").returncode == 0
        engine = create_engine(site.database_url)
        with engine.begin() as connection:  # someone rewrites history by hand
            connection.execute(text("UPDATE events SET payload = jsonb_set(payload::jsonb, '{number}', '\"9999\"')::json "
                                    "WHERE seq = 2"))
        engine.dispose()
        checked = run_cli(site.env, "verify-log", check=False)
        assert checked.returncode != 0
        assert "seq 2" in checked.stdout

        site.stop()
        site.env.update(HANGCHO_CENTRAL_URL=central.url, HANGCHO_UPLINK_KEY=key, HANGCHO_UPLINK_MAX_BACKOFF_S="1")
        site.start()
        alerts = wait_until(lambda: central.query(
            "SELECT a.kind, a.payload, a.message FROM province_alerts a JOIN province_sites s ON s.id = a.site_id "
            "WHERE s.code = 'XA-T'"), what="the central's alert")
        kind, payload, message = alerts[0]
        assert kind == "chain_broken" and "XA-T" in message and "seq 2" in message
        row = central.sites()["XA-T"]
        assert row["last_seq"] == 1  # the event before the edit is stored, nothing after it
        assert row["open_alerts"] >= 1
        issue(site, 1)  # what follows the edit is refused too
        assert central.query("SELECT count(*) FROM province_events e JOIN province_sites s ON s.id = e.site_id "
                             "WHERE s.code = 'XA-T'")[0][0] == 1
        assert site_seq(site) >= 4

        verify_path = f"/api/v1/province/sites/{row['id']}/verify"
        assert central.get(verify_path, "tinh").status_code == 403  # the leader reads, the inspector verifies
        assert central.get(verify_path, "thanhtra").json() == {"ok": True, "checked": 1, "first_bad_seq": None}
    finally:
        site.stop()


def test_the_inspectors_verify_reports_the_first_bad_seq_of_the_stored_history(central: Central) -> None:
    key = add_site(central, "XA-V", "Xã Kiểm tra")
    client = uplink_client(central, key)
    try:
        assert client.call("hello", {"site_id": 1, "seq": 5}, namespace="/uplink", timeout=10)["ok"]
        answer = client.call("events", {"events": chained(5), "seq": 5}, namespace="/uplink", timeout=10)
        assert answer["ok"] and answer["acknowledged_seq"] == 5
        again = client.call("events", {"events": chained(5), "seq": 5}, namespace="/uplink", timeout=10)
        assert again["ok"] and again["duplicates"] == 5 and again["stored"] == 0  # a lost ack costs nothing
        # The same seqs again with other content (a site restored from an old backup): never overwritten.
        other = chained(3, previous="f" * 64)
        diverged = client.call("events", {"events": other}, namespace="/uplink", timeout=10)
        assert diverged["ok"] is False and diverged["error"] == "history_diverged" and diverged["first_bad_seq"] == 1
    finally:
        client.disconnect()
    site_id = central.sites()["XA-V"]["id"]
    engine = create_engine(central.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE province_events SET payload = json_set(payload, '$.number', '1') "
                                "WHERE site_id = :site AND seq = 4"), {"site": site_id})
    engine.dispose()
    assert central.get(f"/api/v1/province/sites/{site_id}/verify", "admin").json() == \
        {"ok": False, "checked": 3, "first_bad_seq": 4}


def test_wrong_revoked_rotated_and_other_sites_keys_cannot_write(central: Central) -> None:
    key_a = add_site(central, "XA-K1", "Xã Khóa Một")
    assert refused(central, "hcu_not-a-key")
    assert refused(central, "")

    client = uplink_client(central, key_a)
    try:
        client.call("hello", {"site_id": 1, "seq": 3}, namespace="/uplink", timeout=10)
        assert client.call("events", {"events": chained(3), "seq": 3}, namespace="/uplink", timeout=10)["ok"]
        # Events that name another site's own id are refused, whatever their chain.
        foreign = client.call("events", {"events": chained(1, origin_site_id=2, first_seq=4)}, namespace="/uplink", timeout=10)
        assert foreign["ok"] is False and foreign["error"] == "site_mismatch"
    finally:
        client.disconnect()

    # Site B's key cannot extend site A's history: B's events go to B's own chain, which they break.
    key_b = add_site(central, "XA-K2", "Xã Khóa Hai")
    a_head = chained(3)[-1]["hash"]
    client = uplink_client(central, key_b)
    try:
        client.call("hello", {"site_id": 1, "seq": 4}, namespace="/uplink", timeout=10)
        forged = client.call("events", {"events": chained(1, previous=a_head, first_seq=4)}, namespace="/uplink", timeout=10)
        assert forged["ok"] is False and forged["acknowledged_seq"] == 0
    finally:
        client.disconnect()
    assert central.sites()["XA-K1"]["last_seq"] == 3

    # Rotation: the old key stops, the new one works; revocation: refused at once.
    rotated = run_cli(central.env, "central", "rotate-key", "--code", "XA-K1").stdout.strip().splitlines()[-1]
    assert refused(central, key_a)
    assert not refused(central, rotated)
    run_cli(central.env, "central", "revoke", "--code", "XA-K1")
    assert refused(central, rotated)


def test_central_cli_prints_the_admin_password_once_and_the_uplink_key_alone_on_the_last_line(tmp_path: Path) -> None:
    env = {**os.environ, "HANGCHO_ROLE": "central", "HANGCHO_DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}"}
    created = run_cli(env, "central", "init", "--province", "Tỉnh Thử")
    assert "admin password (shown once):" in created.stdout
    assert run_cli(env, "central", "init", "--province", "Tỉnh Thử", check=False).returncode != 0
    added = run_cli(env, "central", "add-site", "--code", "XA-CLI", "--name", "Xã Dòng Lệnh").stdout.strip().splitlines()
    assert added[-1].startswith("hcu_") and " " not in added[-1]
    site_env = {**os.environ, "HANGCHO_DATABASE_URL": env["HANGCHO_DATABASE_URL"]}
    assert run_cli(site_env, "central", "add-site", "--code", "X", "--name", "Y", check=False).returncode != 0
