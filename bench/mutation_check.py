"""Does the core's model-based test find the bugs it is meant to find? Re-introduce each bug of issue 10
in a scratch git worktree of HEAD and run tests/integration/test_core_model.py (SQLite) against it.

    .venv/bin/python -m bench.mutation_check            # all mutations, several minutes each
    ONLY=overlap .venv/bin/python -m bench.mutation_check

Prints FOUND (the test failed: see the log for the broken promise) or MISSED per mutation.
"""
import os
import subprocess
import tempfile
import time
from pathlib import Path

MAIN = str(Path(__file__).resolve().parent.parent)
SCRATCH = tempfile.mkdtemp(prefix="hangcho-mutations-")
WT = f"{SCRATCH}/worktree"
MUTATIONS = [
    ("transfer renumbers into the target field's sequence (the 'field down for the day' bug)",
     "server/queue/tickets.py", "            ticket.service_id = target_service.id\n",
     "            ticket.service_id = target_service.id\n            ticket.issued_service_id = target_service.id\n"),
    ("field overlap not refused (two citizens, one number)",
     "server/administration.py", "        if other.id != except_id and numbering.collides_with(_numbering(other)):",
     "        if False and other.id != except_id and numbering.collides_with(_numbering(other)):"),
    ("a field nobody serves is issued anyway",
     "server/queue/tickets.py", "        if queries.service_availability(self.session, site.id).get(service.id) == queries.NOT_SERVED:\n            raise errors.ServiceNotServed(service_name=service.name)\n",
     ""),
    ("the console lists the queue in another order than call-next takes it",
     "server/queue/queries.py", "    return [(candidate, numbers[candidate.ticket_id]) for candidate in order]",
     "    return [(candidate, numbers[candidate.ticket_id]) for candidate in sorted(order, key=lambda c: numbers[c.ticket_id])]"),
    ("committed events are not all pushed (only the last of a unit of work)",
     "server/queue/unit_of_work.py", "                self.publisher.publish(events)", "                self.publisher.publish(events[-1:])"),
    ("the roll-ups forget the kiosk's 'which visit' answer (the province under-counts repeat visits)",
     "server/rollups/apply.py", 'declared_visit=_visit_answer(payload.get("declared_visit"))', "declared_visit=None"),
    ("a day's rating flags are logged only the first time (later flags never reach the province)",
     "server/queue/flag_reviews.py", "        if flags == before:\n", "        if row is not None or flags == before:\n"),
]
only = os.environ.get("ONLY", "")
subprocess.run(["git", "-C", MAIN, "worktree", "add", "--detach", WT, "HEAD"], check=True, capture_output=True)
os.symlink(f"{MAIN}/.venv", f"{WT}/.venv")
for index, (name, path, old, new) in enumerate(MUTATIONS, 1):
    if only and only not in name:
        continue
    subprocess.run(["git", "-C", WT, "checkout", "-q", "--", "."], check=True)
    text = open(f"{WT}/{path}").read()
    assert text.count(old) == 1, (name, text.count(old))
    open(f"{WT}/{path}", "w").write(text.replace(old, new))
    started = time.time()
    log = f"{SCRATCH}/mutation-{index}.log"
    with open(log, "w") as out:
        result = subprocess.run([f"{WT}/.venv/bin/python", "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--timeout=0",
                                 "tests/integration/test_core_model.py", "-k", "sqlite"], cwd=WT, stdout=out, stderr=subprocess.STDOUT)
    verdict = "FOUND" if result.returncode == 1 else ("MISSED" if result.returncode == 0 else f"ERROR rc={result.returncode}")
    print(f"{verdict:7} {time.time()-started:6.0f}s  {name}  ({log})", flush=True)
subprocess.run(["git", "-C", WT, "checkout", "-q", "--", "."])
subprocess.run(["git", "-C", MAIN, "worktree", "remove", "--force", WT], capture_output=True)
