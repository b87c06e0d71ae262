"""Staff log-in and log-out: a session cookie for browsers and a bearer token for API clients."""
from __future__ import annotations

from flask import jsonify, session

from server.api import api
from server.api.schemas import LoginAnswer, LoginBody
from server.api.validation import documented, json_body
from server.auth.access import allow, presented_credential, public, require_actor
from server.auth.identity import log_out
from server.auth.throttle import throttled_log_in
from server.runtime import db_session, runtime


@api.post("/auth/login")
@public
@documented("Log a staff member in", body=LoginBody,
            responses={200: LoginAnswer, 401: "wrong credentials", 429: "too many failed log-ins: wait Retry-After"},
            tags=("auth",))
def login():  # type: ignore[no-untyped-def]
    body = json_body(LoginBody)
    staff, token = throttled_log_in(db_session(), body.username, body.password, runtime().clock.now())
    session.clear()
    session["token"] = token
    session.permanent = True
    return jsonify(
        {"token": token, "user": {"id": staff.id, "username": staff.username, "role": staff.role.value,
                                  "full_name": staff.full_name, "site_id": staff.site_id}}
    )


@api.post("/auth/logout")
@allow("staff")
@documented("Log out (revokes the token)", tags=("auth",))
def logout():  # type: ignore[no-untyped-def]
    log_out(db_session(), presented_credential(), runtime().clock.now())
    session.clear()
    return jsonify({"ok": True})


@api.get("/auth/me")
@allow("staff", "device")
@documented("Who the presented credential belongs to", tags=("auth",))
def me():  # type: ignore[no-untyped-def]
    actor = require_actor()
    return jsonify({"kind": actor.kind, "id": actor.id, "role": actor.role, "site_id": actor.site_id,
                    "counter_id": actor.counter_id, "name": actor.name})
