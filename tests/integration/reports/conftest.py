"""One small, fully known day at the demo centre, for checking report figures by hand.

Times are Hà Nội local (UTC+7) on Wednesday 25 Nov 2026, driven by the FixedClock. The expected figures
are written out by hand in the tests, next to the arithmetic that gives them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.models import Device, Staff, Ticket
from server.queue.actors import Actor
from server.queue.service import RatingRequest

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TPHT, DD, XD = 1, 3, 4  # demo field ids: Tư pháp – Hộ tịch, Đất đai, Xây dựng


def at(day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=HANOI)


@dataclass
class ReportDay:
    counter_1: int
    counter_3: int
    clerk_1: int
    clerk_3: int
    tickets: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def report_day(queue, clock, demo) -> ReportDay:  # type: ignore[no-untyped-def]
    """T1…T5 in Tư pháp – Hộ tịch at counter 1 (canbo1); D1 in Đất đai; T4 moves to Đất đai and is served at
    counter 3 (canbo3). Y is issued the day before, N after midnight; L late in the evening of the 25th."""
    service = queue()
    session = service.session
    kiosk = session.scalar(select(Device).where(Device.name == "Kiosk sảnh chính"))
    kiosk_actor = Actor(kind="device", id=kiosk.id, site_id=kiosk.site_id, role="kiosk")
    clerks = {s.username: s for s in session.scalars(select(Staff).where(Staff.username.in_(["canbo1", "canbo3"])))}
    clerk_1 = Actor(kind="staff", id=clerks["canbo1"].id, site_id=demo.site_id, role="clerk")
    clerk_3 = Actor(kind="staff", id=clerks["canbo3"].id, site_id=demo.site_id, role="clerk")
    citizen = Actor(kind="citizen", site_id=demo.site_id)
    day = ReportDay(demo.counters[1], demo.counters[3], clerks["canbo1"].id, clerks["canbo3"].id)
    session.rollback()  # SQLite: every transaction holds the write lock, even one that only read

    def issue(name: str, field_id: int, when: dt.datetime) -> None:
        clock.set(when)
        day.tickets[name] = queue().issue_ticket(field_id, kiosk_actor).ticket.id

    def rate(name: str, score: int, reasons: tuple[str, ...] = (), comment: str = "") -> None:
        rater = queue()
        token = rater.session.get(Ticket, day.tickets[name]).public_token
        rater.rate(RatingRequest(score=score, token=token, reasons=reasons, comment=comment), citizen)

    issue("Y", TPHT, at(24, 10, 0))
    issue("T1", TPHT, at(25, 9, 0))
    issue("T2", TPHT, at(25, 9, 1))
    issue("T3", TPHT, at(25, 9, 2))
    issue("T4", TPHT, at(25, 9, 3))
    issue("T5", TPHT, at(25, 9, 4))
    issue("D1", DD, at(25, 9, 5))

    clock.set(at(25, 9, 2))
    assert queue().call_next(day.counter_1, clerk_1).id == day.tickets["T1"]      # waited 120 s
    clock.set(at(25, 9, 2, 30))
    queue().start(day.tickets["T1"], clerk_1)
    clock.set(at(25, 9, 6, 30))
    queue().finish(day.tickets["T1"], clerk_1)                                     # served 240 s
    clock.set(at(25, 9, 7))
    assert queue().call_next(day.counter_1, clerk_1).id == day.tickets["T2"]      # waited 360 s
    clock.set(at(25, 9, 10))
    queue().finish(day.tickets["T2"], clerk_1)                                     # served 180 s (from the call)
    clock.set(at(25, 9, 11))
    assert queue().call_next(day.counter_1, clerk_1).id == day.tickets["T3"]      # waited 540 s
    clock.set(at(25, 9, 12))
    queue().skip(day.tickets["T3"], clerk_1)                                       # no-show
    assert queue().call_next(day.counter_1, clerk_1).id == day.tickets["T4"]      # waited 540 s
    clock.set(at(25, 9, 13))
    queue().transfer(day.tickets["T4"], clerk_1, to_service_id=DD)                 # to Đất đai

    clock.set(at(25, 9, 14))
    assert queue().call_next(day.counter_3, clerk_3).id == day.tickets["T4"]      # issued 09:03, before D1
    clock.set(at(25, 9, 15))
    queue().start(day.tickets["T4"], clerk_3)
    clock.set(at(25, 9, 20))
    queue().finish(day.tickets["T4"], clerk_3)                                     # served 300 s
    clock.set(at(25, 9, 21))
    assert queue().call_next(day.counter_3, clerk_3).id == day.tickets["D1"]      # waited 960 s
    clock.set(at(25, 9, 25))
    queue().finish(day.tickets["D1"], clerk_3)                                     # served 240 s

    clock.set(at(25, 9, 30))
    rate("T1", 5)
    rate("T2", 3, ("cho_lau",), comment="Chờ gần 10 phút dù chỉ có 3 người trước tôi.")
    rate("T4", 4, comment="   ")  # blank: not a comment
    rate("D1", 1, ("thai_do", "cho_lau"), comment="Cán bộ nói trống không, bắt tôi đi lại hai lần.")

    issue("L", XD, at(25, 23, 30))   # still the 25th in Hà Nội (16:30 UTC)
    issue("N", XD, at(26, 0, 30))    # the 26th in Hà Nội, though still the 25th in UTC
    return day
