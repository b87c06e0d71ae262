"""Command line: `python -m server <command>`. Every command reads the same HANGCHO_* settings."""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlalchemy import select

from server import administration
from server.db import make_engine, make_session_factory
from server.demo import database_is_empty, seed_demo
from server.province.demo import DEMO_UPLINK_KEY
from server.errors import HangChoError
from server.migrate import upgrade
from server.models import Counter, Service
from server.queue.clock import SystemClock
from server.queue.service import QueueService
from server.settings import PROJECT_ROOT, VAR_DIR, Settings, load_settings

logger = logging.getLogger(__name__)


def _session(settings: Settings):  # type: ignore[no-untyped-def]
    """A write session closed (rolled back if not committed) when the command ends, even on error."""
    engine = make_engine(settings.database_url)
    session = make_session_factory(engine, writing=True)()
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(engine.dispose)  # runs last: close callbacks run in reverse order
        context.call_on_close(session.close)
    return session


def _now() -> dt.datetime:
    return SystemClock().now()


def _fail(error: HangChoError) -> None:
    details = error.details()
    raise click.ClickException(f"{error.code}: {error.message % error.params if error.params else error.message}"
                               + (f" {json.dumps(details, ensure_ascii=False)}" if details else ""))


@click.group()
def cli() -> None:
    """Hàng Chờ: queue tickets and citizen ratings for one-stop centres."""
    logging.basicConfig(level=os.environ.get("HANGCHO_LOG_LEVEL", "INFO"), format="%(levelname)s %(name)s: %(message)s")


@cli.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic)."""
    settings = load_settings()
    upgrade(settings.database_url)
    click.echo(f"database at the newest schema: {settings.database_url.split('@')[-1]}")


@cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has a site.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo centre (demo passwords and keys only with HANGCHO_DEMO=1)."""
    settings = load_settings()
    upgrade(settings.database_url)
    session = _session(settings)
    if not database_is_empty(session):
        if if_empty:
            click.echo("database already has a site; demo seed skipped")
            return
        raise click.ClickException("the database already has a site")
    result = seed_demo(session, _now(), demo_mode=settings.demo)
    click.echo(json.dumps({"passwords": result.passwords, "device_keys": result.device_keys}, ensure_ascii=False, indent=2))


@cli.command()
@click.option("--centre", "centre_name", required=True, help="e.g. Trung tâm Phục vụ hành chính công xã …")
@click.option("--site", "site_name", default="Trụ sở chính", show_default=True)
@click.option("--timezone", default="Asia/Ho_Chi_Minh", show_default=True)
def init(centre_name: str, site_name: str, timezone: str) -> None:
    """Start a real (non-demo) install: a centre, a site and an admin with a generated password, shown once."""
    settings = load_settings()
    upgrade(settings.database_url)
    session = _session(settings)
    if not database_is_empty(session):
        raise click.ClickException("the database already has a site")
    now = _now()
    site = administration.create_centre_and_site(session, centre_name, site_name, now, timezone=timezone)
    _, password = administration.create_staff(session, "admin", "admin", now, site_id=site.id, full_name="Quản trị hệ thống")
    session.commit()
    click.echo(f"site {site.id} created. admin password (shown once): {password}")


@cli.command("create-staff")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "supervisor", "clerk", "inspector"]), required=True)
@click.option("--full-name", default="")
@click.option("--title", default="", help="chức danh, shown on the rating terminal")
@click.option("--password", default=None, help="omit to generate one (shown once)")
def create_staff(username: str, role: str, full_name: str, title: str, password: str | None) -> None:
    """Create a staff account."""
    session = _session(load_settings())
    try:
        site = administration.first_site(session)
        staff, generated = administration.create_staff(session, username, role, _now(), site_id=site.id,
                                                       full_name=full_name, title=title, password=password)
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"staff {staff.username} ({role}) created" + (f"; password (shown once): {generated}" if generated else ""))


