"""Reasoning benchmark: loader.rules against owlrl on synthetic graphs of growing size.

    python -m bench.reasoning [--sizes 10000 100000 1000000] [--owlrl-max 100000] [--runs 3] [--seed 1]

For each size a synthetic project is generated (bench/out/synth-N, reused when its SYNTHETIC file says
the same size and seed) and loaded into an in-memory Oxigraph store, one named graph per file as the
contract says. Then, each in a fresh process so that its peak memory is its own:

* ``rules``  loader.rules.infer into bkg:inferred (everything owlrl derives, minus the documented noise);
* ``rules-build``  the same with ``BUILD_EXCLUSIONS`` (what the build keeps in bkg:inferred);
* ``owlrl``  owlrl's ``DeductiveClosure(OWLRL_Semantics).expand`` on an rdflib graph of the same files
  (up to ``--owlrl-max`` triples; beyond, owlrl takes too long), and a check that its output minus the
  noise is exactly the rules' output.

Reported per size: median seconds of ``--runs`` runs (loading the input excluded), input triples per
second, inferred triples, the peak resident memory of the measuring process, and the speed-up over owlrl.
Results go to bench/out/reasoning.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from loader.reason import rdflib_conversions_kept

from .common import BKG, OUT, ensure_project, in_child, project_files


def _rules(root: Path, exclude_name: str) -> dict:
    import pyoxigraph as ox

    from loader import rules

    store = ox.Store()
    files = project_files(root)
    for name, path in files:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(BKG + name))
    size = len(store)
    data = [ox.NamedNode(BKG + n) for n, _ in files if n != "ontology"]
    t0 = time.perf_counter()
    count = rules.infer(store, data, ox.NamedNode(BKG + "ontology"), ox.NamedNode(BKG + "inferred"),
                        getattr(rules, exclude_name))
    seconds = time.perf_counter() - t0
    keys = None
    if exclude_name == "NOTHING_EXCLUDED" and size < 300_000:
        keys = sorted((str(q.subject), str(q.predicate), str(q.object))
                      for q in store.quads_for_pattern(None, None, None, ox.NamedNode(BKG + "inferred")))
    return {"seconds": seconds, "input": size, "inferred": count, "keys": keys}


def _owlrl(root: Path) -> dict:
    import owlrl
    import rdflib

    from loader import rules

    graph = rdflib.Graph()
    for _, path in project_files(root):
        graph.parse(path, format="turtle")
    size, before = len(graph), set(graph)
    t0 = time.perf_counter()
    with rdflib_conversions_kept():
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    seconds = time.perf_counter() - t0
    new = [t for t in set(graph) - before if not rules.is_owlrl_noise(*t)]
    keys = sorted((_nt(s), _nt(p), _nt(o)) for s, p, o in new)
    return {"seconds": seconds, "input": size, "inferred": len(new), "keys": keys}


def _nt(term) -> str:
    """An rdflib term written as pyoxigraph's str() writes it."""
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    import pyoxigraph as ox

    if term.language:
        return str(ox.Literal(str(term), language=term.language))
    dt = str(term.datatype) if term.datatype else "http://www.w3.org/2001/XMLSchema#string"
    return str(ox.Literal(str(term), datatype=ox.NamedNode(dt)))


def measure(sizes: list[int], owlrl_max: int, runs: int, seed: int, owlrl_runs_above_20k: int = 1) -> list[dict]:
    return [measure_one(ensure_project(size, seed), size, owlrl_max, runs, owlrl_runs_above_20k) for size in sizes]


def measure_one(root: Path, size: int, owlrl_max: int, runs: int, owlrl_runs_above_20k: int = 1) -> dict:
    """One size: the rules (all inferences, and what the build keeps) ``runs`` times; owlrl up to
    ``owlrl_max`` triples, ``runs`` times up to 20 k triples and ``owlrl_runs_above_20k`` times above."""
    row: dict = {"target": size}
    for label, exclude in (("rules", "NOTHING_EXCLUDED"), ("rules-build", "BUILD_EXCLUSIONS")):
        results = [in_child(_rules, root, exclude) for _ in range(runs)]
        row[label] = _summary(results)
        if label == "rules":
            row["input"] = results[0]["input"]
            keys = results[0]["keys"]
    if size <= owlrl_max:
        results = [in_child(_owlrl, root) for _ in range(runs if size <= 20_000 else owlrl_runs_above_20k)]
        row["owlrl"] = _summary(results)
        row["same_inferences"] = keys == results[0]["keys"] if keys is not None else None
        row["speedup"] = round(row["owlrl"]["seconds"] / row["rules"]["seconds"], 1)
    print(_line(row), flush=True)
    return row


def _summary(results: list[dict]) -> dict:
    seconds = statistics.median(r["seconds"] for r in results)
    return {"seconds": round(seconds, 3), "runs": [round(r["seconds"], 3) for r in results],
            "inferred": results[0]["inferred"], "peak_mb": max(r["peak_mb"] for r in results),
            "triples_per_s": round(results[0]["input"] / seconds)}


def _line(row: dict) -> str:
    r, b = row["rules"], row["rules-build"]
    text = (f"{row['input']:>9,} triples  rules {r['seconds']:7.3f} s ({r['triples_per_s']:>9,}/s, "
            f"{r['inferred']:,} inferred, {r['peak_mb']} MB)  rules-build {b['seconds']:7.3f} s ({b['inferred']:,})")
    if "owlrl" in row:
        o = row["owlrl"]
        text += (f"  owlrl {o['seconds']:8.2f} s ({o['peak_mb']} MB)  x{row['speedup']}  "
                 f"same inferences: {row['same_inferences']}")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reasoning", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--owlrl-max", type=int, default=100_000, help="largest size owlrl is run on")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rows = measure(args.sizes, args.owlrl_max, args.runs, args.seed)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reasoning.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
