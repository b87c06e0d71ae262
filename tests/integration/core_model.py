"""Model-based testing of the whole core: random sequences of every verb, invariants after every step.

The bugs that hurt most came from two features touching the same data, each tested alone. This state
machine drives the real QueueService (and the real administration functions) on a real database with
every verb in any order — issuing with and without priority, calling, recalling, skipping, starting,
finishing, transferring to a field and to a counter, cancelling, pausing, resuming, opening and closing
counters, rating from a terminal, a keypad and a phone, reprinting and print results, devices coming
and going, administrators editing fields, counters and hours, and the clock crossing local midnight —
and after every step checks the promises of the core (`check_invariants`).

Used by tests/integration/test_core_model.py (a bounded run in `make test`) and bench/model_run.py (a
long run that prints how many steps it tried).
"""
from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter as Tally
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from server import administration, errors
from server.db import make_engine, make_session_factory
from server.models import (
    Alert,
    Counter,
    CounterStatus,
    DossierVisit,
    Event,
    PrintJob,
    PrintJobStatus,
    Rating,
    RatingWindow,
    Service,
    Site,
    Ticket,
    TicketStatus,
)
from server.queue import events as ev
from server.queue import queries
from server.queue.actors import Actor
from server.queue.clock import FixedClock
from server.queue.hashchain import ChainedEvent, verify_chain
from server.queue.ratings import RELAYED_BY_CENTRAL
from server.queue.rules import TRANSITIONS, NumberFormat, Verb
from server.queue.service import QueueService, RatingRequest
from server.rollups.apply import apply_events
from server.rollups.models import RollupCursor, RollupDay, RollupSiteDay

SITE = 1
KIOSK = Actor(kind="device", id=1, site_id=SITE, role="kiosk")
BRIDGE = Actor(kind="device", id=7, site_id=SITE, role="bridge")
SUPERVISOR = Actor(kind="staff", id=5, site_id=SITE, role="supervisor")
LEADER = Actor(kind="staff", id=8, site_id=SITE, role="leader")  # lanhdao in the demo
ADMIN_ID = 6
COUNTERS = (1, 2, 3, 4)
PRIORITIES = (None, None, None, "nguoi_cao_tuoi", "nguoi_khuyet_tat")
# 09:00 on Wednesday 25 Nov 2026 in Hà Nội.
START = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.timezone.utc)


def clerk(counter_id: int) -> Actor:
    """canbo<N> (staff id N) works counter N in the demo."""
    return Actor(kind="staff", id=counter_id, site_id=SITE, role="clerk")


def terminal(counter_id: int) -> Actor:
    """demo-rating-<counter>: devices 3–6 are the rating terminals of counters 1–4."""
    return Actor(kind="device", id=counter_id + 2, site_id=SITE, role="rating_terminal", counter_id=counter_id)


# Which state each logged ticket event leaves a ticket in, and the verb of the transition table it is.
EVENT_VERBS = {
    ev.TICKET_CALLED: Verb.CALL, ev.TICKET_SKIPPED: Verb.SKIP, ev.TICKET_STARTED: Verb.START,
    ev.TICKET_FINISHED: Verb.FINISH, ev.TICKET_TRANSFERRED: Verb.TRANSFER, ev.TICKET_CANCELLED: Verb.CANCEL,
    ev.TICKET_RECALLED: Verb.RECALL,
}
# Refusals that write events anyway, because part of the verb committed (call-next finishes the ticket
# still at the counter, then finds nobody waiting).
REFUSALS_THAT_COMMIT = (errors.NoTicketWaiting,)


@dataclass
class Statistics:
    steps: int = 0
    examples: int = 0
    verbs: Tally[str] = field(default_factory=Tally)
    refusals: Tally[str] = field(default_factory=Tally)


STATISTICS = Statistics()


class Database:
    """A fresh demo database per example: a copied SQLite file, or a truncated and re-seeded PostgreSQL."""

    def __init__(self, url: str, reset: Callable[[], None]) -> None:
        self.url = url
        self.reset = reset


def sqlite_database(template: Path, work: Path) -> Database:
    target = work / "model.sqlite3"

    def reset() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, target)

    return Database(f"sqlite:///{target}", reset)


def postgres_database(url: str, seed: Callable[[], None]) -> Database:
    from tests.conftest import _truncate_postgres

    def reset() -> None:
        _truncate_postgres(url)
        seed()

    return Database(url, reset)


def seed(url: str) -> None:
    from server.demo import seed_demo

    engine = make_engine(url)
    session = make_session_factory(engine)()
    try:
        seed_demo(session, START, demo_mode=True)
    finally:
        session.close()
        engine.dispose()


