"""Printing: a ticket goes to its kiosk's printer through the bridge, as a print job.

Printing never blocks issuing: the number exists once it is committed, the job is pushed after the
commit, and a failure (reported by the bridge, or no answer in time) reaches the kiosk, which keeps the
number on screen, and the supervisor. A later successful print clears the printer's alert.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server import errors
from server.errors import N_
from server.models import Device, DeviceKind, PrintJob, PrintJobStatus, Service, Site, Ticket
from server.queue import events as ev
from server.queue import queries
from server.queue.actors import Actor
from server.queue.alerts import Alerts
from server.queue.site_settings import kiosk_settings, site_settings
from server.queue.unit_of_work import Concern, verb


def printer_situation(kiosk_id: int) -> str:
    return f"printer:{kiosk_id}"


class Printing(Concern):
    def public_url(self, ticket: Ticket) -> str:
        return f"{self.uow.public_base_url}/t/{ticket.public_token}"

    def queue_job(self, site: Site, ticket: Ticket, kiosk: Device, ahead: int, wait: int, reprint: bool) -> int:
        settings = site_settings(site.settings)
        job = PrintJob(site_id=site.id, ticket_id=ticket.id, kiosk_device_id=kiosk.id, status=PrintJobStatus.PENDING,
                       reprint=reprint, created_at=self.uow.now())
        self.session.add(job)
        self.session.flush()
        service = self.session.get(Service, ticket.service_id)
        local_issued = ticket.issued_at.astimezone(ZoneInfo(site.timezone))
        self.uow.record(
            ev.PRINT_JOB, site.id,
            {
                "job_id": job.id,
                "kiosk_id": kiosk.id,
                "reprint": reprint,
                "language": ticket.language,
                "paper_width_mm": kiosk_settings(kiosk.settings).paper_width_mm or settings.paper_width_mm,
                "ticket": {
                    "id": ticket.id,
                    "number": ticket.number,
                    "centre_name": site.centre.name,
                    "site_name": site.name,
                    "service_name": service.name if service else "",
                    "priority_name": ticket.priority_category.name if ticket.priority_category else None,
                    "issued_at": local_issued.isoformat(),
                    "issued_at_local": local_issued.strftime("%d/%m/%Y %H:%M"),
                    "ahead": ahead,
                    "estimated_wait_s": wait,
                    "public_url": self.public_url(ticket),
                    "guidance": settings.guidance,
                },
            },
            (ev.printer_room(kiosk.id),), ticket_id=ticket.id, logged=False,
        )
        return job.id

    @verb
    def reprint(self, ticket_id: int, actor: Actor, kiosk_device_id: int | None = None) -> int:
        """Send a ticket to a kiosk's printer again (the citizen keeps the same number and QR)."""
        self.uow.actor = actor
        ticket = self.uow.ticket(ticket_id)
        site = self.uow.lock_site(ticket.site_id)
        kiosk_id = kiosk_device_id or (actor.id if actor.is_device(DeviceKind.KIOSK.value) else None) \
            or ticket.issued_by_device_id
        kiosk = self.session.get(Device, kiosk_id) if kiosk_id else None
        if kiosk is None or kiosk.kind is not DeviceKind.KIOSK or kiosk.site_id != site.id:
            raise errors.NotFound()
        if actor.is_device(DeviceKind.KIOSK.value) and actor.id != ticket.issued_by_device_id:
            raise errors.Forbidden()
        if not kiosk_settings(kiosk.settings).printer:
            raise errors.KioskHasNoPrinter()
        ahead, wait = queries.position(self.session, ticket)
        return self.queue_job(site, ticket, kiosk, ahead, wait, reprint=True)

    @verb
    def record_result(self, job_id: int, actor: Actor, ok: bool, error: str = "", message: str = "") -> PrintJob:
        """The bridge reports how a print job went; a failure reaches the kiosk and the supervisor."""
        self.uow.actor = actor
        job = self.session.get(PrintJob, job_id)
        if job is None or (actor.site_id is not None and job.site_id != actor.site_id):
            raise errors.NotFound()
        self.uow.lock_site(job.site_id)
        self.session.refresh(job)
        late_success = ok and job.status is PrintJobStatus.FAILED and job.error == "timeout"
        if job.status is not PrintJobStatus.PENDING and not late_success:
            return job  # a repeated report (the bridge retries until acknowledged)
        # A slow printer (a raster ticket at 9600 baud takes many seconds) may finish after the time-out
        # failed its job: the ticket did print, so the kiosk hears "printed" after all.
        self._settle(job, ok, error, message)
        return job

    @verb
    def fail_overdue_jobs(self, site_id: int) -> int:
        """Print jobs no bridge answered in time are failed, so the kiosk and supervisor know."""
        self.uow.lock_site(site_id)
        deadline = self.uow.now() - dt.timedelta(seconds=self.uow.print_timeout_s)
        overdue = list(self.session.scalars(select(PrintJob).where(
            PrintJob.site_id == site_id, PrintJob.status == PrintJobStatus.PENDING, PrintJob.created_at <= deadline)))
        for job in overdue:
            self._settle(job, False, "timeout", "No printer answered in time.")
        return len(overdue)

    def _settle(self, job: PrintJob, ok: bool, error: str, message: str) -> None:
        job.status = PrintJobStatus.PRINTED if ok else PrintJobStatus.FAILED
        job.error = "" if ok else (error or "error")[:48]
        job.message = message[:300]
        job.finished_at = self.uow.now()
        ticket = self.session.get(Ticket, job.ticket_id)
        payload = {"job_id": job.id, "kiosk_id": job.kiosk_device_id, "id": job.ticket_id, "ticket_id": job.ticket_id,
                   "number": ticket.number if ticket else None, "ok": ok, "error": job.error or None,
                   "message": job.message}
        rooms: tuple[str, ...] = (ev.kiosk_room(job.kiosk_device_id),)
        alerts = Alerts(self.uow)
        if ok:
            alerts.resolve(job.site_id, printer_situation(job.kiosk_device_id))
        else:
            rooms = (*rooms, ev.dashboard_room(job.site_id))
            alerts.raise_(job.site_id, "printer_problem", printer_situation(job.kiosk_device_id),
                          N_("Printer of kiosk %(kiosk_id)s failed (%(error)s) on ticket %(number)s"),
                          {"kiosk_id": job.kiosk_device_id, "error": job.error, "number": payload["number"]})
        self.uow.record(ev.PRINT_RESULT, job.site_id, payload, rooms, ticket_id=job.ticket_id, logged=False)
