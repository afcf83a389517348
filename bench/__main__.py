"""``make bench`` / ``python -m bench``: every benchmark of issue 6 in one run, side by side.

For each size (synthetic projects from bench/generate.py, seed 1): build against raw bulk_load;
reasoning (loader.rules) against owlrl; SHACL compiled to SPARQL against pyshacl; saved-query latency
against the bare query; export against Store.dump. Then the endpoint against Oxigraph's server on the
largest store. Medians of ``--runs`` runs, each in a fresh process with its peak memory. The slow
oracles (owlrl, pyshacl) run up to ``--oracle-max`` triples, ``--runs`` times up to 20 k triples and
``--oracle-runs-large`` times above (one owlrl run at 100 k takes about two minutes).

Writes bench/results.json, bench/results.md (the table, in Markdown, as the README shows it) and
bench/cost.png, and prints the table and the targets.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import build_bench, endpoint, export_bench, queries_bench, reasoning, report, shacl_bench
from .common import ensure_project, load_average, machine

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--oracle-max", type=int, default=100_000, help="largest size owlrl and pyshacl run on")
    ap.add_argument("--oracle-runs-large", type=int, default=1, help="oracle runs above 20 k triples")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--requests", type=int, default=100, help="requests per client and round")
    ap.add_argument("--out", type=Path, default=HERE, help="where results.json and cost.png go")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    res = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
           "load_average_start": load_average(), "config": {k: str(v) for k, v in vars(args).items()}, "sizes": []}
    print(f"bench: {res['machine']['cpu']}, {res['machine']['cores']} cores, {res['machine']['memory_gib']} GiB; "
          f"load average at start {res['load_average_start']}", flush=True)
    shutil.rmtree(build_bench.STORES, ignore_errors=True)

    def step(text: str) -> None:
        print(f"[{time.perf_counter() - t0:6.0f} s] {text} (load average {load_average()[0]})", flush=True)

    stores = {}
    for size in sorted(args.sizes):
        root = ensure_project(size, args.seed)
        label = f"synth-{size}"
        row: dict = {"target": size, "load_average_before": load_average()}
        row["build"] = build_bench.measure(root, label, args.runs)
        stores[size] = row["build"]["store_dir"]
        step(f"{label}: build {row['build']['build']['seconds']:.2f} s, bulk_load "
             f"{row['build']['bulk_load']['seconds']:.2f} s, ratio {row['build']['ratio']}")
        row["reasoning"] = reasoning.measure_one(root, size, args.oracle_max, args.runs, args.oracle_runs_large)
        step(f"{label}: reasoning done")
        oracle_runs = 0 if size > args.oracle_max else args.runs if size <= 20_000 else args.oracle_runs_large
        row["shacl"] = shacl_bench.measure(root, args.runs, oracle_runs)
        step(f"{label}: SHACL {row['shacl']['sparql']['seconds']:.2f} s"
             + (f", pyshacl {row['shacl']['pyshacl']['seconds']:.1f} s" if "pyshacl" in row["shacl"] else ""))
        row["saved_queries"] = queries_bench.measure(stores[size], args.runs)
        step(f"{label}: saved queries done")
        row["export"] = export_bench.measure(stores[size], args.runs)
        step(f"{label}: export {row['export']['export_nquads']['seconds']:.2f} s, dump "
             f"{row['export']['dump_nquads']['seconds']:.2f} s")
        res["sizes"].append(row)
        _write(res, args.out)

    largest = max(stores)
    before = load_average()
    res["endpoint"] = endpoint.measure(stores[largest], args.runs, args.clients, args.requests)
    res["endpoint"]["load_average_before"] = before
    res["endpoint"]["store_triples"] = res["sizes"][-1]["build"]["build"]["quads"]
    step("endpoint done")
    res["duration_s"] = round(time.perf_counter() - t0, 1)
    res["load_average_end"] = load_average()
    _write(res, args.out)
    report.plot(res, args.out / "cost.png")
    table = report.markdown(res)
    (args.out / "results.md").write_text(table + "\n", encoding="utf-8")
    print()
    print(table)
    print(f"\nmake bench took {res['duration_s'] / 60:.1f} min; load average at start {res['load_average_start']}, "
          f"at end {res['load_average_end']}; results in {args.out / 'results.json'}, plot in {args.out / 'cost.png'}")
    shutil.rmtree(build_bench.STORES, ignore_errors=True)
    return 0


def _write(res: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
