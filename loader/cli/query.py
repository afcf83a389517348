"""``bukamal query FILE.rq``: run a SPARQL file on the store and print the results."""

from __future__ import annotations

import sys
from pathlib import Path
from threading import TIMEOUT_MAX

import click

from .. import store as stores
from ..errors import NotFoundError, UsageError
from ..functions import custom_aggregate_functions, custom_functions
from ..namespaces import PREFIXES
from ..results import FORMATS, format_result
from .common import FiniteFloatRange, store_option, with_engine_stack, write_output
from .remote import open_store, remote_options


MAX_QUERY_BYTES = 16 << 20        # a query file larger than this is refused (reading /dev/zero ends)


def read_query_file(name: str) -> str:
    """The text of a query file: a path (a regular file, or a pipe such as ``/dev/stdin``) or ``-`` for
    standard input; UTF-8, a leading byte order mark dropped, at most :data:`MAX_QUERY_BYTES`."""
    if name == "-":
        data = sys.stdin.buffer.read(MAX_QUERY_BYTES + 1)
    else:
        path = Path(name)
        if path.is_dir():
            raise UsageError(f"{name} is a folder, not a query file")
        if not path.exists():
            raise NotFoundError(f"no such query file: {name}")
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_QUERY_BYTES + 1)
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    if len(data) > MAX_QUERY_BYTES:
        raise UsageError(f"{name} is larger than {MAX_QUERY_BYTES >> 20} MiB: not a query file")
    try:
        return data.decode("utf-8-sig")      # a leading byte order mark is dropped
    except UnicodeDecodeError:
        raise UsageError(f"{name} is not UTF-8 text") from None


@click.command("query")
@click.argument("file", metavar="FILE.rq|NAME")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table for people; csv/tsv/json/xml for SELECT and ASK; turtle/ntriples (or json,"
                   " xml, table) for CONSTRUCT and DESCRIBE.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A saved query's parameter (repeatable); `bukamal queries` lists them.")
@click.option("--explain", "explain_rows", is_flag=True,
              help="Saved queries, table format: print the evidence (document, offsets, quote) under each row.")
@click.option("--timeout", "timeout_s", type=FiniteFloatRange(min=0, min_open=True, max=TIMEOUT_MAX), default=None,
              metavar="SECONDS", help="Stop the query if it runs longer than this (exit 4); default: no limit.")
@store_option
@remote_options
def query(file: str, fmt: str, params: tuple[str, ...], explain_rows: bool, timeout_s: float | None,
          store_dir: Path | None, remote=None) -> None:
    """Run the SPARQL query in FILE.rq, or the saved query NAME, on the store.

    An argument ending in .rq or containing a / is a file (- reads the query from standard input);
    anything else is a saved-query name.

    The default graph is the union of all named graphs (asserted and inferred); use GRAPH to pick one.
    The project's prefixes (bk:, bkr:, bkg:, rdf:, rdfs:, owl:, skos:, ...) are predeclared.

    \b
    Example:
      bukamal query my-query.rq
      bukamal query my-query.rq --format csv > rows.csv
      echo 'SELECT * WHERE { ?s a bk:Airstrike }' | bukamal query -
      bukamal query strikes --param site="Imam Ali base" --explain
    """
    if not (file.endswith(".rq") or "/" in file or "\\" in file or file == "-"):
        from .queries import run_saved_command
        write_output(with_engine_stack(run_saved_command, file, params, fmt, explain_rows, store_dir, None, remote,
                                       timeout=timeout_s), None)
        return
    if params or explain_rows:
        raise UsageError("--param and --explain are for saved queries (bukamal query NAME);"
                         " see `bukamal queries`")
    text = read_query_file(file)

    def answer() -> bytes:
        store = open_store(store_dir, remote)        # within the timeout: a remote store is asked first
        result = stores.query(store, text, file=file, prefixes=PREFIXES, custom_functions=custom_functions(),
                              custom_aggregate_functions=custom_aggregate_functions())
        return format_result(result, fmt)

    write_output(with_engine_stack(answer, timeout=timeout_s), None)
