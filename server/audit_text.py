"""The audit log read as sentences: "Nguyễn Văn A đổi quầy 2: phục vụ thêm Giáo dục".

Each entry keeps its raw `before` / `after` (the record of what changed); this turns them into one
sentence in the reader's language through the i18n catalogue: who, the verb, the thing by its name
(fields, counters, staff and devices looked up by id), then each change in words.
"""
from __future__ import annotations

from typing import Any, Callable

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.admin.views import MESSAGES as ADMIN_MESSAGES
from server.errors import N_
from server.models import Counter, Device, PriorityCategory, Service, Staff

Translate = Callable[[str], str]

SENTENCES = {
    "create": N_("%(who)s created %(what)s"),
    "update": N_("%(who)s changed %(what)s"),
    "delete": N_("%(who)s removed %(what)s"),
    "revoke": N_("%(who)s revoked the key of %(what)s"),
    "rotate_key": N_("%(who)s gave %(what)s a new key"),
    "reset_password": N_("%(who)s reset the password of %(what)s"),
    "province": N_("%(who)s applied the province's catalogue to %(what)s"),
    "province_add": N_("%(who)s added %(what)s from the province's catalogue, not in use until a counter serves it"),
}
WITH_DETAILS = N_("%(sentence)s: %(details)s")
THINGS = {
    "counter": N_("counter %(name)s"),
    "service": N_("field %(name)s"),
    "staff": N_("the account of %(name)s"),
    "device": N_("device %(name)s"),
    "priority_category": N_("priority category %(name)s"),
    "holiday": N_("holiday %(name)s"),
    "working_hours": N_("the working hours"),
    "site_settings": N_("the site settings"),
    "site": N_("site %(name)s"),
}
# What each recorded key is called: the admin form's own labels where it has one, else these.
FORM_LABELS = ("confirmation_s", "print_problem_confirmation_s", "print_wait_s", "idle_reset_s", "request_timeout_s",
               "notice", "guidance", "voice", "cutoff", "window_s", "buttons", "reasons", "low_score_max",
               "variant", "number_style", "chime", "repeat", "level", "date")
LABELS = {
    **{key: ADMIN_MESSAGES[key] for key in FORM_LABELS},
    "name": N_("name"), "name_en": N_("name in English"), "code": N_("code"), "group_name": N_("group"),
    "number_prefix": N_("number prefix"), "number_start": N_("first number"), "number_end": N_("last number"),
    "number_width": N_("digits"), "daily_quota": N_("tickets per day"), "position": N_("place in the list"),
    "full_name": N_("full name"), "title": N_("title"), "role": N_("role"), "username": N_("username"),
    "kind": N_("kind"), "counter_id": N_("counter"), "key_hint": N_("key ending"), "printer": N_("printer"),
    "paper_width_mm": N_("paper width (mm)"), "rating": N_("rating settings"), "alerts": N_("alert thresholds"),
    "recent_calls": N_("latest calls on the hall board"), "max_priority_in_row": N_("priority tickets in a row"),
    "field_order": N_("calling order of fields"), "enabled": ADMIN_MESSAGES["voice_enabled"], "pack": N_("voice pack"),
    "from_province": N_("in the province's catalogue"), "awaiting_counter": N_("waiting for a counter to serve it"),
}
ROLES = {role: ADMIN_MESSAGES[f"role_{role}"] for role in ("admin", "supervisor", "clerk", "inspector", "leader")}
WEEKDAYS = tuple(ADMIN_MESSAGES[f"weekday_{day}"] for day in range(7))
KINDS = {kind: ADMIN_MESSAGES[f"kind_{kind}"] for kind in ("kiosk", "display", "rating_terminal", "bridge")}
SYSTEM = N_("The system")
# What a creation does not repeat: the name is in the sentence already; the rest is the usual default
# (in use, place in the list, no digit padding), so only what was chosen is said.
CREATE_UNSAID = ("name", "full_name", "username", "number", "centre", "site", "position", "from_province",
                 "awaiting_counter")


