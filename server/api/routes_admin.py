"""Administration API (admin role): fields, counters, staff, devices, hours, holidays, priority categories,
site settings and the audit list; plus the notice line, which supervisors may set too.

Every change goes through server/administration.py (which writes the audit entry) and is committed
together with a `settings_changed` (or `notice_changed`) event, so every screen of the site refreshes.
Validation problems come back in the reader's language (server/api/problems.py, for every route).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import jsonify, request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from server import administration, audit_text, errors
from server.api import api
from server.api.common import resolve_site_id
from server.api.schemas import Flag, Id, IsoDate, IsoTime, Query, QueryWhole, Strict, Whole
from server.api.validation import documented, json_body, query_args
from server.auth.access import allow, require_actor
from server.errors import N_
from server.models import Counter, Device, Holiday, PriorityCategory, Service, Site, Staff, WorkingSession
from server.queue import events as ev
from server.queue.site_settings import (AlertSettings, ClerkTrendSettings, DossierSettings, LeaderBoardSettings, KioskSettings, RatingFlagSettings, RatingSettings,
                                       VoiceSettings, kiosk_settings, site_settings)
from server.runtime import db_session, queue_service, runtime

# --------------------------------------------------------------------------- helpers

def _now() -> dt.datetime:
    return runtime().clock.now()


def _site() -> Site:
    """The administrator's site. A change locks its row first, as every writer of the core does (one lock
    order: site, then its rows), so an administrator's change and a device's report cannot deadlock."""
    actor = require_actor()
    query = select(Site).where(Site.id == resolve_site_id(actor, None))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        query = query.with_for_update()
    site = db_session().scalar(query)
    if site is None:
        raise errors.NotFound()
    return site


def _by() -> int | None:
    return require_actor().id


def _announce(site_id: int, what: str, event_type: str = ev.SETTINGS_CHANGED, **payload: Any) -> None:
    """Commit the change and its audit entry together with the event that tells screens to refresh."""
    queue_service().record_setting_change(site_id, event_type, {"what": what, **payload})


def _owned(model: Any, entity_id: int, site: Site) -> Any:
    row = db_session().get(model, entity_id)
    if row is None or getattr(row, "site_id", site.id) != site.id:
        raise errors.NotFound()
    return row


def _strict_types(*blocks: tuple[type[BaseModel], dict[str, Any] | None, str]) -> None:
    """The types of partial settings blocks (model, value, prefix), without coercion (`true` is not 1, "5"
    is not 5); bounds and merging stay with the administration code. When a type is wrong, every problem
    of every block is answered at once."""
    fields: dict[str, Any] = {}
    wrong_type = False
    for model, value, prefix in blocks:
        if value is None:
            continue
        try:
            model.model_validate(value, strict=True)
        except ValidationError as error:
            wrong_type = wrong_type or any(problem["type"].endswith("_type") for problem in error.errors())
            fields.update(errors.ValidationFailed.from_pydantic(error, prefix=prefix).fields)
    if wrong_type:
        raise errors.ValidationFailed(fields=fields)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


# --------------------------------------------------------------------------- fields (lĩnh vực)

class FieldCreate(Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    group_name: str = Field(default="", max_length=120)
    number_prefix: str = Field(default="", max_length=8)
    # Both left out: the next free block of numbers for the prefix (GET /admin/services/free-range).
    number_start: Whole | None = Field(default=None, ge=0)
    number_end: Whole | None = Field(default=None, ge=0)
    number_width: Whole = Field(default=0, ge=0, le=8)
    daily_quota: Whole | None = Field(default=None, ge=1)
    average_service_s: Whole = Field(default=300, ge=10, le=24 * 3600)


class FieldUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    group_name: str | None = Field(default=None, max_length=120)
    number_prefix: str | None = Field(default=None, max_length=8)
    number_start: Whole | None = Field(default=None, ge=0)
    number_end: Whole | None = Field(default=None, ge=0)
    number_width: Whole | None = Field(default=None, ge=0, le=8)
    daily_quota: Whole | None = Field(default=None, ge=1)
    clear_quota: Flag = False
    average_service_s: Whole | None = Field(default=None, ge=10, le=24 * 3600)
    active: Flag | None = None
    position: Whole | None = Field(default=None, ge=0)


class CatalogueImport(Strict):
    csv: str = Field(min_length=1, max_length=1_000_000)


def field_view(service: Service) -> dict[str, Any]:
    return {"id": service.id, **administration.field_dict(service), "average_service_s": service.average_service_s}


@api.get("/admin/services")
@allow("admin")
@documented("Fields (lĩnh vực) of the site, active or not", tags=("admin",))
def admin_services():  # type: ignore[no-untyped-def]
    site = _site()
    rows = db_session().scalars(select(Service).where(Service.site_id == site.id).order_by(Service.position, Service.id))
    return jsonify([field_view(service) for service in rows])


class FreeRangeQuery(Query):
    number_prefix: str = Field(default="", max_length=8, pattern=r"^[A-Za-z]*$")
    number_width: QueryWhole = Field(default=0, ge=0, le=8)


@api.get("/admin/services/free-range")
@allow("admin")
@documented("The next block of numbers no active field uses (the new-field form proposes it)",
            query=FreeRangeQuery, tags=("admin",))
def admin_free_range():  # type: ignore[no-untyped-def]
    query = query_args(FreeRangeQuery)
    free = administration.free_range(db_session(), _site().id, query.number_prefix.upper(), query.number_width)
    return jsonify({"number_prefix": free.prefix, "number_start": free.start, "number_end": free.end,
                    "number_width": free.width})


@api.post("/admin/services")
@allow("admin")
@documented("Create a field", body=FieldCreate, responses={201: "the field"}, tags=("admin",))
def admin_create_service():  # type: ignore[no-untyped-def]
    data = json_body(FieldCreate)
    site = _site()
    session = db_session()
    if session.scalar(select(Service.id).where(Service.site_id == site.id, Service.code == data.code)) is not None:
        raise errors.ValidationFailed(fields={"code": N_("already exists")})
    position = len(session.scalars(select(Service.id).where(Service.site_id == site.id)).all())
    spec = administration.FieldSpec(**data.model_dump(), position=position)
    service = administration.create_field(session, site.id, spec, _now(), by_staff_id=_by())
    _announce(site.id, "services")
    response = jsonify(field_view(service))
    response.status_code = 201
    return response


@api.patch("/admin/services/<int:service_id>")
@allow("admin")
@documented("Change a field (name, numbers, quota, in use)", body=FieldUpdate, tags=("admin",))
def admin_update_service(service_id: int):  # type: ignore[no-untyped-def]
    data = json_body(FieldUpdate)
    site = _site()
    service = _owned(Service, service_id, site)
    changes = {key: value for key, value in data.model_dump(exclude={"clear_quota"}).items() if value is not None}
    if data.clear_quota:
        changes["daily_quota"] = None
    administration.update_field(db_session(), service, changes, _now(), by_staff_id=_by())
    _announce(site.id, "services")
    return jsonify(field_view(service))


@api.post("/admin/services/import")
@allow("admin")
@documented("Import a field catalogue (CSV: code,name,name_en,group,prefix,start,end,width,quota,average_service_s)",
            body=CatalogueImport, tags=("admin",))
def admin_import_services():  # type: ignore[no-untyped-def]
    data = json_body(CatalogueImport)
    site = _site()
    created, updated = administration.import_field_catalogue(db_session(), site.id, data.csv, _now(), by_staff_id=_by())
    _announce(site.id, "services")
    return jsonify({"created": created, "updated": updated})


# --------------------------------------------------------------------------- counters

class CounterCreate(Strict):
    number: Whole = Field(ge=1, le=999)
    name: str = Field(default="", max_length=120)
    service_ids: list[Id] = Field(default_factory=list, max_length=100)


class CounterUpdate(Strict):
    name: str | None = Field(default=None, max_length=120)
    active: Flag | None = None
    service_ids: list[Id] | None = Field(default=None, max_length=100)


def counter_view(counter: Counter) -> dict[str, Any]:
    clerk = counter.clerk
    return {"id": counter.id, **administration.counter_dict(counter), "status": counter.status.value,
            "clerk": {"id": clerk.id, "full_name": clerk.full_name, "username": clerk.username} if clerk else None}


@api.get("/admin/counters")
@allow("admin")
@documented("Counters with the ordered fields each serves", tags=("admin",))
def admin_counters():  # type: ignore[no-untyped-def]
    site = _site()
    rows = db_session().scalars(select(Counter).where(Counter.site_id == site.id).order_by(Counter.number))
    return jsonify([counter_view(counter) for counter in rows])


@api.post("/admin/counters")
@allow("admin")
@documented("Create a counter", body=CounterCreate, responses={201: "the counter"}, tags=("admin",))
def admin_create_counter():  # type: ignore[no-untyped-def]
    data = json_body(CounterCreate)
    site = _site()
    session = db_session()
    if session.scalar(select(Counter.id).where(Counter.site_id == site.id, Counter.number == data.number)) is not None:
        raise errors.ValidationFailed(fields={"number": N_("already exists")})
    _check_services(site, data.service_ids)
    counter = administration.create_counter(session, site.id, data.number, data.service_ids, _now(), name=data.name,
                                            by_staff_id=_by())
    _announce(site.id, "counters")
    response = jsonify(counter_view(counter))
    response.status_code = 201
    return response


def _check_services(site: Site, service_ids: list[int]) -> None:
    known = set(db_session().scalars(select(Service.id).where(Service.site_id == site.id)))
    if any(service_id not in known for service_id in service_ids):
        raise errors.ValidationFailed(fields={"service_ids": N_("unknown field")})


@api.patch("/admin/counters/<int:counter_id>")
@allow("admin")
@documented("Change a counter: name, in use, the ordered fields it serves", body=CounterUpdate, tags=("admin",))
def admin_update_counter(counter_id: int):  # type: ignore[no-untyped-def]
    data = json_body(CounterUpdate)
    site = _site()
    counter = _owned(Counter, counter_id, site)
    if data.service_ids is not None:
        _check_services(site, data.service_ids)
    administration.update_counter(db_session(), counter, _now(), name=data.name, active=data.active,
                                  service_ids=data.service_ids, by_staff_id=_by())
    _announce(site.id, "counters")
    return jsonify(counter_view(counter))


# --------------------------------------------------------------------------- staff

Role = Literal["admin", "supervisor", "clerk", "inspector"]


class StaffCreate(Strict):
    username: str = Field(min_length=2, max_length=64)
    role: Role
    full_name: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=120)


class StaffUpdate(Strict):
    full_name: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=120)
    role: Role | None = None
    active: Flag | None = None


def staff_view(staff: Staff) -> dict[str, Any]:
    return {"id": staff.id, **administration.staff_dict(staff), "created_at": _iso(staff.created_at),
            "last_login_at": _iso(staff.last_login_at)}


@api.get("/admin/staff")
@allow("admin")
@documented("Staff accounts and roles", tags=("admin",))
def admin_staff():  # type: ignore[no-untyped-def]
    site = _site()
    rows = db_session().scalars(select(Staff).where((Staff.site_id == site.id) | Staff.site_id.is_(None))
                                .order_by(Staff.active.desc(), Staff.role, Staff.username))
    return jsonify([staff_view(staff) for staff in rows])


@api.post("/admin/staff")
@allow("admin")
@documented("Create a staff account; the generated password is in the answer, once",
            body=StaffCreate, responses={201: "the account and its password"}, tags=("admin",))
def admin_create_staff():  # type: ignore[no-untyped-def]
    data = json_body(StaffCreate)
    site = _site()
    staff, password = administration.create_staff(db_session(), data.username, data.role, _now(), site_id=site.id,
                                                  full_name=data.full_name, title=data.title, by_staff_id=_by())
    db_session().commit()
    response = jsonify({**staff_view(staff), "password": password})
    response.status_code = 201
    return response


@api.patch("/admin/staff/<int:staff_id>")
@allow("admin")
@documented("Change a staff member's name, title, role, or deactivate the account", body=StaffUpdate, tags=("admin",))
def admin_update_staff(staff_id: int):  # type: ignore[no-untyped-def]
    data = json_body(StaffUpdate)
    site = _site()
    staff = db_session().get(Staff, staff_id)
    if staff is None or staff.site_id not in (site.id, None):
        raise errors.NotFound()
    administration.update_staff(db_session(), staff, _now(), full_name=data.full_name, title=data.title,
                                role=data.role, active=data.active, by_staff_id=_by())
    _announce(site.id, "staff")
    return jsonify(staff_view(staff))


@api.post("/admin/staff/<int:staff_id>/reset-password")
@allow("admin")
@documented("Give a staff member a new generated password (shown once); their log-ins end", tags=("admin",))
def admin_reset_password(staff_id: int):  # type: ignore[no-untyped-def]
    site = _site()
    staff = db_session().get(Staff, staff_id)
    if staff is None or staff.site_id not in (site.id, None):
        raise errors.NotFound()
    password = administration.reset_password(db_session(), staff, _now(), by_staff_id=_by())
    db_session().commit()
    return jsonify({"id": staff.id, "username": staff.username, "password": password})


# --------------------------------------------------------------------------- devices

class DeviceCreate(Strict):
    kind: Literal["kiosk", "display", "rating_terminal", "bridge"]
    name: str = Field(min_length=1, max_length=120)
    counter_id: Id | None = None


class DeviceUpdate(Strict):
    """A new name, and for a kiosk any of its own settings (validated through KioskSettings)."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    settings: dict[str, Any] | None = None


