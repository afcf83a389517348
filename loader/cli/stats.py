"""``bukamal stats``: counts per named graph, per class and per source document."""

from __future__ import annotations

from pathlib import Path

import click

from ..stats import compute, render
from ..store import open_read_only
from .common import store_dir_or_default, store_option


@click.command("stats")
@store_option
def stats(store_dir: Path | None) -> None:
    """Count triples per named graph, instances per class, and evidence, claims and facts per document.

    \b
    Example:
      bukamal stats
      bukamal stats --store /tmp/bukamal-store
    """
    click.echo(render(compute(open_read_only(store_dir_or_default(store_dir)))), nl=False)