class CoreMachine(RuleBasedStateMachine):
    """Every verb of the core in random order; the invariants of the core after every step."""

    database: Database  # set by the test that runs the machine

    def __init__(self) -> None:
        super().__init__()
        from server.auth.identity import forget_credentials
        from server.queue.day import forget_calendars

        queries.forget_service_pace()
        forget_calendars()
        forget_credentials()
        self.database.reset()
        self.engine = make_engine(self.database.url, pool_size=2)
        self.sessions = make_session_factory(self.engine)
        self.writing = make_session_factory(self.engine, writing=True)
        self.clock = FixedClock(START)
        self.published: list[int] = []  # the seq of every logged event pushed to clients
        self.tickets: list[int] = []
        self.services: list[int] = list(range(1, 8))
        STATISTICS.examples += 1

    def teardown(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ running a verb

    def service(self) -> QueueService:
        return QueueService(self.sessions(), clock=self.clock, public_base_url="http://hangcho.test", publisher=self)

    def publish(self, events: list[Any]) -> None:
        """The publisher of every unit of work: what Socket.IO would push, after the commit."""
        self.published.extend(event.seq for event in events if event.logged)

    def attempt(self, name: str, action: Callable[[QueueService], Any]) -> Any:
        """Run one verb. A refusal (HangChoError) is an answer; it must leave the event log untouched.
        Any other exception fails the test."""
        STATISTICS.steps += 1
        STATISTICS.verbs[name] += 1
        before = self.seq()
        service = self.service()
        try:
            return action(service)
        except errors.HangChoError as refusal:
            STATISTICS.refusals[f"{name}:{refusal.code}"] += 1
            if not isinstance(refusal, REFUSALS_THAT_COMMIT):
                assert self.seq() == before, f"{name} was refused ({refusal.code}) but wrote events"
            return None
        finally:
            service.session.close()

    def administer(self, name: str, change: Callable[[Any], Any], what: str) -> None:
        """An administrator's change through administration.py, committed with its announcement (as the
        admin API does). A refusal changes nothing."""
        STATISTICS.steps += 1
        STATISTICS.verbs[name] += 1
        session = self.writing()
        try:
            change(session)
            QueueService(session, clock=self.clock, publisher=self).record_setting_change(
                SITE, ev.SETTINGS_CHANGED, {"what": what})
        except errors.HangChoError as refusal:
            STATISTICS.refusals[f"{name}:{refusal.code}"] += 1
            session.rollback()
        finally:
            session.close()

    def read(self, query: Any) -> list[Any]:
        session = self.sessions()
        try:
            return list(session.execute(query).all())
        finally:
            session.close()

    def seq(self) -> int:
        session = self.sessions()
        try:
            return int(session.scalar(select(Site.event_seq).where(Site.id == SITE)) or 0)
        finally:
            session.close()

    def ticket_where(self, *conditions: Any) -> list[int]:
        return [row[0] for row in self.read(select(Ticket.id).where(*conditions).order_by(Ticket.id))]

    # ------------------------------------------------------------------ tickets

    @initialize(arrivals=st.lists(st.tuples(st.integers(0, 6), st.sampled_from(PRIORITIES),
                                            st.sampled_from([None, 1, 2, 3])), min_size=2, max_size=8),
                ask_at_kiosk=st.booleans())
    def the_morning_queue(self, arrivals: list[tuple[int, str | None, int | None]], ask_at_kiosk: bool) -> None:
        """Citizens are waiting when the day's sequence starts, so calls and transfers have work to do; at
        half the sites the kiosk asks which visit this is (issue 14)."""
        if ask_at_kiosk:
            self.administer("ask_at_kiosk", lambda session: administration.update_site_settings(
                session, session.get(Site, SITE), {"dossiers": {"ask_visit_at_kiosk": True}}, self.clock.now(),
                by_staff_id=ADMIN_ID), "dossiers")
        for service, priority, visit in arrivals:
            self.issue(service, priority, False, visit)


    @rule(service=st.integers(0, 20), priority=st.sampled_from(PRIORITIES), by_staff=st.booleans(),
          visit=st.sampled_from([None, None, 1, 2, 3]))
    def issue(self, service: int, priority: str | None, by_staff: bool, visit: int | None = None) -> None:
        service_id = self.services[service % len(self.services)]
        session = self.sessions()
        try:
            offered = queries.service_availability(session, SITE).get(service_id) in (queries.OPEN, queries.PAUSED)
        finally:
            session.close()
        issued = self.attempt("issue", lambda queue: queue.issue_ticket(
            service_id, SUPERVISOR if by_staff else KIOSK, priority_code=priority, declared_visit=visit))
        if issued is not None:
            # Nothing is issued that nobody will serve.
            assert offered, f"a ticket was issued for field {service_id}, which no counter serves"
            self.tickets.append(issued.ticket.id)

    @rule(service=st.integers(0, 20), priority=st.sampled_from(PRIORITIES), by_staff=st.booleans())
    def another_citizen_arrives(self, service: int, priority: str | None, by_staff: bool) -> None:
        self.issue(service, priority, by_staff)

    @rule(counter=st.sampled_from(COUNTERS), as_supervisor=st.booleans())
    def call_next(self, counter: int, as_supervisor: bool) -> None:
        session = self.sessions()
        try:
            counter_row = session.get(Counter, counter)
            listed = [t["id"] for t in queries.counter_snapshot(session, counter, self.clock)["waiting"]]
            working = counter_row.status is CounterStatus.OPEN
        finally:
            session.close()
        called = self.attempt("call_next", lambda queue: queue.call_next(counter, SUPERVISOR if as_supervisor else clerk(counter)))
        if called is not None:
            # The console listed first the ticket call-next took (one calling order).
            assert listed and listed[0] == called.id, f"console listed {listed[:5]}, call-next took {called.id}"
        elif working and listed and as_supervisor:
            raise AssertionError(f"counter {counter} is open with {listed[:3]} waiting but call-next took nothing")

    def active_ticket(self, pick: int, *statuses: TicketStatus) -> int | None:
        candidates = self.ticket_where(Ticket.status.in_(statuses)) if statuses else self.tickets
        return candidates[pick % len(candidates)] if candidates else None

    def holder(self, ticket_id: int, as_supervisor: bool) -> Actor:
        counter_id = self.read(select(Ticket.counter_id).where(Ticket.id == ticket_id))[0][0]
        if as_supervisor or counter_id is None:
            return SUPERVISOR
        return clerk(counter_id)

    @rule(pick=st.integers(0, 1000), as_supervisor=st.booleans(),
          verb=st.sampled_from(["recall", "skip", "start", "finish"]))
    def ticket_verb(self, pick: int, as_supervisor: bool, verb: str) -> None:
        ticket_id = self.active_ticket(pick, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.NO_SHOW)
        if ticket_id is None:
            return
        actor = self.holder(ticket_id, as_supervisor)
        self.attempt(verb, lambda queue: getattr(queue, verb)(ticket_id, actor))

    @rule(pick=st.integers(0, 1000), counter=st.sampled_from(COUNTERS))
    def recall_no_show_elsewhere(self, pick: int, counter: int) -> None:
        ticket_id = self.active_ticket(pick, TicketStatus.NO_SHOW)
        if ticket_id is not None:
            self.attempt("recall_no_show", lambda queue: queue.recall(ticket_id, clerk(counter), counter_id=counter))

    @rule(pick=st.integers(0, 1000), any_ticket=st.booleans(), clerk_of=st.sampled_from(COUNTERS))
    def foreign_clerk_tries(self, pick: int, any_ticket: bool, clerk_of: int) -> None:
        """A clerk acting on a ticket of another counter (or in a wrong state) is refused, writing nothing."""
        ticket_id = self.active_ticket(pick) if any_ticket else self.active_ticket(pick, TicketStatus.CALLED)
        if ticket_id is not None:
            self.attempt("foreign_finish", lambda queue: queue.finish(ticket_id, clerk(clerk_of)))

    @rule(counter=st.sampled_from(COUNTERS), destination=st.integers(0, 20), to_field=st.booleans(),
          then_issue=st.booleans())
    def serve_and_send_on(self, counter: int, destination: int, to_field: bool, then_issue: bool) -> None:
        """The everyday sequence that broke a field for the day: a supervisor calls the next citizen to a
        counter and sends them on to another field (or counter), and the kiosk then issues in that field."""
        called = self.attempt("call_next", lambda queue: queue.call_next(counter, SUPERVISOR))
        if called is None:
            return
        service_id = self.services[destination % len(self.services)]
        target = {"to_service_id": service_id} if to_field else {"to_counter_id": COUNTERS[destination % 4]}
        self.attempt("transfer", lambda queue: queue.transfer(called.id, SUPERVISOR, **target))
        if then_issue:
            issued = self.attempt("issue", lambda queue: queue.issue_ticket(service_id, KIOSK))
            if issued is not None:
                self.tickets.append(issued.ticket.id)

    @rule(pick=st.integers(0, 1000), to_field=st.booleans(), destination=st.integers(0, 20), as_supervisor=st.booleans())
    def transfer(self, pick: int, to_field: bool, destination: int, as_supervisor: bool) -> None:
        ticket_id = self.active_ticket(pick, TicketStatus.CALLED, TicketStatus.SERVING)
        if ticket_id is None:
            return
        actor = self.holder(ticket_id, as_supervisor)
        if to_field:
            service_id = self.services[destination % len(self.services)]
            self.attempt("transfer_field", lambda queue: queue.transfer(ticket_id, actor, to_service_id=service_id))
        else:
            counter_id = COUNTERS[destination % len(COUNTERS)]
            self.attempt("transfer_counter", lambda queue: queue.transfer(ticket_id, actor, to_counter_id=counter_id))

    @rule(pick=st.integers(0, 1000))
    def cancel(self, pick: int) -> None:
        ticket_id = self.active_ticket(pick, TicketStatus.WAITING)
        if ticket_id is not None:
            self.attempt("cancel", lambda queue: queue.cancel(ticket_id, SUPERVISOR))

    @rule(counter=st.sampled_from(COUNTERS),
          action=st.sampled_from(["call_next", "recall", "skip", "start", "finish", "pause", "resume"]),
          press=st.integers(0, 3))
    def call_keypad(self, counter: int, action: str, press: int) -> None:
        """A clerk's serial call keypad: the same verbs, once per press id (a repeated press is a replay)."""
        press_id = f"{counter}-{action}-{press}-{self.seq() // 7}"
        self.attempt("keypad_" + action, lambda queue: queue.counter_action(counter, action, BRIDGE, press_id))

    @rule(pick=st.integers(0, 1000), code=st.sampled_from(["HS-1", "HS-2", "hs-1", "HS 3"]),
          outcome=st.sampled_from(["received", "returned", "returned", "result", "guidance"]),
          missing=st.lists(st.sampled_from(["don", "cccd", "ban_ve"]), min_size=1, max_size=3),
          who=st.sampled_from(["holder", "holder", "supervisor", "other_clerk"]),
          sloppy=st.sampled_from([None, None, None, "any_ticket", "bad_code", "bad_outcome", "bad_missing"]))
    def attach_dossier(self, pick: int, code: str, outcome: str, missing: list[str], who: str, sloppy: str | None) -> None:
        """A dossier code and outcome attached to a visit: only to the ticket being served at a counter, by
        its clerk or a supervisor, with missing papers from the site's list only when returned; the rest is
        refused and writes nothing."""
        missing = missing if outcome == "returned" else []
        code, outcome, missing = {"bad_code": ("HS-1<", outcome, missing), "bad_outcome": (code, "lost", missing),
                                  "bad_missing": (code, outcome, missing + ["khong_co"])}.get(sloppy or "", (code, outcome, missing))
        ticket_id = (self.active_ticket(pick) if sloppy == "any_ticket"
                     else self.active_ticket(pick, TicketStatus.CALLED, TicketStatus.SERVING))
        if ticket_id is None:
            return
        counter_id = self.read(select(Ticket.counter_id).where(Ticket.id == ticket_id))[0][0] or 1
        actor = {"holder": clerk(counter_id), "supervisor": SUPERVISOR,
                 "other_clerk": clerk(COUNTERS[counter_id % 4])}[who]
        self.attempt("attach_dossier", lambda queue: queue.attach_dossier(ticket_id, actor, code, outcome, missing))

    @rule(counter=st.sampled_from(COUNTERS), code=st.sampled_from(["HS-1", "HS-2"]),
          outcome=st.sampled_from(["received", "returned", "result"]),
          missing=st.lists(st.sampled_from(["don", "cccd", "ban_ve"]), min_size=1, max_size=2), then_finish=st.booleans())
    def serve_a_dossier(self, counter: int, code: str, outcome: str, missing: list[str], then_finish: bool) -> None:
        """The everyday sequence of a dossier desk: call, attach the dossier and its outcome (with the
        hashed phone number of one of two citizens), finish."""
        from server.queue.dossiers import citizen_key_hash

        called = self.attempt("call_next", lambda queue: queue.call_next(counter, clerk(counter)))
        if called is None:
            return
        key = citizen_key_hash(b"model-secret", SITE, "phone", "0912345678" if code == "HS-1" else "0987654321")
        self.attempt("attach_dossier", lambda queue: queue.attach_dossier(
            called.id, clerk(counter), code, outcome, missing if outcome == "returned" else [], key))
        if then_finish:
            self.attempt("finish", lambda queue: queue.finish(called.id, clerk(counter)))

    # ------------------------------------------------------------------ the leader's board

    @rule(step=st.sampled_from(["review", "act", "clear", "act_as_supervisor"]), pick=st.integers(0, 100),
          weeks_back=st.sampled_from([0, 1, 1, 2]), wordy=st.booleans(), due_in=st.integers(-2, 10),
          strictness=st.sampled_from(["strict", "strict", None]))
    def leader_board(self, step: str, pick: int, weeks_back: int, wordy: bool, due_in: int, strictness: str | None) -> None:
        """The head of the centre's week: a week reviewed (once), an action with a due date, an item cleared
        with (or without) a note; a supervisor may not act."""
        from server.models import LeaderItem
        from server.queue.leadership import last_complete_week

        text = "Bố trí thêm quầy và nhắc nhở cán bộ" if wordy else "ok"
        if step == "review":
            if strictness == "strict":
                self.administer("leader_targets", lambda session: administration.update_site_settings(
                    session, session.get(Site, SITE), {"leader_board": {"min_ratings": 1, "min_served": 1, "min_visits": 1,
                                                                        "satisfaction_target": 1.0, "wait_p90_target_s": 60,
                                                                        "response_rate_target": 1.0, "repeat_rate_target": 0.0}},
                    self.clock.now(), by_staff_id=ADMIN_ID), "leader_board")
            if weeks_back == 0:
                # The week ends: local Monday 00:01 (Sunday 17:01 UTC), the leftovers expire, and the
                # week just lived is reviewed.
                now = self.clock.now()
                monday = (now + dt.timedelta(hours=7)).date() + dt.timedelta(days=7 - (now + dt.timedelta(hours=7)).weekday())
                self.clock.set(dt.datetime.combine(monday, dt.time(0, 1), tzinfo=dt.timezone.utc) - dt.timedelta(hours=7))
                self.attempt("expire_previous_days", lambda queue: queue.expire_previous_days(SITE))
            session = self.sessions()
            try:
                week = last_complete_week(session.get(Site, SITE), self.clock.now()) - dt.timedelta(weeks=max(0, weeks_back - 1))
            finally:
                session.close()
            raised = self.attempt("review_week", lambda queue: queue.review_week(SITE, week)) or []
            for item in raised[:2]:  # the head of the centre answers at once: an action, then a note
                due = (self.clock.now() + dt.timedelta(days=max(due_in, 0), hours=7)).date()
                self.attempt("leader_action", lambda queue: queue.record_leader_action(item.id, LEADER, text, due))
                self.attempt("leader_clear", lambda queue: queue.clear_leader_item(item.id, LEADER, text))
            return
        items = [row[0] for row in self.read(select(LeaderItem.id).order_by(LeaderItem.id))]
        if not items:
            return
        item_id = items[pick % len(items)]
        due = (self.clock.now() + dt.timedelta(days=due_in, hours=7)).date()
        actor = SUPERVISOR if step == "act_as_supervisor" else LEADER
        if step in ("act", "act_as_supervisor"):
            self.attempt("leader_action", lambda queue: queue.record_leader_action(item_id, actor, text, due))
        else:
            self.attempt("leader_clear", lambda queue: queue.clear_leader_item(item_id, actor, text))

    @rule(pick=st.integers(0, 100), wordy=st.booleans(), due_in=st.integers(0, 10))
    def a_week_ends_on_the_board(self, pick: int, wordy: bool, due_in: int) -> None:
        """The week ends with strict targets; its red items are answered (the board's everyday sequence)."""
        self.leader_board("review", pick, 0, wordy, due_in, "strict")

    # ------------------------------------------------------------------ counters

    @rule(counter=st.sampled_from(COUNTERS), action=st.sampled_from(["open", "close", "pause", "resume"]),
          as_supervisor=st.booleans(), as_other_clerk=st.sampled_from([False, False, False, True]))
    def counter_verb(self, counter: int, action: str, as_supervisor: bool, as_other_clerk: bool) -> None:
        actor = SUPERVISOR if as_supervisor else clerk(COUNTERS[(counter) % 4] if as_other_clerk else counter)
        verbs = {"open": lambda queue: queue.open_counter(counter, actor),
                 "close": lambda queue: queue.close_counter(counter, actor),
                 "pause": lambda queue: queue.pause_counter(counter, actor, "Nghỉ giữa giờ"),
                 "resume": lambda queue: queue.resume_counter(counter, actor)}
        self.attempt(action + "_counter", verbs[action])

    # ------------------------------------------------------------------ ratings

    @rule(score=st.integers(0, 6),
          channel=st.sampled_from(["terminal_id", "terminal_token", "keypad", "phone", "relayed", "staff"]),
          pick=st.integers(0, 1000), given_hours_ago=st.sampled_from([0, 1, 30, 60]))
    def rate(self, score: int, channel: str, pick: int, given_hours_ago: int) -> None:
        """Every way to rate; "relayed" is a phone's rating relayed by the province server (issue 15), given
        `given_hours_ago` (the link may have been down), delivered with the central's idempotency key."""
        ticket_id = self.active_ticket(pick, TicketStatus.DONE) or self.active_ticket(pick)
        if ticket_id is None:
            return
        (counter_id, token), = self.read(select(Ticket.counter_id, Ticket.public_token).where(Ticket.id == ticket_id))
        windows = self.read(select(RatingWindow.token).where(RatingWindow.ticket_id == ticket_id))
        window_token = windows[0][0] if windows else None
        counter_id = counter_id or 1
        requests = {
            "terminal_id": (RatingRequest(score=score, ticket_id=ticket_id), terminal(counter_id)),
            "terminal_token": (RatingRequest(score=score, token=window_token or "no-window"), terminal(counter_id)),
            "keypad": (RatingRequest(score=score, ticket_id=ticket_id, counter_id=counter_id, window_token=window_token),
                       BRIDGE),
            "phone": (RatingRequest(score=score, token=token), Actor(kind="citizen")),
            "relayed": (RatingRequest(score=score, token=token,
                                      given_at=self.clock.now() - dt.timedelta(hours=given_hours_ago)),
                        Actor(kind="citizen", role=RELAYED_BY_CENTRAL)),
            "staff": (RatingRequest(score=score, ticket_id=ticket_id), clerk(counter_id)),
        }
        request, actor = requests[channel]
        key = f"central-rating:{ticket_id}-{score}" if channel == "relayed" else None  # a redelivery repeats it
        rating = self.attempt("rate_" + channel, lambda queue: queue.rate(request, actor, idempotency_key=key))
        if channel == "staff":
            assert rating is None, "a clerk gave a rating"

    @rule(counter=st.sampled_from(COUNTERS), score=st.integers(1, 5), again=st.booleans())
    def a_hasty_rating_and_its_days_flags(self, counter: int, score: int, again: bool) -> None:
        """A citizen called, finished at once and rated by the terminal within seconds (a `too_soon` flag);
        the day's flags are read into the log, and read again after a second such rating (the everyday
        sequence that sends flags to the province)."""
        for _ in range(2 if again else 1):
            self.attempt("open_counter", lambda queue: queue.open_counter(counter, clerk(counter)))
            called = self.attempt("call_next", lambda queue: queue.call_next(counter, clerk(counter)))
            if called is None:
                return
            self.attempt("finish", lambda queue: queue.finish(called.id, clerk(counter)))
            self.attempt("rate_terminal_id", lambda queue: queue.rate(RatingRequest(score=score, ticket_id=called.id),
                                                                     terminal(counter)))
            self.rating_flags_reviewed(0, False)

    @rule(days_back=st.sampled_from([0, 0, 1, 2]), twice=st.booleans())
    def rating_flags_reviewed(self, days_back: int, twice: bool) -> None:
        """The scheduler's reading of a day's rating flags into the log (for the province); read again with
        nothing changed, it logs nothing."""
        from server.models import RatingFlagDay
        from server.queue.flag_reviews import day_flags

        day = (self.clock.now() + dt.timedelta(hours=7)).date() - dt.timedelta(days=days_back)
        self.attempt("review_rating_flags", lambda queue: queue.review_rating_flags(SITE, day))
        session = self.sessions()
        try:  # right after a review, what the log last said of the day is the day's flags
            sent = session.scalar(select(RatingFlagDay.flags).where(RatingFlagDay.business_date == day))
            assert list(sent or []) == day_flags(session, SITE, day), f"the flags of {day} logged are not the day's"
        finally:
            session.close()
        if twice:
            before = self.seq()
            assert self.attempt("review_rating_flags", lambda queue: queue.review_rating_flags(SITE, day)) is False
            assert self.seq() == before, "an unchanged day's flags were logged again"

    # ------------------------------------------------------------------ printing, devices and alerts
    # One rule with an action each (not one rule per action), so that the queue's own verbs, which need a
    # queue to act on, get most of the steps.

    @rule(action=st.sampled_from(["reprint", "print_result", "print_timeouts", "device", "device_alerts",
                                  "acknowledge"]),
          pick=st.integers(0, 1000), by_kiosk=st.booleans(), ok=st.booleans(),
          device=st.sampled_from([1, 2, 3, 7]), online=st.booleans(), hardware=st.sampled_from([None, None, "printer:1"]))
    def devices_and_printing(self, action: str, pick: int, by_kiosk: bool, ok: bool, device: int, online: bool,
                             hardware: str | None) -> None:
        if action == "reprint":
            ticket_id = self.active_ticket(pick)
            if ticket_id is not None:
                self.attempt("reprint", lambda queue: queue.reprint(ticket_id, KIOSK if by_kiosk else SUPERVISOR))
        elif action == "print_result":
            jobs = [row[0] for row in self.read(select(PrintJob.id).where(PrintJob.status == PrintJobStatus.PENDING))]
            if jobs:
                job = jobs[pick % len(jobs)]
                self.attempt("print_result", lambda queue: queue.record_print_result(job, BRIDGE, ok, "" if ok else "paper_out"))
        elif action == "print_timeouts":
            self.attempt("fail_overdue_print_jobs", lambda queue: queue.fail_overdue_print_jobs(SITE))
        elif action == "device":
            status = "online" if online else ("paper_out" if hardware and ok else "offline")
            self.attempt("device_status", lambda queue: queue.report_device_status(device, status, "", hardware=hardware))
        elif action == "device_alerts":
            self.attempt("device_alerts", lambda queue: queue.raise_overdue_device_alerts(SITE))
        else:
            open_alerts = [row[0] for row in self.read(select(Alert.id).where(Alert.acknowledged_at.is_(None)))]
            if open_alerts:
                alert_id = open_alerts[pick % len(open_alerts)]
                self.attempt("acknowledge_alert", lambda queue: queue.acknowledge_alert(alert_id, SUPERVISOR))

    # ------------------------------------------------------------------ administration

    @rule(action=st.sampled_from(["edit_field", "share_numbers", "create_field", "edit_counter", "edit_hours",
                                  "edit_settings", "province_catalogue"]),
          # Starts near the demo's ranges (1001…, 2001…, A001…) make overlaps, where numbers collide, likely.
          pick=st.integers(0, 20), start=st.one_of(st.sampled_from([1, 995, 1001, 1002, 1999, 2001]), st.integers(0, 9000)),
          size=st.integers(0, 1500),
          prefix=st.sampled_from(["", "", "A", "B"]), width=st.sampled_from([0, 3]), flag=st.booleans(),
          fields=st.lists(st.integers(0, 20), max_size=4, unique=True), open_now=st.sampled_from([True, True, True, False]),
          in_a_row=st.integers(0, 4), field_order=st.sampled_from(["in_order", "oldest_first"]),
          grace=st.sampled_from([10, 90, 600]), window=st.sampled_from([5, 30, 600]))
    def administer_site(self, action: str, pick: int, start: int, size: int, prefix: str, width: int, flag: bool,
                        fields: list[int], open_now: bool, in_a_row: int, field_order: str, grace: int,
                        window: int) -> None:
        """An administrator's change: a field's numbers or use, a new field (numbered, or given the next free
        range), a counter's fields, the working hours, the site settings the core reads; or the province's
        catalogue of fields applied as the uplink applies it (issue 13): renames, fields that leave it, a new
        field added unused until a counter is given it."""
        now = self.clock.now()
        service_id = self.services[pick % len(self.services)]
        counter_id = COUNTERS[pick % len(COUNTERS)]

        def edit_field(session: Any) -> None:
            administration.update_field(session, session.get(Service, service_id),
                                        {"number_start": start, "number_end": start + size, "number_prefix": prefix,
                                         "number_width": width, "active": flag or pick % 3 != 0}, now,
                                        by_staff_id=ADMIN_ID)

        def share_numbers(session: Any) -> None:
            """Give a field the numbering of another (the refused overlap an administrator tries most)."""
            other = session.get(Service, self.services[(pick + 1) % len(self.services)])
            administration.update_field(session, session.get(Service, service_id),
                                        {"number_start": other.number_start, "number_end": other.number_end,
                                         "number_prefix": other.number_prefix, "number_width": other.number_width},
                                        now, by_staff_id=ADMIN_ID)

        def create_field(session: Any) -> None:
            code = f"F{len(self.services) + 1}"
            spec = administration.FieldSpec(code, f"Lĩnh vực {code}", number_start=start if flag else None,
                                            number_end=start + size if flag else None)
            created = administration.create_field(session, SITE, spec, now, by_staff_id=ADMIN_ID)
            session.flush()
            self.services.append(created.id)

        def edit_counter(session: Any) -> None:
            service_ids = list(dict.fromkeys(self.services[index % len(self.services)] for index in fields))
            administration.update_counter(session, session.get(Counter, counter_id), now, service_ids=service_ids,
                                          by_staff_id=ADMIN_ID)

        def edit_hours(session: Any) -> None:
            periods = [(day, dt.time(0, 0), dt.time.max) if open_now else (day, dt.time(7, 0), dt.time(7, 30))
                       for day in range(7)]
            administration.set_working_hours(session, SITE, periods, now, by_staff_id=ADMIN_ID)

        def edit_settings(session: Any) -> None:
            administration.update_site_settings(
                session, session.get(Site, SITE),
                {"max_priority_in_row": in_a_row, "field_order": field_order, "alerts": {"device_grace_s": grace},
                 "rating": {"window_s": window},
                 "dossiers": {"ask_visit_at_kiosk": flag, "repeat_window_days": 1 + size % 60,
                              "citizen_key": "phone" if flag or pick % 2 else "off", "key_retention_days": 1 + pick},
                 "rating_flags": {"burst_count": 2 + in_a_row, "burst_window_s": window, "too_soon_s": 1 + pick,
                                  "outlier_min_ratings": 1 + pick % 3}}, now, by_staff_id=ADMIN_ID)

        def province_catalogue(session: Any) -> None:
            session.scalar(select(Site).where(Site.id == SITE).with_for_update())  # as the uplink's path locks it
            present = list(session.scalars(select(Service).where(Service.site_id == SITE).order_by(Service.id)))
            entries = [{"code": service.code, "name": f"Lĩnh vực tỉnh {service.code}" if flag else service.name,
                        "name_en": service.name_en} for index, service in enumerate(present) if (index + pick) % 3]
            entries.append({"code": f"P{pick % 4}", "name": f"Lĩnh vực tỉnh P{pick % 4}", "prefix": prefix})
            administration.apply_province_catalogue(session, SITE, entries, now)
            session.flush()
            self.services.extend(session.scalars(select(Service.id).where(
                Service.site_id == SITE, Service.id.not_in(self.services)).order_by(Service.id)))

        changes = {"edit_field": edit_field, "share_numbers": share_numbers, "create_field": create_field, "edit_counter": edit_counter,
                   "edit_hours": edit_hours, "edit_settings": edit_settings, "province_catalogue": province_catalogue}
        if action not in ("create_field", "province_catalogue") or len(self.services) < 12:
            self.administer(action, changes[action], action)
        if action in ("share_numbers", "edit_field") and flag:
            # Citizens keep coming for the field just changed and for its neighbour.
            for index in (pick, pick + 1):
                self.issue(index, None, False)

    # ------------------------------------------------------------------ time

    @rule(minutes=st.integers(1, 240), to_midnight=st.sampled_from([False, False, False, True]))
    def time_goes_by(self, minutes: int, to_midnight: bool) -> None:
        """Minutes pass; or local midnight (17:00 UTC) goes by, the day's leftovers expire and numbers
        start again."""
        STATISTICS.steps += 1
        if not to_midnight:
            self.clock.advance(minutes=minutes)
            return
        now = self.clock.now()
        midnight = now.replace(hour=17, minute=0, second=0, microsecond=0)
        if midnight <= now:
            midnight += dt.timedelta(days=1)
        self.clock.set(midnight + dt.timedelta(minutes=1))
        self.attempt("expire_previous_days", lambda queue: queue.expire_previous_days(SITE))
        self.attempt("forget_citizen_keys", lambda queue: queue.forget_expired_citizen_keys(SITE))

    # ------------------------------------------------------------------ the promises

    @invariant()
    def promises_hold(self) -> None:
        check_invariants(self.sessions, self.clock)

    @invariant()
    def rollups_agree_with_the_tickets(self) -> None:
        """The roll-ups, fed every new event by apply_events (as the central and the site's job do), count
        what the tickets table says, per day × field × counter × clerk (docs/rollups.md)."""
        writer = self.writing()
        try:
            cursor = writer.scalar(select(RollupCursor.rolled_up_seq).where(RollupCursor.site_id == SITE)) or 0
            fresh = list(writer.scalars(select(Event).where(Event.site_id == SITE, Event.seq > cursor).order_by(Event.seq)))
            apply_events(writer, SITE, fresh)
            writer.commit()
        finally:
            writer.close()
        session = self.sessions()
        try:
            _rollups_agree_with_the_tickets(session)
        finally:
            session.close()

    @invariant()
    def every_change_is_pushed_once(self) -> None:
        """Each logged event is pushed to clients exactly once, after its commit (none left behind by a
        verb that committed part of its work and then refused the rest)."""
        assert sorted(self.published) == list(range(1, self.seq() + 1)), "pushed seqs differ from the log"


def check_invariants(sessions: Any, clock: FixedClock) -> None:
    session = sessions()
    try:
        _numbers_are_unique(session)
        _active_fields_never_share_numbers(session)
        _every_ticket_followed_the_transition_table(session)
        _the_log_is_gapless_and_chained(session)
        _counts_lists_and_hints_agree(session, clock)
        _ratings_are_one_per_served_ticket(session)
        _one_open_alert_per_situation(session)
        _dossiers_only_on_visits_being_served(session)
        _kiosk_answers_match_the_log(session)
        _flags_only_read_ratings(session, clock)
        _leader_items_answered_in_order(session)
        _citizen_keys_only_as_codes(session)
        _logged_flags_are_the_last_reading(session)
    finally:
        session.close()


def _numbers_are_unique(session: Any) -> None:
    twins = session.execute(select(Ticket.business_date, Ticket.number, func.count(Ticket.id))
                            .group_by(Ticket.site_id, Ticket.business_date, Ticket.number)
                            .having(func.count(Ticket.id) > 1)).all()
    assert not twins, f"two citizens hold the same number: {twins}"


def _active_fields_never_share_numbers(session: Any) -> None:
    """The administration's half of one number per citizen: no two active fields of a site can print the
    same number (the issuing side skips taken numbers as well, so tickets alone would not show a breach)."""
    fields = list(session.scalars(select(Service).where(Service.active.is_(True)).order_by(Service.id)))
    for index, field in enumerate(fields):
        for other in fields[index + 1:]:
            assert field.site_id != other.site_id or not _numbering(field).collides_with(_numbering(other)), (
                f"active fields {field.code} and {other.code} can print the same number")


def _numbering(field: Service) -> NumberFormat:
    return NumberFormat(prefix=field.number_prefix, start=field.number_start, end=field.number_end,
                        width=field.number_width)


def _every_ticket_followed_the_transition_table(session: Any) -> None:
    """Replay each ticket's logged events through the transition table: every step allowed, and the state
    it ends in is the ticket's state in the database (exactly one state, reachable)."""
    states: dict[int, TicketStatus] = {}
    for event in session.scalars(select(Event).order_by(Event.seq)):
        if event.type == ev.TICKET_ISSUED:
            assert event.ticket_id not in states, f"ticket {event.ticket_id} issued twice"
            states[event.ticket_id] = TicketStatus.WAITING
        elif event.type == ev.TICKETS_EXPIRED:
            for ticket_id in event.payload["ticket_ids"]:
                states[ticket_id] = _step(states, ticket_id, Verb.EXPIRE, event.seq)
        elif event.type in EVENT_VERBS:
            states[event.ticket_id] = _step(states, event.ticket_id, EVENT_VERBS[event.type], event.seq)
    actual = dict(session.execute(select(Ticket.id, Ticket.status)).all())
    assert set(actual) == set(states), "a ticket exists without its ticket_issued event, or the reverse"
    wrong = {ticket_id: (actual[ticket_id].value, state.value) for ticket_id, state in states.items()
             if actual[ticket_id] is not state}
    assert not wrong, f"tickets whose state is not what their events say (db, log): {wrong}"
    for ticket in session.scalars(select(Ticket)):
        if ticket.status is TicketStatus.WAITING:
            assert ticket.counter_id is None and ticket.called_at is None, f"waiting ticket {ticket.id} held by a counter"
        if ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING):
            assert ticket.counter_id is not None, f"ticket {ticket.id} is {ticket.status.value} at no counter"
        if ticket.status is TicketStatus.DONE:
            assert ticket.finished_at is not None and ticket.counter_id is not None


