"""The long run of the core's model-based test: as many random sequences of every verb as asked, on
SQLite (and PostgreSQL with --postgres URL), with the invariants checked after every step. It prints how
many examples and steps it tried, which verbs ran and how often each was refused. A failure prints the
shortest sequence Hypothesis found that breaks a promise.

    .venv/bin/python -m bench.model_run --examples 500 --steps 60 [--postgres postgresql+psycopg://root@127.0.0.1/test]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.migrate import upgrade
from tests.integration import core_model


def sqlite_machine(work: Path) -> type[core_model.CoreMachine]:
    template = work / "template.sqlite3"
    upgrade(f"sqlite:///{template}")
    core_model.seed(f"sqlite:///{template}")
    (work / "run").mkdir()
    return type("Machine", (core_model.CoreMachine,), {"database": core_model.sqlite_database(template, work / "run")})


def postgres_machine(admin_url: str) -> tuple[type[core_model.CoreMachine], str]:
    name = f"hangcho_model_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    database = core_model.postgres_database(url, lambda: core_model.seed(url))
    return type("Machine", (core_model.CoreMachine,), {"database": database}), name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--postgres", default="", help="also run on PostgreSQL (an admin URL; a scratch database is made)")
    arguments = parser.parse_args()
    run_settings = settings(max_examples=arguments.examples, stateful_step_count=arguments.steps, deadline=None,
                            database=None, suppress_health_check=list(HealthCheck), print_blob=True,
                            derandomize=False)
    targets = []
    with tempfile.TemporaryDirectory() as scratch:
        targets.append(("sqlite", sqlite_machine(Path(scratch))))
        dropped = None
        if arguments.postgres:
            machine, dropped = postgres_machine(arguments.postgres)
            targets.append(("postgresql", machine))
        failed = False
        for name, machine in targets:
            before = core_model.STATISTICS.steps
            examples_before = core_model.STATISTICS.examples
            started = time.monotonic()
            try:
                run_state_machine_as_test(machine, settings=run_settings)
                outcome = "every promise held"
            except AssertionError as broken:
                failed = True
                outcome = f"A PROMISE BROKE: {broken}"
            print(f"{name}: {core_model.STATISTICS.examples - examples_before} examples, "
                  f"{core_model.STATISTICS.steps - before} steps in {time.monotonic() - started:.0f} s: {outcome}")
        if dropped:
            admin = create_engine(arguments.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{dropped}'"))
                connection.execute(text(f'DROP DATABASE IF EXISTS "{dropped}"'))
            admin.dispose()
    print("verbs tried:", dict(core_model.STATISTICS.verbs.most_common()))
    print("refusals:", dict(core_model.STATISTICS.refusals.most_common(25)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
