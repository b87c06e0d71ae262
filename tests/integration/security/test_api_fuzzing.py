"""schemathesis against a real server's /api/v1/openapi.json, on SQLite and on PostgreSQL (issue 11).

With the kiosk's device key and then an admin's bearer token, a fixed seed and a few examples per
operation (about 4,000 requests per database, a minute or two each). It fails on any 5xx, on any answer
that breaks the documented schema (status, content type, headers, body), on a schema-violating request
that is accepted, and on a 405 without `Allow`. The long run is `python -m bench.fuzz_api --examples N`.
"""
from __future__ import annotations

import pytest

from bench.fuzz_api import fuzz_as_kiosk_and_admin
from tests.conftest import start_live_server

EXAMPLES = 5
SEED = 11


@pytest.mark.long
@pytest.mark.timeout(900)
def test_the_fuzzer_finds_no_server_error_and_no_answer_outside_the_schema(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = start_live_server(database_url, tmp_path)
    try:
        runs = fuzz_as_kiosk_and_admin(server.url, examples=EXAMPLES, seed=SEED)
    finally:
        server.stop()
    for run in runs:
        assert run.answers_5xx == 0, (run.identity, run.server_errors[:5], server.log()[-4000:])
        assert run.exit_code == 0, f"{run.identity}:\n{run.output[-8000:]}"
        assert run.requests > 1000, (run.identity, run.statuses)  # the run really reached the API
        assert run.statuses[201] > 0 and run.statuses[422] > 0  # valid requests created things, bad ones refused