def _step(states: dict[int, TicketStatus], ticket_id: int, verb: Verb, seq: int) -> TicketStatus:
    current = states.get(ticket_id)
    assert current is not None, f"event seq {seq} names ticket {ticket_id} before it was issued"
    assert (current, verb) in TRANSITIONS, f"seq {seq}: ticket {ticket_id} went {current.value} --{verb.value}--> ?"
    return TRANSITIONS[(current, verb)]


def _the_log_is_gapless_and_chained(session: Any) -> None:
    site = session.get(Site, SITE)
    events = list(session.scalars(select(Event).where(Event.site_id == SITE).order_by(Event.seq)))
    assert [event.seq for event in events] == list(range(1, site.event_seq + 1)), "the event log has gaps"
    check = verify_chain(ChainedEvent(e.site_id, e.seq, e.type, e.payload, e.created_at, e.hash) for e in events)
    assert check.ok, f"the hash chain breaks at seq {check.first_bad_seq}: {check.problem}"
    assert check.last_hash == (site.event_hash or check.last_hash), "the site's chain head is not its last event's hash"


def _counts_lists_and_hints_agree(session: Any, clock: FixedClock) -> None:
    day = queries.site_business_date(session, SITE, clock.now())
    waiting = Tally(session.scalars(select(Ticket.service_id).where(Ticket.business_date == day,
                                                                   Ticket.status == TicketStatus.WAITING)))
    shown = {s["id"]: s["waiting"] for s in queries.services_view(session, SITE, clock)}
    assert all(shown.get(service_id, 0) == count for service_id, count in waiting.items()), (shown, waiting)
    assert sum(shown.values()) == sum(waiting.values())
    hints = queries.next_hints(session, SITE, day)
    for counter in session.scalars(select(Counter).where(Counter.status != CounterStatus.CLOSED)):
        # The console's list (counter_snapshot's "waiting" is this order, cut at 200).
        listed = [candidate.ticket_id for candidate, _ in queries.counter_calling_order(session, counter, day)]
        hint = hints.get(str(counter.id))
        assert (hint["id"] if hint else None) == (listed[0] if listed else None), \
            f"counter {counter.number}: hall hint {hint}, console list {listed[:3]}"