def device_view(device: Device) -> dict[str, Any]:
    view = {"id": device.id, "kind": device.kind.value, "name": device.name, "counter_id": device.counter_id,
            "key_hint": device.key_hint, "status": device.status, "last_seen_at": _iso(device.last_seen_at),
            "created_at": _iso(device.created_at), "revoked_at": _iso(device.revoked_at),
            "hardware": device.hardware_status}
    if device.kind.value == "kiosk":
        view["settings"] = kiosk_settings(device.settings).model_dump()
    return view


@api.get("/admin/devices")
@allow("admin")
@documented("Devices with their key hints (never the keys)", tags=("admin",))
def admin_devices():  # type: ignore[no-untyped-def]
    site = _site()
    rows = db_session().scalars(select(Device).where(Device.site_id == site.id).order_by(Device.id))
    return jsonify([device_view(device) for device in rows])


@api.post("/admin/devices")
@allow("admin")
@documented("Register a device; its key is in the answer, once", body=DeviceCreate,
            responses={201: "the device and its key"}, tags=("admin",))
def admin_create_device():  # type: ignore[no-untyped-def]
    data = json_body(DeviceCreate)
    site = _site()
    if data.counter_id is not None:
        _owned(Counter, data.counter_id, site)
    device, key = administration.create_device(db_session(), site.id, data.kind, data.name, _now(),
                                               counter_id=data.counter_id, by_staff_id=_by())
    _announce(site.id, "devices")
    response = jsonify({**device_view(device), "key": key})
    response.status_code = 201
    return response


