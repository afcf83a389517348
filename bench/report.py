"""The results as a Markdown table (printed, and pasted into the README), the targets with their
verdicts, and the plot of cost against size (bench/cost.png)."""

from __future__ import annotations

from pathlib import Path


def _k(n: float) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n / 1e3:.0f} k" if n >= 1e4 else f"{n / 1e3:.1f} k"


def _s(x: float) -> str:
    return f"{x:.3f} s" if x < 1 else f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def _rate(x: float) -> str:
    return f"{x / 1e3:,.0f} k/s" if x >= 1e4 else f"{x:,.0f}/s"


def _pct(x: float) -> str:
    return f"{x * 100:+.1f} %"


def targets(res: dict) -> list[tuple[str, str, str, bool]]:
    """(what, measured, target, met) for each target of issue 6."""
    rows = {r["target"]: r for r in res["sizes"]}
    big, mid = rows[max(rows)], rows.get(100_000)
    out = []
    out.append(("build throughput / raw bulk_load at %s" % _k(big["build"]["build"]["asserted"]),
                f"{big['build']['ratio'] * 100:.0f} %", ">= 50 %", big["build"]["ratio"] >= 0.5))
    if mid and "owlrl" in mid["reasoning"]:
        r = mid["reasoning"]
        out.append(("reasoning speed-up over owlrl at 100 k, same inferences",
                    f"{r['speedup']:.0f}x, same: {r['same_inferences']}", ">= 50x, same set",
                    r["speedup"] >= 50 and r["same_inferences"] is True))
    r = big["reasoning"]
    per_m = max(r["rules"]["seconds"], r["rules-build"]["seconds"]) / (r["input"] / 1e6)
    out.append(("reasoning seconds per million triples", f"{per_m:.1f} s", "<= 10 s", per_m <= 10))
    for name in big["saved_queries"]:
        if name.endswith("(iri)"):
            worst = max(rows[s]["saved_queries"][name]["overhead_p50"] for s in rows)
            out.append((f"saved-query overhead, {name}, p50, worst size", _pct(worst), "<= +10 %", worst <= 0.10))
    worst = min(rows[s]["export"]["ratio"] for s in rows)
    out.append(("export throughput / dump (N-Quads), worst size", f"{worst * 100:.0f} %", ">= 90 %", worst >= 0.9))
    ep = res.get("endpoint")
    if ep:
        m, p = ep["results"]["medium join"], ep["results"]["point lookup"]
        out.append(("endpoint req/s / Oxigraph, medium join", f"{m['rps_ratio'] * 100:.0f} %", ">= 85 %",
                    m["rps_ratio"] >= 0.85))
        out.append(("endpoint p99 / Oxigraph, medium join", f"{m['p99_ratio']:.2f}x", "<= 1.5x", m["p99_ratio"] <= 1.5))
        out.append(("endpoint req/s / Oxigraph, point lookup", f"{p['rps_ratio'] * 100:.0f} %", ">= 45 %",
                    p["rps_ratio"] >= 0.45))
    return out


