"""SPARQL 1.1 Graph Store HTTP Protocol at ``/store`` (indirect graph identification).

``GET /store?graph=IRI`` returns one named graph (``404`` if the store has none of that name);
``GET /store?default`` returns the default graph as queries see it: the union of the named graphs.
``PUT`` (replace), ``POST`` (merge) and ``DELETE`` on ``?graph=IRI`` are writes: ``--allow-update``
plus the bearer token (:mod:`loader.server.update`). The default graph is not writable here: queries
read the union of the named graphs, so triples written to the store's own default graph would never
be seen (``400``).
"""

from __future__ import annotations

import re

import pyoxigraph
from starlette.requests import Request
from starlette.responses import Response

from .httperrors import HttpError
from .negotiation import RDF, RDF_OFFERS, media_type_of, negotiate
from .protocol import single, values
from .runner import body, handler, run_job, url_pairs
from .update import authorize, write

METHODS = ["GET", "PUT", "POST", "DELETE"]
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s+)?[^\s>]+\s+(?:\"([^\"]*)\"|'([^']*)'|(\S+))")
MAX_ENTITY_VALUE = 256      # an ontology's namespace abbreviation fits; a body can grow at most this many-fold


def _expanding_entity(data: bytes) -> bool:
    """True if an RDF/XML body declares an entity that can blow it up when expanded: one that refers to
    other entities (nesting multiplies), a parameter or external entity, or a long value."""
    for m in _ENTITY.finditer(data):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if m.group(1) or value is None or b"&" in value or b"%" in value or len(value) > MAX_ENTITY_VALUE:
            return True
    return False


def _target(pairs) -> str | None:
    graph = single(pairs, "graph")
    default = values(pairs, "default")
    if graph is not None and default:
        raise HttpError(400, "bad_request", "give either ?graph=IRI or ?default, not both")
    if graph is None and not default:
        raise HttpError(400, "bad_request", "name the graph: ?graph=IRI or ?default")
    return graph


@handler
async def graph_store(request: Request) -> Response:
    if request.method in ("GET", "HEAD"):
        pairs = url_pairs(request)
        graph = _target(pairs)
        accept = request.headers.get("accept")
        if negotiate(accept, RDF_OFFERS) is None:
            raise HttpError(406, "not_acceptable", "a graph is RDF; available: " + ", ".join(RDF_OFFERS))
        await body(request)
        return await run_job(request, {"op": "graph", "graph": graph, "accept": accept})
    authorize(request)
    pairs = url_pairs(request)
    graph = _target(pairs)
    if graph is None:
        raise HttpError(400, "bad_request", "the default graph is the union of the named graphs and"
                        " cannot be written; write to a named graph (?graph=IRI)")
    data = await body(request)
    job = {"op": "gsp", "method": request.method, "graph": graph}
    if request.method != "DELETE":
        mtype, params = media_type_of(request.headers.get("content-type"))
        charset = params.get("charset")
        if mtype not in RDF or (charset and charset.lower() not in ("utf-8", "utf8")):
            raise HttpError(415, "unsupported_media_type",
                            "send the graph as UTF-8 in one of: " + ", ".join(RDF))
        job["media_type"] = mtype
        if RDF[mtype] == "RDF_XML" and _expanding_entity(data):
            # the parser expands entities: nested ones turn a 1 KB body into gigabytes past the body limit
            # (flat ones, such as an ontology's namespace abbreviations, grow it only by their own length)
            raise HttpError(400, "bad_rdf", "an RDF/XML body may declare only short, plain entities (such as"
                            f" namespace abbreviations of at most {MAX_ENTITY_VALUE} bytes); entities that refer to"
                            " other entities, parameter or external entities and long values can expand a small"
                            " body far beyond the size limit")
    try:
        pyoxigraph.NamedNode(graph)
    except ValueError:
        raise HttpError(400, "bad_request", f"{graph[:200]!r} is not a valid graph IRI") from None
    return await write(request, job, data)
