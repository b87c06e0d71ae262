"""CSV and XLSX files of a summary report and of citizens' comments: the same rows as the JSON, headers in
the reader's language."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Callable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from server.errors import N_

Translate = Callable[[str], str]

GROUP_HEADERS = {
    "service": N_("Field"),
    "counter": N_("Counter"),
    "clerk": N_("Clerk"),
    "site": N_("Site"),
}

# (row key, header msgid, how to read it from a row)
COLUMNS: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("issued", N_("Tickets issued"), lambda r: r["issued"]),
    ("served", N_("Served"), lambda r: r["served"]),
    ("no_show", N_("Absent (no-show)"), lambda r: r["no_show"]),
    ("transferred", N_("Transferred"), lambda r: r["transferred"]),
    ("wait_p50_s", N_("Median wait (s)"), lambda r: r["wait_p50_s"]),
    ("wait_p90_s", N_("90th percentile wait (s)"), lambda r: r["wait_p90_s"]),
    ("service_p50_s", N_("Median service time (s)"), lambda r: r["service_p50_s"]),
    ("service_p90_s", N_("90th percentile service time (s)"), lambda r: r["service_p90_s"]),
    ("ratings", N_("Ratings"), lambda r: r["ratings"]),
    ("response_rate", N_("Response rate (%)"), lambda r: _percent(r["response_rate"])),
    ("score_avg", N_("Average score (1–5)"), lambda r: r["score_avg"]),
    ("score_5", N_("5 – Very satisfied"), lambda r: r["scores"]["5"]),
    ("score_4", N_("4 – Satisfied"), lambda r: r["scores"]["4"]),
    ("score_3", N_("3 – Neutral"), lambda r: r["scores"]["3"]),
    ("score_2", N_("2 – Dissatisfied"), lambda r: r["scores"]["2"]),
    ("score_1", N_("1 – Very dissatisfied"), lambda r: r["scores"]["1"]),
    ("rat_hai_long", N_("Official: Very satisfied"), lambda r: r["official"]["rat_hai_long"]),
    ("hai_long", N_("Official: Satisfied"), lambda r: r["official"]["hai_long"]),
    ("khong_hai_long", N_("Official: Not satisfied"), lambda r: r["official"]["khong_hai_long"]),
    ("satisfaction_rate", N_("Satisfied (%)"), lambda r: _percent(r["satisfaction_rate"])),
    ("flagged_ratings", N_("Flagged ratings"), lambda r: r["flagged_ratings"]),
    ("score_avg_unflagged", N_("Average score without flagged ratings"), lambda r: r["score_avg_unflagged"]),
    ("satisfaction_rate_unflagged", N_("Satisfied without flagged ratings (%)"),
     lambda r: _percent(r["satisfaction_rate_unflagged"])),
    ("repeat_visits", N_("Repeat visits"), lambda r: r["repeat_visits"]),
    ("repeat_visit_rate", N_("Repeat visits (% of known visits)"), lambda r: _percent(r["repeat_visit_rate"])),
    ("returned", N_("Returned for more papers"), lambda r: r["returned"]),
    ("returned_rate", N_("Returned for more papers (% of dossier visits)"), lambda r: _percent(r["returned_rate"])),
    ("guidance_breaches", N_("Papers not asked the first time"), lambda r: r["guidance_breaches"]),
]
REASONS_HEADER = N_("Reasons given for low ratings")
COMMENT_HEADERS = (N_("Time"), N_("Ticket"), N_("Field"), N_("Counter"), N_("Clerk"), N_("Score (1–5)"),
                   N_("Reasons"), N_("Comment"))
TOTAL_LABEL = N_("Total")
UNASSIGNED_LABELS = {
    "counter": N_("Not called to a counter"),
    "clerk": N_("No clerk (not called)"),
    "service": N_("Unknown field"),
    "site": N_("Unknown site"),
}


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 1)


def row_label(row: dict[str, Any], translate: Translate) -> str:
    if row["key"] == "total":
        return translate(TOTAL_LABEL)
    if row["key"] is None:
        return translate(UNASSIGNED_LABELS[row["group_by"]])
    if row["group_by"] == "counter":
        return translate(N_("Counter %(number)s")) % {"number": row["counter_number"]}
    return str(row.get("label") or row["key"])


def _reasons_text(row: dict[str, Any], reason_labels: dict[str, str]) -> str:
    return "; ".join(f"{reason_labels.get(code, code)}: {count}" for code, count in row["low_reasons"].items())


def table(report: dict[str, Any], translate: Translate, reason_labels: dict[str, str]) -> list[list[Any]]:
    """Header row, one row per group, then the totals row."""
    header = [translate(GROUP_HEADERS[report["group_by"]])] + [translate(title) for _, title, _ in COLUMNS]
    header.append(translate(REASONS_HEADER))
    lines = [header]
    for row in [*report["rows"], report["totals"]]:
        lines.append([row_label(row, translate)] + [read(row) for _, _, read in COLUMNS] + [_reasons_text(row, reason_labels)])
    return lines


def comments_table(comments: list[dict[str, Any]], translate: Translate,
                   reason_labels: dict[str, str]) -> list[list[Any]]:
    """Header row, then one row per comment (newest first), as the dashboard lists them."""
    lines: list[list[Any]] = [[translate(title) for title in COMMENT_HEADERS]]
    for comment in comments:
        clerk = comment["clerk_name"] or ""
        lines.append([
            dt.datetime.fromisoformat(comment["created_at"]).strftime("%d/%m/%Y %H:%M"),
            comment["number"],
            comment["service_name"],
            comment["counter_number"],
            clerk,
            comment["score"],
            "; ".join(reason_labels.get(code, code) for code in comment["reasons"]),
            comment["comment"],
        ])
    return lines


def _csv(lines: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs show Vietnamese letters correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in lines:
        writer.writerow(["" if value is None else value for value in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_csv(report: dict[str, Any], translate: Translate, reason_labels: dict[str, str]) -> bytes:
    """The summary table as CSV."""
    return _csv(table(report, translate, reason_labels))


def comments_to_csv(comments: list[dict[str, Any]], translate: Translate, reason_labels: dict[str, str]) -> bytes:
    """Citizens' comments as CSV."""
    return _csv(comments_table(comments, translate, reason_labels))


