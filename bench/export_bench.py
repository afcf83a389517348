"""Export throughput: ``loader.export.export`` (every graph, N-Quads: statements sorted, deterministic)
against pyoxigraph's ``Store.dump`` of the same store to N-Quads; and, for information, the default
``bukamal export`` (asserted graphs merged, Turtle with the ontology's prefixes). Each run is a fresh
process; the runs of the export and of the dump alternate."""

from __future__ import annotations

import time
from pathlib import Path

from .common import repeat, summary


def _export(store_dir: str, fmt: str, graph: str) -> dict:
    from loader.export import export

    t0 = time.perf_counter()
    data = export(Path(store_dir), fmt=fmt, graph=graph)
    return {"seconds": time.perf_counter() - t0, "bytes": len(data), "lines": data.count(b"\n")}


def _dump(store_dir: str) -> dict:
    import pyoxigraph as ox

    from loader.store import open_read_only

    t0 = time.perf_counter()
    store = open_read_only(Path(store_dir))
    data = store.dump(format=ox.RdfFormat.N_QUADS)
    return {"seconds": time.perf_counter() - t0, "bytes": len(data), "lines": data.count(b"\n")}


def measure(store_dir: str, runs: int) -> dict:
    ours, dump = [], []
    for i in range(runs):          # interleaved, the first alternating: both see the same machine load
        pair = ((ours, _export, (store_dir, "nquads", "all")), (dump, _dump, (store_dir,)))
        for results, target, args in (pair if i % 2 == 0 else pair[::-1]):
            results += repeat(1, target, *args)
    turtle = repeat(1, _export, store_dir, "turtle", "asserted")          # for information: one run
    out = {"export_nquads": summary(ours), "dump_nquads": summary(dump), "export_turtle_asserted": summary(turtle)}
    quads = dump[0]["lines"]
    for key, res in (("export_nquads", ours), ("dump_nquads", dump)):
        out[key].update(quads=res[0]["lines"], bytes=res[0]["bytes"], quads_per_s=round(res[0]["lines"] / out[key]["seconds"]))
    out["export_turtle_asserted"].update(bytes=turtle[0]["bytes"])
    out["same_statements"] = ours[0]["lines"] == quads
    out["ratio"] = round(out["dump_nquads"]["seconds"] / out["export_nquads"]["seconds"], 3)
    return out