def _ratings_are_one_per_served_ticket(session: Any) -> None:
    rows = session.execute(select(Rating.ticket_id, Ticket.status, Rating.clerk_id, Ticket.clerk_id, Rating.score)
                           .join(Ticket, Ticket.id == Rating.ticket_id)).all()
    assert len({row[0] for row in rows}) == len(rows), "a ticket was rated twice"
    for ticket_id, status, rated_clerk, ticket_clerk, score in rows:
        assert status is TicketStatus.DONE, f"ticket {ticket_id} rated while {status.value}"
        assert rated_clerk == ticket_clerk and 1 <= score <= 5


def _rollups_agree_with_the_tickets(session: Any) -> None:
    expected: dict[tuple[Any, ...], list[int]] = {}
    for ticket, score in session.execute(select(Ticket, Rating.score).outerjoin(Rating, Rating.ticket_id == Ticket.id)
                                         .where(Ticket.site_id == SITE)):
        key = (ticket.business_date, ticket.service_id, ticket.counter_id or 0, ticket.clerk_id or 0)
        figures = expected.setdefault(key, [0] * 7)
        done = ticket.status is TicketStatus.DONE
        for index, value in enumerate((1, done, ticket.status is TicketStatus.NO_SHOW, score is not None, score or 0,
                                       ticket.first_called_at is not None, done and ticket.finished_at is not None)):
            figures[index] += int(value)
    rolled: dict[tuple[Any, ...], list[int]] = {}
    for row in session.scalars(select(RollupDay).where(RollupDay.site_id == SITE, RollupDay.grain == "day")):
        figures = [row.issued, row.served, row.no_show, row.ratings, row.score_sum,
                   sum(row.wait_histogram.values()), sum(row.service_histogram.values())]
        if any(figures):
            rolled[(row.business_date, row.service_id, row.counter_id, row.clerk_id)] = figures
    assert rolled == expected, f"roll-ups {rolled} differ from the tickets {expected}"
    _rollups_keep_visits_and_flags(session)
    transfers = session.scalar(select(func.count(Event.id)).where(Event.site_id == SITE,
                                                                  Event.type == ev.TICKET_TRANSFERRED))
    assert session.scalar(select(func.coalesce(func.sum(RollupSiteDay.transferred), 0))
                          .where(RollupSiteDay.site_id == SITE, RollupSiteDay.grain == "day")) == transfers


