"""GET /api/v1/reports/comments: citizens' comments reach supervisors, admins and inspectors (never a
clerk), as JSON, CSV and XLSX; the summary's XLSX carries them on a sheet of their own."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.models import Staff

DAY = "from=2026-11-25&to=2026-11-25"


def test_comments_of_the_day_come_newest_first_with_who_served_and_what_was_scored(
        client, login, report_day, session_factory) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/comments?{DAY}", headers=login("giamsat"))
    assert response.status_code == 200
    body = response.json
    assert (body["from"], body["to"]) == ("2026-11-25", "2026-11-25")
    assert [comment["number"] for comment in body["comments"]] == ["3001", "1002"], "the blank comment is left out"
    with session_factory() as session:
        clerk_3 = session.scalar(select(Staff).where(Staff.username == "canbo3"))
    land = body["comments"][0]
    assert land == {
        "rating_id": land["rating_id"], "ticket_id": report_day.tickets["D1"], "number": "3001",
        "service_id": 3, "service_name": "Đất đai", "service_name_en": land["service_name_en"],
        "counter_id": report_day.counter_3, "counter_number": 3,
        "clerk_id": clerk_3.id, "clerk_name": clerk_3.full_name,
        "score": 1, "reasons": ["thai_do", "cho_lau"], "reason_labels": ["Thái độ chưa đúng mực", "Chờ lâu"],
        "comment": "Cán bộ nói trống không, bắt tôi đi lại hai lần.", "channel": land["channel"],
        "created_at": "2026-11-25T09:30:00+07:00",
    }
    assert body["comments"][1]["counter_number"] == 1 and body["comments"][1]["score"] == 3


def test_a_period_without_comments_is_an_empty_list_and_limit_keeps_the_newest(
        client, login, report_day) -> None:  # type: ignore[no-untyped-def]
    later = client.get("/api/v1/reports/comments?from=2026-11-26&to=2026-11-30", headers=login("giamsat"))
    assert later.status_code == 200 and later.json["comments"] == []
    newest = client.get(f"/api/v1/reports/comments?{DAY}&limit=1", headers=login("admin"))
    assert [comment["number"] for comment in newest.json["comments"]] == ["3001"]


def test_comments_export_as_csv_with_vietnamese_headers(client, login, report_day) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/comments?{DAY}&format=csv", headers=login("thanhtra"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="y-kien-cong-dan-2026-11-25-2026-11-25.csv"' in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8").lstrip("\ufeff"))))
    assert lines[0] == ["Thời gian", "Số thứ tự", "Lĩnh vực", "Quầy", "Cán bộ", "Điểm (1–5)", "Lý do", "Góp ý"]
    assert lines[1][:4] == ["25/11/2026 09:30", "3001", "Đất đai", "3"]
    assert lines[1][5:] == ["1", "Thái độ chưa đúng mực; Chờ lâu", "Cán bộ nói trống không, bắt tôi đi lại hai lần."]


def test_comments_export_as_xlsx_and_on_a_sheet_of_the_summary_workbook(
        client, login, report_day) -> None:  # type: ignore[no-untyped-def]
    alone = load_workbook(io.BytesIO(client.get(f"/api/v1/reports/comments?{DAY}&format=xlsx",
                                                 headers=login("giamsat")).data))
    assert alone.sheetnames[0] == "Ý kiến công dân"
    rows = list(alone["Ý kiến công dân"].values)
    assert rows[0][-1] == "Góp ý" and [row[1] for row in rows[1:]] == ["3001", "1002"]
    summary = client.get(f"/api/v1/reports/summary?{DAY}&group_by=clerk&format=xlsx", headers=login("giamsat"))
    workbook = load_workbook(io.BytesIO(summary.data))
    assert "Ý kiến công dân" in workbook.sheetnames
    assert [row[-1] for row in list(workbook["Ý kiến công dân"].values)[1:]] == [
        "Cán bộ nói trống không, bắt tôi đi lại hai lần.", "Chờ gần 10 phút dù chỉ có 3 người trước tôi."]


def test_english_headers_on_request(client, login, report_day) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/comments?{DAY}&format=csv&lang=en",
                          headers={**login("giamsat"), "Accept-Language": "en"})
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8").lstrip("\ufeff"))))
    assert header == ["Time", "Ticket", "Field", "Counter", "Clerk", "Score (1–5)", "Reasons", "Comment"]


@pytest.mark.parametrize("reader, status", [("canbo1", 403), ("giamsat", 200), ("admin", 200), ("thanhtra", 200)])
def test_only_supervisors_admins_and_inspectors_read_comments(client, login, report_day, reader, status) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/reports/comments?{DAY}", headers=login(reader))
    assert response.status_code == status
    if status == 403:
        assert response.json["error"] == "forbidden" and "Góp ý" not in response.get_data(as_text=True)


def test_anonymous_requests_get_no_comments(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/api/v1/reports/comments?{DAY}").status_code == 401
