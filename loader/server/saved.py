"""Saved queries over HTTP.

``GET /queries``         the saved queries with their parameters (JSON)
``GET /queries/NAME``    run one: parameters from the URL (``?site=Imam%20Ali%20base``), the format
                         from ``Accept`` or from a suffix (``NAME.csv``, ``NAME.json``, ...).

The name is only ever looked up in the registry (:mod:`loader.registry`); it never becomes a path,
so ``../x`` and friends are simply unknown names (``404``). Parameters are validated and bound by
:mod:`loader.params` inside the worker (binding may look names up in the store).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from ..errors import NotFoundError
from ..params import add_value
from .httperrors import HttpError
from .negotiation import RDF_OFFERS, RESULT_OFFERS, SUFFIXES, negotiate
from .runner import body, handler, run_job, url_pairs


def _registry(request: Request):
    registry = request.app.state.registry
    if isinstance(registry, Exception):
        raise registry
    return registry


def describe(query) -> dict:
    info = query.to_dict()
    info["url"] = f"/queries/{query.name}"
    info["text"] = query.text
    return info


@handler
async def list_queries(request: Request) -> Response:
    registry = _registry(request)
    payload = [describe(q) for q in registry]
    return Response(json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"),
                    media_type="application/json")


def resolve(registry, raw_name: str) -> tuple[object, str | None]:
    """(saved query, forced media type) for ``NAME`` or ``NAME.suffix``; NotFoundError otherwise."""
    if raw_name in registry:
        return registry.get(raw_name), None
    stem, dot, suffix = raw_name.rpartition(".")
    if dot and ("." + suffix) in SUFFIXES and stem in registry:
        return registry.get(stem), SUFFIXES["." + suffix]
    registry.get(raw_name)          # raises NotFoundError with close matches
    raise NotFoundError("no such saved query")


@handler
async def run_saved(request: Request) -> Response:
    registry = _registry(request)
    query, forced = resolve(registry, request.path_params["name"])
    params: dict[str, str] = {}
    for key, value in url_pairs(request):
        if not add_value(params, key, value):
            raise HttpError(400, "bad_parameter", f"parameter {key!r} is given twice")
    accept = request.headers.get("accept")
    offers = RDF_OFFERS if query.form in ("CONSTRUCT", "DESCRIBE") else RESULT_OFFERS
    if forced is None and negotiate(accept, offers) is None:
        raise HttpError(406, "not_acceptable", f"{query.name} gives "
                        f"{'a graph' if offers is RDF_OFFERS else 'a table'}; available: " + ", ".join(offers))
    await body(request)
    job = {"op": "saved", "name": query.name, "text": query.text, "params": params, "accept": accept,
           "format": forced}
    return await run_job(request, job)
