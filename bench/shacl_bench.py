"""SHACL validation time: pyshacl (the oracle, stage 3 as ``loader.shacl.validate`` runs it) against the
shapes compiled to SPARQL (``loader.shaclsparql``), on the same parsed project.

Both times are the whole stage from the parsed files: for pyshacl, the rdflib graphs are built and
validated; for the SPARQL path, an in-memory Oxigraph store is filled and queried (``store`` is that
fill alone: the build can hand over the store it fills for reasoning anyway). Where both run, their
results are compared (``same_results``).
"""

from __future__ import annotations

import time
from pathlib import Path

from .common import repeat, summary


def _findings(found) -> list[str]:
    return sorted(repr((str(f.severity), str(f.focus), str(f.path), str(f.value), str(f.component), f.messages))
                  for f in found)


def _sparql(root: str) -> dict:
    import pyoxigraph as ox

    from loader import shacl, shaclsparql
    from loader.parse import discover, parse_all

    parsed = parse_all(discover(Path(root)))
    t0 = time.perf_counter()
    store = ox.Store()
    store.bulk_extend(parsed.quads({"ontology", "data", "corpus"}))
    t1 = time.perf_counter()
    shapes = shacl._graph(list(parsed.quads({"shapes"})))
    found = shaclsparql.findings(store, shapes)
    summary_ = shaclsparql.report(parsed, shapes, [f for f in found if str(f.severity).endswith("Warning")])
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "store": t1 - t0, "input": parsed.triple_count, "results": len(found),
            "shapes": summary_.shapes, "keys": _findings(found)}


def _pyshacl(root: str) -> dict:
    import pyshacl
    from rdflib.namespace import RDF, SH

    from loader import shacl
    from loader.parse import discover, parse_all

    parsed = parse_all(discover(Path(root)))
    t0 = time.perf_counter()
    shapes = shacl._graph(list(parsed.quads({"shapes"})))
    data = shacl._graph(parsed.quads({"ontology", "data", "corpus"}))
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True,
        allow_infos=True, advanced=False, meta_shacl=False)
    seconds = time.perf_counter() - t0
    keys = sorted(repr((str(report.value(r, SH.resultSeverity)), str(report.value(r, SH.focusNode)),
                        str(report.value(r, SH.resultPath)), str(report.value(r, SH.value)),
                        str(report.value(r, SH.sourceConstraintComponent)),
                        tuple(sorted(str(m) for m in report.objects(r, SH.resultMessage)))))
                  for r in report.subjects(RDF.type, SH.ValidationResult))
    return {"seconds": seconds, "input": parsed.triple_count, "results": len(keys), "keys": keys}


def measure(root: Path, runs: int, pyshacl_runs: int) -> dict:
    fast = repeat(runs, _sparql, str(root))
    row = {"input": fast[0]["input"], "sparql": summary(fast), "results": fast[0]["results"]}
    row["sparql"]["store_s"] = round(sorted(r["store"] for r in fast)[len(fast) // 2], 3)
    row["sparql"]["triples_per_s"] = round(row["input"] / row["sparql"]["seconds"])
    if pyshacl_runs:
        slow = repeat(pyshacl_runs, _pyshacl, str(root))
        row["pyshacl"] = summary(slow)
        row["pyshacl"]["triples_per_s"] = round(row["input"] / row["pyshacl"]["seconds"])
        row["same_results"] = slow[0]["keys"] == fast[0]["keys"]
        row["speedup"] = round(row["pyshacl"]["seconds"] / row["sparql"]["seconds"], 1)
    return row
