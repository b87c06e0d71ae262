"""Setting a centre up: fields, counters, staff and devices, with an audit entry for every change.

The command line and the admin pages both call these functions, so both check the same things.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, replace
from typing import Any, Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server import errors
from server.auth.identity import forget_credentials
from server.auth.secrets import digest, hash_password, new_device_key, new_password
from server.inputs import CONTROL_PROBLEM, DB_INT_MAX, DB_INT_MIN, has_control_characters
from server.models import (
    AuditEntry,
    Centre,
    Counter,
    CounterService,
    CounterStatus,
    Device,
    DeviceKind,
    Holiday,
    PriorityCategory,
    Service,
    Site,
    Staff,
    StaffRole,
    StaffToken,
    WorkingSession,
)
from server.queue.rules import NumberFormat, free_number_range


def audit(session: Session, staff_id: int | None, site_id: int | None, action: str, entity: str, entity_id: Any,
          before: dict[str, Any] | None, after: dict[str, Any] | None, now: dt.datetime) -> None:
    """Record who changed what, and bump the site's configuration version so that every server
    process drops what it cached of the old configuration."""
    if site_id is not None:
        session.execute(update(Site).where(Site.id == site_id).values(config_version=Site.config_version + 1))
    session.add(AuditEntry(site_id=site_id, staff_id=staff_id, action=action, entity=entity, entity_id=str(entity_id),
                           before=before or {}, after=after or {}, created_at=now))


def create_centre_and_site(session: Session, centre_name: str, site_name: str, now: dt.datetime,
                           centre_code: str = "TT1", site_code: str = "DT1", timezone: str = "Asia/Ho_Chi_Minh",
                           province: str = "") -> Site:
    centre = Centre(code=centre_code, name=centre_name, province=province)
    site = Site(centre=centre, code=site_code, name=site_name, timezone=timezone, settings={})
    session.add_all([centre, site])
    session.flush()
    audit(session, None, site.id, "create", "site", site.id, None, {"centre": centre_name, "site": site_name}, now)
    return site


def create_staff(session: Session, username: str, role: str, now: dt.datetime, *, site_id: int | None,
                 full_name: str = "", title: str = "", password: str | None = None, password_hash: str | None = None,
                 by_staff_id: int | None = None) -> tuple[Staff, str | None]:
    """Create a staff account; returns the generated password when none was given (shown once)."""
    username = username.strip().lower()
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise errors.ValidationFailed(fields={"username": "letters, digits, . and _ only"})
    if role not in {r.value for r in StaffRole}:
        raise errors.ValidationFailed(fields={"role": "admin, supervisor, clerk, inspector or leader"})
    if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise errors.ValidationFailed(fields={"username": "already taken"})
    generated = None
    if password_hash is None:
        if password is None:
            generated = password = new_password()
        if len(password) < 4:
            raise errors.ValidationFailed(fields={"password": "too short"})
        password_hash = hash_password(password)
    staff = Staff(site_id=site_id, username=username, full_name=full_name, title=title, role=StaffRole(role),
                  password_hash=password_hash, active=True, created_at=now)
    session.add(staff)
    session.flush()
    audit(session, by_staff_id, site_id, "create", "staff", staff.id, None,
          {"username": username, "role": role, "full_name": full_name}, now)
    return staff, generated


def create_device(session: Session, site_id: int, kind: str, name: str, now: dt.datetime, *,
                  counter_id: int | None = None, key: str | None = None, settings: dict[str, Any] | None = None,
                  by_staff_id: int | None = None) -> tuple[Device, str]:
    """Register a device and return its key (shown once; only a hash is kept)."""
    if kind not in {k.value for k in DeviceKind}:
        raise errors.ValidationFailed(fields={"kind": "kiosk, display, rating_terminal or bridge"})
    if kind == DeviceKind.RATING_TERMINAL.value and counter_id is None:
        raise errors.ValidationFailed(fields={"counter_id": "a rating terminal belongs to a counter"})
    if counter_id is not None:
        counter = session.get(Counter, counter_id)
        if counter is None or counter.site_id != site_id:
            raise errors.CounterNotFound()
    key = key or new_device_key()
    device = Device(site_id=site_id, kind=DeviceKind(kind), name=name, key_hash=digest(key), key_hint=key[-4:],
                    counter_id=counter_id, settings=settings or {}, created_at=now)
    session.add(device)
    session.flush()
    audit(session, by_staff_id, site_id, "create", "device", device.id, None,
          {"kind": kind, "name": name, "counter_id": counter_id}, now)
    return device, key


def rotate_device_key(session: Session, device: Device, now: dt.datetime, by_staff_id: int | None = None) -> str:
    key = new_device_key()
    forget_credentials()
    device.key_hash = digest(key)
    device.key_hint = key[-4:]
    device.revoked_at = None
    audit(session, by_staff_id, device.site_id, "rotate_key", "device", device.id, None, {"key_hint": device.key_hint}, now)
    return key


def revoke_device(session: Session, device: Device, now: dt.datetime, by_staff_id: int | None = None) -> None:
    forget_credentials()  # this process stops accepting the key at once; others within seconds
    device.revoked_at = now
    audit(session, by_staff_id, device.site_id, "revoke", "device", device.id, None, {"revoked_at": now.isoformat()}, now)


def device_dict(device: Device) -> dict[str, Any]:
    """What an administrator may change on a device, flat, so the audit names each setting that changed."""
    from server.queue.site_settings import kiosk_settings

    values: dict[str, Any] = {"name": device.name}
    if device.kind is DeviceKind.KIOSK:
        values.update(kiosk_settings(device.settings).model_dump())
    return values


def update_device(session: Session, device: Device, changes: dict[str, Any], now: dt.datetime,
                  by_staff_id: int | None = None) -> Device:
    """Rename a device or change a kiosk's own settings.

    `changes` may hold `name` and `settings` (a partial dict merged into the kiosk's current settings and
    validated as a whole through KioskSettings, so unknown keys and values out of bounds are refused and
    nothing is written). Only kiosks have settings of their own.
    """
    from pydantic import ValidationError

    from server.queue.site_settings import KioskSettings, kiosk_settings

    unknown = sorted(set(changes) - {"name", "settings"})
    if unknown:
        raise errors.ValidationFailed(fields={key: errors.N_("is not an accepted field") for key in unknown})
    before = device_dict(device)
    name = changes.get("name")
    if name is not None and not str(name).strip():
        raise errors.ValidationFailed(fields={"name": errors.N_("required")})
    validated = None
    if changes.get("settings") is not None:
        if device.kind is not DeviceKind.KIOSK:
            raise errors.ValidationFailed(fields={"settings": errors.N_("only kiosks have settings of their own")})
        if not isinstance(changes["settings"], dict):
            raise errors.ValidationFailed(fields={"settings": errors.N_("must be an object")})
        current = kiosk_settings(device.settings).model_dump()
        try:
            validated = KioskSettings.model_validate({**current, **changes["settings"]})
        except ValidationError as error:
            # Problems are named settings.<key>, so the admin form shows each next to its input.
            raise errors.ValidationFailed.from_pydantic(error, prefix="settings.") from None
    # Everything was checked before anything is changed: a refused request writes nothing.
    if name is not None:
        device.name = str(name).strip()
    if validated is not None:
        device.settings = validated.model_dump()
    after = device_dict(device)
    if after != before:
        audit(session, by_staff_id, device.site_id, "update", "device", device.id, _changed(before, after),
              _changed(after, before), now)
    return device


@dataclass(frozen=True)
class FieldSpec:
    code: str
    name: str
    name_en: str = ""
    group_name: str = ""
    number_prefix: str = ""
    # Both None: the next block of numbers no active field of the site uses (free_range).
    number_start: int | None = None
    number_end: int | None = None
    number_width: int = 0
    daily_quota: int | None = None
    average_service_s: int = 300
    position: int = 0


def create_field(session: Session, site_id: int, spec: FieldSpec, now: dt.datetime, by_staff_id: int | None = None) -> Service:
    problems = validate_field(spec)
    if problems:
        raise errors.ValidationFailed(fields=problems)
    if session.scalar(select(Service.id).where(Service.site_id == site_id, Service.code == spec.code)) is not None:
        raise errors.ValidationFailed(fields={"code": errors.N_("already exists")})
    if spec.number_start is None and spec.number_end is None:
        free = free_range(session, site_id, spec.number_prefix.upper(), spec.number_width)
        spec = replace(spec, number_start=free.start, number_end=free.end)
    check_numbers_free(session, site_id, _numbering(spec))
    service = Service(site_id=site_id, code=spec.code, name=spec.name, name_en=spec.name_en, group_name=spec.group_name,
                      number_prefix=spec.number_prefix, number_start=spec.number_start, number_end=spec.number_end,
                      number_width=spec.number_width, daily_quota=spec.daily_quota,
                      average_service_s=spec.average_service_s, active=True, position=spec.position)
    session.add(service)
    session.flush()
    audit(session, by_staff_id, site_id, "create", "service", service.id, None, field_dict(service), now)
    return service


def _numbering(spec: FieldSpec | Service) -> NumberFormat:
    return NumberFormat(prefix=spec.number_prefix, start=spec.number_start, end=spec.number_end, width=spec.number_width)


def check_numbers_free(session: Session, site_id: int, numbering: NumberFormat, except_id: int | None = None) -> None:
    """One number, one citizen: an active field may not print a number another active field of the site
    can print. Refused with a message naming the other field."""
    for other in session.scalars(select(Service).where(Service.site_id == site_id, Service.active.is_(True))
                                 .order_by(Service.position, Service.id)):
        if other.id != except_id and numbering.collides_with(_numbering(other)):
            shown = _numbering(other)
            raise errors.ValidationFailed(
                fields={"number_start": errors.N_("the numbers overlap another field"),
                        "number_end": errors.N_("the numbers overlap another field")},
                message=errors.OVERLAPPING_NUMBERS, other=other.name,
                other_range=f"{shown.format(1)}–{shown.format(shown.capacity)}",
            )


def free_range(session: Session, site_id: int, prefix: str = "", width: int = 0) -> NumberFormat:
    """The next block of numbers no active field of the site can print (what the new-field form proposes)."""
    taken = [_numbering(service) for service in session.scalars(
        select(Service).where(Service.site_id == site_id, Service.active.is_(True)))]
    return free_number_range(taken, prefix=prefix, width=width)


def validate_field(spec: FieldSpec) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not spec.code or len(spec.code) > 32:
        problems["code"] = "required, at most 32 characters"
    if not spec.name.strip():
        problems["name"] = "required"
    if (spec.number_start is None) != (spec.number_end is None):
        problems["number_start" if spec.number_start is None else "number_end"] = "required"
    elif spec.number_start is not None and spec.number_end is not None and (
            spec.number_start < 0 or spec.number_end < spec.number_start):
        problems["number_end"] = "the range must not be empty"
    if spec.number_width < 0 or spec.number_width > 8:
        problems["number_width"] = "0–8"
    if len(spec.number_prefix) > 8 or any(not (c.isascii() and c.isalpha()) for c in spec.number_prefix):
        problems["number_prefix"] = "ASCII letters only, at most 8"
    if spec.daily_quota is not None and spec.daily_quota < 1:
        problems["daily_quota"] = "at least 1, or empty for none"
    for name in ("code", "name", "name_en", "group_name"):
        if has_control_characters(getattr(spec, name)):
            problems[name] = CONTROL_PROBLEM
    return problems


def field_dict(service: Service) -> dict[str, Any]:
    return {"code": service.code, "name": service.name, "name_en": service.name_en, "group_name": service.group_name,
            "number_prefix": service.number_prefix, "number_start": service.number_start,
            "number_end": service.number_end, "number_width": service.number_width,
            "daily_quota": service.daily_quota, "active": service.active, "position": service.position,
            "from_province": bool(service.from_province), "awaiting_counter": bool(service.awaiting_counter)}


# The audit actions of applying the province's catalogue: a field added from it, a field changed by it.
PROVINCE_ADDED, PROVINCE_CATALOGUE = "province_add", "province"
PREFIXED_WIDTH = 3  # a province field with a letter prefix prints A001 … A999, as the demo's prefixed fields


def apply_province_catalogue(session: Session, site_id: int, entries: list[dict[str, Any]],
                             now: dt.datetime) -> dict[str, int]:
    """Apply the province's list of fields ([{code, name, name_en, prefix}], matched by code): a field the
    site lacks is added inactive until a counter serves it (its numbers: the next free range, with the
    province's prefix); a field the province renamed is renamed; a field the province dropped only stops
    being marked as the province's. Nothing is deleted, numbering of existing fields stays local, and every
    change is an audit entry by the system. The caller holds the site's row lock and commits."""
    existing = {service.code: service for service in session.scalars(select(Service).where(Service.site_id == site_id))}
    counts = {"added": 0, "renamed": 0, "joined": 0, "left": 0}
    listed: set[str] = set()
    position = max((service.position for service in existing.values()), default=-1) + 1
    for entry in entries:
        code, name, name_en = str(entry["code"]), str(entry["name"]), str(entry.get("name_en") or "")
        listed.add(code)
        service = existing.get(code)
        if service is None:
            prefix = str(entry.get("prefix") or "").upper()
            spec = FieldSpec(code=code, name=name, name_en=name_en, number_prefix=prefix,
                             number_width=PREFIXED_WIDTH if prefix else 0, position=position)
            problems = validate_field(spec)
            if problems:
                raise errors.ValidationFailed(fields={f"{code}.{key}": value for key, value in problems.items()})
            free = free_range(session, site_id, spec.number_prefix, spec.number_width)
            service = Service(site_id=site_id, code=code, name=name, name_en=name_en, number_prefix=spec.number_prefix,
                              number_start=free.start, number_end=free.end, number_width=spec.number_width,
                              active=False, position=position, from_province=True, awaiting_counter=True)
            session.add(service)
            session.flush()
            position += 1
            audit(session, None, site_id, PROVINCE_ADDED, "service", service.id, None, field_dict(service), now)
            counts["added"] += 1
            continue
        before = field_dict(service)
        renamed = service.name != name or (name_en and service.name_en != name_en)
        service.name = name
        service.name_en = name_en or service.name_en
        counts["joined"] += not service.from_province
        service.from_province = True
        counts["renamed"] += bool(renamed)
        after = field_dict(service)
        if after != before:
            audit(session, None, site_id, PROVINCE_CATALOGUE, "service", service.id, _changed(before, after),
                  _changed(after, before), now)
    for code, service in existing.items():
        if code not in listed and service.from_province:
            before = field_dict(service)
            service.from_province = service.awaiting_counter = False
            audit(session, None, site_id, PROVINCE_CATALOGUE, "service", service.id, _changed(before, field_dict(service)),
                  _changed(field_dict(service), before), now)
            counts["left"] += 1
    session.flush()
    return counts


def activate_awaiting_fields(session: Session, counter: Counter, now: dt.datetime, by_staff_id: int | None) -> None:
    """A field the province's catalogue added waits, inactive, for a counter: giving it to one puts it in use
    (its numbers checked against the fields in use, as any field put back in use)."""
    for service_id in counter.service_ids:
        service = session.get(Service, service_id)
        if service is None or not service.awaiting_counter:
            continue
        before = field_dict(service)
        check_numbers_free(session, service.site_id, _numbering(service), except_id=service.id)
        service.active, service.awaiting_counter = True, False
        audit(session, by_staff_id, service.site_id, "update", "service", service.id, _changed(before, field_dict(service)),
              _changed(field_dict(service), before), now)


CSV_COLUMNS = ("code", "name", "name_en", "group", "prefix", "start", "end", "width", "quota", "average_service_s")


def parse_field_catalogue(text: str) -> list[FieldSpec]:
    """Read a field catalogue CSV (UTF-8, header row; `code,name` required). Raises on the first bad row,
    naming its line, so an import is all or nothing. Lines may end in CRLF, LF or a bare CR."""
    reader = csv.DictReader(_csv_lines(text))
    try:
        fieldnames = reader.fieldnames
    except csv.Error:
        raise errors.ValidationFailed(fields={"line 1": CSV_UNREADABLE}) from None
    if fieldnames is None or not {"code", "name"} <= {f.strip() for f in fieldnames}:
        raise errors.ValidationFailed(fields={"csv": "header must include code,name"})
    specs: list[FieldSpec] = []
    seen: set[str] = set()
    rows = iter(reader)
    while True:
        line_number = reader.line_num + 1  # where the next record starts
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error:
            raise errors.ValidationFailed(fields={f"line {line_number}": CSV_UNREADABLE}) from None
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if isinstance(v, str) or v is None}
        try:
            spec = FieldSpec(
                code=row["code"], name=row["name"], name_en=row.get("name_en", ""), group_name=row.get("group", ""),
                number_prefix=row.get("prefix", ""),
                number_start=_whole(row["start"]) if row.get("start") else None,
                number_end=_whole(row["end"]) if row.get("end") else None, number_width=_whole(row.get("width") or "0"),
                daily_quota=_whole(row["quota"]) if row.get("quota") else None,
                average_service_s=_whole(row.get("average_service_s") or "300"), position=len(specs),
            )
        except ValueError:
            raise errors.ValidationFailed(fields={f"line {line_number}": "numbers expected in start/end/width/quota"}) from None
        problems = validate_field(spec)
        if spec.code in seen:
            problems["code"] = f"{spec.code} appears twice"
        if problems:
            raise errors.ValidationFailed(fields={f"line {line_number}.{k}": v for k, v in problems.items()})
        seen.add(spec.code)
        specs.append(spec)
    return specs


