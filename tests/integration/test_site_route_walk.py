"""Every GET route of the site's URL map, pages included, with odd path values, anonymously and as each
staff role and device: no 5xx (the API fuzz covers the documented API; this walk covers the pages and
every string parameter too)."""
from __future__ import annotations

from tests.integration.province.test_central_route_walk import ODD_VALUES, paths

USERS = ("admin", "giamsat", "canbo1", "thanhtra", "lanhdao")
DEVICES = ("demo-kiosk-1", "demo-display-1", "demo-rating-1", "demo-bridge-1")


def test_no_page_or_route_of_the_site_answers_5xx_to_odd_paths(app, client, login) -> None:  # type: ignore[no-untyped-def]
    callers = [{}] + [login(user) for user in USERS] + [{"Authorization": f"Bearer {key}"} for key in DEVICES]
    checked = 0
    for headers in callers:
        for value in ODD_VALUES:
            for path, method, endpoint in paths(app, value):
                if method != "GET" or endpoint.endswith("logout"):
                    continue
                response = client.get(path, headers=headers)
                assert response.status_code < 500, (endpoint, path, response.status_code, response.data[:300])
                checked += 1
    assert checked > 500
