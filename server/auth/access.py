"""Route access: every view declares who may call it, and one hook enforces it before the view runs.

Principals: staff roles (`admin`, `supervisor`, `clerk`, `inspector`, or `staff` for any of them; the
central server's `leader`),
device kinds (`device:kiosk`, `device:display`, `device:rating_terminal`, `device:bridge`, or
`device` for any), and `public`. A view without a declaration is refused (fail closed), and the test
suite walks the URL map to prove each declaration is enforced.
"""
from __future__ import annotations

import logging
from typing import Callable, TypeVar

from flask import current_app, g, request, session

from server import errors
from server.auth.cross_site import guard_cross_site
from server.auth.identity import actor_for_credential
from server.queue.actors import Actor
from server.runtime import db_session, runtime

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., object])

# `leader`: at a site the head of the centre (the leader's board); at the central the province leader.
STAFF_ROLES = ("admin", "supervisor", "clerk", "inspector", "leader")
DEVICE_KINDS = ("kiosk", "display", "rating_terminal", "bridge")
ACCESS_ATTRIBUTE = "_hangcho_access"
PUBLIC = "public"


def allow(*principals: str) -> Callable[[F], F]:
    """Declare who may call a view, e.g. `@allow("clerk", "supervisor")` or `@allow("device:kiosk", "staff")`."""
    expanded: set[str] = set()
    for principal in principals:
        if principal == "staff":
            expanded.update(STAFF_ROLES)
        elif principal == "device":
            expanded.update(f"device:{kind}" for kind in DEVICE_KINDS)
        elif principal in STAFF_ROLES or principal == PUBLIC or principal.startswith("device:"):
            expanded.add(principal)
        else:
            raise ValueError(f"unknown principal {principal!r}")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, frozenset(expanded))
        return view

    return decorate


def public(view: F) -> F:
    """Anyone may call this view (health, log-in, the public field list, page shells)."""
    setattr(view, ACCESS_ATTRIBUTE, frozenset({PUBLIC}))
    return view


def access_of(view: Callable[..., object]) -> frozenset[str] | None:
    return getattr(view, ACCESS_ATTRIBUTE, None)


def principal_of(actor: Actor) -> str:
    return actor.role if actor.kind == "staff" else f"device:{actor.role}"


def presented_credential() -> str:
    """Bearer header first (API clients, devices), then the staff session cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    device_key = request.headers.get("X-Device-Key", "")
    if device_key:
        return device_key.strip()
    return str(session.get("token", ""))


def current_actor() -> Actor | None:
    if "actor" not in g:
        credential = presented_credential()
        g.actor = actor_for_credential(db_session(), credential, runtime().clock.now()) if credential else None
    return g.actor


def require_actor() -> Actor:
    actor = current_actor()
    if actor is None:
        raise errors.NotAuthenticated()
    return actor


def enforce_access() -> None:
    """before_request hook: refuse a forged cross-site state change, then the call unless the view's
    declaration admits the caller."""
    if request.endpoint is None:
        return  # 404/405 are answered by Flask itself
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return
    declared = access_of(view)
    guard_cross_site(public_view=declared is not None and PUBLIC in declared)
    if declared is None:
        if request.endpoint == "static" or request.endpoint.endswith(".static"):
            return  # Flask's own static files
        logger.error("route %s declares no access; refusing it", request.endpoint)
        raise errors.Forbidden()
    if PUBLIC in declared:
        return
    actor = require_actor()
    if principal_of(actor) not in declared:
        raise errors.Forbidden()
