"""Export the store deterministically: the same store gives the same bytes.

``graph`` selects ``asserted`` (every named graph except ``bkg:inferred``, plus the default graph if
something was written there), ``inferred`` (``bkg:inferred``) or ``all``. Triple formats (Turtle,
N-Triples) merge the selected graphs into one set of triples; dataset formats (TriG, N-Quads, JSON-LD)
keep the graph names. Statements are sorted by their N-Triples form (graph first for datasets), and the
prefixes are the ones the build recorded from the ontology (plus the project's), in name order.

Blank nodes keep the labels the build gave them (file and order of appearance, see
:mod:`loader.parse`), so two builds of the same inputs export the same bytes, and a change to one file
does not relabel the blank nodes of the others.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph

from .errors import UsageError
from .namespaces import INFERRED_GRAPH, PREFIXES
from .store import current_manifest, open_read_only
from .terms import compact_iri, quad_key, triple_key

FORMATS = {"turtle": pyoxigraph.RdfFormat.TURTLE, "trig": pyoxigraph.RdfFormat.TRIG,
           "ntriples": pyoxigraph.RdfFormat.N_TRIPLES, "nquads": pyoxigraph.RdfFormat.N_QUADS,
           "jsonld": pyoxigraph.RdfFormat.JSON_LD}
GRAPHS = ("asserted", "inferred", "all")


def selected_quads(store: pyoxigraph.Store, graph: str = "asserted") -> list[pyoxigraph.Quad]:
    """The quads of the chosen graphs, sorted by (graph, subject, predicate, object)."""
    if graph not in GRAPHS:
        raise UsageError(f"unknown graph selection {graph!r}; use one of {', '.join(GRAPHS)}")
    inferred = pyoxigraph.NamedNode(INFERRED_GRAPH)
    out = []
    for q in store.quads_for_pattern(None, None, None, None):
        is_inferred = q.graph_name == inferred
        if graph == "all" or (graph == "inferred") == is_inferred:
            out.append(q)
    out.sort(key=quad_key)
    return out


def serialize(quads: list[pyoxigraph.Quad], fmt: str = "turtle", prefixes: dict[str, str] | None = None) -> bytes:
    """Serialise sorted ``quads``: merged and deduplicated triples for turtle/ntriples, quads otherwise."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    rdf_format = FORMATS[fmt]
    prefixes = dict(sorted((prefixes or PREFIXES).items()))
    if rdf_format.supports_datasets:
        items = quads
    else:
        triples = {pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads}
        items = sorted(triples, key=triple_key)
    return serialize_rdf(items, rdf_format, prefixes)


def serialize_rdf(items, rdf_format: pyoxigraph.RdfFormat, prefixes: dict[str, str]) -> bytes:
    """pyoxigraph's serializer, with the ``@prefix`` lines of Turtle/TriG in name order.

    (pyoxigraph writes the prefixes in the order of its internal map, which is not the given order.)
    """
    if rdf_format == pyoxigraph.RdfFormat.JSON_LD:
        return _compact_jsonld(pyoxigraph.serialize(items, format=rdf_format), prefixes)
    if rdf_format not in (pyoxigraph.RdfFormat.TURTLE, pyoxigraph.RdfFormat.TRIG):
        return pyoxigraph.serialize(items, format=rdf_format)
    data = pyoxigraph.serialize(items, format=rdf_format, prefixes=prefixes)
    lines = data.split(b"\n")
    n = 0
    while n < len(lines) and lines[n].startswith(b"@prefix "):
        n += 1
    header = [f"@prefix {name}: <{iri}> .".encode() for name, iri in sorted(prefixes.items())]
    return b"\n".join(header + lines[n:])


def _compact_jsonld(data: bytes, prefixes: dict[str, str]) -> bytes:
    """pyoxigraph's expanded JSON-LD with an ``@context`` of the prefixes and prefixed names in it."""
    def walk(node):
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in ("@id", "@type") and isinstance(value, str) and not value.startswith("_:"):
                out[key] = _curie(value)
            elif key.startswith("@"):
                out[key] = walk(value)
            else:
                out[_curie(key)] = walk(value)
        return out

    def _curie(iri: str) -> str:
        short = compact_iri(iri, prefixes)
        return iri if short.startswith("<") else short

    body = {"@context": dict(sorted(prefixes.items())), "@graph": walk(json.loads(data))}
    return (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def export(store_dir: Path, *, fmt: str = "turtle", graph: str = "asserted") -> bytes:
    """Export the current generation of ``store_dir``."""
    store = open_read_only(store_dir)
    manifest = current_manifest(store_dir) or {}
    return serialize(selected_quads(store, graph), fmt, manifest.get("prefixes") or PREFIXES)
