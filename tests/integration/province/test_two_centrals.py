"""National scale in small: two central processes on one PostgreSQL database sharing Redis as the
Socket.IO message queue; two sites uplinked to different processes are both live on one board."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.conftest import free_port
from tests.integration.province.conftest import Central, add_site, issue, make_central, site_seq, start_site, wait_until


@pytest.mark.redis
def test_two_sites_on_two_central_processes_are_live_on_one_board(  # type: ignore[no-untyped-def]
        fresh_postgres_url, redis_url: str, tmp_path: Path, sqlite_template: Path) -> None:
    first = make_central(fresh_postgres_url(), tmp_path)
    first.env["HANGCHO_MESSAGE_QUEUE_URL"] = redis_url
    port = free_port()
    second = Central(f"http://127.0.0.1:{port}", port, first.database_url,
                     {**first.env, "HANGCHO_PORT": str(port)}, tmp_path / f"central-{port}.log")
    keys = {"XA-N1": add_site(first, "XA-N1", "Xã Bắc"), "XA-N2": add_site(first, "XA-N2", "Xã Nam")}
    first.start()
    second.start()
    sites = {}
    board = socketio.Client(reconnection=False)
    states: list[dict[str, Any]] = []
    board.on("site_state", states.append, namespace="/province")
    try:
        board.connect(first.url, auth={"token": first.login("tinh")}, namespaces=["/province"],
                      transports=["websocket"], wait_timeout=10)
        for code, central in (("XA-N1", first), ("XA-N2", second)):
            path = tmp_path / f"{code}.sqlite3"
            shutil.copy(sqlite_template, path)
            sites[code] = start_site(f"sqlite:///{path}", tmp_path, central, keys[code])
        issue(sites["XA-N1"], 2)
        issue(sites["XA-N2"], 3)
        # The board on the first process hears both, the second site's through Redis.
        for code, count in (("XA-N1", 2), ("XA-N2", 3)):
            wait_until(lambda: any(state["code"] == code and state["issued_today"] == count
                                   and state["last_seq"] == site_seq(sites[code]) for state in list(states)),
                       what=f"{code} live on the first process's board")
        rows = second.sites()
        assert rows["XA-N1"]["issued_today"] == 2 and rows["XA-N2"]["issued_today"] == 3
    finally:
        board.disconnect()
        for site in sites.values():
            site.stop()
        second.stop()
        first.stop()