def _rollups_keep_visits_and_flags(session: Any) -> None:
    """Repeat visits, dossier outcomes and flagged ratings in the roll-ups, per day × field × counter × clerk,
    are what the tickets, their dossier visits and the flags the log last gave say (issue 14)."""
    from server.models import DossierOutcome, DossierVisit, RatingFlagDay

    flagged = {entry["ticket_id"] for flags in session.scalars(select(RatingFlagDay.flags)) for entry in flags}
    expected: dict[tuple[Any, ...], list[int]] = {}
    for ticket, visit, score in session.execute(
            select(Ticket, DossierVisit, Rating.score).outerjoin(DossierVisit, DossierVisit.ticket_id == Ticket.id)
            .outerjoin(Rating, Rating.ticket_id == Ticket.id).where(Ticket.site_id == SITE)):
        known = visit is not None or ticket.declared_visit is not None
        values = (known, known and (bool(visit and visit.repeat) or (ticket.declared_visit or 0) >= 2),
                  visit is not None, visit is not None and visit.outcome is DossierOutcome.RETURNED,
                  visit is not None and visit.breach, score is not None and ticket.id in flagged)
        if any(values):
            key = (ticket.business_date, ticket.service_id, ticket.counter_id or 0, ticket.clerk_id or 0)
            figures = expected.setdefault(key, [0] * 6)
            for index, value in enumerate(values):
                figures[index] += int(value)
    rolled: dict[tuple[Any, ...], list[int]] = {}
    for row in session.scalars(select(RollupDay).where(RollupDay.site_id == SITE, RollupDay.grain == "day")):
        figures = [row.visits_known, row.repeat_visits, row.dossier_visits, row.returned, row.guidance_breaches,
                   row.flagged_1 + row.flagged_2 + row.flagged_3 + row.flagged_4 + row.flagged_5]
        if any(figures):
            rolled[(row.business_date, row.service_id, row.counter_id, row.clerk_id)] = figures
    assert rolled == expected, f"roll-ups' visits and flags {rolled} differ from the tables {expected}"