@api.patch("/admin/devices/<int:device_id>")
@allow("admin")
@documented("Rename a device or change a kiosk's own settings (printer, paper width, timers)", body=DeviceUpdate,
            tags=("admin",))
def admin_update_device(device_id: int):  # type: ignore[no-untyped-def]
    data = json_body(DeviceUpdate)
    _strict_types((KioskSettings, data.settings, "settings."))
    site = _site()
    device = _owned(Device, device_id, site)
    administration.update_device(db_session(), device, data.model_dump(exclude_none=True), _now(), by_staff_id=_by())
    # settings_changed reaches the kiosk too (site room): it asks for a new snapshot, whose `kiosk` block
    # carries these settings, and applies them without a reload.
    _announce(site.id, "devices", device_id=device.id)
    return jsonify(device_view(device))


@api.post("/admin/devices/<int:device_id>/rotate-key")
@allow("admin")
@documented("Issue a new key for a device (shown once); the old key stops working", tags=("admin",))
def admin_rotate_device_key(device_id: int):  # type: ignore[no-untyped-def]
    site = _site()
    device = _owned(Device, device_id, site)
    key = administration.rotate_device_key(db_session(), device, _now(), by_staff_id=_by())
    _announce(site.id, "devices")
    return jsonify({**device_view(device), "key": key})


