"""Roll-ups: a province's ranking of 100 sites and a site's yearly summary, on PostgreSQL (and SQLite).

1. Province: `--sites` simulated communes × `--days` business days of history (server/rollups/demo_history.py)
   go through `apply_events` in batches of 2,000 (as ingest calls it), timed as events per second; then
   `rank_sites` over the whole period and over its last 30 days, and a site's summary per clerk. With
   `--year` (and the default 90 days, which end on 31 December), the site rows of October–December are
   copied onto January–September (stated in the output), so the ranking reads a full year's rows
   without an hour of seeding.
2. Site: bench/bench_reports.py's year of a busy centre (300,000 tickets), its first roll-up (built from
   the tickets), then the yearly summary per clerk/field/counter from the tickets and from the roll-ups.

Medians of `--runs` after a warm-up; no pass/fail (targets: docs/rollups.md).

    .venv/bin/python -m bench.bench_rollups [--sites 100] [--days 90] [--year] [--only postgres|sqlite]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Engine, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_reports import YEAR, generate, postgres_engine, sqlite_engine  # noqa: E402
from server.db import make_session_factory  # noqa: E402
from server.reports.periods import Period  # noqa: E402
from server.reports.summary import summary_report  # noqa: E402
from server.rollups.apply import apply_events  # noqa: E402
from server.rollups.demo_history import generate_events  # noqa: E402
from server.rollups.models import RollupSiteDay  # noqa: E402
from server.rollups.rankings import SiteRef, rank_sites, site_summary  # noqa: E402
from server.rollups.site import catch_up  # noqa: E402

BATCH = 2_000


def log(message: str) -> None:
    print(message, flush=True)


def timed(work: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median of `runs` timings in ms after one warm-up run."""
    result = work()
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings), result


def province(name: str, engine: Engine, sites: int, days: int, year: bool, runs: int) -> list[tuple[str, str, float]]:
    writer = make_session_factory(engine, writing=True)
    reader = make_session_factory(engine)
    end = dt.date(YEAR, 12, 31)
    refs = [SiteRef(index + 1, f"XA{index + 1:03d}", f"Xã mô phỏng {index + 1:03d}") for index in range(sites)]
    generated = applied = 0
    generating = applying = 0.0
    for ref in refs:
        began = time.perf_counter()
        events = list(generate_events(ref.code, days, seed=7, end=end + dt.timedelta(days=1), chained=False))
        generating += time.perf_counter() - began
        generated += len(events)
        began = time.perf_counter()
        for start in range(0, len(events), BATCH):
            session = writer()
            applied += apply_events(session, ref.id, events[start:start + BATCH])
            session.commit()
            session.close()
        applying += time.perf_counter() - began
    log(f"{name}: {sites} sites × {days} business days: {generated:,} events generated in {generating:.1f} s; "
        f"apply_events {applied:,} in {applying:.1f} s = {applied / applying:,.0f} events/s")
    results = [(name, "apply_events (events/s)", applied / applying)]
    with engine.connect() as connection:
        first, last = connection.execute(select(RollupSiteDay.business_date).order_by(RollupSiteDay.business_date)
                                         .limit(1)).scalar_one(), end
        if year:
            # Months 1–9 get the rows of October, November and December (the generated quarter) in turn:
            # month rows on their 1st, day rows on the same day number when the month has it.
            rows = [dict(row._mapping) for row in connection.execute(select(RollupSiteDay.__table__))]
            taken = {(row["site_id"], row["grain"], row["business_date"]) for row in rows}
            copies = []
            for month in range(1, 10):
                source = 10 + (month - 1) % 3
                length = (dt.date(YEAR, month + 1, 1) - dt.timedelta(days=1)).day
                for row in rows:
                    date = row["business_date"]
                    target = dt.date(YEAR, month, date.day) if date.day <= length else None
                    if date.month != source or date.year != YEAR or target is None \
                            or (row["site_id"], row["grain"], target) in taken:
                        continue  # the generated days (from mid-September) are kept as they are
                    copies.append({**{k: v for k, v in row.items() if k != "id"},
                                   "business_date": dt.date(YEAR, month, date.day)})
            for start in range(0, len(copies), 10_000):
                connection.execute(insert(RollupSiteDay), copies[start:start + 10_000])
            connection.commit()
            first = dt.date(YEAR, 1, 1)
            log(f"{name}: --year: {len(copies):,} site rows (day and month) of October–December copied onto "
                f"the days and months of January–September {YEAR} that had none")
        count = connection.execute(select(RollupSiteDay.id).order_by(RollupSiteDay.id.desc()).limit(1)).scalar_one()
    log(f"{name}: rollup_site_days holds about {count:,} rows; period {first} … {last}")

    def ranking(start: dt.date) -> Callable[[], Any]:
        def run() -> Any:
            session = reader()
            try:
                return rank_sites(session, start, last, "satisfaction_index", 30, refs)
            finally:
                session.close()
        return run

    def one_site() -> Any:
        session = reader()
        try:
            return site_summary(session, 1, Period(first, last), "clerk")
        finally:
            session.close()

    label = "a year" if year else f"{(last - first).days + 1} days"
    for case, work in ((f"ranking of {sites} sites, {label}", ranking(first)),
                       (f"ranking of {sites} sites, last 30 days", ranking(last - dt.timedelta(days=29))),
                       (f"one site's summary per clerk, {label}", one_site)):
        median, result = timed(work, runs)
        results.append((name, case, median))
        log(f"  {name:<9} {case:<44} median {median:8.1f} ms ({len(result) if isinstance(result, list) else len(result['rows'])} rows)")
    return results


