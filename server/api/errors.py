"""One place maps every error to one JSON shape: {"error": code, "message": text in the user's language}."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from server.api.problems import check_message, translated
from server.errors import HangChoError, N_, ValidationFailed

logger = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: N_("The request is not valid JSON or lacks required data."),
    401: N_("Please log in or present a device key."),
    403: N_("You are not allowed to do this."),
    404: N_("Not found."),
    405: N_("This method is not allowed here."),
    413: N_("The request is too large."),
    415: N_("Send the data as JSON (Content-Type: application/json)."),
    429: N_("Too many requests. Please wait a moment."),
}
HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type", 429: "rate_limited"}


def error_body(error: HangChoError) -> dict[str, Any]:
    message = gettext(error.message)
    if error.params:
        params = {key: gettext(str(value)) if key in error.translated_params else value
                  for key, value in error.params.items()}
        try:
            message = message % params
        except (KeyError, TypeError, ValueError):
            logger.warning("message %r does not fit params %r", error.message, error.params)
    body = {"error": error.code, "message": message, **error.details()}
    if isinstance(error, ValidationFailed) and error.fields:
        body["fields"] = translated(error.fields)
        if error.message == ValidationFailed.message:
            body["message"] = check_message(body["fields"])
    return body


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    if wants_json():
        response = jsonify(body)
        response.status_code = status
    else:
        response = make_response(render_template("error.html", error=body, status=status), status)
    response.headers.update(headers or {})
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HangChoError)
    def _domain_error(error: HangChoError):  # type: ignore[no-untyped-def]
        if error.status == 401 and not wants_json():
            return render_template("login.html", error=None, next=request.full_path), 401
        retry_after = getattr(error, "retry_after_s", None)
        return _answer(error_body(error), error.status, {"Retry-After": str(retry_after)} if retry_after else None)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        body = {"error": HTTP_CODES.get(status, "http_error"),
                "message": gettext(HTTP_MESSAGES.get(status, N_("The request could not be carried out.")))}
        # Werkzeug's own headers say what the client may do next (`Allow` on 405, `Retry-After`).
        kept = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        return _answer(body, status, kept)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return _answer({"error": "internal_error", "message": gettext(N_("Something went wrong on the server. Please try again."))}, 500)