@cli.command("create-device")
@click.option("--kind", type=click.Choice(["kiosk", "display", "rating_terminal", "bridge"]), required=True)
@click.option("--name", required=True)
@click.option("--counter", "counter_number", type=int, default=None, help="counter number (rating terminals)")
def create_device(kind: str, name: str, counter_number: int | None) -> None:
    """Register a device and print its key once."""
    session = _session(load_settings())
    try:
        site = administration.first_site(session)
        counter_id = None
        if counter_number is not None:
            counter_id = session.scalar(select(Counter.id).where(Counter.site_id == site.id, Counter.number == counter_number))
            if counter_id is None:
                raise click.ClickException(f"no counter {counter_number}")
        device, key = administration.create_device(session, site.id, kind, name, _now(), counter_id=counter_id)
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"device {device.id} ({kind}) created. key (shown once): {key}")


@cli.command("create-field")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--name-en", default="")
@click.option("--group", "group_name", default="")
@click.option("--prefix", default="", help="letter prefix, e.g. A for A001")
@click.option("--start", type=int, default=None, help="first number (default: 1 with --end, else the next free block, e.g. 6001)")
@click.option("--end", type=int, default=None, help="last number (default: the end of that block, e.g. 6999)")
@click.option("--width", type=int, default=0, help="zero padding, e.g. 3 for A005")
@click.option("--quota", type=int, default=None, help="tickets per day")
def create_field(code: str, name: str, name_en: str, group_name: str, prefix: str, start: int | None, end: int | None,
                 width: int, quota: int | None) -> None:
    """Create a field (lĩnh vực) with its number format."""
    session = _session(load_settings())
    if start is None and end is not None:
        start = 1  # "--end 999" alone: 1–999, as before
    try:
        site = administration.first_site(session)
        position = len(session.scalars(select(Service.id).where(Service.site_id == site.id)).all())
        service = administration.create_field(session, site.id, administration.FieldSpec(
            code, name, name_en, group_name, prefix, start, end, width, quota, 300, position), _now())
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"field {service.code} created (id {service.id})")


@cli.command("create-counter")
@click.option("--number", type=int, required=True)
@click.option("--fields", required=True, help="field codes in calling order, comma-separated")
@click.option("--name", default="")
def create_counter(number: int, fields: str, name: str) -> None:
    """Create a counter serving the given fields, in order."""
    session = _session(load_settings())
    try:
        site = administration.first_site(session)
        codes = [code.strip() for code in fields.split(",") if code.strip()]
        by_code = {s.code: s.id for s in session.scalars(select(Service).where(Service.site_id == site.id))}
        unknown = [code for code in codes if code not in by_code]
        if unknown:
            raise click.ClickException("unknown field code(s): " + ", ".join(unknown))
        counter = administration.create_counter(session, site.id, number, [by_code[c] for c in codes], _now(), name=name)
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"counter {counter.number} created (id {counter.id})")


@cli.command("import-fields")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_fields(csv_file: Path) -> None:
    """Import a field catalogue CSV (code,name[,name_en,group,prefix,start,end,width,quota,average_service_s])."""
    session = _session(load_settings())
    try:
        site = administration.first_site(session)
        created, updated = administration.import_field_catalogue(session, site.id, csv_file.read_text("utf-8"), _now())
        session.commit()
    except HangChoError as error:
        session.rollback()
        _fail(error)
    click.echo(f"{created} field(s) created, {updated} updated")


@cli.command("expire-day")
def expire_day() -> None:
    """Expire tickets left open from earlier business days (the server also does this by itself)."""
    settings = load_settings()
    session = _session(settings)
    site = administration.first_site(session)
    count = QueueService(session).expire_previous_days(site.id)
    click.echo(f"{count} ticket(s) expired")


@cli.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
def serve(host: str | None, port: int | None) -> None:
    """Run the server (no migration, no seed)."""
    from server import create_app
    from server.serve import serve as run_server

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = load_settings(**overrides)
    run_server(create_app(settings), settings.host, settings.port)