CSV_UNREADABLE = errors.N_("this line cannot be read as CSV")


def _csv_lines(text: str) -> io.StringIO:
    """The file with universal line ends (a bare CR, as old spreadsheets write, ends a line too)."""
    return io.StringIO(text.lstrip("\ufeff"), newline=None)


def _whole(text: str) -> int:
    """A whole number a database INTEGER column holds; ValueError otherwise."""
    value = int(text)
    if not DB_INT_MIN <= value <= DB_INT_MAX:
        raise ValueError(text)
    return value


CSV_TO_FIELD = {"name": "name", "name_en": "name_en", "group": "group_name", "prefix": "number_prefix",
                "start": "number_start", "end": "number_end", "width": "number_width", "quota": "daily_quota",
                "average_service_s": "average_service_s"}


def import_field_catalogue(session: Session, site_id: int, text: str, now: dt.datetime,
                           by_staff_id: int | None = None) -> tuple[int, int]:
    """Create new fields and update existing ones (matched by code; only the columns the file has are
    changed). All or nothing: a bad row refuses the whole file. Returns (created, updated)."""
    created = updated = 0
    specs = parse_field_catalogue(text)  # first: it refuses a file that cannot be read, naming the line
    header = next(csv.reader(_csv_lines(text)), [])
    present = [CSV_TO_FIELD[column.strip()] for column in header if column.strip() in CSV_TO_FIELD]
    existing = {s.code: s for s in session.scalars(select(Service).where(Service.site_id == site_id))}
    offset = len(existing)
    for index, spec in enumerate(specs):
        service = existing.get(spec.code)
        if service is None:
            create_field(session, site_id, FieldSpec(**{**spec.__dict__, "position": offset + index}), now, by_staff_id)
            created += 1
            continue
        before = field_dict(service)
        for attribute in present:
            if getattr(spec, attribute) is None and attribute in ("number_start", "number_end"):
                continue  # an empty cell keeps the field's numbers
            setattr(service, attribute, getattr(spec, attribute))
        problems = validate_field(FieldSpec(**{k: getattr(service, k) for k in FieldSpec.__dataclass_fields__}))
        if problems:
            raise errors.ValidationFailed(fields={f"{spec.code}.{k}": v for k, v in problems.items()})
        session.flush()
        if service.active:
            check_numbers_free(session, site_id, _numbering(service), except_id=service.id)
        audit(session, by_staff_id, site_id, "update", "service", service.id, before, field_dict(service), now)
        updated += 1
    return created, updated


