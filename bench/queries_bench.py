"""Saved-query latency: ``loader.saved.run`` (parameter validation and binding, then the query) against
the bare ``Store.query`` call with the same text, the same bound terms and the same extension functions.

Per run, both are called alternately (bare, saved, bare, saved, ...) after a warm-up, on the store the
build wrote, for about ``budget_s`` seconds (at least 50 pairs; 15 when a pair takes over half a
second and 5 when it takes over two, and then one run instead of ``runs``: a median of 5 pairs moved
by 30 % between runs on a busy machine); p50 and p99 of each, the medians over the runs reported. The parameter is given as an IRI
(``iri``), and, for information, as a label (``label``: the label is looked up in the store).
"""

from __future__ import annotations

import time

from .common import percentile, repeat

# (query, parameter, form): the actor with most parts, the place with most operations; "label" gives the
# actor by its label instead of its IRI (measured when a call takes under half a second)
VARIANTS = (("actor-hierarchy", "actor", "iri"), ("actor-hierarchy", "actor", "label"), ("timeline", "place", "iri"))
BK = "https://w3id.org/bukamal-kg/ontology#"


def pick_actor(store) -> tuple[str, str]:
    """The actor with the most parts (ties: smallest IRI), and its label if no other thing has it."""
    row = next(iter(store.query(
        f"SELECT ?a (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p <{BK}partOf> ?a . ?a a <{BK}Actor> }} "
        "GROUP BY ?a ORDER BY DESC(?n) ?a LIMIT 1",
        use_default_graph_as_union=True)))
    actor = row["a"].value
    label = next(iter(store.query(
        f"SELECT ?l WHERE {{ <{actor}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} ORDER BY ?l LIMIT 1",
        use_default_graph_as_union=True)))["l"].value
    return actor, label


def pick_place(store) -> str:
    """The place with the most operations (ties: smallest IRI)."""
    return next(iter(store.query(
        f"SELECT ?f (COUNT(DISTINCT ?op) AS ?n) WHERE {{ ?op <{BK}hasPlace> ?f }} GROUP BY ?f ORDER BY DESC(?n) ?f LIMIT 1",
        use_default_graph_as_union=True)))["f"].value


def _latency(store_dir: str, name: str, param: str, form: str, budget_s: float) -> dict:
    from pathlib import Path

    from loader.functions import custom_aggregate_functions, custom_functions
    from loader.params import bind
    from loader.registry import load_registry
    from loader.saved import run
    from loader.store import open_read_only

    store = open_read_only(Path(store_dir))
    query = load_registry().get(name)
    if param == "actor":
        actor, label = pick_actor(store)
        params = {"actor": actor if form == "iri" else label}
    else:
        params = {param: pick_place(store)}
    subs = bind(query, params, store)
    functions, aggregates = custom_functions(), custom_aggregate_functions()

    def bare():
        return list(store.query(query.text, use_default_graph_as_union=True, substitutions=subs or None,
                                custom_functions=functions, custom_aggregate_functions=aggregates))

    def saved():
        return list(run(query, params, store))

    t0 = time.perf_counter()
    rows = len(bare())
    if len(saved()) != rows:
        raise AssertionError(f"{name}: the saved query and the bare query give different rows")
    per_pair = time.perf_counter() - t0            # the first pair is the warm-up
    if per_pair < 0.5:
        for _ in range(3):
            bare()
            saved()
    n = 5 if per_pair > 2.0 else 15 if per_pair > 0.5 else max(50, min(1000, int(budget_s / max(per_pair, 1e-6))))
    times: dict[str, list[float]] = {"bare": [], "saved": []}
    for i in range(n):
        for kind, fn in ((("bare", bare), ("saved", saved)) if i % 2 == 0 else (("saved", saved), ("bare", bare))):
            t = time.perf_counter()
            fn()
            times[kind].append(time.perf_counter() - t)
    out = {"seconds": 0.0, "rows": rows, "n": n, "param": next(iter(params.values())), "per_pair_s": per_pair}
    for kind, values in times.items():
        values.sort()
        out[kind] = {"p50_ms": percentile(values, 50) * 1000, "p99_ms": percentile(values, 99) * 1000}
    return out


def measure(store_dir: str, runs: int, budget_s: float = 1.5) -> dict:
    out = {}
    slow = False
    for name, param, form in VARIANTS:
        if form == "label" and slow:
            continue
        results = repeat(1, _latency, store_dir, name, param, form, budget_s)
        slow = results[0]["per_pair_s"] >= 0.5
        if not slow:                                 # slow ones (seconds per call) once: the rest of
            results += repeat(runs - 1, _latency, store_dir, name, param, form, budget_s)  # the bench needs the time
        row = {"rows": results[0]["rows"], "n": results[0]["n"], "runs": len(results), "param": results[0]["param"],
               "peak_mb": max(r["peak_mb"] for r in results)}
        for kind in ("bare", "saved"):
            for stat in ("p50_ms", "p99_ms"):
                row.setdefault(kind, {})[stat] = round(sorted(r[kind][stat] for r in results)[len(results) // 2], 3)
        row["overhead_p50"] = round(row["saved"]["p50_ms"] / row["bare"]["p50_ms"] - 1, 3)
        row["overhead_p99"] = round(row["saved"]["p99_ms"] / row["bare"]["p99_ms"] - 1, 3)
        out[f"{name} ({form})"] = row
    return out
