"""Replace the project's graphs on a remote SPARQL service so that readers see the old or the new
generation, never a mix: ``push(store, quads, manifest)``.

1. **stage**: every graph is uploaded under a fresh name ``STAGING/<generation>-<random>/<graph>``
   (Graph Store Protocol ``PUT``, or ``INSERT DATA`` when there is no Graph Store URL). Readers never
   see these graphs: their dataset is the graph list of the ``META`` graph (:mod:`loader.remote`).
2. **verify**: the triple count of every staged graph must equal what was sent.
3. **switch**: ONE SPARQL Update request moves every staged graph onto its real name
   (``MOVE GRAPH <staged> TO GRAPH <real>``), drops the project's graphs that are gone, and rewrites
   ``META`` (generation, graph list, manifest). An engine that applies an update request as one
   transaction (Oxigraph, Jena/Fuseki TDB2, GraphDB/RDF4J) makes this atomic: a reader sees the previous
   generation or the new one. (README, "Remote store", lists what each engine guarantees.)

A failure before the switch (the service dies, an HTTP error, a count that does not match) leaves the
real graphs and ``META`` untouched: the previous generation stays complete and queryable. The staged
graphs of a failed push are dropped (best effort) and, if that fails too, by the next push.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph

from .errors import BukamalError, RemoteStoreError
from .remote import META, META_GENERATION, META_GRAPH, META_MANIFEST, STAGING, RemoteStore, skolem

Progress = Callable[[str, int, int, str], None]      # (phase, done, total, graph IRI)


@dataclass
class PushResult:
    generation: str
    previous: str | None
    graphs: dict[str, int]            # graph IRI -> triples
    removed: list[str]                # project graphs of the previous generation that are gone


def by_graph(quads: Iterable[pyoxigraph.Quad]) -> dict[str, list[pyoxigraph.Triple]]:
    """Distinct triples per named graph, blank nodes as skolem IRIs, sorted (stable uploads)."""
    per: dict[str, set] = defaultdict(set)
    for q in quads:
        if not isinstance(q.graph_name, pyoxigraph.NamedNode):
            raise RemoteStoreError("only named graphs can be pushed (a quad is in the default graph)")
        per[q.graph_name.value].add(pyoxigraph.Triple(skolem(q.subject), q.predicate, skolem(q.object)))
    return {g: sorted(ts, key=str) for g, ts in sorted(per.items())}


def staged_name(token: str, graph: str) -> str:
    return f"{STAGING}{token}/{quote(graph, safe='')}"


def drop_staging(store: RemoteStore, keep: str | None = None) -> list[str]:
    """Drop staged graphs left by failed pushes (except those of ``keep``); returns their names."""
    rows = store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } FILTER(STRSTARTS(STR(?g), %s)) }"
                        % json.dumps(STAGING))
    names = sorted(r["g"].value for r in rows if r.get("g") is not None
                   and not (keep and r["g"].value.startswith(f"{STAGING}{keep}/")))
    if names:
        store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in names))
    return names


def push(store: RemoteStore, quads: Iterable[pyoxigraph.Quad], manifest: dict, *,
         progress: Progress | None = None) -> PushResult:
    """Upload ``quads`` as the next generation and switch to it atomically (see the module docstring)."""
    progress = progress or (lambda *a: None)
    graphs = by_graph(quads)
    previous = store.meta()
    number = (previous.generation if previous else 0) + 1
    token = f"{number}-{secrets.token_hex(4)}"
    staged = {g: staged_name(token, g) for g in graphs}
    done = 0
    try:
        drop_staging(store)
        for g, triples in graphs.items():
            progress("upload", done, len(graphs), g)
            store.put_graph(staged[g], triples)
            done += 1
        progress("verify", done, len(graphs), "")
        _verify(store, {staged[g]: len(ts) for g, ts in graphs.items()})
        progress("switch", done, len(graphs), "")
        gone = sorted(set(previous.graphs) - set(graphs)) if previous else []
        store.update(_switch(staged, gone, number, manifest))
    except BukamalError as exc:
        _forget(store, token)
        kept = f"gen-{previous.generation:06d}" if previous else "nothing (it held no generation)"
        raise RemoteStoreError(f"push to {store.config.display} failed after {done} of {len(graphs)} graphs"
                               f" ({exc.message}); the remote still serves {kept}") from None
    store._graphs = None
    return PushResult(f"gen-{number:06d}", f"gen-{previous.generation:06d}" if previous else None,
                      {g: len(ts) for g, ts in graphs.items()}, gone)


def _verify(store: RemoteStore, expected: dict[str, int]) -> None:
    values = " ".join(f"<{g}>" for g in expected)
    rows = store.select(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
                        " GROUP BY ?g")
    try:
        found = {r["g"].value: int(r["n"].value) for r in rows if r.get("g") is not None}
    except (KeyError, AttributeError, ValueError):        # an answer without the asked columns
        raise RemoteStoreError("the remote did not answer the count of the staged graphs it was asked for") from None
    for g, n in expected.items():
        if found.get(g, 0) != n:
            raise RemoteStoreError(f"the remote holds {found.get(g, 0)} triples of a staged graph where"
                                   f" {n} were sent")


def _switch(staged: dict[str, str], gone: list[str], number: int, manifest: dict) -> str:
    """One update request: staged graphs onto their names, old graphs dropped, META rewritten."""
    body = dict(manifest, generation=f"gen-{number:06d}")
    meta = [f"<{META}> <{META_GENERATION}> {number} ."]
    meta += [f"<{META}> <{META_GRAPH}> <{g}> ." for g in staged]
    meta.append(f"<{META}> <{META_MANIFEST}> {pyoxigraph.Literal(json.dumps(body, sort_keys=True))} .")
    ops = [f"DROP SILENT GRAPH <{g}>" for g in gone]
    ops += [f"MOVE GRAPH <{s}> TO GRAPH <{g}>" for g, s in staged.items()]
    ops.append(f"DROP SILENT GRAPH <{META}>")
    ops.append(f"INSERT DATA {{ GRAPH <{META}> {{\n" + "\n".join(meta) + "\n} }")
    return " ;\n".join(ops)


def _forget(store: RemoteStore, token: str) -> None:
    """Drop this push's staged graphs, if the remote still answers (else the next push does)."""
    try:
        rows = store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } FILTER(STRSTARTS(STR(?g), %s)) }"
                            % json.dumps(f"{STAGING}{token}/"))
        names = [r["g"].value for r in rows if r.get("g") is not None]
        if names:
            store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in names))
    except BukamalError:
        pass