def create_counter(session: Session, site_id: int, number: int, service_ids: Iterable[int], now: dt.datetime, *,
                   name: str = "", by_staff_id: int | None = None) -> Counter:
    if number < 1:
        raise errors.ValidationFailed(fields={"number": "at least 1"})
    if session.scalar(select(Counter.id).where(Counter.site_id == site_id, Counter.number == number)) is not None:
        raise errors.ValidationFailed(fields={"number": errors.N_("already exists")})
    counter = Counter(site_id=site_id, number=number, name=name or f"Quầy {number}")
    set_counter_services(session, counter, list(service_ids))
    session.add(counter)
    session.flush()
    audit(session, by_staff_id, site_id, "create", "counter", counter.id, None,
          {"number": number, "service_ids": list(counter.service_ids)}, now)
    activate_awaiting_fields(session, counter, now, by_staff_id)
    return counter


def set_counter_services(session: Session, counter: Counter, service_ids: list[int]) -> None:
    """The ordered list of fields a counter serves (first = served first)."""
    if len(set(service_ids)) != len(service_ids):
        raise errors.ValidationFailed(fields={"service_ids": "a field is listed twice"})
    for service_id in service_ids:
        service = session.get(Service, service_id)
        if service is None or service.site_id != counter.site_id:
            raise errors.ServiceNotFound()
    counter.service_links = [CounterService(service_id=sid, position=index) for index, sid in enumerate(service_ids)]


