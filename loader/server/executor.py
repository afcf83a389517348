"""Execute one job against a store and serialise its complete answer: ``execute(store, job) -> Reply``.

This is what a worker process runs. It takes any store object with pyoxigraph's ``query`` /
``named_graphs`` / ``contains_named_graph`` interface, so another implementation (a remote store)
can plug in. The answer is produced in full (up to ``max_bytes``) before anything is sent, so a
query that runs out of time yields a clean ``503``, never ``200`` with a truncated body.

Jobs are plain dicts (they cross a pipe as JSON):

* ``{"op": "query", "query", "default_graphs", "named_graphs", "accept", "base_iri"}``
* ``{"op": "saved", "name", "text", "params", "accept"}``  (a saved query: the file's text as the server
  read it, so that every worker runs the same version of it, whatever the folder holds now)
* ``{"op": "graph", "graph", "accept"}``              (Graph Store Protocol GET; graph None: default)
* ``{"op": "graphs"}``                                (the named graphs, as a JSON list)
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field

import pyoxigraph

from ..errors import BukamalError
from ..functions import custom_aggregate_functions, custom_functions, unknown_function
from ..namespaces import PREFIXES
from ..results import xml_problem
from ..sparqltext import has_dataset_clause, prefix_message
from .httperrors import HttpError, error_body, from_project_error, scrub_paths
from .negotiation import RDF, RDF_OFFERS, RESULT_OFFERS, RESULTS, negotiate

DEFAULT_MAX_BYTES = 64 << 20


@dataclass
class Reply:
    status: int
    media_type: str
    body: bytes
    kind: str | None = None           # set for errors
    headers: dict = field(default_factory=dict)

    def header(self) -> dict:
        return {"status": self.status, "media_type": self.media_type, "kind": self.kind,
                "headers": self.headers}


class ResultTooLarge(Exception):
    pass


class _Capped(io.RawIOBase):
    """A write-only buffer that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise ResultTooLarge()
        self.parts.append(bytes(data))
        return len(data)

    def value(self) -> bytes:
        return b"".join(self.parts)


def _not_acceptable(offers: tuple[str, ...]) -> HttpError:
    return HttpError(406, "not_acceptable",
                     "none of the media types in the Accept header can be produced here; available: "
                     + ", ".join(offers))


def serialize(result, accept: str | None, max_bytes: int, *, forced: str | None = None,
              prefixes: dict[str, str] | None = None) -> Reply:
    """A pyoxigraph query result (or an iterable of triples) -> the negotiated serialisation."""
    graph = not isinstance(result, (pyoxigraph.QuerySolutions, pyoxigraph.QueryBoolean))
    offers = RDF_OFFERS if graph else RESULT_OFFERS
    if forced is not None:
        if forced not in offers:
            raise HttpError(406, "not_acceptable",
                            f"this query gives {'a graph' if graph else 'a table'}; {forced} cannot hold it")
        media = forced
    else:
        media = negotiate(accept, offers)
        if media is None:
            raise _not_acceptable(offers)
    out = _Capped(max_bytes)
    if graph:
        fmt = getattr(pyoxigraph.RdfFormat, RDF[media])
        try:
            if fmt.name in _PREFIXED:
                pyoxigraph.serialize(result, out, fmt, prefixes=PREFIXES if prefixes is None else prefixes)
            else:
                pyoxigraph.serialize(result, out, fmt)
        except OSError as exc:
            if "does not support" not in str(exc):     # a store that failed while the answer was read
                raise
            # "JSON-LD does not support RDF 1.2 yet": the graph holds a triple term
            raise HttpError(406, "not_acceptable", f"{media} cannot hold this graph ({exc}); ask for "
                            + ", ".join(m for m in offers if m != media)) from None
    else:
        result.serialize(out, getattr(pyoxigraph.QueryResultsFormat, RESULTS[media]))
    content_type = media + "; charset=utf-8" if media.startswith("text/") else media
    body = out.value()
    problem = xml_problem(body) if media.endswith("xml") else None
    if problem is not None:
        raise HttpError(406, "not_acceptable", f"{problem}; ask for JSON, CSV, TSV or an RDF text format")
    return Reply(200, content_type, body)


_PREFIXED = {"Turtle", "TriG", "RDF/XML"}


def _graph_terms(iris, what: str) -> list:
    terms = []
    for iri in iris:
        try:
            terms.append(pyoxigraph.NamedNode(iri))
        except ValueError:
            raise HttpError(400, "bad_request", f"{what} {iri[:200]!r} is not a valid IRI") from None
    return terms