@cli.command()
def demo() -> None:
    """What `make run` does: migrate, seed the demo when empty, start the server and the simulated devices."""
    os.environ.setdefault("HANGCHO_DEMO", "1")
    settings = load_settings()
    if settings.is_central:
        _demo_central(settings)
        return
    upgrade(settings.database_url)
    session = _session(settings)
    seeded = None
    if database_is_empty(session):
        seeded = seed_demo(session, _now(), demo_mode=settings.demo)
    session.close()
    env = dict(os.environ)
    children: list[subprocess.Popen] = []
    central_settings = None
    if not settings.central_url and settings.central.lower() != "off":
        # The demo central beside the demo site; the site uplinks to it with the demo key.
        central_settings, central_process = _start_demo_central(settings)
        children.append(central_process)
        env.update(HANGCHO_CENTRAL_URL=central_settings.base_url, HANGCHO_UPLINK_KEY=DEMO_UPLINK_KEY)
    server = subprocess.Popen([sys.executable, "-m", "server", "serve"], env=env, cwd=PROJECT_ROOT)
    children.append(server)
    _wait_for_health(settings.base_url)
    if settings.bridge.lower() != "off":
        children += _start_simulated_devices(settings)
    _print_welcome(settings, seeded)
    if central_settings is not None:
        click.echo("\n".join(central_welcome_lines(central_settings)))
    _supervise(server, children)


CENTRAL_DATABASE = VAR_DIR / "central.sqlite3"


def _central_settings(site_settings: Settings) -> Settings:
    return load_settings(role="central", port=site_settings.central_port, host=site_settings.host, public_base_url="",
                         database_url=os.environ.get("HANGCHO_CENTRAL_DATABASE_URL", f"sqlite:///{CENTRAL_DATABASE}"))