@api.post("/admin/devices/<int:device_id>/revoke")
@allow("admin")
@documented("Revoke a device's key (a lost or replaced device)", tags=("admin",))
def admin_revoke_device(device_id: int):  # type: ignore[no-untyped-def]
    site = _site()
    device = _owned(Device, device_id, site)
    administration.revoke_device(db_session(), device, _now(), by_staff_id=_by())
    _announce(site.id, "devices")
    return jsonify(device_view(device))


# --------------------------------------------------------------------------- working hours and holidays

class WorkingPeriodBody(Strict):
    weekday: Whole = Field(ge=0, le=6)
    opens_at: IsoTime
    closes_at: IsoTime


class HoursBody(Strict):
    periods: list[WorkingPeriodBody] = Field(max_length=50)


class HolidayBody(Strict):
    date: IsoDate
    name: str = Field(default="", max_length=200)


@api.get("/admin/hours")
@allow("admin")
@documented("Working sessions per weekday (0 = Monday) and the holidays", tags=("admin",))
def admin_hours():  # type: ignore[no-untyped-def]
    site = _site()
    session = db_session()
    periods = session.scalars(select(WorkingSession).where(WorkingSession.site_id == site.id)
                              .order_by(WorkingSession.weekday, WorkingSession.opens_at))
    holidays = session.scalars(select(Holiday).where(Holiday.site_id == site.id).order_by(Holiday.date))
    return jsonify({
        "periods": [{"weekday": p.weekday, "opens_at": p.opens_at.strftime("%H:%M"),
                     "closes_at": p.closes_at.strftime("%H:%M:%S") if p.closes_at.second else p.closes_at.strftime("%H:%M")}
                    for p in periods],
        "holidays": [{"id": h.id, "date": h.date.isoformat(), "name": h.name} for h in holidays],
        "cutoff": site_settings(site.settings).cutoff.strftime("%H:%M") if site_settings(site.settings).cutoff else None,
    })