def run_query(store, job: dict, max_bytes: int) -> Reply:
    kwargs: dict = {"custom_functions": custom_functions(),
                    "custom_aggregate_functions": custom_aggregate_functions()}
    if job.get("base_iri"):
        kwargs["base_iri"] = job["base_iri"]
    if job.get("default_graphs") is None and job.get("named_graphs") is None:
        # the union of the named graphs, unless the query names its dataset (FROM / FROM NAMED)
        kwargs["use_default_graph_as_union"] = not has_dataset_clause(job["query"])
    else:        # the protocol's dataset overrides the query's; a graph named twice counts once
        kwargs["default_graph"] = _graph_terms(dict.fromkeys(job.get("default_graphs") or []), "default-graph-uri")
        kwargs["named_graphs"] = _graph_terms(dict.fromkeys(job.get("named_graphs") or []), "named-graph-uri")
    try:
        result = store.query(job["query"], **kwargs)
    except SyntaxError as exc:
        message = str(exc)
        prefixes = prefix_message(message, job["query"])
        if prefixes is not None:
            plain, line, column = prefixes
            message = f"error at {line}:{column}: {plain}"
        raise HttpError(400, "bad_query", f"the query is not valid SPARQL: {message}") from None
    except RuntimeError as exc:
        if unknown_function(exc):
            raise HttpError(400, "bad_query", f"the query calls a function this endpoint does not offer: {exc}") from None
        raise
    return serialize(result, job.get("accept"), max_bytes)


_parsed: dict[tuple[str, str], object] = {}      # (name, text) -> SavedQuery
_PARSED_KEEP = 64


def _saved_query(name: str, text: str):
    """The saved query ``name`` parsed from ``text`` (remembered: a worker sees the same few texts)."""
    from ..registry import parse_text

    key = (name, text)
    if key not in _parsed:
        if len(_parsed) >= _PARSED_KEEP:
            _parsed.clear()
        _parsed[key] = parse_text(name, text, f"{name}.rq")
    return _parsed[key]


def run_saved(store, job: dict, max_bytes: int) -> Reply:
    from ..saved import run

    query = _saved_query(job["name"], job["text"])
    result = run(query, job.get("params") or {}, store)
    return serialize(result, job.get("accept"), max_bytes, forced=job.get("format"))


def run_graph(store, job: dict, max_bytes: int) -> Reply:
    iri = job.get("graph")
    if iri is None:   # the default graph as queries see it: the union of the named graphs
        result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
        return serialize(result, job.get("accept"), max_bytes)
    (node,) = _graph_terms([iri], "graph")
    if not store.contains_named_graph(node):
        raise HttpError(404, "not_found", f"the store has no graph <{iri[:200]}>")
    triples = (pyoxigraph.Triple(q.subject, q.predicate, q.object)
               for q in store.quads_for_pattern(None, None, None, node))
    return serialize(triples, job.get("accept"), max_bytes)


def run_graphs(store, job: dict, max_bytes: int) -> Reply:
    names = sorted(g.value for g in store.named_graphs() if isinstance(g, pyoxigraph.NamedNode))
    return Reply(200, "application/json", json.dumps(names).encode("utf-8"))


OPS = {"query": run_query, "saved": run_saved, "graph": run_graph, "graphs": run_graphs}


def execute(store, job: dict, max_bytes: int = DEFAULT_MAX_BYTES) -> Reply:
    """Run ``job`` on ``store``; every failure becomes an error :class:`Reply` (JSON body)."""
    try:
        op = OPS.get(job.get("op"))
        if op is None:
            raise HttpError(400, "bad_request", f"unknown job {job.get('op')!r}")
        return op(store, job, max_bytes)
    except HttpError as err:
        return error_reply(err)
    except BukamalError as exc:
        return error_reply(from_project_error(exc))
    except ResultTooLarge:
        return error_reply(HttpError(
            503, "result_too_large",
            f"the answer is larger than this endpoint's limit of {max_bytes} bytes; add a LIMIT"))
    except (ValueError, TypeError) as exc:    # pyoxigraph: a substitution or argument it rejects
        return error_reply(HttpError(400, "bad_query", clean_message(str(exc))))
    except OSError:
        return error_reply(HttpError(503, "store_unavailable", "the store could not be read"))
    except RuntimeError as exc:             # pyoxigraph: an evaluation error (e.g. unbindable variable)
        print(f"worker: query failed: {exc!r}", file=sys.stderr)
        return error_reply(HttpError(500, "query_failed", "the query engine failed on this query"))


def clean_message(message: str) -> str:
    """An engine message without anything that looks like a filesystem path."""
    return scrub_paths(message)


def error_reply(err: HttpError) -> Reply:
    return Reply(err.status, "application/json", error_body(err.kind, err.message, err.extra),
                 kind=err.kind, headers=dict(err.headers))