def markdown(res: dict) -> str:
    rows = sorted(res["sizes"], key=lambda r: r["target"])
    head = "| | " + " | ".join(_k(r["build"]["build"]["asserted"]) + " triples" for r in rows) + " |"
    lines = [head, "|---|" + "---|" * len(rows)]

    def add(label, fn):
        cells = []
        for r in rows:
            try:
                cells.append(fn(r))
            except KeyError:
                cells.append("—")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    add("**build** (`loader.build.build`, all 5 stages)", lambda r: (
        f"{_s(r['build']['build']['seconds'])} · {_rate(r['build']['build']['triples_per_s'])} · "
        f"{r['build']['build']['peak_mb']} MB"))
    for st in ("parse", "evidence", "shacl", "reason", "load"):
        add(f"  stage {st}", lambda r, st=st: _s(r["build"]["build"]["stages"][st]))
    add("raw `Store.bulk_load` of the same quads (one TriG file)", lambda r: (
        f"{_s(r['build']['bulk_load']['seconds'])} · {_rate(r['build']['bulk_load']['triples_per_s'])} · "
        f"{r['build']['bulk_load']['peak_mb']} MB"))
    add("build / bulk_load throughput", lambda r: f"**{r['build']['ratio'] * 100:.0f} %**")
    add("  raw `bulk_load` of what the build writes (input + inferred, N-Quads)", lambda r: (
        f"{_s(r['build']['bulk_load_output']['seconds'])} · {r['build']['bulk_load_output']['quads']:,} quads · "
        f"{r['build']['bulk_load_output']['peak_mb']} MB · {r['build']['output_ratio'] * 100:.0f} % of the build's time"))
    add("**reasoning** `loader.rules` (all inferences)", lambda r: (
        f"{_s(r['reasoning']['rules']['seconds'])} · {_rate(r['reasoning']['rules']['triples_per_s'])} · "
        f"{r['reasoning']['rules']['inferred']:,} inferred · {r['reasoning']['rules']['peak_mb']} MB"))
    add("  what the build keeps (`BUILD_EXCLUSIONS`)", lambda r: (
        f"{_s(r['reasoning']['rules-build']['seconds'])} · {r['reasoning']['rules-build']['inferred']:,} inferred"))
    add("owlrl `DeductiveClosure(OWLRL_Semantics)`", lambda r: (
        f"{_s(r['reasoning']['owlrl']['seconds'])} ({len(r['reasoning']['owlrl']['runs'])} run"
        f"{'s' if len(r['reasoning']['owlrl']['runs']) > 1 else ''}) · {_rate(r['reasoning']['owlrl']['triples_per_s'])}"
        f" · {r['reasoning']['owlrl']['peak_mb']} MB" if "owlrl" in r["reasoning"] else "skipped (> 100 k)"))
    add("speed-up over owlrl · same inferred set", lambda r: (
        f"**{r['reasoning']['speedup']:.0f}x** · {r['reasoning']['same_inferences']}"
        if "owlrl" in r["reasoning"] else "—"))
    add("**SHACL** compiled to SPARQL (`loader.shaclsparql`)", lambda r: (
        f"{_s(r['shacl']['sparql']['seconds'])} (store fill {_s(r['shacl']['sparql']['store_s'])}) · "
        f"{r['shacl']['sparql']['peak_mb']} MB"))
    add("pyshacl (`loader.shacl`)", lambda r: (
        f"{_s(r['shacl']['pyshacl']['seconds'])} ({len(r['shacl']['pyshacl']['runs'])} run"
        f"{'s' if len(r['shacl']['pyshacl']['runs']) > 1 else ''}) · {r['shacl']['pyshacl']['peak_mb']} MB"
        if "pyshacl" in r["shacl"] else "skipped (> 100 k)"))
    add("speed-up · same results", lambda r: (
        f"{r['shacl']['speedup']:.0f}x · {r['shacl']['same_results']}" if "pyshacl" in r["shacl"] else "—"))
    for name in rows[0]["saved_queries"]:
        add(f"**saved query** {name}: p50 bare → saved", lambda r, n=name: (
            f"{r['saved_queries'][n]['bare']['p50_ms']:.2f} → {r['saved_queries'][n]['saved']['p50_ms']:.2f} ms "
            f"(**{_pct(r['saved_queries'][n]['overhead_p50'])}**)"))
        add("  p99 bare → saved", lambda r, n=name: (
            f"{r['saved_queries'][n]['bare']['p99_ms']:.2f} → {r['saved_queries'][n]['saved']['p99_ms']:.2f} ms "
            f"({_pct(r['saved_queries'][n]['overhead_p99'])}; {r['saved_queries'][n]['rows']} rows; "
            f"{r['saved_queries'][n]['n']} pairs x {r['saved_queries'][n]['runs']} run"
            f"{'s' if r['saved_queries'][n]['runs'] > 1 else ''})"))
    add("**export** N-Quads, all graphs (`loader.export`)", lambda r: (
        f"{_s(r['export']['export_nquads']['seconds'])} · {_rate(r['export']['export_nquads']['quads_per_s'])} · "
        f"{r['export']['export_nquads']['peak_mb']} MB"))
    add("`Store.dump` N-Quads", lambda r: (
        f"{_s(r['export']['dump_nquads']['seconds'])} · {_rate(r['export']['dump_nquads']['quads_per_s'])} · "
        f"{r['export']['dump_nquads']['peak_mb']} MB"))
    add("export / dump throughput · same statements", lambda r: (
        f"**{r['export']['ratio'] * 100:.0f} %** · {r['export']['same_statements']}"))
    add("  `bukamal export` default (Turtle, asserted; 1 run)",
        lambda r: _s(r["export"]["export_turtle_asserted"]["seconds"]))
    out = "\n".join(lines)
    ep = res.get("endpoint")
    if ep:
        out += (f"\n\nEndpoint on the {_k(ep['store_triples'])}-triple store, {ep['clients']} clients x "
                f"{ep['requests_per_client']} requests, keep-alive, loopback (bukamal serve "
                f"{ep['bukamal_options']}; `oxigraph serve-read-only --union-default-graph` on a copy):\n\n")
        out += "| query | bukamal req/s · p50 · p99 | Oxigraph req/s · p50 · p99 | req/s ratio | p99 ratio | non-200 |\n"
        out += "|---|---|---|---|---|---|\n"
        for name, r in ep["results"].items():
            b, o = r["bukamal"], r["oxigraph"]
            out += (f"| {name} | {b['rps']:,.0f} · {b['p50_ms']:.1f} ms · {b['p99_ms']:.1f} ms "
                    f"({b['server_peak_mb']} MB) | {o['rps']:,.0f} · {o['p50_ms']:.1f} ms · {o['p99_ms']:.1f} ms "
                    f"({o['server_peak_mb']} MB) | **{r['rps_ratio'] * 100:.0f} %** | {r['p99_ratio']:.2f}x | "
                    f"{b['errors']} / {o['errors']} |\n")
    out += "\n\n| target | measured | goal | met |\n|---|---|---|---|\n"
    for what, measured, goal, met in targets(res):
        out += f"| {what} | {measured} | {goal} | {'met' if met else '**not met**'} |\n"
    return out


