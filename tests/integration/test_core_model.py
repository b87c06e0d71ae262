"""The model-based test of the core (tests/integration/core_model.py), bounded for `make test`.

A fixed seed (derandomize) and a bounded number of examples keep it reproducible and a few minutes long
on both databases; `python -m bench.model_run --examples N` runs it as long as wanted and prints how many
steps it tried. HANGCHO_MODEL_EXAMPLES and HANGCHO_MODEL_STEPS scale this run too.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.integration import core_model

EXAMPLES = int(os.environ.get("HANGCHO_MODEL_EXAMPLES", "12"))
STEPS = int(os.environ.get("HANGCHO_MODEL_STEPS", "40"))


def bounded_settings() -> settings:
    return settings(max_examples=EXAMPLES, stateful_step_count=STEPS, derandomize=True, deadline=None,
                    database=None, suppress_health_check=list(HealthCheck), print_blob=True)


@pytest.fixture
def seeded_sqlite(tmp_path: Path, sqlite_template: Path) -> Path:
    import shutil

    template = tmp_path / "seeded.sqlite3"
    shutil.copy(sqlite_template, template)
    core_model.seed(f"sqlite:///{template}")
    return template


def run(database: core_model.Database) -> None:
    machine = type("Machine", (core_model.CoreMachine,), {"database": database})
    before = core_model.STATISTICS.steps
    run_state_machine_as_test(machine, settings=bounded_settings())
    print(f"\nmodel-based run on {database.url.split(':')[0]}: {core_model.STATISTICS.steps - before} steps")
    assert core_model.STATISTICS.steps - before >= EXAMPLES * 5  # the machine really ran


@pytest.mark.long
@pytest.mark.timeout(1800)
def test_the_core_keeps_its_promises_on_sqlite(seeded_sqlite: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    run(core_model.sqlite_database(seeded_sqlite, work))


@pytest.mark.postgres
@pytest.mark.long
@pytest.mark.timeout(1800)
def test_the_core_keeps_its_promises_on_postgresql(postgres_database: str) -> None:
    run(core_model.postgres_database(postgres_database, lambda: core_model.seed(postgres_database)))