def create_priority_category(session: Session, site_id: int, code: str, name: str, now: dt.datetime, *,
                             name_en: str = "", level: int = 1, position: int = 0,
                             by_staff_id: int | None = None) -> PriorityCategory:
    category = PriorityCategory(site_id=site_id, code=code, name=name, name_en=name_en, level=level, position=position)
    session.add(category)
    session.flush()
    audit(session, by_staff_id, site_id, "create", "priority_category", category.id, None, {"code": code, "name": name}, now)
    return category


def set_working_hours(session: Session, site_id: int, periods: list[tuple[int, dt.time, dt.time]], now: dt.datetime,
                      by_staff_id: int | None = None) -> None:
    for weekday, opens, closes in periods:
        if not 0 <= weekday <= 6 or closes <= opens:
            raise errors.ValidationFailed(fields={"hours": errors.N_("the closing time must be after the opening time")})
    before = []
    for row in session.scalars(select(WorkingSession).where(WorkingSession.site_id == site_id)):
        before.append([row.weekday, row.opens_at.isoformat(), row.closes_at.isoformat()])
        session.delete(row)
    for weekday, opens, closes in periods:
        session.add(WorkingSession(site_id=site_id, weekday=weekday, opens_at=opens, closes_at=closes))
    audit(session, by_staff_id, site_id, "update", "working_hours", site_id, {"periods": sorted(before)},
          {"periods": [[w, o.isoformat(), c.isoformat()] for w, o, c in periods]}, now)


