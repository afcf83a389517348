"""Build throughput: ``loader.build.build`` (parse, evidence, SHACL, reasoning, load, publish) against
pyoxigraph's raw ``bulk_load`` of the same triples, each in its graph, into a store on the same disk
(one ``bulk_load`` call on one TriG file holding the project's files: pyoxigraph's fastest path; a call
per Turtle file is about three times slower at 1 M triples, with 500 files). The target compares with
that load of the build's input. For where the time goes, the same call also loads what the build
writes (its input and the inferred graph, dumped from the built store as N-Quads): the part of the
gap that is writing more quads, not the build's own work.

The build runs as ``bukamal build --force`` would, into a fresh store folder per run. Until the build
itself chooses the compiled-SPARQL SHACL path at scale, the measuring process replaces
``loader.shacl.validate`` by ``loader.shaclsparql.validate`` (pyshacl would need about 15 minutes at
1 M triples); the result says which path was measured.
"""

from __future__ import annotations

import gc
import inspect
import shutil
import time
from pathlib import Path

from .common import BKG, OUT, project_files, repeat, summary

STORES = OUT / "stores"


def shacl_path() -> str:
    """Make the build use the compiled SHACL path; say which path the build uses."""
    from loader import build, shacl, shaclsparql

    if "shaclsparql" in inspect.getsource(build):
        return "shaclsparql (wired into the build)"
    shacl.validate = shaclsparql.validate
    return "shaclsparql (loader.shacl.validate replaced in the measuring process)"


def _build(root: str, store_dir: str) -> dict:
    from loader.build import build

    path = shacl_path()
    shutil.rmtree(store_dir, ignore_errors=True)
    t0 = time.perf_counter()
    result = build(Path(root), Path(store_dir), force=True)
    seconds = time.perf_counter() - t0
    asserted = sum(result.asserted.values())
    return {"seconds": seconds, "stages": {k: round(v, 3) for k, v in result.timings.items()},
            "asserted": asserted, "inferred": result.inferred, "quads": asserted + result.inferred,
            "generation": result.generation, "shacl_path": path}


def dataset_file(root: Path) -> Path:
    """The project's files as one TriG file, each in its graph (made once, next to the project)."""
    import pyoxigraph as ox

    out = root.parent / f"{root.name}.trig"
    if not out.is_file():
        quads = []
        for name, path in project_files(root, shapes=True):
            graph = ox.NamedNode(BKG + name)
            quads += (ox.Quad(q.subject, q.predicate, q.object, graph)
                      for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        tmp = out.with_suffix(".tmp")
        ox.serialize(quads, output=str(tmp), format=ox.RdfFormat.TRIG)
        tmp.rename(out)
    return out


def output_file(built: Path) -> Path:
    """What a build wrote (asserted and inferred graphs) as one N-Quads file, next to its store."""
    import pyoxigraph as ox

    from loader.store import open_read_only

    out = built.parent / f"{built.name}-output.nq"
    store = open_read_only(built)
    store.dump(output=str(out), format=ox.RdfFormat.N_QUADS)
    del store
    return out


def _bulk_load(root: str, store_dir: str, source: str | None = None) -> dict:
    import pyoxigraph as ox

    shutil.rmtree(store_dir, ignore_errors=True)
    path = Path(source) if source else dataset_file(Path(root))
    fmt = ox.RdfFormat.N_QUADS if path.suffix == ".nq" else ox.RdfFormat.TRIG
    t0 = time.perf_counter()
    store = ox.Store(store_dir)
    store.bulk_load(path=str(path), format=fmt)
    store.flush()
    seconds = time.perf_counter() - t0
    quads = len(store)
    del store
    gc.collect()
    shutil.rmtree(store_dir, ignore_errors=True)
    return {"seconds": seconds, "quads": quads}


def measure(root: Path, label: str, runs: int) -> dict:
    """Median build and bulk-load times; the last build's store stays in bench/out/stores/LABEL."""
    store_dir = STORES / label
    builds = repeat(runs, _build, str(root), str(store_dir))
    loads = repeat(runs, _bulk_load, str(root), str(STORES / f"{label}-bulk"))
    output = output_file(store_dir)
    outputs = repeat(runs, _bulk_load, str(root), str(STORES / f"{label}-bulk"), str(output))
    output.unlink()
    b, raw, out = summary(builds), summary(loads), summary(outputs)
    asserted = builds[0]["asserted"]
    stages = {k: round(sorted(r["stages"][k] for r in builds)[len(builds) // 2], 3) for k in builds[0]["stages"]}
    b.update(asserted=asserted, inferred=builds[0]["inferred"], quads=builds[0]["quads"], stages=stages, shacl_path=builds[0]["shacl_path"],
             triples_per_s=round(asserted / b["seconds"]))
    raw.update(quads=loads[0]["quads"], triples_per_s=round(loads[0]["quads"] / raw["seconds"]))
    out.update(quads=outputs[0]["quads"], triples_per_s=round(outputs[0]["quads"] / out["seconds"]))
    return {"build": b, "bulk_load": raw, "ratio": round(b["triples_per_s"] / raw["triples_per_s"], 3),
            "bulk_load_output": out, "output_ratio": round(out["seconds"] / b["seconds"], 3),
            "store_dir": str(store_dir)}