def _one_open_alert_per_situation(session: Any) -> None:
    keys = Tally(session.scalars(select(Alert.dedupe_key).where(Alert.resolved_at.is_(None))))
    assert all(count == 1 for count in keys.values()), f"an open situation raised twice: {keys}"


def _dossiers_only_on_visits_being_served(session: Any) -> None:
    """Replaying the log: each dossier_attached names a ticket then called or being served at that counter,
    by that counter's clerk or a supervisor; one visit row per ticket, its repeat mark is its number."""
    states: dict[int, TicketStatus] = {}
    counters: dict[int, int | None] = {}
    for event in session.scalars(select(Event).order_by(Event.seq)):
        if event.type == ev.TICKET_ISSUED:
            states[event.ticket_id] = TicketStatus.WAITING
        elif event.type == ev.TICKETS_EXPIRED:
            for ticket_id in event.payload["ticket_ids"]:
                states[ticket_id] = TRANSITIONS[(states[ticket_id], Verb.EXPIRE)]
        elif event.type in EVENT_VERBS:
            states[event.ticket_id] = TRANSITIONS[(states[event.ticket_id], EVENT_VERBS[event.type])]
            counters[event.ticket_id] = event.counter_id
        elif event.type == ev.DOSSIER_ATTACHED:
            assert states.get(event.ticket_id) in (TicketStatus.CALLED, TicketStatus.SERVING), \
                f"seq {event.seq}: a dossier attached to ticket {event.ticket_id} while {states.get(event.ticket_id)}"
            assert event.counter_id == counters.get(event.ticket_id), f"seq {event.seq}: dossier at another counter"
            assert event.actor in ("staff:supervisor:5", f"staff:clerk:{event.counter_id}"), \
                f"seq {event.seq}: {event.actor} attached a dossier at counter {event.counter_id}"
    visits = list(session.scalars(select(DossierVisit)))
    assert len({visit.ticket_id for visit in visits}) == len(visits), "two dossier rows for one visit"
    for visit in visits:
        assert visit.repeat == (visit.visit_number > 1) and visit.visit_number >= 1
        assert visit.breach == bool(visit.new_missing)
        assert session.get(Ticket, visit.ticket_id).dossier_code == visit.code
        assert (visit.outcome.value == "returned") == bool(visit.missing), f"missing papers on a {visit.outcome.value} visit"


