"""Request bodies and query strings validated by pydantic models; the same models feed the OpenAPI document."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from server import errors
from server.inputs import refuse_control_characters

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., object])
DOC_ATTRIBUTE = "_hangcho_doc"


def json_body(model: type[M]) -> M:
    """The request's JSON parsed into `model`; malformed (or over-deep) JSON → 400, a control character
    in any string → 422, wrong fields → 422."""
    if not request.is_json:
        raise errors.BadRequest()
    data = request.get_json(silent=True)
    if data is None:
        raise errors.BadRequest()
    refuse_control_characters(data)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise errors.ValidationFailed.from_pydantic(error) from None


def query_args(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise errors.ValidationFailed.from_pydantic(error) from None


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # status → a description, an answer model, or list[model]
    responses: dict[int, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    body_optional: bool = False


def documented(summary: str, *, body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
               responses: dict[int, Any] | None = None, tags: tuple[str, ...] = (),
               body_optional: bool = False) -> Callable[[F], F]:
    """Attach what the OpenAPI document says about a route (`body_optional`: an empty body is accepted)."""
    def decorate(view: F) -> F:
        setattr(view, DOC_ATTRIBUTE, RouteDoc(summary, body, query, responses or {}, tags, body_optional))
        return view
    return decorate