def _start_demo_central(site_settings: Settings) -> tuple[Settings, subprocess.Popen]:
    """`HANGCHO_ROLE=central python -m server demo` on HANGCHO_CENTRAL_PORT, with its own database."""
    central = _central_settings(site_settings)
    env = {**os.environ, "HANGCHO_ROLE": "central", "HANGCHO_PORT": str(central.port),
           "HANGCHO_DATABASE_URL": central.database_url, "HANGCHO_PUBLIC_BASE_URL": "", "HANGCHO_CENTRAL_QUIET": "1"}
    env.pop("HANGCHO_MESSAGE_QUEUE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "server", "demo"], env=env, cwd=PROJECT_ROOT)
    _wait_for_health(central.base_url, timeout_s=60)
    return central, process


def _demo_central(settings: Settings) -> None:
    """The demo central alone: migrate, seed the demo accounts and sites once, serve; the simulated
    communes' history is ingested in the background (the board answers at once)."""
    from server.province.demo import seed_demo_central

    upgrade(settings.database_url)
    session = _session(settings)
    seed_demo_central(session, _now())
    session.close()
    server = subprocess.Popen([sys.executable, "-m", "server", "serve"], env=dict(os.environ), cwd=PROJECT_ROOT)
    _wait_for_health(settings.base_url, timeout_s=60)
    history = subprocess.Popen([sys.executable, "-m", "server", "central", "seed-demo-history",
                                "--simulate", settings.base_url], env=dict(os.environ),
                               cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    if not os.environ.get("HANGCHO_CENTRAL_QUIET"):
        click.echo("\n".join(central_welcome_lines(settings)))
    children = [server, history]
    _supervise(server, children)


def central_welcome_lines(settings: Settings) -> list[str]:
    """The demo central's URLs and log-ins, printed by `make run` after the site's."""
    base = settings.base_url
    return [
        "Province (central) server, demo:",
        f"  Province live board:     {base}/province   (tinh / demo: province leader)",
        f"  Rankings:                {base}/province/rankings",
        f"  Waiting times (public):  {base}/wait",
        f"  Inspector:               {base}/province   (thanhtra / demo: read + verify)",
        f"  Central administrator:   admin / demo",
        f"  API:                     {base}/api/v1/province/sites, {base}/api/v1/openapi.json",
        f"  The demo site uplinks to it with the key {DEMO_UPLINK_KEY}; HANGCHO_CENTRAL=off starts the site alone.",
        "",
    ]


def _wait_for_health(base_url: str, timeout_s: float = 30) -> None:
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(base_url + "/api/v1/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise click.ClickException(f"the server did not answer at {base_url}")


def _start_simulated_devices(settings: Settings) -> list[subprocess.Popen]:
    """The simulated printer, LED displays and keypads on pty pairs, and a bridge driving them."""
    device_map = VAR_DIR / "devices.json"
    device_map.unlink(missing_ok=True)
    sim = subprocess.Popen([sys.executable, "-m", "hardware.sim", "--write-device-map", str(device_map),
                            "--print-dir", str(VAR_DIR / "sim-printouts"), "--no-stdin"],
                           cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not device_map.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not device_map.exists():
        logger.error("the device simulator did not start; continuing without the bridge")
        return [sim]
    bridge = subprocess.Popen([sys.executable, "-m", "hardware.bridge", "--server", settings.base_url,
                               "--key", "demo-bridge-1", "--device-map", str(device_map)], cwd=PROJECT_ROOT)
    return [sim, bridge]


def detect_lan_address() -> str | None:
    """This computer's address on its local network (the one its default route leaves from), or None.

    Connecting a UDP socket sends nothing; it only asks the kernel which source address it would use.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere, no packet leaves
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if ipaddress.ip_address(address).is_loopback else address


def phone_page_lines(settings: Settings, lan_address: str | None) -> list[str]:
    """Where the ticket QR codes point, and one warning line when no phone can open that address."""
    base = settings.base_url
    lines = [f"  Phone page (ticket QR):  {base}/t/<token>"]
    host = urlsplit(base).hostname or ""
    try:
        address = ipaddress.ip_address(host)
        unreachable = address.is_loopback or address.is_unspecified
    except ValueError:
        unreachable = host == "localhost"
    if unreachable:
        target = f"http://{lan_address or '<LAN address>'}:{settings.port}"
        lines.append(f"  ! Phones cannot open {host} (this computer only): restart with "
                     f"HANGCHO_PUBLIC_BASE_URL={target} HANGCHO_HOST={lan_address or '0.0.0.0'} make run")
    return lines


def _print_welcome(settings: Settings, seeded: object) -> None:
    click.echo("\n".join(welcome_lines(settings, detect_lan_address())))


def welcome_lines(settings: Settings, lan_address: str | None) -> list[str]:
    """What `make run` prints once everything is up: every screen, the log-ins, the phone page."""
    base = settings.base_url
    lines = [
        "",
        "Hàng Chờ is running.",
        f"  Kiosk (take a number):   {base}/kiosk?key=demo-kiosk-1",
        f"  Hall display + voice:    {base}/display/hall?key=demo-display-1",
        f"  Counter display (1):     {base}/display/counter/1?key=demo-display-1",
        f"  Rating terminal (1):     {base}/rating/1?key=demo-rating-1",
        f"  Counter console:         {base}/counter     (canbo1 … canbo4 / demo)",
        f"  Dashboard and reports:   {base}/dashboard   (giamsat / demo; thanhtra / demo read-only)",
        f"  Leader's board:          {base}/dashboard/leader   (lanhdao / demo)",
        f"  Administration:          {base}/admin       (admin / demo)",
        f"  API and OpenAPI:         {base}/api/v1/openapi.json",
        *phone_page_lines(settings, lan_address),
        "  Devices: demo-kiosk-1, demo-display-1, demo-rating-<counter id>, demo-bridge-1"
        + ("" if settings.bridge.lower() != "off" else " (bridge off: HANGCHO_BRIDGE=off)"),
        *([f"  Simulated devices: printer:1 (tickets as PNG in {VAR_DIR / 'sim-printouts'}), LED 1–4,",
           "    rating keypad on counter 1, call keypad on counter 2. Press keys with e.g.",
           '    .venv/bin/python -m hardware.sim --send "press call-keypad:2 call_next"']
          if settings.bridge.lower() != "off" else []),
        "  Stop with Ctrl+C. Start again from an empty demo: make reset.",
        "",
    ]
    return lines


from server.province.cli import central, verify_log  # noqa: E402 - the central's commands and verify-log

cli.add_command(central)
cli.add_command(verify_log)


def _supervise(server: subprocess.Popen, children: list[subprocess.Popen]) -> None:
    """Run until the server ends or a signal comes, then stop every child (newest first) and exit."""

    def stop(*_args: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while server.poll() is None:
        time.sleep(0.5)
    stop()