def _comments_sheet(workbook: Workbook, comments: list[dict[str, Any]], translate: Translate,
                    reason_labels: dict[str, str], first: bool = False) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = translate(N_("Citizens' comments"))[:31]
    lines = comments_table(comments, translate, reason_labels)
    for line in lines:
        sheet.append(line)
    _style_table(sheet, len(lines), totals=False)
    for column, width in (("A", 17), ("B", 10), ("C", 26), ("D", 8), ("E", 22), ("F", 8), ("G", 34), ("H", 70)):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _about_sheet(workbook: Workbook, translate: Translate, entries: list[tuple[str, Any]]) -> None:
    about = workbook.create_sheet(translate(N_("About"))[:31])
    for label, value in entries:
        about.append([translate(label), value])
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 60


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def comments_to_xlsx(comments: list[dict[str, Any]], translate: Translate, reason_labels: dict[str, str],
                     title: str, generated_at: dt.datetime) -> bytes:
    """Sheet 1: the comments. Sheet 2: what was asked and when it was made."""
    workbook = Workbook()
    _comments_sheet(workbook, comments, translate, reason_labels, first=True)
    _about_sheet(workbook, translate, [(N_("Report"), title), (N_("Made at"), generated_at.strftime("%d/%m/%Y %H:%M"))])
    return _saved(workbook)


def to_xlsx(report: dict[str, Any], translate: Translate, reason_labels: dict[str, str], title: str,
            generated_at: dt.datetime, comments: list[dict[str, Any]] | None = None) -> bytes:
    """Sheet 1: the table (header on row 1, totals last). Then the clerk ranking when there is one, the
    citizens' comments of the period when given, and what was asked (period, grouping, when made)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = translate(N_("Report"))[:31]
    lines = table(report, translate, reason_labels)
    for line in lines:
        sheet.append(line)
    _style_table(sheet, len(lines))
    if report.get("ranking") is not None:
        ranking = workbook.create_sheet(translate(N_("Clerk ranking"))[:31])
        ranking.append([translate(N_("Rank")), translate(N_("Clerk")), translate(N_("Served")), translate(N_("Ratings")),
                        translate(N_("Average score (1–5)")), translate(N_("Satisfied (%)"))])
        for entry in report["ranking"]:
            ranking.append([entry["rank"], entry["clerk_name"], entry["served"], entry["ratings"], entry["score_avg"],
                            _percent(entry["satisfaction_rate"])])
        _style_table(ranking, len(report["ranking"]) + 1, totals=False)
    if comments is not None:
        _comments_sheet(workbook, comments, translate, reason_labels)
    _about_sheet(workbook, translate, [
        (N_("Report"), title),
        (N_("From"), report["from"]),
        (N_("To"), report["to"]),
        (N_("Grouped by"), translate(GROUP_HEADERS[report["group_by"]])),
        (N_("Made at"), generated_at.strftime("%d/%m/%Y %H:%M")),
    ])
    return _saved(workbook)


def _style_table(sheet: Any, line_count: int, totals: bool = True) -> None:
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = PatternFill("solid", fgColor="DCE6F2")
    if totals and line_count > 1:
        for cell in sheet[line_count]:
            cell.font = bold
    sheet.freeze_panes = "B2"
    for index in range(1, sheet.max_column + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 28 if index == 1 else 14
    sheet.row_dimensions[1].height = 48
