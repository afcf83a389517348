"""``bukamal build``: check the data and publish a new store generation."""

from __future__ import annotations

from pathlib import Path

import click

from ..build import STAGES, BuildResult
from ..build import build as run_build
from ..results import table
from ..terms import compact_iri
from .common import FolderPath, store_option, write_output
from .remote import remote_options


def _progress(n: int, name: str, detail: str, seconds: float) -> None:
    click.echo(f"[{n}/{len(STAGES)}] {name:<9} {detail}   {seconds:.2f} s", err=True)


def summary(r: BuildResult) -> str:
    rows = [[compact_iri(g), f"{n:,}", ""] for g, n in r.asserted.items()]
    rows.append(["bkg:inferred", "", f"{r.inferred:,}"])
    rows.append(["total", f"{sum(r.asserted.values()):,}", f"{r.inferred:,}"])
    grades = ", ".join(f"{k} {v}" for k, v in r.grades.items()) or "no operations"
    times = ", ".join(f"{k} {v:.2f} s" for k, v in r.timings.items())
    lines = [table(["graph", "asserted", "inferred"], rows).rstrip("\n").rsplit("\n", 1)[0],
             f"shapes checked: {r.shapes} (0 violations)",
             f"attribution grades: {grades}",
             f"time: {times}; total {sum(r.timings.values()):.2f} s",
             f"published {r.generation} in {r.target or r.store_dir}"
             + (f" (previous {r.previous} {'replaced' if r.target else 'kept'})" if r.previous else "")
             + (f"; removed {', '.join(r.pruned)}" if r.pruned else "")]
    return "\n".join(lines)


@click.command("build")
@store_option
@click.option("--root", type=FolderPath(file_okay=False, exists=True, path_type=Path), default=None,
              help="Project folder holding ontology/, corpus/ and triples/ (default: this checkout, or "
                   "$BUKAMAL_ROOT). Without --store the store goes to <root>/store.")
@click.option("--force", is_flag=True, help="Rebuild even if the inputs have not changed.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
@remote_options
def build(store_dir: Path | None, root: Path | None, force: bool, quiet: bool, remote=None) -> None:
    """Check the data and build a new store generation, in five stages.

    \b
    1 parse     ontology/, corpus/metadata.ttl, triples/ (strict; errors give file:line:column)
    2 evidence  every quote verbatim at its offsets in corpus/; every fact covered by a claim
    3 shacl     ontology/shapes.ttl over the data
    4 reason    OWL 2 RL closure into bkg:inferred, then the attribution grades
    5 load      a new on-disk generation, published atomically (the previous one is kept)

    A failure at any stage leaves the current store untouched. With unchanged inputs nothing is
    done ("store is up to date"). With --remote URL, stage 5 pushes the graphs to that SPARQL service
    instead and switches to them in one update request (see README, "Remote store").

    \b
    Example:
      bukamal build
      bukamal build --store /tmp/bukamal-store --force
      bukamal build --remote http://127.0.0.1:7878/query
    """
    if remote is not None:
        from ..remote import RemoteStore
        from ..remote_build import build_remote
        with RemoteStore(remote) as target:
            result = build_remote(target, root, force=force, progress=None if quiet else _progress)
    else:
        result = run_build(root, store_dir, force=force, progress=None if quiet else _progress)
    if result.up_to_date:
        where = result.target or result.store_dir
        _say(f"store is up to date ({result.generation} in {where}, inputs unchanged: "
             f"{sum(result.asserted.values()):,} asserted and {result.inferred:,} inferred triples); "
             "use --force to rebuild")
        return
    for line in result.warnings:
        click.echo(line, err=True)
    _say(summary(result))


def _say(text: str) -> None:
    """The build's report on standard output; one that cannot be written is an error that says so
    (exit 3 for a full disk, 2 for a closed output), not a traceback: the build itself is done."""
    write_output((text + "\n").encode("utf-8"), None)