@api.put("/admin/hours")
@allow("admin")
@documented("Replace the working sessions", body=HoursBody, tags=("admin",))
def admin_set_hours():  # type: ignore[no-untyped-def]
    data = json_body(HoursBody)
    site = _site()
    for index, period in enumerate(data.periods):
        if period.closes_at <= period.opens_at:
            raise errors.ValidationFailed(fields={f"periods.{index}.closes_at": N_("the closing time must be after the opening time")})
    administration.set_working_hours(db_session(), site.id, [(p.weekday, p.opens_at, p.closes_at) for p in data.periods],
                                     _now(), by_staff_id=_by())
    _announce(site.id, "hours")
    return admin_hours()


@api.post("/admin/holidays")
@allow("admin")
@documented("Add a holiday (no tickets that day)", body=HolidayBody, responses={201: "the holiday"}, tags=("admin",))
def admin_add_holiday():  # type: ignore[no-untyped-def]
    data = json_body(HolidayBody)
    site = _site()
    holiday = administration.add_holiday(db_session(), site.id, data.date, data.name, _now(), by_staff_id=_by())
    _announce(site.id, "hours")
    response = jsonify({"id": holiday.id, "date": holiday.date.isoformat(), "name": holiday.name})
    response.status_code = 201
    return response


@api.delete("/admin/holidays/<int:holiday_id>")
@allow("admin")
@documented("Remove a holiday", tags=("admin",))
def admin_remove_holiday(holiday_id: int):  # type: ignore[no-untyped-def]
    site = _site()
    holiday = _owned(Holiday, holiday_id, site)
    administration.remove_holiday(db_session(), holiday, _now(), by_staff_id=_by())
    _announce(site.id, "hours")
    return jsonify({"ok": True})


# --------------------------------------------------------------------------- priority categories

class PriorityCreate(Strict):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    level: Whole = Field(default=1, ge=1, le=9)


class PriorityUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    level: Whole | None = Field(default=None, ge=1, le=9)
    active: Flag | None = None
    position: Whole | None = Field(default=None, ge=0)


def priority_view(category: PriorityCategory) -> dict[str, Any]:
    return {"id": category.id, **administration.priority_dict(category)}


@api.get("/admin/priorities")
@allow("admin")
@documented("Priority categories (người cao tuổi, người khuyết tật, …)", tags=("admin",))
def admin_priorities():  # type: ignore[no-untyped-def]
    site = _site()
    rows = db_session().scalars(select(PriorityCategory).where(PriorityCategory.site_id == site.id)
                                .order_by(PriorityCategory.position, PriorityCategory.id))
    return jsonify([priority_view(category) for category in rows])


@api.post("/admin/priorities")
@allow("admin")
@documented("Add a priority category", body=PriorityCreate, responses={201: "the category"}, tags=("admin",))
def admin_create_priority():  # type: ignore[no-untyped-def]
    data = json_body(PriorityCreate)
    site = _site()
    session = db_session()
    if session.scalar(select(PriorityCategory.id).where(PriorityCategory.site_id == site.id,
                                                        PriorityCategory.code == data.code)) is not None:
        raise errors.ValidationFailed(fields={"code": N_("already exists")})
    position = len(session.scalars(select(PriorityCategory.id).where(PriorityCategory.site_id == site.id)).all())
    category = administration.create_priority_category(session, site.id, data.code, data.name, _now(),
                                                       name_en=data.name_en, level=data.level, position=position,
                                                       by_staff_id=_by())
    _announce(site.id, "priorities")
    response = jsonify(priority_view(category))
    response.status_code = 201
    return response


