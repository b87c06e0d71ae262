"""`python -m server central …` (the province server's own commands) and `python -m server verify-log`."""
from __future__ import annotations

import datetime as dt
import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import HangChoError
from server.migrate import upgrade
from server.models import Event, Site
from server.queue.clock import SystemClock
from server.queue.hashchain import GENESIS, ChainedEvent, verify_chain
from server.settings import load_settings

def _now() -> dt.datetime:
    return SystemClock().now()


def _central_session() -> Session:
    from server.cli import _session

    settings = load_settings()
    if not settings.is_central:
        raise click.ClickException("set HANGCHO_ROLE=central (and the central's HANGCHO_DATABASE_URL)")
    upgrade(settings.database_url)
    return _session(settings)


def _fail(error: HangChoError) -> None:
    from server.cli import _fail as fail

    fail(error)


@click.group()
def central() -> None:
    """The province (central) server: set HANGCHO_ROLE=central."""


@central.command("seed-demo-history")
@click.option("--simulate", "central_url", default=None,
              help="then keep the simulated communes live: their uplinks send their fields' waits to this central")
def central_seed_demo_history(central_url: str | None) -> None:
    """The simulated communes' 90 days of history, through the real ingest (the demo central runs this
    in the background)."""
    from server.province.demo import seed_demo_history, simulate_communes

    session = _central_session()
    stored = seed_demo_history(session, _now(), load_settings().timezone)
    click.echo(f"{stored} demo events ingested")
    if central_url:
        simulate_communes(session, central_url)


@central.command("init")
@click.option("--province", required=True, help="e.g. Tỉnh Lào Cai")
def central_init(province: str) -> None:
    """Create the central's admin account with a generated password (shown once)."""
    from server.province.registry import central_is_empty, create_central_staff

    session = _central_session()
    if not central_is_empty(session):
        raise click.ClickException("this central already has its accounts")
    try:
        _, password = create_central_staff(session, "admin", "admin", _now(), full_name=f"Quản trị {province}"[:200])
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"central for {province} created. admin password (shown once): {password}")


@central.command("create-staff")
@click.argument("username")
@click.option("--role", type=click.Choice(["leader", "inspector", "admin"]), required=True)
@click.option("--full-name", default="")
@click.option("--password", default=None, help="omit to generate one (shown once)")
def central_create_staff(username: str, role: str, full_name: str, password: str | None) -> None:
    """A province leader, inspector or admin account."""
    from server.province.registry import create_central_staff

    session = _central_session()
    try:
        _, generated = create_central_staff(session, username, role, _now(), password=password, full_name=full_name)
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"{username} ({role}) created" + (f"; password (shown once): {generated}" if generated else ""))


@central.command("add-site")
@click.option("--code", required=True)
@click.option("--name", required=True)
def central_add_site(code: str, name: str) -> None:
    """Register a site; its uplink key is printed once, alone on the last line."""
    from server.province.registry import add_site

    session = _central_session()
    try:
        site, key = add_site(session, code, name, _now())
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"site {site.code} registered (id {site.id}). Its uplink key (HANGCHO_UPLINK_KEY), shown once:")
    click.echo(key)


@central.command("rotate-key")
@click.option("--code", required=True)
def central_rotate_key(code: str) -> None:
    """A new uplink key for a site (the old one stops working); printed alone on the last line."""
    from server.province.registry import rotate_key

    session = _central_session()
    try:
        key = rotate_key(session, code)
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"new uplink key of {code}, shown once:")
    click.echo(key)


@central.command("revoke")
@click.option("--code", required=True)
def central_revoke(code: str) -> None:
    """Refuse a site's uplink from now on (its history stays)."""
    from server.province.registry import revoke

    session = _central_session()
    try:
        revoke(session, code, _now())
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"uplink of {code} revoked")


@central.group("catalogue")
def central_catalogue() -> None:
    """The province's standard list of fields, published to every site over the uplink."""


@central_catalogue.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def central_catalogue_import(csv_file: click.utils.LazyFile) -> None:
    """Replace the catalogue with a CSV file (header: code,name[,name_en][,prefix])."""
    from server.province.catalogue import parse_catalogue_csv, replace_catalogue

    session = _central_session()
    try:
        answer = replace_catalogue(session, parse_catalogue_csv(csv_file.read()))
        session.commit()
    except HangChoError as error:
        _fail(error)
    click.echo(f"catalogue version {answer['version']}: {len(answer['fields'])} fields")


@central_catalogue.command("list")
def central_catalogue_list() -> None:
    """The catalogue as CSV, with its version on the first line."""
    from server.province.catalogue import COLUMNS, published

    answer = published(_central_session())
    click.echo(f"# version {answer['version'] or '(none)'}")
    click.echo(",".join(COLUMNS))
    for entry in answer["fields"]:
        click.echo(",".join(_csv_cell(entry[column]) for column in COLUMNS))


def _csv_cell(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\n') else value


def verify_site_log(session: Session, site_id: int, chunk: int = 5000) -> tuple[bool, int, int | None, str]:
    """Check a site's whole event chain: (ok, checked, first bad seq, what is wrong)."""
    previous_hash, previous_seq, checked = GENESIS, 0, 0
    while True:
        rows = session.execute(select(Event.seq, Event.type, Event.payload, Event.created_at, Event.hash)
                               .where(Event.site_id == site_id, Event.seq > previous_seq)
                               .order_by(Event.seq).limit(chunk)).all()
        if not rows:
            break
        result = verify_chain((ChainedEvent(site_id, *row) for row in rows), previous_hash, previous_seq)
        checked += result.checked
        if not result.ok:
            return False, checked, result.first_bad_seq, result.problem
        previous_hash, previous_seq = result.last_hash, result.last_seq
    site = session.get(Site, site_id)
    if site is not None and site.event_seq != previous_seq:
        return False, checked, previous_seq + 1, "events missing at the end of the log"
    if site is not None and site.event_seq and site.event_hash != previous_hash:
        return False, checked, previous_seq, "the site's chain head does not match the last event"
    return True, checked, None, ""


@click.command("verify-log")
def verify_log() -> None:
    """Check the hash chain of this site's event log (exit 0 when whole; else 1, naming the first bad seq)."""
    from server.cli import _session

    session = _session(load_settings())
    broken = False
    for site_id, name in session.execute(select(Site.id, Site.name).order_by(Site.id)).all():
        ok, checked, first_bad, problem = verify_site_log(session, site_id)
        if ok:
            click.echo(f"site {site_id} ({name}): {checked} events, chain whole")
        else:
            broken = True
            click.echo(f"site {site_id} ({name}): chain broken at seq {first_bad} ({problem}); "
                       f"{checked} events before it are whole")
    session.close()
    sys.exit(1 if broken else 0)
