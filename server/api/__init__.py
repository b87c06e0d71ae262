"""The HTTP API under /api/v1: thin views, each one call into the domain core or a read model."""
from __future__ import annotations

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

# Route modules register themselves on `api` when imported.
from server.api import routes_auth, routes_queue, routes_ratings, routes_site, openapi  # noqa: E402,F401

# Route modules of the staff features (reports, administration), added as they are built.
for _module in ("routes_reports", "routes_admin", "routes_console", "routes_dossiers", "routes_leader"):
    try:
        __import__(f"server.api.{_module}")
    except ModuleNotFoundError as _missing:
        if _missing.name != f"server.api.{_module}":
            raise
