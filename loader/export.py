"""Export the store deterministically: the same store gives the same bytes.

``graph`` selects ``asserted`` (every named graph except ``bkg:inferred``, plus the default graph if
something was written there), ``inferred`` (``bkg:inferred``) or ``all``. Triple formats (Turtle,
N-Triples) merge the selected graphs into one set of triples; dataset formats (TriG, N-Quads, JSON-LD)
keep the graph names. Statements are sorted by their N-Triples form (graph first for datasets), and the
prefixes are the ones the build recorded from the ontology (plus the project's), in name order.

:func:`serialize` of :func:`selected_quads` works on any store (:mod:`loader.backend`). An embedded
store is exported by :func:`export_store` instead, with the same bytes: pyoxigraph dumps each graph as
N-Triples (the largest, ``bkg:inferred``, in a second thread), and the lines are sorted as bytes,
which is the order of their terms' N-Triples forms (UTF-8 keeps code point order, and a line's end,
"`` .``", sorts before anything that could extend its last term). No statement becomes a Python
object unless the format needs one (Turtle, TriG, JSON-LD).

Blank nodes keep the labels the build gave them (file and order of appearance, see
:mod:`loader.parse`), so two builds of the same inputs export the same bytes, and a change to one file
does not relabel the blank nodes of the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
        try:
            data = pyoxigraph.serialize(items, format=rdf_format)
        except OSError as exc:        # "JSON-LD does not support RDF 1.2 yet": a triple term
            raise UsageError(f"JSON-LD cannot hold this graph ({exc}); use turtle or ntriples") from None
        return _compact_jsonld(data, prefixes)
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


_LINE_END = b" .\n"


def selected_graphs(store: pyoxigraph.Store, graph: str = "asserted") -> list:
    """The names of the chosen graphs (the default graph included), sorted by their N-Triples form."""
    if graph not in GRAPHS:
        raise UsageError(f"unknown graph selection {graph!r}; use one of {', '.join(GRAPHS)}")
    inferred = pyoxigraph.NamedNode(INFERRED_GRAPH)
    names = [*store.named_graphs(), pyoxigraph.DefaultGraph()]
    return sorted((g for g in names if graph == "all" or (graph == "inferred") == (g == inferred)), key=str)


def _statements(store: pyoxigraph.Store, graph_name) -> list[bytes]:
    """The triples of one graph as N-Triples lines without their end (`` .\n``), in store order.

    (A line holds no raw newline: N-Triples escapes it in literals.)"""
    lines = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=graph_name).split(_LINE_END)
    lines.pop()                                  # what follows the last line end: nothing
    return lines


def graph_statements(store: pyoxigraph.Store, names: list) -> Iterator[tuple[int, list[bytes]]]:
    """``(i, lines)`` for each graph ``names[i]``: its :func:`_statements`.

    ``bkg:inferred``, the largest graph of a build, is read in a second thread (pyoxigraph releases
    the GIL while it dumps) while the other graphs are read and handed over; it comes last."""
    inferred = pyoxigraph.NamedNode(INFERRED_GRAPH)
    with ThreadPoolExecutor(max_workers=1) as pool:
        aside = {i: pool.submit(_statements, store, name) for i, name in enumerate(names) if name == inferred}
        for i, name in enumerate(names):
            if i not in aside:
                yield i, _statements(store, name)
        for i, future in aside.items():
            yield i, future.result()


def sorted_nquads(store: pyoxigraph.Store, graph: str = "asserted") -> bytes:
    """The chosen graphs as N-Quads, graph by graph (sorted by name), each graph's lines sorted."""
    names = selected_graphs(store, graph)
    chunks: list[tuple[bytes, ...]] = [()] * len(names)
    for i, lines in graph_statements(store, names):
        if lines:
            lines.sort()
            end = _LINE_END if isinstance(names[i], pyoxigraph.DefaultGraph) else f" {names[i]} .\n".encode()
            chunks[i] = (end.join(lines), end)
    return b"".join(part for chunk in chunks for part in chunk)


def sorted_ntriples(store: pyoxigraph.Store, graph: str = "asserted") -> bytes:
    """The chosen graphs merged into one set of triples, as sorted N-Triples."""
    found = [lines for _, lines in graph_statements(store, selected_graphs(store, graph))]
    # a graph holds each triple once; several graphs may hold the same one
    lines = found[0] if len(found) == 1 else list(set().union(*found))
    lines.sort()
    return _LINE_END.join(lines) + _LINE_END if lines else b""


def export_store(store: pyoxigraph.Store, fmt: str = "turtle", graph: str = "asserted",
                 prefixes: dict[str, str] | None = None) -> bytes:
    """``serialize(selected_quads(store, graph), fmt, prefixes)`` (the same bytes) for an embedded store."""
    if fmt not in FORMATS:
        selected_graphs(store, graph)            # an unknown graph selection is reported first
        raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    rdf_format = FORMATS[fmt]
    if rdf_format == pyoxigraph.RdfFormat.N_QUADS:
        return sorted_nquads(store, graph)
    if rdf_format == pyoxigraph.RdfFormat.N_TRIPLES:
        return sorted_ntriples(store, graph)
    prefixes = dict(sorted((prefixes or PREFIXES).items()))
    if rdf_format.supports_datasets:
        items = list(pyoxigraph.parse(sorted_nquads(store, graph), format=pyoxigraph.RdfFormat.N_QUADS))
    else:
        items = [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in
                 pyoxigraph.parse(sorted_ntriples(store, graph), format=pyoxigraph.RdfFormat.N_TRIPLES)]
    return serialize_rdf(items, rdf_format, prefixes)


def export(store_dir: Path, *, fmt: str = "turtle", graph: str = "asserted") -> bytes:
    """Export the current generation of ``store_dir``."""
    store = open_read_only(store_dir)
    manifest = current_manifest(store_dir) or {}
    return export_store(store, fmt, graph, manifest.get("prefixes") or PREFIXES)
