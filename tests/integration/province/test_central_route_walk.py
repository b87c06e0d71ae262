"""Every route of the central's URL map, pages included, walked with odd path values and garbage bodies,
anonymously and as the province leader: no 5xx. The OpenAPI fuzz covers the API; this walk covers the
HTML pages too (the phone page of a link that names nothing once answered 500: its 404 page built the
kiosk's style sheet URL, which only a site has)."""
from __future__ import annotations

import re

from tests.integration.province.conftest import CENTRAL_PASSWORD  # noqa: F401 - the province fixtures
from tests.integration.province.conftest import province  # noqa: F401 - a fixture

ODD_VALUES = ("1", "999999", "9223372036854775808", "zz", "%00", "A" * 300)
GARBAGE_BODIES = (b"\xff\xfe", b"[]", b'{"score": 99}', b"null", b'{"token": 1, "fields": "x"}')


def paths(application, value: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(path with every parameter set to `value`, method, endpoint) of every non-static rule."""
    found = []
    for rule in application.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        path = re.sub(r"<[^>]+>", value, rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method, rule.endpoint))
    return found


def test_no_route_of_the_central_answers_5xx_to_odd_paths_or_garbage(province) -> None:  # type: ignore[no-untyped-def]
    client = province.test_client()
    answer = client.post("/api/v1/auth/login", json={"username": "tinh", "password": "demo"})
    assert answer.status_code == 200, answer.data[:200]
    leader = {"Authorization": f"Bearer {answer.json['token']}"}
    checked = 0
    for headers in ({}, leader):
        for value in ODD_VALUES:
            for path, method, endpoint in paths(province, value):
                if method == "GET":
                    response = client.get(path, headers=headers)
                    assert response.status_code < 500, (endpoint, path, response.status_code, response.data[:300])
                    checked += 1
                    continue
                if endpoint.endswith("logout"):
                    continue
                for body in GARBAGE_BODIES:
                    response = client.open(path, method=method, data=body,
                                           headers={**headers, "Content-Type": "application/json"})
                    assert response.status_code < 500, (endpoint, path, body, response.status_code, response.data[:300])
                    checked += 1
    assert checked > 200  # the walk really covered the central's routes
    # The phone page of a link that names nothing: its own 404 page, in Vietnamese.
    invalid = client.get("/t/zzzzzzzz")
    assert invalid.status_code == 404 and "không hợp lệ" in invalid.get_data(as_text=True)