class Names:
    """Names of the things the entries mention, read once for a page of entries."""

    def __init__(self, session: Session, site_id: int | None) -> None:
        def of(model: Any, label: Callable[[Any], str]) -> dict[int, str]:
            query = select(model)
            if site_id is not None and hasattr(model, "site_id"):
                query = query.where(model.site_id == site_id)
            return {row.id: label(row) for row in session.scalars(query)}

        self.services = of(Service, lambda row: row.name)
        self.counters = of(Counter, lambda row: str(row.number))
        self.staff = of(Staff, lambda row: row.full_name or row.username)
        self.devices = of(Device, lambda row: row.name)
        self.categories = of(PriorityCategory, lambda row: row.name)


def describe(entry: dict[str, Any], names: Names, translate: Translate = gettext) -> str:
    """One sentence for one audit entry (an `administration.audit_entries` row)."""
    who = entry.get("staff_name") or entry.get("username") or translate(SYSTEM)
    before, after = entry.get("before") or {}, entry.get("after") or {}
    sentence = translate(SENTENCES.get(entry["action"], SENTENCES["update"])) % {
        "who": who, "what": _thing(entry, before, after, names, translate)}
    if entry["action"] in ("delete", "revoke", "reset_password"):
        return sentence
    if entry["action"] == "rotate_key":
        details = [_change("key_hint", None, after.get("key_hint"), names, translate)] if after.get("key_hint") else []
    elif entry["action"] in ("create", "province_add"):
        # A field added from the province's catalogue is out of use by rule: its sentence says so already.
        unsaid = CREATE_UNSAID + (("active",) if entry["action"] == "province_add" else ())
        details = [_change(key, None, value, names, translate, created=True) for key, value in after.items()
                   if key not in unsaid and not _usual(value)]
    else:
        details = [_change(key, before.get(key), after.get(key), names, translate)
                   for key in [*after, *(key for key in before if key not in after)]]
    details = [detail for detail in details if detail]
    return translate(WITH_DETAILS) % {"sentence": sentence, "details": "; ".join(details)} if details else sentence


def _usual(value: Any) -> bool:
    """A value a new thing has unless someone chose otherwise: empty, zero, or switched on."""
    return value is None or value is True or (not isinstance(value, bool) and value in ("", [], 0))


def _thing(entry: dict[str, Any], before: dict[str, Any], after: dict[str, Any], names: Names,
           translate: Translate) -> str:
    entity = entry["entity"]
    identifier = int(entry["entity_id"]) if str(entry.get("entity_id") or "").isdigit() else None
    recorded = {**before, **after}
    lookups: dict[str, dict[int, str]] = {"service": names.services, "counter": names.counters,
                                          "staff": names.staff, "device": names.devices,
                                          "priority_category": names.categories}
    if entity in lookups and identifier in lookups[entity]:
        name = lookups[entity][identifier]
    elif entity == "counter":
        name = str(recorded.get("number") or entry.get("entity_id"))
    elif entity == "holiday":
        name = " ".join(filter(None, [_date(recorded.get("date")), f"({recorded['name']})" if recorded.get("name") else ""]))
    elif entity == "site":
        name = str(recorded.get("site") or entry.get("entity_id"))
    else:
        name = str(recorded.get("full_name") or recorded.get("name") or recorded.get("username")
                   or entry.get("entity_id") or "")
    return translate(THINGS[entity]) % {"name": name} if entity in THINGS else name


