"""Rating flags: ratings that look gamed, each with its evidence (docs/ratings.md, "Flags").

Flags are a reading of the stored data, never a change to it: no rating is deleted, hidden or edited.
They are computed for a period from the ratings of the tickets issued in it, with the thresholds of the
site's settings (`rating_flags`), so every reader with the same settings sees the same flags, and a
changed threshold applies to the past too. Kinds:

- `burst`: a terminal or keypad gave more than `burst_count` ratings within `burst_window_s` seconds,
  faster than citizens can be served one after another.
- `too_soon`: the rating came less than `too_soon_s` seconds after the ticket's call: no service can
  have happened.
- `counter_not_open`: a terminal or keypad rating while its counter was paused or closed.
- `clerk_above_median`: a clerk whose average score or response rate is far *above* the median of the
  other clerks at the same hours of the day (what stuffing produces); every rating of that clerk in the
  period carries it.

Readers: supervisors, administrators, inspectors. Never a clerk (CONTRACT.md).
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Event, Rating, RatingChannel, Site, Ticket, TicketStatus
from server.queue import events as ev
from server.queue.site_settings import RatingFlagSettings, site_settings
from server.reports.periods import Period

KINDS = ("burst", "too_soon", "counter_not_open", "clerk_above_median")


@dataclass(frozen=True)
class RatedVisit:
    rating_id: int
    ticket_id: int
    number: str
    site_id: int
    service_id: int
    counter_id: int | None
    clerk_id: int | None
    device_id: int | None
    channel: str
    score: int
    rated_at: dt.datetime
    called_at: dt.datetime | None


@dataclass
class Flags:
    """The flags of a period: one entry per (rating, kind)."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def flagged_ids(self) -> set[int]:
        return {entry["rating_id"] for entry in self.entries}

    def add(self, visit: RatedVisit, kind: str, evidence: dict[str, Any]) -> None:
        self.entries.append({"rating_id": visit.rating_id, "ticket_id": visit.ticket_id, "number": visit.number,
                             "kind": kind, "evidence": evidence, "site_id": visit.site_id,
                             "service_id": visit.service_id, "counter_id": visit.counter_id,
                             "clerk_id": visit.clerk_id, "channel": visit.channel, "score": visit.score,
                             "rated_at": visit.rated_at.isoformat()})


def rating_flags(session: Session, site_ids: Iterable[int], period: Period) -> Flags:
    """Every flag of the ratings of the tickets issued in the period at these sites."""
    flags = Flags()
    for site in session.scalars(select(Site).where(Site.id.in_(list(site_ids))).order_by(Site.id)):
        settings = site_settings(site.settings).rating_flags
        visits = _rated_visits(session, site.id, period)
        _bursts(visits, settings, flags)
        _too_soon(visits, settings, flags)
        _counter_not_open(session, site.id, visits, flags)
        _clerks_above_median(session, site, period, visits, settings, flags)
    flags.entries.sort(key=lambda entry: (entry["rated_at"], entry["rating_id"], KINDS.index(entry["kind"])))
    return flags


def _rated_visits(session: Session, site_id: int, period: Period) -> list[RatedVisit]:
    rows = session.execute(
        select(Rating.id, Rating.ticket_id, Ticket.number, Rating.site_id, Rating.service_id, Rating.counter_id,
               Rating.clerk_id, Rating.device_id, Rating.channel, Rating.score, Rating.created_at, Ticket.called_at)
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Ticket.site_id == site_id, Ticket.business_date.between(period.start, period.end))
        .order_by(Rating.created_at, Rating.id)
    )
    return [RatedVisit(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                       row[8].value if isinstance(row[8], RatingChannel) else str(row[8]), row[9], row[10], row[11])
            for row in rows]


def _bursts(visits: list[RatedVisit], settings: RatingFlagSettings, flags: Flags) -> None:
    """More than burst_count ratings from one terminal or keypad (device and counter) inside any window of
    burst_window_s seconds: every rating of such a window is flagged once."""
    by_source: dict[tuple[int | None, int | None], list[RatedVisit]] = defaultdict(list)
    for visit in visits:
        if visit.channel in (RatingChannel.TERMINAL.value, RatingChannel.KEYPAD.value):
            by_source[(visit.device_id, visit.counter_id)].append(visit)
    window = dt.timedelta(seconds=settings.burst_window_s)
    for (device_id, counter_id), source in by_source.items():
        flagged: dict[int, int] = {}
        end = 0
        for start, first in enumerate(source):
            end = max(end, start)
            while end + 1 < len(source) and source[end + 1].rated_at - first.rated_at <= window:
                end += 1
            count = end - start + 1
            if count > settings.burst_count:
                for index in range(start, end + 1):
                    flagged[index] = max(flagged.get(index, 0), count)
        for index, count in sorted(flagged.items()):
            flags.add(source[index], "burst", {"device_id": device_id, "counter_id": counter_id,
                                               "ratings_in_window": count, "window_s": settings.burst_window_s,
                                               "threshold": settings.burst_count})