@api.patch("/admin/priorities/<int:category_id>")
@allow("admin")
@documented("Change a priority category", body=PriorityUpdate, tags=("admin",))
def admin_update_priority(category_id: int):  # type: ignore[no-untyped-def]
    data = json_body(PriorityUpdate)
    site = _site()
    category = _owned(PriorityCategory, category_id, site)
    administration.update_priority_category(db_session(), category, data.model_dump(exclude_none=True), _now(),
                                            by_staff_id=_by())
    _announce(site.id, "priorities")
    return jsonify(priority_view(category))


# --------------------------------------------------------------------------- site settings and the notice line

class SettingsBody(Strict):
    """Any subset of the site settings; rating/voice/alerts are merged one level deep."""

    rating: dict[str, Any] | None = None
    voice: dict[str, Any] | None = None
    alerts: dict[str, Any] | None = None
    dossiers: dict[str, Any] | None = None
    rating_flags: dict[str, Any] | None = None
    clerk_trend: dict[str, Any] | None = None
    leader_board: dict[str, Any] | None = None
    notice: str | None = Field(default=None, max_length=300)
    guidance: str | None = Field(default=None, max_length=300)
    cutoff: str | None = None
    max_priority_in_row: Whole | None = None
    field_order: str | None = None
    paper_width_mm: Whole | None = None
    recent_calls: Whole | None = None


class NoticeBody(Strict):
    notice: str = Field(default="", max_length=300)


@api.get("/admin/settings")
@allow("admin")
@documented("The site settings (rating buttons and reasons, voice, alerts, notice, cut-off, …)", tags=("admin",))
def admin_settings():  # type: ignore[no-untyped-def]
    return jsonify(site_settings(_site().settings).model_dump(mode="json"))


@api.patch("/admin/settings")
@allow("admin")
@documented("Change site settings (validated as a whole)", body=SettingsBody, tags=("admin",))
def admin_update_settings():  # type: ignore[no-untyped-def]
    data = json_body(SettingsBody)
    _strict_types((RatingSettings, data.rating, "rating."), (VoiceSettings, data.voice, "voice."),
                  (AlertSettings, data.alerts, "alerts."), (DossierSettings, data.dossiers, "dossiers."),
                  (RatingFlagSettings, data.rating_flags, "rating_flags."),
                  (ClerkTrendSettings, data.clerk_trend, "clerk_trend."),
                  (LeaderBoardSettings, data.leader_board, "leader_board."))
    site = _site()
    changes = {key: value for key, value in data.model_dump(exclude_unset=True).items()}
    changed = administration.update_site_settings(db_session(), site, changes, _now(), by_staff_id=_by())
    if not changed:
        db_session().rollback()
    if "notice" in changed:
        queue_service().record_setting_change(site.id, ev.NOTICE_CHANGED, {"notice": site_settings(site.settings).notice})
    if [key for key in changed if key != "notice"]:
        _announce(site.id, "settings", changed=changed)
    return jsonify({"changed": changed, "settings": site_settings(site.settings).model_dump(mode="json")})


@api.put("/notice")
@allow("supervisor", "admin")
@documented("Set the notice line shown on the hall displays (empty to clear)", body=NoticeBody, tags=("dashboard",))
def set_notice():  # type: ignore[no-untyped-def]
    data = json_body(NoticeBody)
    site = _site()
    administration.update_site_settings(db_session(), site, {"notice": data.notice}, _now(), by_staff_id=_by())
    queue_service().record_setting_change(site.id, ev.NOTICE_CHANGED, {"notice": data.notice})
    return jsonify({"notice": data.notice})


# --------------------------------------------------------------------------- the audit list

class AuditQuery(Query):
    limit: QueryWhole = Field(default=100, ge=1, le=500)
    offset: QueryWhole = Field(default=0, ge=0)
    entity: str | None = Field(default=None, max_length=64)


@api.get("/admin/audit")
@allow("admin")
@documented("Audit entries, newest first, each with `text`: the change as a sentence in the reader's language",
            query=AuditQuery, tags=("admin",))
def admin_audit():  # type: ignore[no-untyped-def]
    site = _site()
    query = query_args(AuditQuery)
    entries = administration.audit_entries(db_session(), site.id, limit=query.limit, offset=query.offset,
                                           entity=query.entity or None)
    names = audit_text.Names(db_session(), site.id)
    for entry in entries:
        entry["text"] = audit_text.describe(entry, names)
    return jsonify(entries)
