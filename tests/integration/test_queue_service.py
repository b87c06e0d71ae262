"""QueueService against real databases (each test runs on SQLite and on PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server import errors
from server.models import DailySequence, Event, PrintJob, Ticket, TicketStatus
from server.queue import events as ev
from server.queue.actors import Actor
from server.queue.service import RatingRequest

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
SUPERVISOR = Actor(kind="staff", id=5, site_id=1, role="supervisor")
TPHT, CT, DD, XD, HKD, BTXH = 1, 2, 3, 4, 5, 6


def clerk(counter_number: int) -> Actor:
    """canbo<N> works counter N (staff ids 1–4 in the demo seed)."""
    return Actor(kind="staff", id=counter_number, site_id=1, role="clerk")


def count(session_factory, model, *where) -> int:  # type: ignore[no-untyped-def]
    session = session_factory()
    try:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    finally:
        session.close()


# --- issuing ---------------------------------------------------------------------------------------

def test_numbers_follow_each_fields_format_and_sequence(queue) -> None:  # type: ignore[no-untyped-def]
    numbers = [queue().issue_ticket(service, KIOSK).ticket.number for service in (TPHT, TPHT, CT, BTXH, BTXH, TPHT)]
    assert numbers == ["1001", "1002", "2001", "A001", "A002", "1003"]


def test_issue_reports_people_ahead_and_estimated_wait(queue) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        queue().issue_ticket(DD, KIOSK)
    issued = queue().issue_ticket(DD, KIOSK)
    # DD is served by counter 3 only; its default service time is 300 s.
    assert issued.ahead == 3
    assert issued.estimated_wait_s == 900


def test_a_priority_ticket_counts_only_the_priority_tickets_ahead(queue) -> None:  # type: ignore[no-untyped-def]
    queue().issue_ticket(TPHT, KIOSK)
    queue().issue_ticket(TPHT, KIOSK)
    issued = queue().issue_ticket(TPHT, KIOSK, priority_code="nguoi_cao_tuoi")
    assert issued.ahead == 0
    assert issued.ticket.priority_level == 1 and issued.ticket.issued_by_device_id == 1


def test_issuing_from_a_kiosk_queues_a_print_job_for_its_printer(queue, publisher) -> None:  # type: ignore[no-untyped-def]
    issued = queue().issue_ticket(TPHT, KIOSK)
    assert issued.print_job_id is not None
    print_jobs = [e for e in publisher.events if e.type == ev.PRINT_JOB]
    assert len(print_jobs) == 1
    job = print_jobs[0]
    assert job.rooms == (ev.printer_room(1),)
    assert job.payload["ticket"]["number"] == "1001"
    assert job.payload["ticket"]["public_url"] == f"http://hangcho.test/t/{issued.ticket.public_token}"
    assert job.payload["ticket"]["issued_at_local"] == "25/11/2026 09:00"


def test_staff_issue_on_a_citizens_behalf_without_printing(queue) -> None:  # type: ignore[no-untyped-def]
    issued = queue().issue_ticket(TPHT, SUPERVISOR)
    assert issued.print_job_id is None and issued.ticket.issued_by_staff_id == 5


def test_unknown_field_and_unknown_priority_are_refused_and_write_nothing(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.ServiceNotFound):
        queue().issue_ticket(999, KIOSK)
    with pytest.raises(errors.UnknownPriority):
        queue().issue_ticket(TPHT, KIOSK, priority_code="vip")
    assert count(session_factory, Ticket) == 0
    assert count(session_factory, Event) == 0


def test_daily_quota_reached_refuses_and_leaves_the_sequence_alone(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    session = session_factory()
    from server.models import Service

    session.get(Service, DD).daily_quota = 2
    session.commit()
    session.close()
    queue().issue_ticket(DD, KIOSK)
    queue().issue_ticket(DD, KIOSK)
    with pytest.raises(errors.QuotaReached):
        queue().issue_ticket(DD, KIOSK)
    assert count(session_factory, Ticket, Ticket.service_id == DD) == 2
    session = session_factory()
    assert session.scalar(select(DailySequence.last_value).where(DailySequence.service_id == DD)) == 2
    session.close()


def test_end_of_number_range_is_a_quota(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    from server.models import Service

    session = session_factory()
    service = session.get(Service, XD)
    service.number_start, service.number_end = 4001, 4002
    session.commit()
    session.close()
    queue().issue_ticket(XD, KIOSK)
    queue().issue_ticket(XD, KIOSK)
    with pytest.raises(errors.QuotaReached):
        queue().issue_ticket(XD, KIOSK)


def test_closed_hours_refuse_issuing_and_write_nothing(queue, session_factory, clock) -> None:  # type: ignore[no-untyped-def]
    from server.administration import set_working_hours

    session = session_factory()
    set_working_hours(session, 1, [(2, dt.time(7, 0), dt.time(8, 0))], clock.now())  # Wednesday 07–08 only
    session.commit()
    session.close()
    with pytest.raises(errors.IssuingClosed) as closed:
        queue().issue_ticket(TPHT, KIOSK)
    assert closed.value.reason == "outside_hours"
    assert count(session_factory, Ticket) == 0


def test_holiday_refuses_issuing(queue, session_factory, clock) -> None:  # type: ignore[no-untyped-def]
    from server.models import Holiday

    session = session_factory()
    session.add(Holiday(site_id=1, date=dt.date(2026, 11, 25), name="Ngày nghỉ thử nghiệm"))
    session.commit()
    session.close()
    with pytest.raises(errors.IssuingClosed) as closed:
        queue().issue_ticket(TPHT, KIOSK)
    assert closed.value.reason == "holiday"


def test_a_retried_request_with_the_same_key_gives_the_same_ticket(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    first = queue().issue_ticket(TPHT, KIOSK, idempotency_key="tap-1")
    again = queue().issue_ticket(TPHT, KIOSK, idempotency_key="tap-1")
    assert again.replayed and again.ticket.id == first.ticket.id
    assert count(session_factory, Ticket) == 1


# --- the business day ------------------------------------------------------------------------------

def test_numbers_restart_at_local_midnight_not_at_utc_midnight(queue, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(dt.datetime(2026, 11, 25, 16, 58, tzinfo=dt.timezone.utc))  # 23:58 in Hà Nội
    assert queue().issue_ticket(TPHT, KIOSK).ticket.number == "1001"
    assert queue().issue_ticket(TPHT, KIOSK).ticket.number == "1002"
    clock.set(dt.datetime(2026, 11, 25, 17, 0, 1, tzinfo=dt.timezone.utc))  # 00:00:01 on the 26th
    new_day = queue().issue_ticket(TPHT, KIOSK).ticket
    assert new_day.number == "1001" and new_day.business_date == dt.date(2026, 11, 26)
    clock.set(dt.datetime(2026, 11, 26, 0, 0, 1, tzinfo=dt.timezone.utc))  # UTC midnight: same local day
    assert queue().issue_ticket(TPHT, KIOSK).ticket.number == "1002"


def test_yesterdays_waiting_tickets_are_never_called_and_expire_with_history_kept(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    old = queue().issue_ticket(TPHT, KIOSK).ticket
    clock.advance(days=1)
    with pytest.raises(errors.NoTicketWaiting):
        queue().call_next(1, clerk(1))
    assert queue().expire_previous_days(1) == 1
    session = session_factory()
    kept = session.get(Ticket, old.id)
    assert kept is not None and kept.status is TicketStatus.EXPIRED and kept.number == "1001"
    assert session.scalar(select(Event.type).where(Event.type == ev.TICKETS_EXPIRED)) == ev.TICKETS_EXPIRED
    session.close()
    assert queue().expire_previous_days(1) == 0  # idempotent


# --- calling ---------------------------------------------------------------------------------------

def test_counter_serves_its_first_field_first_then_the_next(queue) -> None:  # type: ignore[no-untyped-def]
    ct = queue().issue_ticket(CT, KIOSK).ticket
    tpht = queue().issue_ticket(TPHT, KIOSK).ticket
    assert queue().call_next(1, clerk(1)).id == tpht.id  # counter 1 serves TPHT before CT
    assert queue().call_next(1, clerk(1)).id == ct.id


def test_priority_is_called_first_and_fairness_lets_ordinary_through(queue, session_factory, clock) -> None:  # type: ignore[no-untyped-def]
    from server.models import Site

    session = session_factory()
    site = session.get(Site, 1)
    site.settings = {**site.settings, "max_priority_in_row": 2}
    session.commit()
    session.close()
    ordinary = [queue().issue_ticket(DD, KIOSK).ticket.id for _ in range(2)]
    priority = [queue().issue_ticket(DD, KIOSK, priority_code="nguoi_khuyet_tat").ticket.id for _ in range(3)]
    called = []
    for _ in range(5):
        clock.advance(minutes=4)
        called.append(queue().call_next(3, clerk(3)).id)
    assert called == [priority[0], priority[1], ordinary[0], priority[2], ordinary[1]]


def test_call_next_finishes_the_ticket_still_at_the_counter(queue, publisher) -> None:  # type: ignore[no-untyped-def]
    first = queue().issue_ticket(TPHT, KIOSK).ticket
    queue().issue_ticket(TPHT, KIOSK)
    queue().call_next(1, clerk(1))
    queue().call_next(1, clerk(1))
    service = queue()
    assert service.session.get(Ticket, first.id).status is TicketStatus.DONE
    assert ev.RATING_REQUESTED in publisher.types()


def test_no_ticket_waiting(queue) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.NoTicketWaiting):
        queue().call_next(1, clerk(1))


def test_only_the_clerk_of_the_counter_or_a_supervisor_may_call(queue) -> None:  # type: ignore[no-untyped-def]
    queue().issue_ticket(TPHT, KIOSK)
    with pytest.raises(errors.NotClerkOfCounter):
        queue().call_next(1, clerk(2))
    assert queue().call_next(1, SUPERVISOR).number == "1001"


def test_a_paused_counter_does_not_call(queue) -> None:  # type: ignore[no-untyped-def]
    queue().issue_ticket(TPHT, KIOSK)
    queue().pause_counter(1, clerk(1), "Nghỉ giải lao")
    with pytest.raises(errors.CounterPaused):
        queue().call_next(1, clerk(1))
    queue().resume_counter(1, clerk(1))
    assert queue().call_next(1, clerk(1)).number == "1001"


def test_pause_needs_a_reason_and_resume_needs_a_pause(queue) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.ValidationFailed):
        queue().pause_counter(1, clerk(1), "   ")
    with pytest.raises(errors.InvalidTransition):
        queue().resume_counter(1, clerk(1))


def test_a_closed_counter_does_not_call_until_a_clerk_opens_it(queue) -> None:  # type: ignore[no-untyped-def]
    queue().issue_ticket(TPHT, KIOSK)
    queue().close_counter(1, clerk(1))
    with pytest.raises(errors.CounterClosed):
        queue().call_next(1, clerk(1))
    counter = queue().open_counter(1, clerk(1))
    assert counter.clerk_id == 1
    assert queue().call_next(1, clerk(1)).number == "1001"


# --- every verb, allowed and refused ---------------------------------------------------------------

@pytest.fixture
def called_ticket(queue):  # type: ignore[no-untyped-def]
    queue().issue_ticket(TPHT, KIOSK)
    return queue().call_next(1, clerk(1))


def test_recall_keeps_the_ticket_called_and_counts_calls(queue, called_ticket, publisher) -> None:  # type: ignore[no-untyped-def]
    ticket = queue().recall(called_ticket.id, clerk(1))
    assert ticket.status is TicketStatus.CALLED and ticket.call_count == 2
    assert publisher.types()[-1] == ev.TICKET_RECALLED


def test_skip_makes_a_no_show_that_can_be_recalled_the_same_day(queue, called_ticket) -> None:  # type: ignore[no-untyped-def]
    assert queue().skip(called_ticket.id, clerk(1)).status is TicketStatus.NO_SHOW
    recalled = queue().recall(called_ticket.id, clerk(1))
    assert recalled.status is TicketStatus.CALLED and recalled.counter_id == 1


def test_a_no_show_of_yesterday_cannot_be_recalled(queue, called_ticket, clock) -> None:  # type: ignore[no-untyped-def]
    queue().skip(called_ticket.id, clerk(1))
    clock.advance(days=1)
    with pytest.raises(errors.InvalidTransition):
        queue().recall(called_ticket.id, clerk(1))


def test_start_then_finish(queue, called_ticket) -> None:  # type: ignore[no-untyped-def]
    assert queue().start(called_ticket.id, clerk(1)).status is TicketStatus.SERVING
    done = queue().finish(called_ticket.id, clerk(1))
    assert done.status is TicketStatus.DONE and done.finished_at is not None


@pytest.mark.parametrize("verb", ["skip", "start", "finish", "recall"])
def test_verbs_on_a_waiting_ticket_are_refused(queue, verb: str) -> None:  # type: ignore[no-untyped-def]
    ticket = queue().issue_ticket(TPHT, KIOSK).ticket
    with pytest.raises(errors.InvalidTransition):
        getattr(queue(), verb)(ticket.id, clerk(1))


@pytest.mark.parametrize("verb", ["skip", "start", "finish", "recall"])
def test_verbs_on_a_finished_ticket_are_refused(queue, called_ticket, verb: str) -> None:  # type: ignore[no-untyped-def]
    queue().finish(called_ticket.id, clerk(1))
    with pytest.raises(errors.InvalidTransition):
        getattr(queue(), verb)(called_ticket.id, clerk(1))


def test_a_second_clerk_acting_on_the_same_ticket_is_refused(queue, called_ticket) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.TicketHandledElsewhere):
        queue().finish(called_ticket.id, clerk(2))


def test_transfer_to_another_field_keeps_the_number_and_waits_there(queue, called_ticket) -> None:  # type: ignore[no-untyped-def]
    moved = queue().transfer(called_ticket.id, clerk(1), to_service_id=DD, note="Hồ sơ đất đai")
    assert moved.status is TicketStatus.WAITING and moved.service_id == DD and moved.number == "1001"
    assert queue().call_next(3, clerk(3)).id == called_ticket.id


def test_transfer_to_a_counter_reserves_the_ticket_for_it(queue, called_ticket) -> None:  # type: ignore[no-untyped-def]
    queue().issue_ticket(CT, KIOSK)
    queue().transfer(called_ticket.id, clerk(1), to_counter_id=2)
    assert queue().call_next(2, clerk(2)).id == called_ticket.id


def test_transfer_needs_exactly_one_target(queue, called_ticket) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.ValidationFailed):
        queue().transfer(called_ticket.id, clerk(1))
    with pytest.raises(errors.ValidationFailed):
        queue().transfer(called_ticket.id, clerk(1), to_service_id=DD, to_counter_id=2)


def test_transfer_of_a_waiting_ticket_is_refused(queue) -> None:  # type: ignore[no-untyped-def]
    ticket = queue().issue_ticket(TPHT, KIOSK).ticket
    with pytest.raises(errors.InvalidTransition):
        queue().transfer(ticket.id, SUPERVISOR, to_service_id=DD)


def test_only_a_supervisor_cancels_and_only_waiting_tickets(queue, called_ticket) -> None:  # type: ignore[no-untyped-def]
    waiting = queue().issue_ticket(TPHT, KIOSK).ticket
    with pytest.raises(errors.Forbidden):
        queue().cancel(waiting.id, clerk(1))
    assert queue().cancel(waiting.id, SUPERVISOR).status is TicketStatus.CANCELLED
    with pytest.raises(errors.InvalidTransition):
        queue().cancel(called_ticket.id, SUPERVISOR)


# --- events ----------------------------------------------------------------------------------------

def test_each_change_appends_one_event_with_a_gapless_seq(queue, session_factory, called_ticket) -> None:  # type: ignore[no-untyped-def]
    queue().finish(called_ticket.id, clerk(1))
    session = session_factory()
    rows = session.execute(select(Event.seq, Event.type).order_by(Event.seq)).all()
    session.close()
    assert [seq for seq, _ in rows] == list(range(1, len(rows) + 1))
    assert [kind for _, kind in rows] == [ev.TICKET_ISSUED, ev.TICKET_CALLED, ev.TICKET_FINISHED]


def test_events_are_published_after_the_commit_and_not_on_refusal(queue, publisher, session_factory) -> None:  # type: ignore[no-untyped-def]
    class CheckingPublisher:
        seen_committed: list[bool] = []

        def publish(self, events):  # type: ignore[no-untyped-def]
            for event in events:
                if event.type == ev.TICKET_ISSUED:
                    self.seen_committed.append(count(session_factory, Ticket, Ticket.id == event.ticket_id) == 1)

    service = queue()
    service.publisher = CheckingPublisher()
    service.issue_ticket(TPHT, KIOSK)
    assert CheckingPublisher.seen_committed == [True]
    before = len(publisher.events)
    with pytest.raises(errors.ServiceNotFound):
        queue().issue_ticket(999, KIOSK)
    assert len(publisher.events) == before


def test_print_results_and_time_outs(queue, clock, publisher, session_factory) -> None:  # type: ignore[no-untyped-def]
    bridge = Actor(kind="device", id=7, site_id=1, role="bridge")
    printed = queue().issue_ticket(TPHT, KIOSK)
    lost = queue().issue_ticket(TPHT, KIOSK)
    queue().record_print_result(printed.print_job_id, bridge, ok=True)
    clock.advance(seconds=11)
    assert queue().fail_overdue_print_jobs(1) == 1
    session = session_factory()
    assert session.get(PrintJob, lost.print_job_id).error == "timeout"
    session.close()
    results = [e.payload for e in publisher.events if e.type == ev.PRINT_RESULT]
    assert [(r["ticket_id"], r["ok"]) for r in results] == [(printed.ticket.id, True), (lost.ticket.id, False)]
    assert any(e.type == ev.ALERT and e.payload["kind"] == "printer_problem" for e in publisher.events)


def test_a_kiosk_without_a_printer_gets_no_print_job_and_cannot_reprint(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    from server.models import Device

    session = session_factory()
    session.get(Device, 1).settings = {"printer": False}
    session.commit()
    session.close()
    issued = queue().issue_ticket(TPHT, KIOSK)
    assert issued.print_job_id is None
    with pytest.raises(errors.KioskHasNoPrinter):
        queue().reprint(issued.ticket.id, KIOSK)


def test_ratings_flow_through_the_service(queue, called_ticket) -> None:  # type: ignore[no-untyped-def]
    queue().finish(called_ticket.id, clerk(1))
    terminal = Actor(kind="device", id=3, site_id=1, role="rating_terminal", counter_id=1)
    rating = queue().rate(RatingRequest(score=5, ticket_id=called_ticket.id), terminal)
    assert rating.clerk_id == 1 and rating.counter_id == 1 and rating.channel.value == "terminal"
    with pytest.raises(errors.AlreadyRated):
        queue().rate(RatingRequest(score=4, ticket_id=called_ticket.id), terminal)