def first_site(session: Session) -> Site:
    site = session.scalar(select(Site).order_by(Site.id).limit(1))
    if site is None:
        raise errors.NotFound(message=errors.N_("No site exists yet. Run the demo seed or `python -m server init`."))
    return site


# --------------------------------------------------------------------------- changes made on the admin pages
# Field problems are catalogue msgids (N_), so the admin API can show them in Vietnamese.

def update_field(session: Session, service: Service, changes: dict[str, Any], now: dt.datetime,
                 by_staff_id: int | None = None) -> Service:
    """Change a field's name, numbering, quota or whether it takes tickets; the code stays."""
    before = field_dict(service)
    merged = {**before, **changes}
    spec = FieldSpec(code=service.code, name=merged["name"], name_en=merged["name_en"], group_name=merged["group_name"],
                     number_prefix=merged["number_prefix"], number_start=merged["number_start"],
                     number_end=merged["number_end"], number_width=merged["number_width"],
                     daily_quota=merged["daily_quota"], position=merged["position"],
                     average_service_s=int(changes.get("average_service_s", service.average_service_s)))
    problems = validate_field(spec)
    if problems:
        raise errors.ValidationFailed(fields=problems)
    if bool(changes.get("active", service.active)):
        check_numbers_free(session, service.site_id, _numbering(spec), except_id=service.id)
    for name in ("name", "name_en", "group_name", "number_prefix", "number_start", "number_end", "number_width",
                 "daily_quota", "position", "average_service_s"):
        setattr(service, name, getattr(spec, name))
    if "active" in changes:
        service.active = bool(changes["active"])
    after = field_dict(service)
    audit(session, by_staff_id, service.site_id, "update", "service", service.id, _changed(before, after),
          _changed(after, before), now)
    return service


