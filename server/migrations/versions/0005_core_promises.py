"""The core keeps its promises: one number per citizen, alerts that resolve, a tamper-evident log.

- tickets.issued_service_id (the field whose range gave the number; a transfer changes only service_id),
  back-filled from each ticket's first transfer; the unique (service_id, day, sequence) that made a
  transfer block its target field is replaced by unique (site, day, number) and (issued field, day,
  sequence). Numbers that two tickets of a day already share are told apart ("1001-2") before the
  constraint is created, so no history is lost.
- Active fields of a site whose numbers overlap: every field after the first of an overlapping pair is
  moved to the next free block of its prefix, with an audit entry, so the administrator sees it.
- events.hash and sites.event_hash: the hash chain, back-filled over each site's existing events.
- devices.status_changed_at, alerts.resolved_at, rating_attempts.token_pattern.

Revision ID: 0005_core_promises
Revises: 0004_merge_heads
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from server.queue.hashchain import canonical_event, chain_hash
from server.queue.rules import NumberFormat, free_number_range

revision = "0005_core_promises"
down_revision = "0004_merge_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("event_hash", sa.String(length=64), server_default="", nullable=False))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("hash", sa.String(length=64), server_default="", nullable=False))
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("status_changed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("rating_attempts") as batch:
        batch.add_column(sa.Column("token_pattern", sa.String(length=8), server_default="", nullable=False))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("issued_service_id", sa.Integer(), nullable=True))

    connection = op.get_bind()
    _backfill_issued_fields(connection)
    _tell_shared_numbers_apart(connection)
    _separate_overlapping_fields(connection)
    _backfill_hash_chain(connection)

    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("issued_service_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_tickets_issued_service_id_services"), "services", ["issued_service_id"], ["id"])
        batch.drop_constraint("uq_tickets_service_id_business_date_sequence", type_="unique")
        batch.create_unique_constraint(op.f("uq_tickets_site_id_business_date_number"),
                                       ["site_id", "business_date", "number"])
        batch.create_unique_constraint(op.f("uq_tickets_issued_service_id_business_date_sequence"),
                                       ["issued_service_id", "business_date", "sequence"])


def _backfill_issued_fields(connection: sa.Connection) -> None:
    events = sa.table("events", sa.column("ticket_id", sa.Integer), sa.column("type", sa.String),
                      sa.column("seq", sa.BigInteger), sa.column("payload", sa.JSON))
    first_transfer: dict[int, int] = {}
    for ticket_id, payload in connection.execute(
            sa.select(events.c.ticket_id, events.c.payload)
            .where(events.c.type == "ticket_transferred", events.c.ticket_id.is_not(None)).order_by(events.c.seq)).all():
        if ticket_id not in first_transfer and isinstance(payload, dict) and payload.get("from_service_id"):
            first_transfer[ticket_id] = int(payload["from_service_id"])
    connection.execute(sa.text("UPDATE tickets SET issued_service_id = service_id"))
    if first_transfer:
        connection.execute(sa.text("UPDATE tickets SET issued_service_id = :service WHERE id = :ticket"),
                           [{"service": service_id, "ticket": ticket_id} for ticket_id, service_id in first_transfer.items()])


def _tell_shared_numbers_apart(connection: sa.Connection) -> None:
    shared = connection.execute(sa.text(
        "SELECT site_id, business_date, number FROM tickets GROUP BY site_id, business_date, number HAVING COUNT(*) > 1"
    )).all()
    for site_id, business_date, number in shared:
        twins = connection.execute(sa.text(
            "SELECT id FROM tickets WHERE site_id = :site AND business_date = :day AND number = :number ORDER BY id"),
            {"site": site_id, "day": business_date, "number": number}).scalars().all()
        for index, ticket_id in enumerate(twins[1:], start=2):
            connection.execute(sa.text("UPDATE tickets SET number = :number WHERE id = :ticket"),
                               {"number": f"{number}-{index}"[:16], "ticket": ticket_id})


def _separate_overlapping_fields(connection: sa.Connection) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    fields = connection.execute(sa.text(
        "SELECT id, site_id, name, number_prefix, number_start, number_end, number_width FROM services "
        "WHERE active ORDER BY site_id, position, id")).all()
    taken: dict[int, list[NumberFormat]] = defaultdict(list)
    for field_id, site_id, name, prefix, start, end, width in fields:
        numbering = NumberFormat(prefix=prefix, start=start, end=end, width=width)
        if any(numbering.collides_with(other) for other in taken[site_id]):
            free = free_number_range(taken[site_id], prefix=prefix, width=width)
            connection.execute(sa.text("UPDATE services SET number_start = :start, number_end = :end WHERE id = :id"),
                               {"start": free.start, "end": free.end, "id": field_id})
            connection.execute(sa.text("UPDATE sites SET config_version = config_version + 1 WHERE id = :site"),
                               {"site": site_id})
            audit = sa.table("audit_log", sa.column("site_id"), sa.column("staff_id"), sa.column("action"),
                             sa.column("entity"), sa.column("entity_id"), sa.column("before", sa.JSON),
                             sa.column("after", sa.JSON), sa.column("created_at"))
            connection.execute(audit.insert().values(
                site_id=site_id, staff_id=None, action="update", entity="service", entity_id=str(field_id),
                before={"number_start": start, "number_end": end}, after={"number_start": free.start, "number_end": free.end},
                created_at=now))
            numbering = free
        taken[site_id].append(numbering)


def _backfill_hash_chain(connection: sa.Connection) -> None:
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("site_id", sa.Integer),
                      sa.column("seq", sa.BigInteger), sa.column("type", sa.String),
                      sa.column("payload", sa.JSON), sa.column("created_at", sa.DateTime))
    for site_id in connection.execute(sa.text("SELECT id FROM sites ORDER BY id")).scalars().all():
        head, last_seq = "", -1
        while True:  # in pages, so a long history never sits in memory at once
            page = connection.execute(
                sa.select(events.c.id, events.c.seq, events.c.type, events.c.payload, events.c.created_at)
                .where(events.c.site_id == site_id, events.c.seq > last_seq).order_by(events.c.seq).limit(5000)
            ).all()
            if not page:
                break
            updates: list[dict[str, Any]] = []
            for row in page:
                created_at = row.created_at.replace(tzinfo=dt.timezone.utc)
                head = chain_hash(head, canonical_event(site_id, row.seq, row.type, row.payload or {}, created_at))
                updates.append({"event_id": row.id, "digest": head})
                last_seq = row.seq
            connection.execute(sa.text("UPDATE events SET hash = :digest WHERE id = :event_id"), updates)
        if head:
            connection.execute(sa.text("UPDATE sites SET event_hash = :digest WHERE id = :site"),
                               {"digest": head, "site": site_id})


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint("uq_tickets_issued_service_id_business_date_sequence", type_="unique")
        batch.drop_constraint("uq_tickets_site_id_business_date_number", type_="unique")
        batch.create_unique_constraint("uq_tickets_service_id_business_date_sequence",
                                       ["service_id", "business_date", "sequence"])
        batch.drop_constraint("fk_tickets_issued_service_id_services", type_="foreignkey")
        batch.drop_column("issued_service_id")
    for table, column in (("rating_attempts", "token_pattern"), ("alerts", "resolved_at"),
                          ("devices", "status_changed_at"), ("events", "hash"), ("sites", "event_hash")):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