def site(name: str, engine: Engine, tickets: int, runs: int) -> list[tuple[str, str, float]]:
    began = time.perf_counter()
    facts = generate(engine, tickets)
    log(f"{name}: a year of {facts['tickets']:,} tickets generated in {time.perf_counter() - began:.1f} s")
    site_id = facts["site_id"]
    writer = make_session_factory(engine, writing=True)
    reader = make_session_factory(engine)
    whole_year = Period(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))

    def report(group_by: str, use_rollups: bool) -> Callable[[], Any]:
        def run() -> Any:
            session = reader()
            try:
                return summary_report(session, [site_id], whole_year, group_by, use_rollups=use_rollups)
            finally:
                session.close()
        return run

    results = []
    median, _ = timed(report("clerk", False), runs)
    results.append((name, "yearly per clerk, from the tickets", median))
    log(f"  {name:<9} {'yearly per clerk, from the tickets':<44} median {median:8.1f} ms")
    began = time.perf_counter()
    session = writer()
    catch_up(session, site_id, reader=reader)
    session.commit()
    session.close()
    built = (time.perf_counter() - began) * 1000
    results.append((name, "first roll-up of the year (once)", built))
    log(f"  {name:<9} {'first roll-up of the year (once)':<44}        {built:8.1f} ms")
    for group_by in ("clerk", "service", "counter"):
        case = f"yearly per {group_by}, from the roll-ups"
        median, _ = timed(report(group_by, True), runs)
        results.append((name, case, median))
        log(f"  {name:<9} {case:<44} median {median:8.1f} ms")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--year", action="store_true", help="copy the generated days' site rows onto a full year")
    parser.add_argument("--tickets", type=int, default=300_000, help="the site's year (bench_reports)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--skip", choices=["province", "site"])
    options = parser.parse_args()
    results: list[tuple[str, str, float]] = []
    for name in ("postgres", "sqlite"):
        if options.only not in (None, name):
            continue
        for part in ("province", "site"):
            if options.skip == part:
                continue
            if name == "postgres":
                for _url, engine in postgres_engine():
                    results += (province(name, engine, options.sites, options.days, options.year, options.runs)
                                if part == "province" else site(name, engine, options.tickets, options.runs))
            else:
                with tempfile.TemporaryDirectory(prefix="hangcho-bench-") as directory:
                    _url, engine = sqlite_engine(Path(directory))
                    results += (province(name, engine, options.sites, options.days, options.year, options.runs)
                                if part == "province" else site(name, engine, options.tickets, options.runs))
                    engine.dispose()
    log("")
    log(f"{'database':<10} {'case':<48} {'median':>12}")
    for database, case, value in results:
        unit = "/s" if "events/s" in case else " ms"
        log(f"{database:<10} {case:<48} {value:>10,.1f}{unit}")


if __name__ == "__main__":
    main()
