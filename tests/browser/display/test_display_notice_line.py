"""The supervisor's notice line reaches the hall board live (`notice_changed`), also when the change is
made by another server process: here the test process itself plays that process, sharing the server's
Redis message queue, as a second server behind nginx would."""
from __future__ import annotations

import pytest
from flask_socketio import SocketIO
from sqlalchemy import select

from server.db import make_engine, make_session_factory
from server.models import Site
from server.queue.clock import SystemClock
from server.queue.service import QueueService
from server.realtime import SocketIOPublisher

NOTICE = "Hôm nay Trung tâm làm việc đến 17 giờ 00. Công dân vui lòng giữ trật tự khi chờ đến lượt."


@pytest.fixture
def shared_server(sqlite_url, tmp_path, redis_url):  # type: ignore[no-untyped-def]
    from tests.conftest import start_live_server

    server = start_live_server(sqlite_url, tmp_path, HANGCHO_MESSAGE_QUEUE_URL=redis_url)
    yield server
    server.stop()


def test_a_new_notice_scrolls_on_the_hall_board_at_once(shared_server, redis_url, new_page) -> None:  # type: ignore[no-untyped-def]
    hall = new_page(1920, 1080)
    hall.goto(shared_server.url + "/display/hall?key=demo-display-1")
    hall.wait_for_function("() => window.HangChoDisplay && window.HangChoDisplay.snapshots > 0")
    assert hall.is_hidden("#notice")
    engine = make_engine(shared_server.database_url)
    # A writing session, as the administration's: its first statement takes SQLite's write lock, so the
    # change never has to upgrade a read transaction while the server writes (that fails at once).
    session = make_session_factory(engine, writing=True)()
    try:
        site = session.scalar(select(Site).order_by(Site.id))
        site.settings = {**(site.settings or {}), "notice": NOTICE}
        other_process = SocketIOPublisher(SocketIO(message_queue=redis_url), [])
        QueueService(session, clock=SystemClock(), publisher=other_process).record_setting_change(
            site.id, "notice_changed", {"notice": NOTICE})
    finally:
        session.close()
        engine.dispose()

    hall.wait_for_function("notice => document.getElementById('notice').dataset.notice === notice", arg=NOTICE)
    assert hall.is_visible("#notice")
    assert hall.text_content("#notice-text") == NOTICE
    assert hall.evaluate("() => window.HangChoDisplay.snapshots") == 1  # applied from the event, no refetch
