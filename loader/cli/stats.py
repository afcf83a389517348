"""``bukamal stats``: counts per named graph, per class and per source document."""

from __future__ import annotations

from pathlib import Path

import click

from ..stats import compute, render
from .common import store_option, write_output
from .remote import open_store, remote_options


@click.command("stats")
@store_option
@remote_options
def stats(store_dir: Path | None, remote=None) -> None:
    """Count triples per named graph, instances per class, and evidence, claims and facts per document.

    \b
    Example:
      bukamal stats
      bukamal stats --store /tmp/bukamal-store
      bukamal stats --remote http://127.0.0.1:7878/query
    """
    write_output(render(compute(open_store(store_dir, remote))).encode("utf-8"), None)
