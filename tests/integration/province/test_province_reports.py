"""The province report API reads the roll-ups: rankings against hand-computed figures (conftest's
hand_made_province), CSV/XLSX of the same rows, a site's summary in the site's shape, the public
wait times, and who may read them. SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from server.rollups import buckets

PERIOD = "from=2026-11-02&to=2026-11-03"


def login(client, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": "demo"})
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


@pytest.fixture
def client(province):  # type: ignore[no-untyped-def]
    return province.test_client()


def test_rankings_by_satisfaction_match_the_hand_computed_figures(client) -> None:  # type: ignore[no-untyped-def]
    rows = client.get(f"/api/v1/province/rankings?{PERIOD}", headers=login(client, "tinh")).get_json()
    assert [(row["rank"], row["code"], row["satisfaction_index"], row["enough_ratings"]) for row in rows] == [
        (1, "XA-MK", 75.0, True), (2, "XA-HB", 25.0, True), (3, "XA-TL", 100.0, False)]
    minh_khai = rows[0]
    assert (minh_khai["issued"], minh_khai["served"], minh_khai["no_show"], minh_khai["ratings"],
            minh_khai["response_rate"], minh_khai["name"], minh_khai["site_id"]) == (5, 4, 1, 4, 1.0, "Xã Minh Khai", 11)
    # waits 60, 90, 120, 180, 240 s: exact p50 120, p90 216; read from 5-second buckets (±2.5 s)
    assert abs(minh_khai["wait_p50_s"] - 120) <= buckets.half_width(120)
    assert abs(minh_khai["wait_p90_s"] - 216) <= buckets.half_width(240)
    assert abs(minh_khai["service_p50_s"] - 300) <= buckets.half_width(300)


def test_rankings_by_wait_put_the_shortest_first_and_the_minimum_is_a_parameter(client) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "thanhtra")
    rows = client.get(f"/api/v1/province/rankings?{PERIOD}&metric=wait_p90_s", headers=headers).get_json()
    assert [row["code"] for row in rows] == ["XA-HB", "XA-MK", "XA-TL"]
    rows = client.get(f"/api/v1/province/rankings?{PERIOD}&min_ratings=3", headers=headers).get_json()
    assert [(row["code"], row["enough_ratings"]) for row in rows] == [("XA-TL", True), ("XA-MK", True), ("XA-HB", True)]
    rows = client.get("/api/v1/province/rankings?from=2026-11-03&to=2026-11-03&metric=response_rate",
                      headers=headers).get_json()
    assert [(row["code"], row["issued"], row["ratings"]) for row in rows] == [("XA-MK", 2, 1), ("XA-HB", 0, 0),
                                                                               ("XA-TL", 0, 0)]


def test_ranking_downloads_carry_the_same_rows(client) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "tinh")
    answer = client.get(f"/api/v1/province/rankings?{PERIOD}&format=csv", headers=headers)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Hạng", "Mã", "Trung tâm"]
    assert [line[1] for line in lines[1:]] == ["XA-MK", "XA-HB", "XA-TL"]
    assert lines[1][8] == "75.0"
    answer = client.get(f"/api/v1/province/rankings?{PERIOD}&format=xlsx&lang=en", headers=headers)
    sheet = load_workbook(io.BytesIO(answer.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Rank", "Code", "Centre"]
    assert [row[1] for row in values[1:]] == ["XA-MK", "XA-HB", "XA-TL"] and values[1][8] == 75


def test_a_sites_summary_has_the_shape_of_the_sites_own_report(client) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "tinh")
    report = client.get(f"/api/v1/province/sites/11/summary?{PERIOD}&group_by=counter", headers=headers).get_json()
    assert report["group_by"] == "counter" and report["from"] == "2026-11-02"
    by_key = {row["key"]: row for row in report["rows"]}
    assert (by_key[1]["served"], by_key[1]["ratings"], by_key[1]["scores"]) == (
        4, 4, {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2})
    assert by_key[1]["low_reasons"] == {"cho_lau": 1} and by_key[1]["official"] == {
        "rat_hai_long": 2, "hai_long": 1, "khong_hai_long": 1}
    assert (by_key[2]["no_show"], by_key[2]["counter_number"]) == (1, 2)
    for name in ("issued", "served", "no_show", "transferred", "wait_p50_s", "wait_p90_s", "service_p50_s",
                 "service_p90_s", "ratings", "response_rate", "score_avg", "scores", "official", "low_reasons"):
        assert name in report["totals"]
    assert report["totals"]["issued"] == 5
    answer = client.get(f"/api/v1/province/sites/11/summary?{PERIOD}&format=xlsx", headers=headers)
    assert answer.status_code == 200 and load_workbook(io.BytesIO(answer.data)).active.max_row == 4
    assert client.get(f"/api/v1/province/sites/999/summary?{PERIOD}", headers=headers).status_code == 404


def test_only_province_readers_see_rankings(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/api/v1/province/rankings?{PERIOD}").status_code == 401
    clerk = login(client, "canbo1")
    assert client.get(f"/api/v1/province/rankings?{PERIOD}", headers=clerk).status_code == 403
    assert client.get("/api/v1/province/sites/11/summary", headers=clerk).status_code == 403
    assert client.get("/province/rankings", headers=clerk).status_code == 403
    leader = login(client, "tinh")
    assert client.get("/api/v1/province/rankings?from=2026-11-03&to=2026-11-02", headers=leader).status_code == 422
    assert client.get("/api/v1/province/rankings?metric=bogus", headers=leader).status_code == 422


def test_the_pages_show_the_ranking_and_a_sites_reports(client) -> None:  # type: ignore[no-untyped-def]
    leader = login(client, "tinh")
    page = client.get(f"/province/rankings?{PERIOD}", headers=leader).data.decode()
    assert "Xếp hạng các trung tâm" in page and "Xã Minh Khai" in page and "Chưa đủ số đánh giá" in page
    page = client.get(f"/province/sites/11?{PERIOD}&group_by=clerk", headers=leader).data.decode()
    assert "Xã Minh Khai" in page and "Cán bộ" in page