def plot(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(res["sizes"], key=lambda r: r["target"])
    series = {
        "build (5 stages)": lambda r: r["build"]["build"]["seconds"],
        "raw bulk_load": lambda r: r["build"]["bulk_load"]["seconds"],
        "reasoning: loader.rules": lambda r: r["reasoning"]["rules"]["seconds"],
        "reasoning: owlrl": lambda r: r["reasoning"]["owlrl"]["seconds"],
        "SHACL: compiled SPARQL": lambda r: r["shacl"]["sparql"]["seconds"],
        "SHACL: pyshacl": lambda r: r["shacl"]["pyshacl"]["seconds"],
        "export N-Quads": lambda r: r["export"]["export_nquads"]["seconds"],
        "Store.dump N-Quads": lambda r: r["export"]["dump_nquads"]["seconds"],
    }
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    for i, (label, fn) in enumerate(series.items()):
        xs, ys = [], []
        for r in rows:
            try:
                ys.append(fn(r))
                xs.append(r["build"]["build"]["asserted"])
            except KeyError:
                pass
        if xs:
            ax.plot(xs, ys, marker="o", linestyle="--" if i % 2 else "-", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input triples")
    ax.set_ylabel("seconds (median)")
    m = res["machine"]
    ax.set_title(f"bukamal-kg: cost against size ({m['cores']} cores, {m['cpu'][:40]}); "
                 "solid: bukamal-kg, dashed: baseline", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
