"""The inspection export on SQLite and PostgreSQL: one file with the raw rows and the hash-chain proof,
verified offline by docs/verify_inspection.py (a separate process with only the standard library), and a
changed byte anywhere in the history is found."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from server.queue.actors import Actor
from server.queue.service import RatingRequest
from server.settings import PROJECT_ROOT
from tests.conftest import KIOSK

VERIFY = PROJECT_ROOT / "docs" / "verify_inspection.py"
CLERK_1 = Actor(kind="staff", id=1, site_id=1, role="clerk")
KIOSK_ACTOR = Actor(kind="device", id=1, site_id=1, role="kiosk")


def verify(document: dict, tmp_path: Path, name: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([sys.executable, "-I", str(VERIFY), str(path)], capture_output=True, text=True, timeout=60)


def test_the_inspector_exports_a_period_that_verifies_offline_and_tampering_is_found(app, client, login, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from server.queue.service import QueueService

    factory = app.extensions["hangcho"].session_factory

    def queue() -> QueueService:
        return QueueService(factory(), clock=clock)

    for score in (5, 2):
        queue().issue_ticket(1, KIOSK_ACTOR)
        ticket = queue().call_next(1, CLERK_1)
        queue().attach_dossier(ticket.id, CLERK_1, "HS-INSP-1", "returned", ["don"])
        clock.advance(minutes=4)
        queue().finish(ticket.id, CLERK_1)
        clock.advance(seconds=5)
        queue().rate(RatingRequest(score=score, ticket_id=ticket.id),
                     Actor(kind="device", id=3, site_id=1, role="rating_terminal", counter_id=1))
    client.post("/api/v1/tickets", json={"service_id": 2}, headers=KIOSK)

    assert client.get("/api/v1/inspection/export", headers=login("canbo1")).status_code == 403
    assert client.get("/api/v1/inspection/export", headers=login("giamsat")).status_code == 403
    answer = client.get("/api/v1/inspection/export", headers=login("thanhtra"))
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    document = json.loads(answer.data)
    assert document["counts"]["tickets"] == 3 and document["counts"]["ratings"] == 2
    assert document["counts"]["dossier_visits"] == 2 and document["proof"]["anchor"]["seq"] == 0
    assert "public_token" not in answer.data.decode() and "password" not in answer.data.decode()

    checked = verify(document, tmp_path, "whole")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("VERIFIED")

    # A rating's score changed in the log after the fact: the chain breaks at that event.
    tampered = json.loads(json.dumps(document))
    event = next(e for e in tampered["events"] if e["type"] == "rating_received" and e["payload"]["score"] == 2)
    event["payload"]["score"] = 5
    broken = verify(tampered, tmp_path, "log")
    assert broken.returncode == 1 and f"seq {event['seq']}" in broken.stdout
    # A rating row changed, the log left alone: the rows no longer agree with the log.
    tampered = json.loads(json.dumps(document))
    next(r for r in tampered["ratings"] if r["score"] == 2)["score"] = 5
    assert verify(tampered, tmp_path, "rows").returncode == 1
    # An event removed from the middle: the gap is found.
    tampered = json.loads(json.dumps(document))
    del tampered["events"][3]
    tampered["counts"]["events"] -= 1
    gap = verify(tampered, tmp_path, "gap")
    assert gap.returncode == 1 and "gap" in gap.stdout