def update_counter(session: Session, counter: Counter, now: dt.datetime, *, name: str | None = None,
                   active: bool | None = None, service_ids: list[int] | None = None,
                   by_staff_id: int | None = None) -> Counter:
    """Rename a counter, take it out of use, or change the ordered fields it serves."""
    before = counter_dict(counter)
    if name is not None:
        if not name.strip():
            raise errors.ValidationFailed(fields={"name": errors.N_("required")})
        counter.name = name.strip()
    if active is not None:
        if not active and counter.status is not CounterStatus.CLOSED:
            raise errors.ValidationFailed(fields={"active": errors.N_("close the counter before taking it out of use")})
        counter.active = active
    if service_ids is not None:
        set_counter_services(session, counter, service_ids)
    session.flush()
    after = counter_dict(counter)
    audit(session, by_staff_id, counter.site_id, "update", "counter", counter.id, _changed(before, after),
          _changed(after, before), now)
    if service_ids is not None:
        activate_awaiting_fields(session, counter, now, by_staff_id)
    return counter


def counter_dict(counter: Counter) -> dict[str, Any]:
    return {"number": counter.number, "name": counter.name, "active": counter.active,
            "service_ids": list(counter.service_ids)}


def staff_dict(staff: Staff) -> dict[str, Any]:
    return {"username": staff.username, "full_name": staff.full_name, "title": staff.title,
            "role": staff.role.value, "active": staff.active}


