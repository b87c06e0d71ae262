"""Helpers of the kiosk and phone-page tests: the live server's database, screens, waiting on pages.

The tests change the centre's set-up (working hours, quotas, fields, the kiosk's settings) the way an
administrator would, through server.administration on the server's own database, and read that
database to check that what the kiosk shows is what the server recorded.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.administration import FieldSpec, create_field, set_counter_services, set_working_hours
from server.db import make_engine
from server.models import Counter, Device, DeviceKind, IdempotencyRecord, PrintJob, Rating, Service, Ticket

KIOSK_KEY = "demo-kiosk-1"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# Kiosk screens: a portrait 1080×1920 touchscreen (rendered at half size, twice the pixels) and a
# landscape 1280×800 one.
SCREENS = {
    "portrait": {"width": 540, "height": 960, "device_scale_factor": 2},
    "landscape": {"width": 1280, "height": 800, "device_scale_factor": 1},
}
PHONE = {"width": 360, "height": 740, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


class CentreDatabase:
    """The live server's database, changed as an administrator would and read to check the kiosk."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)

    def session(self) -> Session:
        # BEGIN IMMEDIATE for our writes, like the server's own writers (no lock upgrade races).
        return Session(bind=self.engine.execution_options(hangcho_write=True), expire_on_commit=False)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    def tickets(self) -> list[Ticket]:
        with self.session() as session:
            return list(session.scalars(select(Ticket).order_by(Ticket.id)))

    def ticket_count(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count(Ticket.id))) or 0

    def print_jobs(self) -> list[PrintJob]:
        with self.session() as session:
            return list(session.scalars(select(PrintJob).order_by(PrintJob.id)))

    def ratings(self) -> list[Rating]:
        with self.session() as session:
            return list(session.scalars(select(Rating).order_by(Rating.id)))

    def idempotency_keys(self) -> list[str]:
        with self.session() as session:
            return list(session.scalars(select(IdempotencyRecord.key)))

    def services(self) -> list[Service]:
        with self.session() as session:
            return list(session.scalars(select(Service).order_by(Service.position, Service.id)))

    def set_hours(self, opens: dt.time, closes: dt.time) -> None:
        """The same working session on every day of the week."""
        with self.session() as session:
            set_working_hours(session, 1, [(weekday, opens, closes) for weekday in range(7)], self.now())
            session.commit()

    def close_now(self) -> str:
        """Working hours that exclude the present moment; returns when issuing opens again (local "HH:MM")."""
        local = dt.datetime.now(HANOI)
        opens = dt.time(13, 0) if local.hour < 12 else dt.time(6, 0)
        self.set_hours(opens, dt.time(opens.hour + 1, 0))
        return opens.strftime("%H:%M")

    def set_quota(self, service_id: int, quota: int | None) -> None:
        with self.session() as session:
            session.get(Service, service_id).daily_quota = quota
            session.commit()

    def set_kiosk_settings(self, **settings: Any) -> None:
        with self.session() as session:
            kiosk = session.scalar(select(Device).where(Device.kind == DeviceKind.KIOSK))
            kiosk.settings = {**(kiosk.settings or {}), **settings}
            session.commit()

    def add_fields(self, count: int, groups: list[str]) -> None:
        """`count` more fields spread over `groups` (the catalogue of a big centre), served by counter 4 (a
        field no counter serves is not offered)."""
        with self.session() as session:
            start = session.scalar(select(func.count(Service.id))) or 0
            created = []
            for index in range(count):
                group = groups[index % len(groups)]
                number = start + index + 1
                created.append(create_field(session, 1, FieldSpec(
                    code=f"F{number:03d}", name=f"{group} – thủ tục số {number}", name_en=f"{group} procedure {number}",
                    group_name=group, number_prefix=_prefix(number), number_start=1, number_end=999, number_width=3,
                    position=number), self.now()))
            counter = session.get(Counter, 4)
            set_counter_services(session, counter, [*counter.service_ids, *(service.id for service in created)])
            session.commit()

    def set_groups(self, group: str) -> None:
        with self.session() as session:
            for service in session.scalars(select(Service)):
                service.group_name = group
            session.commit()

    def dispose(self) -> None:
        self.engine.dispose()


def _prefix(number: int) -> str:
    """Two letters per field (AA, AB, …): each of the 70 fields gets its own number series."""
    return chr(ord("A") + number // 26 % 26) + chr(ord("A") + number % 26)


def wait_for_screen(page: Any, screen: str, timeout_ms: int = 15_000) -> None:
    page.wait_for_selector(f"#kiosk[data-screen='{screen}']", timeout=timeout_ms)


def tap_field(page: Any, name: str) -> None:
    page.locator(".k-tile-service", has_text=name).first.click()


def wait_until(condition: Callable[[], Any], timeout_s: float = 10, what: str = "condition") -> Any:
    """Wait for a condition of the database (not of the page) to hold; returns its value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
