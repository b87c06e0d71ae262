"""Server-rendered pages shared by every screen: home, log-in, and the front-end libraries from npm."""
from __future__ import annotations

import re
from pathlib import Path

from flask import (Blueprint, abort, make_response, redirect, render_template, request, send_from_directory, session,
                   url_for)
from flask_babel import gettext

from server import errors
from server.auth.access import current_actor, public
from server.auth.throttle import throttled_log_in
from server.i18n import LANGUAGE_COOKIE, LANGUAGES
from server.inputs import has_control_characters
from server.runtime import db_session, runtime

pages = Blueprint("pages", __name__)

# Only these parts of node_modules are served (no package sources, no package.json files).
VENDOR_PREFIXES = (
    "socket.io-client/dist/",
    "chart.js/dist/",
    "@fontsource/be-vietnam-pro/",
)


# A local path: one leading slash, then no second slash or backslash right after it (browsers read
# "//host" and "/\\host" as another site). Backslashes and control characters anywhere are refused too.
LOCAL_PATH = re.compile(r"^/(?![/\\])[^\\]*$")


def safe_next(target: str | None) -> str:
    """Where to go back to after a log-in or a language switch: a path on this site, or "/"."""
    target = (target or "").removesuffix("?")
    if not target or has_control_characters(target) or any(ch.isspace() and ch != " " for ch in target) \
            or not LOCAL_PATH.match(target) or target.startswith("/login"):
        return "/"
    return target


@pages.app_context_processor
def _redirect_helpers() -> dict[str, object]:
    return {"safe_next": safe_next}


@pages.get("/")
@public
def home():  # type: ignore[no-untyped-def]
    if runtime().settings.is_central:
        return redirect("/province")  # the province server has one home: its board (log-in first)
    return render_template("home.html", actor=current_actor())


@pages.get("/login")
@public
def login_page():  # type: ignore[no-untyped-def]
    return render_template("login.html", next=safe_next(request.args.get("next")))


@pages.post("/login")
@public
def login_form():  # type: ignore[no-untyped-def]
    """The log-in form (no script needed): the session cookie, then back to the page asked for."""
    username = request.form.get("username", "")[:64]
    password = request.form.get("password", "")[:256]
    target = safe_next(request.form.get("next"))
    try:
        if not username.strip() or not password:
            raise errors.InvalidCredentials()
        _staff, token = throttled_log_in(db_session(), username, password, runtime().clock.now())
    except (errors.InvalidCredentials, errors.TooManyLoginAttempts) as refused:
        message = gettext(refused.message) % refused.params if refused.params else gettext(refused.message)
        return render_template("login.html", next=target, error=message, username=username), refused.status
    session.clear()
    session["token"] = token
    session.permanent = True
    return redirect(target, code=303)


@pages.get("/language/<language>")
@public
def choose_language(language: str):  # type: ignore[no-untyped-def]
    """Remember the chosen screen language in a cookie and go back."""
    if language not in LANGUAGES:
        abort(404)
    response = make_response(redirect(safe_next(request.args.get("next"))))
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=runtime().settings.is_https)
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