def update_staff(session: Session, staff: Staff, now: dt.datetime, *, full_name: str | None = None,
                 title: str | None = None, role: str | None = None, active: bool | None = None,
                 by_staff_id: int | None = None) -> Staff:
    """Change a staff member's name, title or role, or deactivate them (their log-ins end at once).
    The last active administrator can be neither demoted nor deactivated, and nobody deactivates themself."""
    before = staff_dict(staff)
    if role is not None and role not in {r.value for r in StaffRole}:
        raise errors.ValidationFailed(fields={"role": errors.N_("admin, supervisor, clerk or inspector")})
    losing_admin = staff.role is StaffRole.ADMIN and staff.active and (
        (role is not None and role != StaffRole.ADMIN.value) or active is False)
    if losing_admin:
        other_admins = session.scalar(select(func.count(Staff.id)).where(
            Staff.role == StaffRole.ADMIN, Staff.active.is_(True), Staff.id != staff.id)) or 0
        if other_admins == 0:
            raise errors.ValidationFailed(fields={"role": errors.N_("the last administrator must stay")})
    if active is False and staff.id == by_staff_id:
        raise errors.ValidationFailed(fields={"active": errors.N_("you cannot deactivate your own account")})
    if full_name is not None:
        staff.full_name = full_name.strip()
    if title is not None:
        staff.title = title.strip()
    if role is not None:
        staff.role = StaffRole(role)
        forget_credentials()  # a remembered log-in must not keep the old role
    if active is not None:
        staff.active = active
        if not active:
            _end_log_ins(session, staff, now)
            for counter in session.scalars(select(Counter).where(Counter.clerk_id == staff.id)):
                counter.clerk_id = None
                counter.status = CounterStatus.CLOSED
                counter.status_changed_at = now
    after = staff_dict(staff)
    audit(session, by_staff_id, staff.site_id, "update", "staff", staff.id, _changed(before, after),
          _changed(after, before), now)
    return staff


def reset_password(session: Session, staff: Staff, now: dt.datetime, by_staff_id: int | None = None) -> str:
    """A new generated password (returned once, never stored in clear); current log-ins end."""
    password = new_password()
    staff.password_hash = hash_password(password)
    _end_log_ins(session, staff, now)
    audit(session, by_staff_id, staff.site_id, "reset_password", "staff", staff.id, None, {"username": staff.username}, now)
    return password


def _end_log_ins(session: Session, staff: Staff, now: dt.datetime) -> None:
    forget_credentials()  # this process stops accepting the tokens at once
    for token in session.scalars(select(StaffToken).where(StaffToken.staff_id == staff.id,
                                                          StaffToken.revoked_at.is_(None))):
        token.revoked_at = now


