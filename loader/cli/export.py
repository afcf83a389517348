"""``bukamal export``: the store's graphs as a deterministic RDF file."""

from __future__ import annotations

from pathlib import Path

import click

from ..export import FORMATS, GRAPHS
from ..export import export as run_export
from .common import store_dir_or_default, store_option, write_output
from .remote import open_store, remote_options


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="turtle", show_default=True,
              help="turtle and ntriples merge the graphs; trig, nquads and jsonld keep graph names.")
@click.option("--graph", type=click.Choice(GRAPHS), default="asserted", show_default=True,
              help="asserted: every graph but bkg:inferred; inferred: bkg:inferred; all: both.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output ('-': standard output).")
@store_option
@remote_options
def export(fmt: str, graph: str, output: Path | None, store_dir: Path | None, remote=None) -> None:
    """Export the store, sorted, with the ontology's prefixes: the same store gives the same bytes.

    \b
    Example:
      bukamal export -o bukamal.ttl
      bukamal export --format trig --graph all -o bukamal.trig
    """
    if output is not None and str(output) == "-":       # the usual name of standard output
        output = None
    if remote is not None:
        from ..backend import export_from
        write_output(export_from(open_store(None, remote), fmt=fmt, graph=graph), output)
        return
    write_output(run_export(store_dir_or_default(store_dir), fmt=fmt, graph=graph), output)
