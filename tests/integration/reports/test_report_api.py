"""GET /api/v1/reports/summary over HTTP: the same hand-computed day, as JSON, CSV and XLSX, and who may read it."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

DAY = "from=2026-11-25&to=2026-11-25"


def test_json_report_by_field_has_the_contract_keys(client, login, report_day):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/summary?{DAY}&group_by=service", headers=login("giamsat"))
    assert response.status_code == 200
    body = response.json
    assert [row["key"] for row in body["rows"]] == [1, 3, 4]
    for key in ("issued", "served", "no_show", "transferred", "wait_p50_s", "wait_p90_s", "service_p50_s",
                "service_p90_s", "ratings", "response_rate", "score_avg", "scores", "official", "low_reasons"):
        assert key in body["rows"][0]
    assert body["rows"][0]["label"] == "Tư pháp – Hộ tịch"
    assert body["totals"]["label"] == "Tổng cộng"
    assert (body["totals"]["issued"], body["totals"]["wait_p90_s"]) == (7, 792.0)


def test_csv_export_has_vietnamese_headers_and_the_hand_computed_totals(client, login, report_day):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/summary?{DAY}&group_by=counter&format=csv", headers=login("giamsat"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # so spreadsheet programs read the Vietnamese letters right
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = lines[0]
    assert header[:5] == ["Quầy", "Số phiếu cấp", "Đã phục vụ", "Vắng mặt khi gọi", "Chuyển tiếp"]
    assert "Thời gian chờ trung vị (giây)" in header and "Chính thức: Không hài lòng" in header
    labels = [line[0] for line in lines[1:]]
    assert labels == ["Quầy số 1", "Quầy số 3", "Chưa được gọi đến quầy", "Tổng cộng"]
    total = dict(zip(header, lines[-1]))
    assert (total["Số phiếu cấp"], total["Đã phục vụ"], total["Vắng mặt khi gọi"], total["Chuyển tiếp"]) == ("7", "4", "1", "1")
    assert (total["Thời gian chờ trung vị (giây)"], total["Thời gian chờ P90 (giây)"]) == ("540.0", "792.0")
    assert (total["Lượt đánh giá"], total["Điểm trung bình (1–5)"]) == ("4", "3.25")
    assert total["Lý do đánh giá thấp"] == "Chờ lâu: 2; Thái độ chưa đúng mực: 1"
    counter_1 = dict(zip(header, lines[1]))
    assert (counter_1["Số phiếu cấp"], counter_1["Chuyển tiếp"], counter_1["Thời gian phục vụ trung vị (giây)"]) == ("3", "1", "210.0")


def test_xlsx_export_holds_the_same_rows_and_the_clerk_ranking(client, login, report_day):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/summary?{DAY}&group_by=clerk&format=xlsx", headers=login("thanhtra"))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Báo cáo", "Xếp hạng cán bộ", "Ý kiến công dân", "Thông tin"]
    rows = list(workbook["Báo cáo"].iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "Cán bộ" and header[1] == "Số phiếu cấp"
    by_label = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert set(by_label) == {"Nguyễn Thị Lan", "Lê Thị Hồng", "Chưa có cán bộ (chưa được gọi)", "Tổng cộng"}
    assert by_label["Nguyễn Thị Lan"]["Đã phục vụ"] == 2 and by_label["Nguyễn Thị Lan"]["Chuyển tiếp"] == 1
    assert by_label["Lê Thị Hồng"]["Điểm trung bình (1–5)"] == 2.5
    total = by_label["Tổng cộng"]
    assert (total["Số phiếu cấp"], total["Đã phục vụ"], total["Lượt đánh giá"]) == (7, 4, 4)
    assert (total["Chính thức: Rất hài lòng"], total["Chính thức: Hài lòng"], total["Chính thức: Không hài lòng"]) == (1, 1, 2)
    assert total["Tỷ lệ đánh giá (%)"] == 100.0 and total["Tỷ lệ hài lòng (%)"] == 50.0
    ranking = list(workbook["Xếp hạng cán bộ"].iter_rows(values_only=True))
    assert [row[:2] for row in ranking[1:]] == [(1, "Nguyễn Thị Lan"), (2, "Lê Thị Hồng")]


def test_english_headers_on_request(client, login, report_day):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/summary?{DAY}&format=csv&lang=en", headers=login("admin"))
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8").lstrip("\ufeff"))))
    assert header[:3] == ["Field", "Tickets issued", "Served"]


@pytest.mark.parametrize("query, field", [
    ("from=2026-11-26&to=2026-11-25", "from"),
    ("from=25/11/2026&to=2026-11-25", "from"),
    ("group_by=quay", "group_by"),
    ("format=pdf", "format"),
])
def test_bad_report_queries_are_refused_in_vietnamese(client, login, query, field):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/summary?{query}", headers=login("giamsat"))
    assert response.status_code == 422
    assert response.json["error"] == "validation_failed"
    assert response.json["message"] in ("Ngày bắt đầu không được sau ngày kết thúc.",
                                         "Vui lòng kiểm tra ngày (dạng NNNN-TT-NN) và cách tổng hợp.")


def test_clerks_cannot_read_reports_page_or_api(client, login):  # type: ignore[no-untyped-def]
    clerk = login("canbo1")
    assert client.get("/api/v1/reports/summary", headers=clerk).status_code == 403
    assert client.get("/api/v1/reports/summary?format=csv", headers=clerk).status_code == 403
    page = client.get("/dashboard/reports", headers={**clerk, "Accept": "text/html"})
    assert page.status_code == 403
    assert client.get("/dashboard", headers={**clerk, "Accept": "text/html"}).status_code == 403


def test_anonymous_visitors_get_the_log_in_page(client):  # type: ignore[no-untyped-def]
    for path in ("/dashboard", "/dashboard/reports", "/admin", "/admin/staff"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 401, path
        assert 'id="login-form"' in response.get_data(as_text=True)
    assert client.get("/api/v1/reports/summary").status_code == 401