def add_holiday(session: Session, site_id: int, day: dt.date, name: str, now: dt.datetime,
                by_staff_id: int | None = None) -> Holiday:
    if session.scalar(select(Holiday.id).where(Holiday.site_id == site_id, Holiday.date == day)) is not None:
        raise errors.ValidationFailed(fields={"date": errors.N_("this day is already a holiday")})
    holiday = Holiday(site_id=site_id, date=day, name=name.strip())
    session.add(holiday)
    session.flush()
    audit(session, by_staff_id, site_id, "create", "holiday", holiday.id, None,
          {"date": day.isoformat(), "name": holiday.name}, now)
    return holiday


def remove_holiday(session: Session, holiday: Holiday, now: dt.datetime, by_staff_id: int | None = None) -> None:
    audit(session, by_staff_id, holiday.site_id, "delete", "holiday", holiday.id,
          {"date": holiday.date.isoformat(), "name": holiday.name}, None, now)
    session.delete(holiday)


def priority_dict(category: PriorityCategory) -> dict[str, Any]:
    return {"code": category.code, "name": category.name, "name_en": category.name_en, "level": category.level,
            "active": category.active, "position": category.position}


def update_priority_category(session: Session, category: PriorityCategory, changes: dict[str, Any], now: dt.datetime,
                             by_staff_id: int | None = None) -> PriorityCategory:
    before = priority_dict(category)
    for name in ("name", "name_en", "level", "active", "position"):
        if name in changes and changes[name] is not None:
            setattr(category, name, changes[name])
    if not category.name.strip():
        raise errors.ValidationFailed(fields={"name": errors.N_("required")})
    after = priority_dict(category)
    audit(session, by_staff_id, category.site_id, "update", "priority_category", category.id,
          _changed(before, after), _changed(after, before), now)
    return category


SETTINGS_SECTIONS = ("rating", "voice", "alerts", "dossiers", "rating_flags", "clerk_trend", "leader_board")


def update_site_settings(session: Session, site: Site, changes: dict[str, Any], now: dt.datetime,
                         by_staff_id: int | None = None) -> list[str]:
    """Merge `changes` into the site's settings (one level deep for rating/voice/alerts), validate the
    whole through SiteSettings, save, audit; returns the names of the top-level settings that changed."""
    from pydantic import ValidationError

    from server.queue.site_settings import SiteSettings, site_settings

    current = site_settings(site.settings).model_dump(mode="json")
    merged = dict(current)
    for key, value in changes.items():
        if key in SETTINGS_SECTIONS and isinstance(value, dict):
            merged[key] = {**current.get(key, {}), **value}
        else:
            merged[key] = value
    try:
        validated = SiteSettings.model_validate(merged).model_dump(mode="json")
    except ValidationError as error:
        raise errors.ValidationFailed.from_pydantic(error) from None
    changed = [key for key in validated if validated[key] != current.get(key)]
    if changed:
        site.settings = {**(site.settings or {}), **{key: validated[key] for key in changed}}
        audit(session, by_staff_id, site.id, "update", "site_settings", site.id,
              {key: current.get(key) for key in changed}, {key: validated[key] for key in changed}, now)
    return changed


def audit_entries(session: Session, site_id: int | None, *, limit: int = 100, offset: int = 0,
                  entity: str | None = None) -> list[dict[str, Any]]:
    """The newest audit entries first, with who made each change."""
    query = (select(AuditEntry, Staff.username, Staff.full_name)
             .outerjoin(Staff, Staff.id == AuditEntry.staff_id)
             .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset))
    if site_id is not None:
        query = query.where((AuditEntry.site_id == site_id) | AuditEntry.site_id.is_(None))
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return [
        {"id": entry.id, "at": entry.created_at.isoformat(), "staff_id": entry.staff_id, "username": username,
         "staff_name": full_name, "action": entry.action, "entity": entry.entity, "entity_id": entry.entity_id,
         "before": entry.before, "after": entry.after}
        for entry, username, full_name in session.execute(query)
    ]


def _changed(mine: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Only the keys whose value differs: the audit shows what changed, not the whole record."""
    return {key: value for key, value in mine.items() if other.get(key) != value}
