"""Small helpers shared by the API views."""
from __future__ import annotations

from flask import request
from sqlalchemy import select

from server import errors
from server.models import Site
from server.queue.actors import Actor
from server.runtime import db_session


def resolve_site_id(actor: Actor | None, requested: int | None) -> int:
    """A device or site staff member sees its own site; others name one (default: the first site)."""
    if actor is not None and actor.site_id is not None:
        if requested is not None and requested != actor.site_id:
            raise errors.Forbidden()
        return actor.site_id
    if requested is not None:
        if db_session().get(Site, requested) is None:
            raise errors.NotFound()
        return requested
    site_id = db_session().scalar(select(Site.id).order_by(Site.id).limit(1))
    if site_id is None:
        raise errors.NotFound()
    return site_id


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    return key[:128] or None