def _kiosk_answers_match_the_log(session: Any) -> None:
    """A kiosk's "đến lần thứ mấy" answer is 1–3, and recorded in the ticket's own issue event."""
    issued = {event.ticket_id: event.payload.get("declared_visit")
              for event in session.scalars(select(Event).where(Event.type == ev.TICKET_ISSUED))}
    for ticket_id, declared in session.execute(select(Ticket.id, Ticket.declared_visit)):
        assert declared in (None, 1, 2, 3)
        assert issued.get(ticket_id) == declared, f"ticket {ticket_id}: answer {declared}, log {issued.get(ticket_id)}"


def _flags_only_read_ratings(session: Any, clock: FixedClock) -> None:
    """Flags (whatever the thresholds) name existing ratings with their evidence and change nothing: the
    ratings are the same rows before and after reading them (the report's unflagged figures are checked in
    tests/integration/ratings/test_rating_flags.py)."""
    from server.reports.periods import Period
    from server.reports.rating_flags import KINDS, rating_flags
    before = session.execute(select(Rating.id, Rating.score).order_by(Rating.id)).all()
    period = Period(START.date() - dt.timedelta(days=1), clock.now().date() + dt.timedelta(days=1))
    flags = rating_flags(session, [SITE], period)
    assert session.execute(select(Rating.id, Rating.score).order_by(Rating.id)).all() == before, "flags changed ratings"
    ids = {row[0] for row in before}
    for entry in flags.entries:
        assert entry["rating_id"] in ids and entry["kind"] in KINDS and entry["evidence"], entry


