"""The same random sequences of every verb, over HTTP against a live server process: no answer is a 5xx,
and no two citizens ever hold the same number (on SQLite and on PostgreSQL)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import create_engine, func, select

from server.models import Ticket
from tests.conftest import LiveServer, start_live_server

EXAMPLES = int(os.environ.get("HANGCHO_MODEL_HTTP_EXAMPLES", "6"))
STEPS = int(os.environ.get("HANGCHO_MODEL_STEPS", "40"))
COUNTERS = (1, 2, 3, 4)
VERBS = ("recall", "skip", "start", "finish", "cancel", "reprint")


class HttpMachine(RuleBasedStateMachine):
    server: LiveServer
    tokens: dict[str, str]
    answers: list[tuple[str, str, int]]

    def __init__(self) -> None:
        super().__init__()
        self.tickets: list[dict[str, Any]] = []

    def call(self, method: str, path: str, who: str, **kwargs: Any) -> requests.Response:
        answer = self.server.api(method, path, token=self.tokens[who], **kwargs)
        self.answers.append((method, path, answer.status_code))
        assert answer.status_code < 500, f"{method} {path} as {who} answered {answer.status_code}: {answer.text[:300]}"
        return answer

    def pick(self, index: int) -> dict[str, Any] | None:
        return self.tickets[index % len(self.tickets)] if self.tickets else None

    @rule(service=st.integers(1, 9), priority=st.sampled_from([None, None, "nguoi_cao_tuoi", "khong_co"]))
    def issue(self, service: int, priority: str | None) -> None:
        answer = self.call("POST", "/tickets", "kiosk", json={"service_id": service, "priority": priority})
        if answer.status_code == 201:
            self.tickets.append(answer.json())

    @rule(counter=st.sampled_from(COUNTERS), who=st.sampled_from(["clerk", "giamsat"]))
    def call_next(self, counter: int, who: str) -> None:
        self.call("POST", f"/counters/{counter}/call-next", f"canbo{counter}" if who == "clerk" else who)

    @rule(index=st.integers(0, 500), verb=st.sampled_from(VERBS), counter=st.sampled_from(COUNTERS))
    def ticket_verb(self, index: int, verb: str, counter: int) -> None:
        ticket = self.pick(index)
        if ticket is not None:
            who = "giamsat" if verb in ("cancel", "reprint") else f"canbo{counter}"
            self.call("POST", f"/tickets/{ticket['id']}/{verb}", who)

    @rule(index=st.integers(0, 500), counter=st.sampled_from(COUNTERS), to_field=st.booleans(), destination=st.integers(1, 8))
    def transfer(self, index: int, counter: int, to_field: bool, destination: int) -> None:
        ticket = self.pick(index)
        if ticket is not None:
            body = {"service_id": destination} if to_field else {"counter_id": destination % 4 + 1}
            self.call("POST", f"/tickets/{ticket['id']}/transfer", f"canbo{counter}", json=body)

    @rule(counter=st.sampled_from(COUNTERS), action=st.sampled_from(["open", "close", "pause", "resume"]),
          who=st.sampled_from(["clerk", "giamsat"]))
    def counter_verb(self, counter: int, action: str, who: str) -> None:
        body = {"reason": "Nghỉ giữa giờ"} if action == "pause" else None
        self.call("POST", f"/counters/{counter}/{action}", f"canbo{counter}" if who == "clerk" else who, json=body)

    @rule(index=st.integers(0, 500), score=st.integers(0, 6), by_phone=st.booleans())
    def rate(self, index: int, score: int, by_phone: bool) -> None:
        ticket = self.pick(index)
        if ticket is None:
            return
        if by_phone:
            token = ticket["public_url"].rsplit("/", 1)[1]
            answer = requests.post(self.server.url + "/api/v1/ratings", json={"token": token, "score": score}, timeout=10)
            self.answers.append(("POST", "/ratings", answer.status_code))
            assert answer.status_code < 500, answer.text[:300]
        else:
            counter = (ticket["id"] % 4) + 1
            self.call("POST", "/ratings", f"rating{counter}", json={"ticket_id": ticket["id"], "score": score})

    @rule(service=st.integers(1, 7), start=st.integers(0, 9000), size=st.integers(0, 1200), active=st.booleans())
    def edit_field(self, service: int, start: int, size: int, active: bool) -> None:
        self.call("PATCH", f"/admin/services/{service}", "admin",
                  json={"number_start": start, "number_end": start + size, "active": active})

    @rule(counter=st.sampled_from(COUNTERS), fields=st.lists(st.integers(1, 8), max_size=3, unique=True))
    def edit_counter(self, counter: int, fields: list[int]) -> None:
        self.call("PATCH", f"/admin/counters/{counter}", "admin", json={"service_ids": fields})

    @rule(open_now=st.booleans())
    def edit_hours(self, open_now: bool) -> None:
        periods = [{"weekday": day, "opens_at": "00:00", "closes_at": "23:59:59"} if open_now else
                   {"weekday": day, "opens_at": "05:00", "closes_at": "05:01"} for day in range(7)]
        self.call("PUT", "/admin/hours", "admin", json={"periods": periods})

    @rule(who=st.sampled_from(["canbo1", "giamsat", "kiosk"]))
    def read_state(self, who: str) -> None:
        self.call("GET", "/snapshot", who)
        self.call("GET", "/services", who)

    @invariant()
    def one_number_one_citizen(self) -> None:
        engine = create_engine(self.server.database_url)
        try:
            with engine.connect() as connection:
                twins = connection.execute(select(Ticket.business_date, Ticket.number).group_by(
                    Ticket.site_id, Ticket.business_date, Ticket.number).having(func.count(Ticket.id) > 1)).all()
        finally:
            engine.dispose()
        assert not twins, f"two citizens hold the same number: {twins}"


def _tokens(server: LiveServer) -> dict[str, str]:
    tokens = {name: server.login(name) for name in ("canbo1", "canbo2", "canbo3", "canbo4", "giamsat", "admin")}
    tokens.update({"kiosk": "demo-kiosk-1", **{f"rating{counter}": f"demo-rating-{counter}" for counter in COUNTERS}})
    return tokens


def run(server: LiveServer) -> None:
    answers: list[tuple[str, str, int]] = []
    machine = type("Machine", (HttpMachine,), {"server": server, "tokens": _tokens(server), "answers": answers})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, derandomize=True, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
    print(f"\nHTTP model run: {len(answers)} requests, "
          f"{sum(1 for *_rest, status in answers if status < 400)} accepted, none 5xx")
    assert len(answers) >= EXAMPLES * 5
    assert "Traceback" not in server.log()


@pytest.fixture
def sqlite_server(sqlite_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_live_server(sqlite_url, tmp_path)
    yield server
    server.stop()


@pytest.fixture
def postgres_server(postgres_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    from tests.conftest import _truncate_postgres

    _truncate_postgres(postgres_database)
    server = start_live_server(postgres_database, tmp_path)
    yield server
    server.stop()


def test_random_sequences_over_http_never_answer_5xx_on_sqlite(sqlite_server: LiveServer) -> None:
    run(sqlite_server)


@pytest.mark.postgres
def test_random_sequences_over_http_never_answer_5xx_on_postgresql(postgres_server: LiveServer) -> None:
    run(postgres_server)
