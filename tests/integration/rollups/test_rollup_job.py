"""The site's scheduler job keeps the roll-ups current, and the report API reads them for longer periods."""
from __future__ import annotations

from sqlalchemy import select

from server.models import Device, Site
from server.queue.actors import Actor
from server.rollups.models import RollupCursor
from server.scheduler import rollups


def test_the_job_rolls_up_new_events_and_the_report_reads_them(app, queue, demo, login) -> None:  # type: ignore[no-untyped-def]
    runtime = app.extensions["hangcho"]
    service = queue()
    kiosk = service.session.scalar(select(Device).where(Device.name == "Kiosk sảnh chính"))
    actor = Actor(kind="device", id=kiosk.id, site_id=kiosk.site_id, role="kiosk")
    service.session.rollback()
    for field_id in (1, 1, 3):
        queue().issue_ticket(field_id, actor)

    def seqs() -> tuple[int, int | None]:
        session = runtime.session_factory()
        try:
            return (session.scalar(select(Site.event_seq).where(Site.id == demo.site_id)),
                    session.scalar(select(RollupCursor.rolled_up_seq).where(RollupCursor.site_id == demo.site_id)))
        finally:
            session.close()

    job_session = runtime.session_factory()
    rollups(runtime, runtime.service(job_session), demo.site_id)  # the first run: from the tickets
    assert seqs()[1] == seqs()[0]
    queue().issue_ticket(3, actor)
    assert seqs()[1] < seqs()[0]
    rollups(runtime, runtime.service(job_session), demo.site_id)  # then from the events
    assert seqs()[1] == seqs()[0]
    job_session.close()

    client = app.test_client()
    headers = login("giamsat")
    today = client.get("/api/v1/reports/summary?group_by=service", headers=headers).get_json()
    day = today["from"]
    week = client.get(f"/api/v1/reports/summary?from=2026-11-19&to={day}&group_by=service", headers=headers).get_json()
    assert week["totals"]["issued"] == today["totals"]["issued"] == 4
    assert [(row["key"], row["issued"], row["service_name"]) for row in week["rows"]] == [
        (row["key"], row["issued"], row["service_name"]) for row in today["rows"]]
