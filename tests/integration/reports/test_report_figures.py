"""Report figures against a day computed by hand (tests/integration/reports/conftest.py), on SQLite and
PostgreSQL. Percentiles are percentile_cont: p = v[floor(k)] + (k − floor(k))·(v[floor(k)+1] − v[floor(k)]),
k = fraction·(n − 1) over the sorted values."""
from __future__ import annotations

import datetime as dt

from server.reports.periods import Period
from server.reports.summary import summary_report

DAY = Period(dt.date(2026, 11, 25), dt.date(2026, 11, 25))


def report(queue, demo, group_by, period=DAY):  # type: ignore[no-untyped-def]
    session = queue().session
    try:
        return summary_report(session, [demo.site_id], period, group_by)
    finally:
        session.rollback()


def rows_by_key(result):  # type: ignore[no-untyped-def]
    return {row["key"]: row for row in result["rows"]}


def test_figures_by_field_match_the_hand_computed_day(queue, demo, report_day):  # type: ignore[no-untyped-def]
    rows = rows_by_key(report(queue, demo, "service"))
    assert list(rows) == [1, 3, 4]  # fields in their configured order; fields without tickets are absent

    civil = rows[1]  # Tư pháp – Hộ tịch: T1, T2, T3, T5 (T4 left for Đất đai)
    assert civil["service_name"] == "Tư pháp – Hộ tịch"
    assert (civil["issued"], civil["served"], civil["no_show"], civil["transferred"]) == (4, 2, 1, 1)
    # waits of T1, T2, T3: 120, 360, 540 → p50 = 360; p90: k = 1.8 → 360 + 0.8·180 = 504
    assert (civil["wait_p50_s"], civil["wait_p90_s"]) == (360.0, 504.0)
    # service of T1 (started 09:02:30 → 09:06:30) 240, T2 (from the call 09:07 → 09:10) 180:
    # sorted 180, 240 → p50 = 210; p90: k = 0.9 → 180 + 0.9·60 = 234
    assert (civil["service_p50_s"], civil["service_p90_s"]) == (210.0, 234.0)
    # T1 rated 5, T2 rated 3 with "chờ lâu"
    assert civil["ratings"] == 2 and civil["response_rate"] == 1.0 and civil["score_avg"] == 4.0
    assert civil["scores"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert civil["official"] == {"rat_hai_long": 1, "hai_long": 0, "khong_hai_long": 1}
    assert civil["satisfaction_rate"] == 0.5
    assert civil["low_reasons"] == {"cho_lau": 1}

    land = rows[3]  # Đất đai: T4 (transferred in) and D1
    assert (land["issued"], land["served"], land["no_show"], land["transferred"]) == (2, 2, 0, 0)
    # waits: T4 counts from its first call (09:12 − 09:03 = 540), D1 09:21 − 09:05 = 960
    # → p50 = 750; p90 = 540 + 0.9·420 = 918
    assert (land["wait_p50_s"], land["wait_p90_s"]) == (750.0, 918.0)
    # service: T4 09:15 → 09:20 = 300, D1 09:21 → 09:25 = 240 → p50 270; p90 = 240 + 0.9·60 = 294
    assert (land["service_p50_s"], land["service_p90_s"]) == (270.0, 294.0)
    assert land["scores"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 0}
    assert land["score_avg"] == 2.5
    assert land["official"] == {"rat_hai_long": 0, "hai_long": 1, "khong_hai_long": 1}
    assert land["low_reasons"] == {"cho_lau": 1, "thai_do": 1}

    construction = rows[4]  # L at 23:30 on the 25th counts; N at 00:30 on the 26th does not
    assert (construction["issued"], construction["served"], construction["wait_p50_s"]) == (1, 0, None)
    assert construction["ratings"] == 0 and construction["response_rate"] is None and construction["score_avg"] is None


def test_totals_are_computed_over_all_tickets_not_averaged_over_rows(queue, demo, report_day):  # type: ignore[no-untyped-def]
    totals = report(queue, demo, "service")["totals"]
    assert (totals["issued"], totals["served"], totals["no_show"], totals["transferred"]) == (7, 4, 1, 1)
    # waits 120, 360, 540, 540, 960 → p50 = 540; p90: k = 3.6 → 540 + 0.6·420 = 792
    assert (totals["wait_p50_s"], totals["wait_p90_s"]) == (540.0, 792.0)
    # service 180, 240, 240, 300 → p50: k = 1.5 → 240; p90: k = 2.7 → 240 + 0.7·60 = 282
    assert (totals["service_p50_s"], totals["service_p90_s"]) == (240.0, 282.0)
    # scores 5, 3, 4, 1 → average 13 / 4 = 3.25; four served, four rated
    assert (totals["ratings"], totals["score_avg"], totals["response_rate"]) == (4, 3.25, 1.0)
    assert totals["official"] == {"rat_hai_long": 1, "hai_long": 1, "khong_hai_long": 2}
    assert totals["low_reasons"] == {"cho_lau": 2, "thai_do": 1}


def test_figures_by_counter_and_by_clerk(queue, demo, report_day):  # type: ignore[no-untyped-def]
    counters = rows_by_key(report(queue, demo, "counter"))
    assert list(counters) == [report_day.counter_1, report_day.counter_3, None]  # never-called tickets last
    first, third, uncalled = counters[report_day.counter_1], counters[report_day.counter_3], counters[None]
    assert (first["counter_number"], first["issued"], first["served"], first["no_show"], first["transferred"]) == (1, 3, 2, 1, 1)
    assert (third["counter_number"], third["issued"], third["served"], third["transferred"]) == (3, 2, 2, 0)
    assert (uncalled["issued"], uncalled["served"]) == (2, 0)  # T5 and L
    assert (first["wait_p50_s"], first["service_p50_s"]) == (360.0, 210.0)

    clerks_report = report(queue, demo, "clerk")
    clerks = rows_by_key(clerks_report)
    canbo1, canbo3 = clerks[report_day.clerk_1], clerks[report_day.clerk_3]
    assert (canbo1["clerk_name"], canbo1["served"], canbo1["transferred"], canbo1["ratings"]) == ("Nguyễn Thị Lan", 2, 1, 2)
    assert (canbo3["clerk_name"], canbo3["served"], canbo3["score_avg"]) == ("Lê Thị Hồng", 2, 2.5)
    # both have one satisfied verdict out of two; canbo1's average (4.0) beats canbo3's (2.5)
    ranking = clerks_report["ranking"]
    assert [(entry["rank"], entry["clerk_id"]) for entry in ranking] == [(1, report_day.clerk_1), (2, report_day.clerk_3)]
    assert ranking[0]["satisfaction_rate"] == ranking[1]["satisfaction_rate"] == 0.5


def test_period_spans_local_days_inclusively(queue, demo, report_day):  # type: ignore[no-untyped-def]
    two_days = report(queue, demo, "site", Period(dt.date(2026, 11, 24), dt.date(2026, 11, 25)))
    assert [row["site_id"] for row in two_days["rows"]] == [demo.site_id]
    assert two_days["rows"][0]["issued"] == 8  # Y on the 24th + the 7 of the 25th
    next_day = report(queue, demo, "site", Period(dt.date(2026, 11, 26), dt.date(2026, 11, 26)))
    assert next_day["totals"]["issued"] == 1  # N only
    empty = report(queue, demo, "service", Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    assert empty["rows"] == [] and empty["totals"]["issued"] == 0 and empty["totals"]["wait_p50_s"] is None
