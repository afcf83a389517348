"""The SPARQL 1.1 Protocol endpoint: ``/sparql`` (queries and, when allowed, updates), ``/query``
(queries only) and ``/update`` (updates only)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from ..errors import StoreError
from .description import description
from .guards import check_sparql
from .httperrors import HttpError
from .negotiation import RDF_OFFERS, RESULT_OFFERS, negotiate
from .protocol import QueryOp, UpdateOp, parse_operation
from .runner import body, handler, run_job, url_pairs
from .update import authorize, run_update

SPARQL_METHODS = ["GET", "POST"]
UPDATE_METHODS = ["POST"]


def endpoint_url(request: Request) -> str:
    """The URL of the endpoint the client called (no query string): base IRI and ``sd:endpoint``."""
    return str(request.url.replace(query=None, fragment=None))


async def _query(request: Request, op: QueryOp) -> Response:
    settings = request.app.state.settings
    check_sparql(op.query, settings.max_depth)
    accept = request.headers.get("accept")
    if negotiate(accept, RESULT_OFFERS + RDF_OFFERS) is None:
        raise HttpError(406, "not_acceptable", "none of the media types in the Accept header can be"
                        " produced; available: " + ", ".join(RESULT_OFFERS + RDF_OFFERS))
    job = {"op": "query", "query": op.query, "accept": accept, "base_iri": endpoint_url(request),
           "default_graphs": list(op.default_graphs) if op.default_graphs is not None else None,
           "named_graphs": list(op.named_graphs) if op.named_graphs is not None else None}
    return await run_job(request, job)


async def _service_description(request: Request) -> Response:
    settings = request.app.state.settings
    accept = request.headers.get("accept")
    if negotiate(accept, RDF_OFFERS) is None:
        raise HttpError(406, "not_acceptable", "the service description is RDF; available: "
                        + ", ".join(RDF_OFFERS))
    try:
        header, payload = await request.app.state.pool.run({"op": "graphs"}, request.state.deadline)
        graphs = json.loads(payload) if header["status"] == 200 else []
    except StoreError:
        graphs = []   # no store yet: describe the service without its graphs
    reply = description(endpoint_url(request), graphs, update=settings.allow_update, accept=accept,
                        max_bytes=settings.max_result_bytes)
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type,
                    headers={"Vary": "Accept"})


async def _dispatch(request: Request, *, queries: bool, updates: bool) -> Response:
    pairs = url_pairs(request)
    data = b"" if request.method in ("GET", "HEAD") else await body(request)

    def authorize_update() -> None:
        request.scope["bukamal.update"] = True     # the CORS layer never answers an update
        if not updates:
            raise HttpError(400, "bad_request", "this route takes queries only; send updates to /update")
        authorize(request)

    op = parse_operation(request.method, request.headers.get("content-type"), pairs, data,
                         authorize_update)
    if op is None:
        if not queries:
            raise HttpError(400, "bad_request", "this route takes updates only (POST)")
        return await _service_description(request)
    if isinstance(op, UpdateOp):
        return await run_update(request, op, base_iri=endpoint_url(request))
    if not queries:
        raise HttpError(400, "bad_request", "this route takes updates only; send queries to /sparql")
    return await _query(request, op)


@handler
async def sparql(request: Request) -> Response:
    return await _dispatch(request, queries=True, updates=True)


@handler
async def query_only(request: Request) -> Response:
    return await _dispatch(request, queries=True, updates=False)


@handler
async def update_only(request: Request) -> Response:
    authorize(request)        # before the body is even read
    return await _dispatch(request, queries=False, updates=True)