def _leader_items_answered_in_order(session: Any) -> None:
    """One review per week; nothing cleared without an action and a note; every action and clearing in the
    log, by the head of the centre, in that order."""
    from server.models import LeaderItem, LeaderReview

    weeks = session.scalars(select(LeaderReview.week_start)).all()
    assert len(weeks) == len(set(weeks)), "a week reviewed twice"
    logged: dict[int, list[str]] = {}
    for event in session.scalars(select(Event).where(Event.type.in_(
            [ev.LEADER_ACTION_RECORDED, ev.LEADER_ITEM_CLEARED])).order_by(Event.seq)):
        assert event.actor == f"staff:leader:{LEADER.id}", f"seq {event.seq}: {event.actor} acted on the board"
        logged.setdefault(event.payload["item_id"], []).append(event.type)
    for item in session.scalars(select(LeaderItem)):
        history = logged.get(item.id, [])
        if item.cleared_at is not None:
            assert item.action and len(item.cleared_note.strip()) >= 10, f"item {item.id} cleared without action or note"
            assert history[-1] == ev.LEADER_ITEM_CLEARED and history.count(ev.LEADER_ITEM_CLEARED) == 1
            assert ev.LEADER_ACTION_RECORDED in history[:-1]
        else:
            assert ev.LEADER_ITEM_CLEARED not in history
        assert bool(item.action) == (ev.LEADER_ACTION_RECORDED in history)


def _logged_flags_are_the_last_reading(session: Any) -> None:
    """For each day, the last rating_flags_reviewed event says what rating_flag_days keeps: existing ratings
    with their ticket, ids, score and kinds only (no personal data, nothing a clerk types)."""
    from server.models import RatingFlagDay
    from server.reports.rating_flags import KINDS

    last: dict[str, dict[str, Any]] = {}
    for event in session.scalars(select(Event).where(Event.type == ev.RATING_FLAGS_REVIEWED).order_by(Event.seq)):
        last[event.payload["business_date"]] = event.payload
    kept = {row.business_date.isoformat(): row.flags for row in session.scalars(select(RatingFlagDay))}
    assert {day: payload["flags"] for day, payload in last.items()} == kept, "the log and rating_flag_days disagree"
    ratings = dict(session.execute(select(Rating.id, Rating.ticket_id)).all())
    for flags in kept.values():
        for entry in flags:
            assert set(entry) == {"rating_id", "ticket_id", "service_id", "counter_id", "clerk_id", "score", "kinds"}
            assert ratings.get(entry["rating_id"]) == entry["ticket_id"] and set(entry["kinds"]) <= set(KINDS)


def _citizen_keys_only_as_codes(session: Any) -> None:
    """A citizen's key is a 64-hex keyed hash, one per visit, and never in the event log."""
    from server.models import CitizenKey

    rows = session.scalars(select(CitizenKey)).all()
    assert len({row.ticket_id for row in rows}) == len(rows)
    if rows:
        logged = " ".join(str(payload) for payload in session.scalars(select(Event.payload)))
        for row in rows:
            assert len(row.key_hash) == 64 and row.key_hash not in logged and "0912345678" not in logged
