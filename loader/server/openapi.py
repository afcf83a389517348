"""``GET /openapi.json``: an OpenAPI 3.1 description of the saved-query routes, one path per query."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from .negotiation import RDF_OFFERS, RESULT_OFFERS, SUFFIXES
from .runner import handler
from .saved import _registry

_SCHEMA_BY_TYPE = {
    "iri": {"type": "string", "description": "an IRI, a prefixed name (bkr:...) or a label"},
    "string": {"type": "string", "maxLength": 200},
    # as the server reads a date: YYYY, YYYY-M(M), YYYY-M(M)-D(D), spaces around allowed (and it must exist)
    "date": {"type": "string", "pattern": r"^\s*\d{4}(-\d{1,2}(-\d{1,2})?)?\s*$"},
    "integer": {"type": "integer"},
}
_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _param(p) -> dict:
    schema = dict(_SCHEMA_BY_TYPE.get(p.type, {"type": "string"}))
    if p.type == "enum":
        schema = {"type": "string", "enum": list(p.values)}
    if p.type == "integer":
        if p.minimum is not None:
            schema["minimum"] = p.minimum
        if p.maximum is not None:
            schema["maximum"] = p.maximum
    if p.default is not None:
        schema["default"] = int(p.default) if p.type == "integer" else p.default
    return {"name": p.name, "in": "query", "required": p.required, "description": p.description,
            "schema": schema}


def _operation(q) -> dict:
    offers = RDF_OFFERS if q.form in ("CONSTRUCT", "DESCRIBE") else RESULT_OFFERS
    return {
        "operationId": "query_" + q.name.replace("-", "_"),
        "summary": q.title,
        "description": q.description,
        "parameters": [_param(p) for p in q.params],
        "responses": {
            "200": {"description": "the query's answer", "content": {m: {} for m in offers}},
            "400": _ERROR, "404": _ERROR, "406": _ERROR, "503": _ERROR,
        },
    }


def spec(registry) -> dict:
    paths: dict = {
        "/queries": {"get": {
            "operationId": "list_queries", "summary": "The saved queries and their parameters",
            "responses": {"200": {"description": "one object per saved query",
                                  "content": {"application/json": {}}}}}},
    }
    for q in registry:
        paths[f"/queries/{q.name}"] = {"get": _operation(q)}
    return {
        "openapi": "3.1.0",
        "info": {"title": "bukamal-kg saved queries", "version": __version__,
                 "description": "Saved SPARQL queries over the bukamal-kg knowledge graph. Add "
                                + ", ".join(SUFFIXES) + " to a query path to choose the format without"
                                " an Accept header."},
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                           "candidates": {"type": "array", "items": {"type": "string"}}}}}},
    }


@handler
async def openapi(request: Request) -> Response:
    return Response(json.dumps(spec(_registry(request)), indent=1).encode("utf-8"),
                    media_type="application/json")
