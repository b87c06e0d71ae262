"""The OpenAPI 3.1 document, built from the app's URL map, each view's access and its pydantic models."""
from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify
from pydantic import BaseModel
from werkzeug.routing import IntegerConverter

from server import __version__
from server.api import api
from server.api.validation import DOC_ATTRIBUTE, RouteDoc
from server.auth.access import PUBLIC, access_of, public

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


def build_openapi() -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(api.url_prefix or "/api/v1"):
            continue
        view = current_app.view_functions[rule.endpoint]
        doc: RouteDoc | None = getattr(view, DOC_ATTRIBUTE, None)
        access = sorted(access_of(view) or [])
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(api.url_prefix or ""):])
        parameters = [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "integer" if isinstance(rule._converters.get(name), IntegerConverter) else "string"}}
            for name in sorted(rule.arguments)
        ]
        if doc and doc.query:
            for name, field in doc.query.model_fields.items():
                parameters.append({"name": field.alias or name, "in": "query", "required": field.is_required(),
                                   "schema": {"type": "integer" if field.annotation in (int, int | None) else "string"}})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "summary": doc.summary if doc else rule.endpoint,
                "tags": list(doc.tags) if doc else [],
                "parameters": parameters,
                "x-access": access,
                "responses": {"default": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            }
            if PUBLIC not in access:
                operation["security"] = [{"bearer": []}, {"session": []}]
            if doc and doc.body:
                operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema_ref(doc.body, components)}}}
            for status, answer in (doc.responses if doc else {}).items():
                if isinstance(answer, type) and issubclass(answer, BaseModel):
                    operation["responses"][str(status)] = {"description": answer.__name__, "content": {"application/json": {"schema": _schema_ref(answer, components)}}}
                else:
                    operation["responses"][str(status)] = {"description": str(answer)}
            if not any(code.startswith("2") for code in operation["responses"]):
                operation["responses"]["200"] = {"description": "OK"}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hàng Chờ API", "version": __version__,
                 "description": "Queue tickets and citizen ratings for Vietnamese one-stop centres. "
                                "Errors are {error, message}; messages are Vietnamese unless ?lang=en."},
        "servers": [{"url": api.url_prefix}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "staff log-in token or device key"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@api.get("/openapi.json")
@public
def openapi_document():  # type: ignore[no-untyped-def]
    return jsonify(build_openapi())
