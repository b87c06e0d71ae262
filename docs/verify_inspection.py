#!/usr/bin/env python3
"""Verify a Hàng Chờ inspection file offline: python3 verify_inspection.py thanh-tra-….json

Needs only Python 3.9+ (no Hàng Chờ, no network). It checks that
1. the events form an unbroken run of the site's log: seq without gaps from the anchor, and each event's
   hash = SHA-256(previous hash ‖ canonical event) — so no event was changed, removed or inserted;
2. the raw rows agree with that log: every ticket has its `ticket_issued` event (same number), every
   rating whose `rating_received` event is in the run has the same score, every dossier visit has a
   `dossier_attached` event naming its code, every action and clearing of the leader's board is logged;
3. the counts in the file match its content.
Exit status 0 when everything holds; otherwise 1, naming the first problem.

The canonical event is fixed (server/queue/hashchain.py): compact JSON, sorted keys, UTF-8, of
{"site", "seq", "type", "payload", "at"} with "at" the UTC time with microseconds and a trailing "Z".
"""
from __future__ import annotations

import datetime
import hashlib
import json
import sys
from typing import Any

GENESIS = "0" * 64


def instant(text: str) -> datetime.datetime:
    """An ISO time as written in the file ("…Z" or "…+00:00"), as an aware datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def canonical(event: dict[str, Any]) -> bytes:
    document = {"site": event["site_id"], "seq": event["seq"], "type": event["type"], "payload": event["payload"],
                "at": event["created_at"]}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def verify(document: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if document.get("format") != "hangcho-inspection/1":
        return [f"unknown format {document.get('format')!r}"]
    events = document["events"]
    anchor = document["proof"]["anchor"]
    if events:
        previous_hash, previous_seq = anchor["hash"] or GENESIS, anchor["seq"]
        for event in events:
            if event["seq"] != previous_seq + 1:
                problems.append(f"gap in the log before seq {event['seq']} (expected {previous_seq + 1})")
                break
            expected = hashlib.sha256(previous_hash.encode("ascii") + canonical(event)).hexdigest()
            if expected != event["hash"]:
                problems.append(f"event seq {event['seq']} does not match its hash: changed after it was written")
                break
            previous_hash, previous_seq = event["hash"], event["seq"]
        head = document["chain_head"]
        if not problems and previous_seq == head["seq"] and previous_hash != head["hash"]:
            problems.append("the last event is not the chain head the site reported")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event["type"], []).append(event)
    issued = {e["ticket_id"]: e["payload"].get("number") for e in by_type.get("ticket_issued", [])}
    utc_from, utc_to = instant(document["period"]["utc_from"]), instant(document["period"]["utc_to"])
    for ticket in document["tickets"]:
        if ticket["id"] not in issued:
            problems.append(f"ticket {ticket['id']} ({ticket['number']}) has no ticket_issued event in the log")
        elif issued[ticket["id"]] != ticket["number"]:
            problems.append(f"ticket {ticket['id']}: number {ticket['number']} but the log says {issued[ticket['id']]}")
    rated = {e["payload"].get("rating_id"): e["payload"].get("score") for e in by_type.get("rating_received", [])}
    for rating in document["ratings"]:
        if rating["id"] in rated and rated[rating["id"]] != rating["score"]:
            problems.append(f"rating {rating['id']}: score {rating['score']} but the log says {rated[rating['id']]}")
    attached: dict[int, set[str]] = {}
    for event in by_type.get("dossier_attached", []):
        attached.setdefault(event["ticket_id"], set()).add(event["payload"].get("code"))
    for visit in document["dossier_visits"]:
        if visit["code"] not in attached.get(visit["ticket_id"], set()):
            problems.append(f"dossier visit of ticket {visit['ticket_id']} ({visit['code']}) is not in the log")
    logged_actions = {e["payload"].get("item_id") for e in by_type.get("leader_action_recorded", [])}
    logged_clears = {e["payload"].get("item_id") for e in by_type.get("leader_item_cleared", [])}
    for item in document["leader_items"]:
        in_period = lambda at: at is not None and utc_from <= instant(at) < utc_to  # noqa: E731
        if item["action"] and in_period(item["action_at"]) and item["id"] not in logged_actions:
            problems.append(f"leader item {item['id']}: its action is not in the log")
        if item["cleared_note"] and in_period(item["cleared_at"]) and item["id"] not in logged_clears:
            problems.append(f"leader item {item['id']}: its clearing is not in the log")
    for key, count in document["counts"].items():
        if len(document[key]) != count:
            problems.append(f"{key}: the file says {count}, it holds {len(document[key])}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[0])
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        document = json.load(handle)
    problems = verify(document)
    site, period = document.get("site", {}), document.get("period", {})
    if problems:
        print(f"NOT VERIFIED: {site.get('name')} {period.get('from')}…{period.get('to')}: {problems[0]}")
        for problem in problems[1:10]:
            print(f"  also: {problem}")
        return 1
    proof = document["proof"]
    print(f"VERIFIED: {site.get('name')} {period.get('from')}…{period.get('to')}: events seq {proof['first_seq']}–"
          f"{proof['last_seq']} chained from seq {proof['anchor']['seq'] if proof['anchor'] else '-'}; "
          + ", ".join(f"{count} {key}" for key, count in document["counts"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
