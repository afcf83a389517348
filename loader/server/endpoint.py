"""The SPARQL 1.1 Protocol endpoint: ``/sparql`` (queries and, when allowed, updates), ``/query``
(queries only) and ``/update`` (updates only)."""

from __future__ import annotations

import functools
import json

import pyoxigraph

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from ..errors import StoreError
from .cheap import cheap_pattern
from .description import description
from .guards import check_sparql, strip_bom
from .httperrors import HttpError
from .negotiation import RDF_OFFERS, RESULT_OFFERS, negotiate
from .protocol import QueryOp, UpdateOp, parse_operation, parse_pairs
from .runner import body, handler, reply_response, run_job, url_pairs
from .update import authorize, run_update

SPARQL_METHODS = ["GET", "POST"]
UPDATE_METHODS = ["POST"]


def endpoint_url(request: Request) -> str:
    """The URL of the endpoint the client called (no query string): base IRI and ``sd:endpoint``."""
    return _scope_endpoint_url(request.scope)


def _scope_endpoint_url(scope) -> str:
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    return _endpoint_url(scope.get("scheme", "http"), scope.get("server"), host, scope["path"])


@functools.lru_cache(maxsize=64)
def _endpoint_url(scheme: str, server: tuple | None, host: bytes | None, path: str) -> str:
    """Starlette's ``request.url`` without query and fragment, from the only parts of the request it
    depends on here (a handful of distinct values: remembered). A ``Host`` header that makes no valid
    IRI (``%zz``) is ignored: the address the server listens on stands instead."""
    scope = {"scheme": scheme, "server": server, "path": path, "query_string": b"",
             "headers": [(b"host", host)] if host is not None else []}
    url = str(URL(scope=scope).replace(query=None, fragment=None))
    try:
        pyoxigraph.NamedNode(url)
    except ValueError:
        if host is not None:
            return _endpoint_url(scheme, server, None, path)
        url = f"http://localhost{path}"           # no usable address either (a test client)
    return url


async def _query(request: Request, op: QueryOp) -> Response:
    settings = request.app.state.settings
    # a query of the cheap shape passes the guards by construction (one level of braces, no SERVICE)
    pattern = cheap_pattern(op.query) if op.default_graphs is None and op.named_graphs is None else None
    if pattern is None:
        check_sparql(op.query, settings.max_depth)
    accept = request.headers.get("accept")
    if negotiate(accept, RESULT_OFFERS + RDF_OFFERS) is None:
        raise HttpError(406, "not_acceptable", "none of the media types in the Accept header can be"
                        " produced; available: " + ", ".join(RESULT_OFFERS + RDF_OFFERS))
    job = {"op": "query", "query": op.query, "accept": accept, "base_iri": endpoint_url(request),
           "default_graphs": list(op.default_graphs) if op.default_graphs is not None else None,
           "named_graphs": list(op.named_graphs) if op.named_graphs is not None else None}
    if pattern is not None:
        response = _answer_here(request.app.state, job, pattern)
        if response is not None:
            return response
    return await run_job(request, job)


def _answer_here(state, job: dict, pattern) -> Response | None:
    """The answer to a cheap query from the server's own view of the store (None: a worker's turn)."""
    reply = state.pool.run_local(job, pattern, state.settings.inline_max_matches)
    return None if reply is None else reply_response(reply.header(), reply.body)


def cheap_get(scope) -> Response | None:
    """The answer to the commonest request, ``GET ?query=`` with nothing else and a cheap query,
    computed with the steps the handler takes for it (the same functions, in the same order, so the
    same answer), without its general request parsing; None for any other request, which then goes
    to the handler (another parameter, a URL that does not decode, a query that is not cheap, an
    unacceptable ``Accept``, a range over the bound)."""
    try:
        pairs = parse_pairs(scope.get("query_string", b""), "URL")
    except HttpError:
        return None
    if len(pairs) != 1 or pairs[0][0] != "query":
        return None
    query = strip_bom(pairs[0][1])
    pattern = cheap_pattern(query)
    if pattern is None:
        return None
    accept = next((value.decode("latin-1") for key, value in scope["headers"] if key == b"accept"), None)
    if negotiate(accept, RESULT_OFFERS + RDF_OFFERS) is None:
        return None
    job = {"op": "query", "query": query, "accept": accept, "base_iri": _scope_endpoint_url(scope),
           "default_graphs": None, "named_graphs": None}
    return _answer_here(scope["app"].state, job, pattern)


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