def _too_soon(visits: list[RatedVisit], settings: RatingFlagSettings, flags: Flags) -> None:
    for visit in visits:
        if visit.called_at is None:
            continue
        seconds = (visit.rated_at - visit.called_at).total_seconds()
        if seconds < settings.too_soon_s:
            flags.add(visit, "too_soon", {"seconds_after_call": round(seconds, 1), "threshold_s": settings.too_soon_s})


def _counter_not_open(session: Session, site_id: int, visits: list[RatedVisit], flags: Flags) -> None:
    """The counter's status when a terminal or keypad rating came, from its counter_status events."""
    at_counter = [visit for visit in visits if visit.counter_id is not None
                  and visit.channel in (RatingChannel.TERMINAL.value, RatingChannel.KEYPAD.value)]
    if not at_counter:
        return
    last = max(visit.rated_at for visit in at_counter)
    history: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for counter_id, created_at, payload in session.execute(
            select(Event.counter_id, Event.created_at, Event.payload)
            .where(Event.site_id == site_id, Event.type == ev.COUNTER_STATUS, Event.created_at <= last)
            .order_by(Event.seq)):
        history[counter_id].append((created_at, str((payload or {}).get("status", ""))))
    for visit in at_counter:
        status, since = None, None
        for changed_at, value in history.get(visit.counter_id or 0, []):
            if changed_at > visit.rated_at:
                break
            status, since = value, changed_at
        if status in ("paused", "closed"):
            flags.add(visit, "counter_not_open", {"counter_status": status, "since": since.isoformat() if since else None})


def _clerks_above_median(session: Session, site: Site, period: Period, visits: list[RatedVisit],
                         settings: RatingFlagSettings, flags: Flags) -> None:
    """A clerk's average score and response rate against the median of the other clerks, over the hours
    of the day (local) in which the clerk's ratings were given."""
    zone = ZoneInfo(site.timezone)
    ratings: dict[int, list[tuple[int, int]]] = defaultdict(list)  # clerk → [(hour, score)]
    for visit in visits:
        if visit.clerk_id is not None:
            ratings[visit.clerk_id].append((visit.rated_at.astimezone(zone).hour, visit.score))
    if len(ratings) < 2:
        return
    served: dict[int, defaultdict[int, int]] = defaultdict(lambda: defaultdict(int))  # clerk → hour → served
    for clerk_id, finished_at in session.execute(
            select(Ticket.clerk_id, Ticket.finished_at)
            .where(Ticket.site_id == site.id, Ticket.business_date.between(period.start, period.end),
                   Ticket.status == TicketStatus.DONE, Ticket.clerk_id.is_not(None), Ticket.finished_at.is_not(None))):
        served[clerk_id][finished_at.astimezone(zone).hour] += 1
    for clerk_id, own in ratings.items():
        if len(own) < settings.outlier_min_ratings:
            continue
        hours = sorted({hour for hour, _ in own})
        peer_scores, peer_rates = [], []
        for peer_id, theirs in ratings.items():
            if peer_id == clerk_id:
                continue
            in_hours = [score for hour, score in theirs if hour in hours]
            peer_served = sum(served[peer_id][hour] for hour in hours)
            if in_hours:
                peer_scores.append(sum(in_hours) / len(in_hours))
            if peer_served:
                peer_rates.append(len(in_hours) / peer_served)
        if not peer_scores:
            continue
        score_avg = sum(score for _, score in own) / len(own)
        own_served = sum(served[clerk_id][hour] for hour in hours)
        response_rate = len(own) / own_served if own_served else None
        median_score = statistics.median(peer_scores)
        median_rate = statistics.median(peer_rates) if peer_rates else None
        above_score = score_avg - median_score >= settings.outlier_score_gap
        above_rate = (response_rate is not None and median_rate is not None
                      and response_rate - median_rate >= settings.outlier_response_gap)
        if not (above_score or above_rate):
            continue
        evidence = {"clerk_id": clerk_id, "hours": hours, "ratings": len(own),
                    "score_avg": round(score_avg, 2), "site_median_score": round(median_score, 2),
                    "response_rate": round(response_rate, 4) if response_rate is not None else None,
                    "site_median_response_rate": round(median_rate, 4) if median_rate is not None else None,
                    "score_gap": settings.outlier_score_gap, "response_gap": settings.outlier_response_gap,
                    "peers": len(peer_scores)}
        for visit in visits:
            if visit.clerk_id == clerk_id:
                flags.add(visit, "clerk_above_median", evidence)
