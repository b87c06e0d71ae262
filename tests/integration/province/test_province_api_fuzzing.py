"""schemathesis against a real server carrying the province report routes (only the `province` tag of its
/api/v1/openapi.json: the board, rankings, reports, the catalogue and the public wait times), as the
province leader, as an administrator (who may replace the catalogue) and anonymously: no 5xx, no answer outside the documented
schema, no schema-violating request accepted. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
import requests

from bench.fuzz_api import fuzz
from tests.conftest import stop_process
from tests.integration.province.conftest import start_province_server

EXAMPLES = 8


@pytest.mark.long
@pytest.mark.timeout(900)
def test_the_province_routes_survive_the_fuzzer(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, process = start_province_server(database_url, tmp_path)
    try:
        token = requests.post(f"{url}/api/v1/auth/login", json={"username": "tinh", "password": "demo"},
                              timeout=10).json()["token"]
        admin = requests.post(f"{url}/api/v1/auth/login", json={"username": "admin", "password": "demo"},
                              timeout=10).json()["token"]
        runs = [fuzz(url, "province leader", {"Authorization": f"Bearer {token}"}, examples=EXAMPLES,
                     include_tags=("province",)),
                fuzz(url, "administrator", {"Authorization": f"Bearer {admin}"}, examples=EXAMPLES,
                     include_tags=("province",)),
                fuzz(url, "anonymous", {}, examples=EXAMPLES, include_tags=("province",))]
    finally:
        stop_process(process)
    for run in runs:
        assert run.answers_5xx == 0, (run.identity, run.server_errors[:5])
        assert run.exit_code == 0, f"{run.identity}:\n{run.output[-8000:]}"
        assert run.requests > 100, (run.identity, run.statuses)
    assert runs[0].statuses[200] > 0 and runs[0].statuses[422] > 0 and runs[2].statuses[401] > 0
    assert runs[1].statuses[200] > 0  # the administrator's catalogue replacements among them
