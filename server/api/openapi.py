"""The OpenAPI 3.1 document, built from the app's URL map, each view's access and its pydantic models."""
from __future__ import annotations

import re
from typing import Any, get_args, get_origin

from flask import current_app, jsonify
from pydantic import BaseModel
from werkzeug.routing import IntegerConverter, Rule

from server import __version__, central_serves
from server.api import api
from server.api.validation import DOC_ATTRIBUTE, RouteDoc
from server.auth.access import PUBLIC, access_of, public
from server.inputs import DB_INT_MAX

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "stable machine-readable code"},
        "message": {"type": "string", "description": "human text, Vietnamese unless ?lang=en"},
    },
}


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _answer(status: int, answer: Any, components: dict[str, Any]) -> dict[str, Any]:
    """A documented answer: a description, an answer model, or list[model]."""
    if get_origin(answer) is list:
        (item,) = get_args(answer)
        return {"description": f"list of {item.__name__}",
                "content": {"application/json": {"schema": {"type": "array", "items": _schema_ref(item, components)}}}}
    if isinstance(answer, type) and issubclass(answer, BaseModel):
        return {"description": answer.__name__, "content": {"application/json": {"schema": _schema_ref(answer, components)}}}
    return {"description": str(answer)}


def _path_parameter(rule: Rule, name: str) -> dict[str, Any]:
    converter = rule._converters.get(name)
    if isinstance(converter, IntegerConverter):
        schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": DB_INT_MAX}
    else:
        schema = {"type": "string", "minLength": 1}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(model: type[BaseModel], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": property_schema}
            for name, property_schema in schema.get("properties", {}).items()]


# Every answer may carry these: the method's Allow list on 405, the wait on 429.
ERROR_HEADERS = {405: {"Allow": {"schema": {"type": "string"}, "description": "the methods this path accepts"}},
                 429: {"Retry-After": {"schema": {"type": "string"}, "description": "seconds to wait"}}}


# gunicorn refuses a request line over 4 KiB itself, with its own HTML page, before the application.
REQUEST_LINE_TOO_LONG = {"description": "request line too long (answered by the HTTP server)",
                         "content": {"text/html": {"schema": {"type": "string"}}}}


def build_openapi() -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    error_answer = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    paths: dict[str, Any] = {}
    central = current_app.extensions["hangcho"].settings.is_central
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(api.url_prefix or "/api/v1"):
            continue
        if central and not central_serves(rule.endpoint):
            continue
        view = current_app.view_functions[rule.endpoint]
        doc: RouteDoc | None = getattr(view, DOC_ATTRIBUTE, None)
        access = sorted(access_of(view) or [])
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(api.url_prefix or ""):])
        parameters = [_path_parameter(rule, name) for name in sorted(rule.arguments)]
        if doc and doc.query:
            parameters += _query_parameters(doc.query, components)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            responses: dict[str, Any] = {"default": error_answer}
            for status, headers in ERROR_HEADERS.items():
                responses[str(status)] = {**error_answer, "description": f"error ({status})", "headers": headers}
            responses["414"] = REQUEST_LINE_TOO_LONG
            for status, answer in (doc.responses if doc else {}).items():
                responses[str(status)] = _answer(status, answer, components)
                if status in ERROR_HEADERS:
                    responses[str(status)] = {**error_answer, "description": str(answer), "headers": ERROR_HEADERS[status]}
            if not any(code.startswith("2") for code in responses):
                responses["200"] = {"description": "OK"}
            operation: dict[str, Any] = {
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "summary": doc.summary if doc else rule.endpoint,
                "tags": list(doc.tags) if doc else [],
                "parameters": parameters,
                "x-access": access,
                "responses": responses,
            }
            if PUBLIC not in access:
                operation["security"] = [{"bearer": []}, {"device_key": []}, {"session": []}]
            if doc and doc.body:
                operation["requestBody"] = {"required": not doc.body_optional,
                                            "content": {"application/json": {"schema": _schema_ref(doc.body, components)}}}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hàng Chờ API", "version": __version__,
                 "description": "Queue tickets and citizen ratings for Vietnamese one-stop centres. "
                                "Errors are {error, message}; messages are Vietnamese unless ?lang=en. "
                                "A state change authenticated by the session cookie needs the page's CSRF token "
                                "(X-CSRFToken); bearer tokens and device keys do not."},
        "servers": [{"url": api.url_prefix}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "staff log-in token or device key"},
                "device_key": {"type": "apiKey", "in": "header", "name": "X-Device-Key", "description": "a device key"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@api.get("/openapi.json")
@public
def openapi_document():  # type: ignore[no-untyped-def]
    return jsonify(build_openapi())
