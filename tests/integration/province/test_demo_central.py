"""The demo central's simulated communes: their history goes through the real ingest, and the province's
read models (live state, roll-ups, rankings) show them (the path `make run` takes in the background)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from server.db import make_engine, make_session_factory
from server.migrate import upgrade
from server.province.demo import DEMO_COMMUNES, commune_code, seed_demo_central, seed_demo_history
from server.province.models import ProvinceSite, ReceivedEvent
from server.province.ingest import verify_stored
from server.province.rankings import province_sites
from server.rollups.rankings import rank_sites

NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.timezone.utc)


def test_the_demo_communes_get_their_history_through_ingest_and_rank(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine, writing=True)
    try:
        with sessions() as session:
            seed_demo_central(session, NOW)
            session.commit()
        with sessions() as session:
            stored = seed_demo_history(session, NOW, "Asia/Ho_Chi_Minh", days=3)
            assert stored > 0
            codes = [commune_code(index) for index in range(len(DEMO_COMMUNES))]
            communes = list(session.scalars(select(ProvinceSite).where(ProvinceSite.code.in_(codes))))
            assert len(communes) == len(DEMO_COMMUNES) >= 10
            for site in communes:
                count = session.scalar(select(func.count()).select_from(ReceivedEvent).where(ReceivedEvent.site_id == site.id))
                assert count and site.last_seq == count, (site.code, count, site.last_seq)
                assert site.last_seen_at is not None and site.last_seen_at.tzinfo is not None and not site.connected
                assert verify_stored(session, site.id) == {"ok": True, "checked": count, "first_bad_seq": None}
            # A second run leaves the history as it is (the communes already have theirs).
            assert seed_demo_history(session, NOW, "Asia/Ho_Chi_Minh", days=3) == 0
            first = session.scalar(select(ReceivedEvent.created_at).order_by(ReceivedEvent.created_at).limit(1))
            last = session.scalar(select(ReceivedEvent.created_at).order_by(ReceivedEvent.created_at.desc()).limit(1))
            ranking = rank_sites(session, first.date() - dt.timedelta(days=1), last.date() + dt.timedelta(days=1),
                                 "satisfaction_index", 1, province_sites(session))
            ranked = {row["code"] for row in ranking}
            assert {site.code for site in communes} <= ranked
            assert any(row["issued"] > 0 and row["ratings"] > 0 for row in ranking)
            # Issue 14's facts are simulated too: dossiers (repeat visits) on about half the visits.
            assert all(row["visits_known"] > 0 and row["repeat_visit_rate"] is not None
                       for row in ranking if row["code"] in {site.code for site in communes})
    finally:
        engine.dispose()
