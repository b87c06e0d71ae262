"""The simulated communes' history: a whole hash chain, the same events for the same seed, payloads the
roll-ups understand (their totals equal the events' own counts)."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from server.db import make_engine, make_session_factory
from server.queue import events as ev
from server.queue.hashchain import verify_chain
from server.rollups.apply import apply_events
from server.rollups.demo_history import commune, generate_events
from server.rollups.models import RollupSiteDay

END = dt.date(2026, 11, 30)


def test_the_history_is_a_whole_chain_and_the_same_for_the_same_seed() -> None:
    events = list(generate_events("XA-01", 6, seed=3, end=END))
    assert [event.seq for event in events] == list(range(1, len(events) + 1))
    assert verify_chain(events).ok
    assert [event.hash for event in generate_events("XA-01", 6, seed=3, end=END)] == [event.hash for event in events]
    assert [event.hash for event in generate_events("XA-02", 6, seed=3, end=END)] != [event.hash for event in events]
    days = {event.created_at.astimezone(dt.timezone(dt.timedelta(hours=7))).date() for event in events}
    assert len(days) == 6 and max(days) < END and all(day.weekday() < 6 for day in days)
    assert "mô phỏng" in commune("XA-01").name


def test_the_rollups_count_what_the_history_holds(sqlite_url: str) -> None:
    events = list(generate_events("XA-07", 10, seed=1, end=END, chained=False))
    kinds = Counter(event.type for event in events)
    assert kinds[ev.TICKET_ISSUED] > 100 and kinds[ev.TICKET_TRANSFERRED] > 0 and kinds[ev.TICKET_SKIPPED] > 0
    engine = make_engine(sqlite_url)
    session = make_session_factory(engine, writing=True)()
    for start in range(0, len(events), 700):
        apply_events(session, 7, events[start:start + 700])
    session.commit()
    sums = session.execute(select(func.sum(RollupSiteDay.issued), func.sum(RollupSiteDay.served),
                                  func.sum(RollupSiteDay.no_show), func.sum(RollupSiteDay.ratings),
                                  func.sum(RollupSiteDay.transferred))
                           .where(RollupSiteDay.site_id == 7, RollupSiteDay.grain == "day")).one()
    assert tuple(sums) == (kinds[ev.TICKET_ISSUED], kinds[ev.TICKET_FINISHED], kinds[ev.TICKET_SKIPPED],
                           kinds[ev.RATING_RECEIVED], kinds[ev.TICKET_TRANSFERRED])
    session.close()
    engine.dispose()
