"""Server-rendered pages shared by every screen: home, log-in, and the front-end libraries from npm."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, make_response, redirect, render_template, request, send_from_directory, url_for

from server.auth.access import current_actor, public
from server.i18n import LANGUAGE_COOKIE, LANGUAGES
from server.runtime import runtime

pages = Blueprint("pages", __name__)

# Only these parts of node_modules are served (no package sources, no package.json files).
VENDOR_PREFIXES = (
    "socket.io-client/dist/",
    "chart.js/dist/",
    "@fontsource/be-vietnam-pro/",
)


@pages.get("/")
@public
def home():  # type: ignore[no-untyped-def]
    return render_template("home.html", actor=current_actor())


@pages.get("/login")
@public
def login_page():  # type: ignore[no-untyped-def]
    return render_template("login.html", next=request.args.get("next", "/"))


@pages.get("/language/<language>")
@public
def choose_language(language: str):  # type: ignore[no-untyped-def]
    """Remember the chosen screen language in a cookie and go back."""
    if language not in LANGUAGES:
        abort(404)
    target = request.args.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = make_response(redirect(target))
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@pages.get("/vendor/<path:filename>")
@public
def vendor(filename: str):  # type: ignore[no-untyped-def]
    if not filename.startswith(VENDOR_PREFIXES) or ".." in Path(filename).parts:
        abort(404)
    response = send_from_directory(runtime().settings.node_modules_dir, filename, max_age=7 * 24 * 3600)
    return response


@pages.get("/favicon.ico")
@public
def favicon():  # type: ignore[no-untyped-def]
    return redirect(url_for("static", filename="img/favicon.svg"))