def _change(key: str, old: Any, new: Any, names: Names, translate: Translate, created: bool = False) -> str:
    """One change in words: "phục vụ thêm Giáo dục", "tên “Quầy 2” → “Quầy hộ tịch”"; what a new thing
    was created with reads "mã GD"."""
    if key == "service_ids":
        return _fields_change(old or [], new or [], names, translate)
    if key == "active":
        return translate(N_("back in use") if new else N_("taken out of use"))
    if key == "periods":
        return _hours(new or [], translate)
    if key == "revoked_at":
        return ""
    label = _label(key, translate)
    if isinstance(new, dict) or isinstance(old, dict):
        changed = [_label(name, translate) for name in sorted(set(old or {}) | set(new or {}))
                   if (old or {}).get(name) != (new or {}).get(name)]
        return translate(N_("%(label)s (%(parts)s)")) % {"label": label, "parts": ", ".join(changed)}
    if created:
        return translate(N_("%(label)s %(value)s")) % {"label": label, "value": _value(key, new, names, translate)}
    if old is None or old == "":
        return translate(N_("%(label)s to %(new)s")) % {"label": label, "new": _value(key, new, names, translate)}
    return translate(N_("%(label)s from %(old)s to %(new)s")) % {
        "label": label, "old": _value(key, old, names, translate), "new": _value(key, new, names, translate)}


def _label(key: str, translate: Translate) -> str:
    """What `key` is called, mid-sentence (the admin form's labels start with a capital)."""
    text = translate(LABELS.get(key, key))
    return text[:1].lower() + text[1:]


def _fields_change(old: list[int], new: list[int], names: Names, translate: Translate) -> str:
    def listed(ids: list[int]) -> str:
        return ", ".join(names.services.get(service_id, str(service_id)) for service_id in ids)

    added = [service_id for service_id in new if service_id not in old]
    removed = [service_id for service_id in old if service_id not in new]
    parts = []
    if not old:
        return translate(N_("serves %(fields)s")) % {"fields": listed(new)}
    if added:
        parts.append(translate(N_("now also serves %(fields)s")) % {"fields": listed(added)})
    if removed:
        parts.append(translate(N_("no longer serves %(fields)s")) % {"fields": listed(removed)})
    if not parts and old != new:
        parts.append(translate(N_("calls the fields in this order: %(fields)s")) % {"fields": listed(new)})
    return "; ".join(parts)


def _value(key: str, value: Any, names: Names, translate: Translate) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return translate(N_("on") if value else N_("off"))
    if key == "role":
        return translate(ROLES.get(str(value), str(value)))
    if key == "kind":
        return translate(KINDS.get(str(value), str(value)))
    if key == "counter_id":
        return names.counters.get(int(value), str(value))
    if key == "date":
        return _date(value)
    if isinstance(value, list):
        return ", ".join(_value(key, item, names, translate) for item in value)
    if isinstance(value, str) and key not in ("code", "username", "number_prefix", "key_hint", "pack"):
        return f"“{value}”"
    return str(value)


def _date(value: Any) -> str:
    """"2026-09-02" → "02/09/2026"."""
    text = str(value or "")
    parts = text.split("-")
    return f"{parts[2]}/{parts[1]}/{parts[0]}" if len(parts) == 3 else text


def _clock(value: str) -> str:
    """"07:30:00" → "07:30"; the end of the day ("23:59:59.999999") → "24:00"."""
    return "24:00" if value.startswith("23:59:59") else value[:5]


def _hours(periods: list[list[Any]], translate: Translate) -> str:
    """[[0, "07:00:00", "11:30:00"], [0, "13:30:00", "17:00:00"], [1, …], …] → "Thứ Hai – Thứ Sáu 07:00–11:30,
    13:30–17:00; Thứ Bảy 07:30–11:30": consecutive days with the same sessions are said once."""
    days: dict[int, list[str]] = {}
    for weekday, opens, closes in sorted(periods, key=lambda period: (int(period[0]), str(period[1]))):
        if 0 <= int(weekday) < 7:
            days.setdefault(int(weekday), []).append(f"{_clock(str(opens))}–{_clock(str(closes))}")
    runs: list[tuple[int, int, list[str]]] = []
    for day, spans in sorted(days.items()):
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == spans:
            runs[-1] = (runs[-1][0], day, spans)
        else:
            runs.append((day, day, spans))
    return "; ".join(
        f"{translate(WEEKDAYS[first])}{'' if first == last else ' – ' + translate(WEEKDAYS[last])} {', '.join(spans)}"
        for first, last, spans in runs)
