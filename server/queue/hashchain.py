"""The tamper-evident event log: each event row's `hash` = SHA-256(previous row's hash ‖ canonical event).

Pure functions, shared by the site (which writes the chain in each event's own transaction and checks it
with `verify-log`) and the central server (which checks everything it receives). The canonical form is
fixed for ever: changing it would break every chain already written.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

GENESIS = "0" * 64  # the "previous hash" of a site's first event


def json_normalised(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as it reads back from a JSON column (tuples become lists, keys strings)."""
    return json.loads(json.dumps(payload, ensure_ascii=False))


def canonical_time(instant: dt.datetime) -> str:
    """UTC with microseconds, the precision both databases keep."""
    if instant.tzinfo is None:
        raise ValueError("canonical_time needs an aware datetime")
    return instant.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_event(site_id: int, seq: int, event_type: str, payload: dict[str, Any], created_at: dt.datetime) -> bytes:
    """The bytes an event's hash covers: site, seq, type, payload and time as compact, sorted UTF-8 JSON."""
    document = {"site": site_id, "seq": seq, "type": event_type, "payload": payload, "at": canonical_time(created_at)}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def chain_hash(previous: str, canonical: bytes) -> str:
    return hashlib.sha256((previous or GENESIS).encode("ascii") + canonical).hexdigest()


@dataclass(frozen=True)
class ChainedEvent:
    site_id: int
    seq: int
    type: str
    payload: dict[str, Any]
    created_at: dt.datetime
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of checking a run of events: how many were checked and the first that breaks."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    last_hash: str = GENESIS
    last_seq: int = 0
    problem: str = ""


def verify_chain(events: Iterable[ChainedEvent], previous_hash: str = GENESIS, previous_seq: int = 0) -> ChainCheck:
    """Check consecutive events of one site: seq without gaps, each hash over the previous one."""
    checked = 0
    last_hash, last_seq = previous_hash or GENESIS, previous_seq
    for event in events:
        if event.seq != last_seq + 1:
            return ChainCheck(False, checked, last_seq + 1, last_hash, last_seq, "gap in seq")
        expected = chain_hash(last_hash, canonical_event(event.site_id, event.seq, event.type, event.payload,
                                                         event.created_at))
        if expected != event.hash:
            return ChainCheck(False, checked, event.seq, last_hash, last_seq, "hash does not match the content")
        checked += 1
        last_hash, last_seq = event.hash, event.seq
    return ChainCheck(True, checked, None, last_hash, last_seq)
