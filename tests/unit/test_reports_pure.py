"""The pure parts of the reports: percentile_cont, periods, the clerk ranking and the export table."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from server.reports import export
from server.reports.periods import Period, month_of, quarter_of, year_of
from server.reports.summary import OFFICIAL_LEVELS, Figures, clerk_ranking, percentile


@pytest.mark.parametrize("values, fraction, expected", [
    ([], 0.5, None),
    ([42.0], 0.9, 42.0),
    ([120, 360, 540], 0.5, 360),
    ([120, 360, 540], 0.9, 504),          # k = 1.8 → 360 + 0.8 · 180
    ([180, 240], 0.5, 210),
    ([120, 360, 540, 540, 960], 0.9, 792),  # k = 3.6 → 540 + 0.6 · 420
    ([1, 2, 3, 4], 0.0, 1), ([1, 2, 3, 4], 1.0, 4),
])
def test_percentile_interpolates_like_percentile_cont(values, fraction, expected):  # type: ignore[no-untyped-def]
    assert percentile(values, fraction) == expected


def test_periods_cover_whole_months_quarters_and_years():  # type: ignore[no-untyped-def]
    assert month_of(dt.date(2028, 2, 10)) == Period(dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert month_of(dt.date(2026, 12, 31)) == Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert quarter_of(dt.date(2026, 11, 25)) == Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_of(dt.date(2026, 2, 1)) == Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert year_of(dt.date(2026, 6, 1)).days == 365


def test_local_days_become_utc_bounds_at_local_midnight():  # type: ignore[no-untyped-def]
    start, end = Period(dt.date(2026, 11, 25), dt.date(2026, 11, 25)).utc_bounds("Asia/Ho_Chi_Minh")
    assert start == dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.timezone.utc)
    assert end == dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.timezone.utc)


def test_official_scale_counts_neutral_as_not_satisfied():  # type: ignore[no-untyped-def]
    assert OFFICIAL_LEVELS == {5: "rat_hai_long", 4: "hai_long", 3: "khong_hai_long", 2: "khong_hai_long", 1: "khong_hai_long"}
    figures = Figures(served=4, ratings=4, score_sum=13)
    figures.scores = {1: 1, 2: 0, 3: 1, 4: 1, 5: 1}
    row = figures.as_row()
    assert row["official"] == {"rat_hai_long": 1, "hai_long": 1, "khong_hai_long": 2}
    assert (row["score_avg"], row["response_rate"], row["satisfaction_rate"]) == (3.25, 1.0, 0.5)


def clerk_row(key, served, ratings, satisfaction, score):  # type: ignore[no-untyped-def]
    return {"key": key, "clerk_name": f"Cán bộ {key}", "username": f"cb{key}", "served": served, "ratings": ratings,
            "satisfaction_rate": satisfaction, "score_avg": score, "official": {}, "wait_p50_s": None, "service_p50_s": None}


def test_ranking_puts_satisfaction_first_and_unrated_clerks_last():  # type: ignore[no-untyped-def]
    rows = [clerk_row(1, 30, 0, None, None), clerk_row(2, 10, 8, 0.75, 4.1), clerk_row(3, 12, 10, 0.9, 4.0),
            clerk_row(4, 20, 8, 0.75, 4.5), clerk_row(None, 5, 0, None, None), clerk_row(5, 40, 0, None, None)]
    assert [entry["clerk_id"] for entry in clerk_ranking(rows)] == [3, 4, 2, 5, 1]
    assert [entry["rank"] for entry in clerk_ranking(rows)] == [1, 2, 3, 4, 5]


def test_export_table_has_one_line_per_row_and_the_totals_last():  # type: ignore[no-untyped-def]
    row = {"group_by": "counter", "key": 7, "counter_number": 3, "label": "Quầy 3", **Figures(issued=2).as_row()}
    unassigned = {"group_by": "counter", "key": None, "label": None, **Figures(issued=1).as_row()}
    totals = {"group_by": "counter", "key": "total", "label": None, **Figures(issued=3).as_row()}
    report = {"group_by": "counter", "rows": [row, unassigned], "totals": totals, "from": "2026-11-01", "to": "2026-11-30"}
    lines = list(csv.reader(io.StringIO(export.to_csv(report, lambda text: text, {}).decode("utf-8-sig"))))
    assert lines[0][:3] == ["Counter", "Tickets issued", "Served"]
    assert [line[0] for line in lines[1:]] == ["Counter 3", "Not called to a counter", "Total"]
    assert [line[1] for line in lines[1:]] == ["2", "1", "3"]
