"""Fuzz the HTTP API with schemathesis from its own OpenAPI document, and count what came back.

    .venv/bin/python -m bench.fuzz_api --examples 1000                 # SQLite, a long run
    .venv/bin/python -m bench.fuzz_api --examples 200 --database postgres

Starts a real server on the demo centre, then runs schemathesis twice against /api/v1/openapi.json:
once with the kiosk's device key (X-Device-Key), once with an admin's bearer token. Prints how many
requests were sent, how many answered 5xx (with the first of them), and schemathesis's own findings
(answers that break the documented schema, 405 without Allow, …). The test suite runs the same code
with few examples (tests/integration/security/test_api_fuzzing.py).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import requests

from bench.common import PROJECT_ROOT, BenchServer, start_server

logger = logging.getLogger(__name__)

POSTGRES_ADMIN_URL = os.environ.get("HANGCHO_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
          "unsupported_method", "allow_header_conformance")
PHASES = ("examples", "coverage", "fuzzing")
EXCLUDED_PATHS = ("/auth/logout",)  # it would revoke the fuzzer's own token
DEFAULT_SEED = 11
CONFIG_FILE = Path(__file__).with_name("schemathesis.toml")


@dataclass
class FuzzRun:
    """One schemathesis run: what it sent and what came back."""

    identity: str
    exit_code: int
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def answers_5xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def fuzz(server_url: str, identity: str, headers: dict[str, str], *, examples: int, seed: int = DEFAULT_SEED,
         own_staff_id: int | None = None, workers: int = 1, max_time_s: int | None = None,
         phases: tuple[str, ...] = PHASES, include_tags: tuple[str, ...] = ()) -> FuzzRun:
    """Run schemathesis once with these headers; the hooks (bench/fuzz_hooks.py) count the answers.

    One worker by default: hypothesis describes its filters with ast.parse, which is not thread-safe
    on Python 3.11 ("AST constructor recursion depth mismatch", CPython gh-106905) and crashed a CI run.
    """
    with tempfile.TemporaryDirectory(prefix="hangcho-fuzz-") as workdir:
        counts_path = Path(workdir) / "counts.json"
        command = [
            sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG_FILE),
            "run", f"{server_url}/api/v1/openapi.json",
            "--url", f"{server_url}/api/v1",
            "--checks", ",".join(CHECKS), "--phases", ",".join(phases),
            "--max-examples", str(examples), "--seed", str(seed), "--workers", str(workers),
            "--generation-database", "none", "--request-timeout", "30", "--no-color",
            "--suppress-health-check", "all", "--report-dir", str(Path(workdir) / "report"),
            *[option for path in EXCLUDED_PATHS for option in ("--exclude-path", path)],
            *[option for tag in include_tags for option in ("--include-tag", tag)],
            *[option for name, value in headers.items() for option in ("--header", f"{name}: {value}")],
        ]
        if max_time_s:
            command += ["--max-time", str(max_time_s)]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "bench.fuzz_hooks", "HANGCHO_FUZZ_COUNTS": str(counts_path),
               "HANGCHO_FUZZ_OWN_STAFF_ID": str(own_staff_id or ""), "PYTHONPATH": str(PROJECT_ROOT)}
        # In the temporary folder: schemathesis keeps its crash files under the working directory.
        finished = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
        counts = json.loads(counts_path.read_text()) if counts_path.exists() else {"statuses": {}, "server_errors": []}
    return FuzzRun(identity, finished.returncode, Counter({int(k): v for k, v in counts["statuses"].items()}),
                   counts["server_errors"], finished.stdout + finished.stderr)


def fuzz_as_kiosk_and_admin(server_url: str, *, examples: int, seed: int = DEFAULT_SEED, **options: Any) -> list[FuzzRun]:
    """The kiosk first (the admin's run may revoke or rotate device keys), then an admin."""
    kiosk = fuzz(server_url, "kiosk device key", {"X-Device-Key": "demo-kiosk-1"}, examples=examples, seed=seed, **options)
    login = requests.post(f"{server_url}/api/v1/auth/login", json={"username": "admin", "password": "demo"}, timeout=10)
    login.raise_for_status()
    answer = login.json()
    admin = fuzz(server_url, "admin bearer token", {"Authorization": f"Bearer {answer['token']}"}, examples=examples,
                 seed=seed, own_staff_id=answer["user"]["id"], **options)
    return [kiosk, admin]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database (dropped afterwards)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hangcho_fuzz_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def report(runs: list[FuzzRun]) -> str:
    lines = []
    for run in runs:
        lines.append(f"{run.identity}: {run.requests} requests, {run.answers_5xx} answered 5xx, "
                     f"schemathesis exit code {run.exit_code}; statuses {dict(sorted(run.statuses.items()))}")
        for error in run.server_errors[:10]:
            lines.append(f"  5xx: {error['method']} {error['url']} {error['body']!r}")
    total = sum(run.requests for run in runs)
    lines.append(f"total: {total} requests, {sum(run.answers_5xx for run in runs)} answered 5xx")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=1000, help="examples per operation and phase")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1,
                        help="schemathesis threads; more than 1 can crash Python 3.11's ast.parse (CPython gh-106905)")
    parser.add_argument("--max-time", type=int, default=None, help="time budget of each run, in seconds")
    parser.add_argument("--stateful", action="store_true", help="add schemathesis's stateful phase")
    parser.add_argument("--verbose", action="store_true", help="print schemathesis's own output")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    def run_on(database_url: str | None) -> list[FuzzRun]:
        server: BenchServer = start_server(database_url, log_path=Path(tempfile.gettempdir()) / "hangcho-fuzz-server.log")
        try:
            phases = PHASES + (("stateful",) if args.stateful else ())
            return fuzz_as_kiosk_and_admin(server.url, examples=args.examples, seed=args.seed, workers=args.workers,
                                           max_time_s=args.max_time, phases=phases)
        finally:
            server.stop()

    if args.database == "postgres":
        with postgres_database() as url:
            runs = run_on(url)
    else:
        runs = run_on(None)
    if args.verbose:
        for run in runs:
            sys.stdout.write(run.output)
    sys.stdout.write(report(runs) + "\n")
    return 1 if any(run.answers_5xx for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
