"""``bukamal serve``: the SPARQL endpoint and the web query page (:mod:`loader.server`)."""

from __future__ import annotations

from pathlib import Path

import click

from .. import config
from .common import FiniteFloatRange
from .remote import remote_options


@click.command("serve")
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Store folder (default: store/ in the project, or $BUKAMAL_STORE).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but 127.0.0.1/::1 exposes the endpoint to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port (0: any free port; the URL is printed).")
@click.option("--timeout-s", type=FiniteFloatRange(min=0.1, max=86400.0), default=30.0, show_default=True,
              help="Deadline of each request; a query past it is stopped and answered 503.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Query worker processes.")
@click.option("--max-queue", type=click.IntRange(0), default=16, show_default=True,
              help="Requests that may wait for a worker; beyond that 503 with Retry-After.")
@click.option("--fronts", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Front processes sharing the port, each with its own --workers (read-only servers:"
                   " more than one uses more cores for HTTP and cheap queries).")
@click.option("--max-body-bytes", type=click.IntRange(1), default=1 << 20, show_default=True,
              help="Largest request body (413 beyond).")
@click.option("--max-depth", type=click.IntRange(1), default=128, show_default=True,
              help="Deepest nesting of ( { [ (or chain of !) in a query (400 beyond).")
@click.option("--inline-max-matches", type=click.IntRange(0), default=1000, show_default=True,
              help="A query of the cheap shape (one triple pattern with a constant subject, see the README)"
                   " is answered by the server process itself if its range holds at most this many"
                   " quads (0: every query goes to a worker).")
@click.option("--worker-memory-mb", type=click.IntRange(0), default=4096, show_default=True,
              help="Memory each worker process may take for a query, on top of what it holds once"
                   " started (an address-space limit; 0: none); a query past it gets 500.")
@click.option("--allow-update", is_flag=True,
              help="Accept SPARQL Update and Graph Store writes, with the bearer token from"
                   " $BUKAMAL_UPDATE_TOKEN or --token-file.")
@click.option("--token-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="File holding the update bearer token (instead of $BUKAMAL_UPDATE_TOKEN).")
@click.option("--cors", "cors", multiple=True, metavar="ORIGIN",
              help="Allow this origin (e.g. https://example.org) to query from scripts; never for updates.")
@click.option("--queries-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Folder of saved queries (default: queries/ in the project).")
@click.option("--log-level", type=click.Choice(["warning", "info", "debug"]), default="warning",
              show_default=True)
@remote_options
def serve(store_dir, host, port, timeout_s, workers, max_queue, fronts, max_body_bytes, max_depth,
          inline_max_matches, worker_memory_mb, allow_update, token_file, cors, queries_dir, log_level,
          remote=None):
    """Serve the SPARQL endpoint (/sparql), saved queries (/queries) and the query page (/).

    Read-only unless --allow-update. The server follows store/CURRENT: a new `bukamal build` is
    picked up without a restart (or at once on SIGHUP). With --remote URL the workers send the
    queries (after the same guards, under the same deadline) to that SPARQL service; read-only.

    \b
    Example:
      bukamal serve --port 8000 --timeout-s 10
      # then open http://127.0.0.1:8000/ or:
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * { ?s ?p ?o } LIMIT 3' http://127.0.0.1:8000/sparql
    """
    from ..server.run import serve as run
    from ..server.settings import Settings, read_token

    token = read_token(token_file) if (allow_update or token_file) else None
    settings = Settings(store_dir=Path(store_dir) if store_dir else config.default_store_dir(),
                        timeout_s=timeout_s, workers=workers, max_queue=max_queue, fronts=fronts,
                        max_body_bytes=max_body_bytes, max_depth=max_depth,
                        inline_max_matches=inline_max_matches, worker_memory_mb=worker_memory_mb,
                        allow_update=allow_update,
                        update_token=token if allow_update else None, cors_origins=tuple(cors),
                        queries_dir=queries_dir, remote=remote)
    if remote is None:
        from ..store import check_store_folder
        check_store_folder(settings.store_dir)      # a generation given by mistake: say so now, not per request
    run(settings, host, port, log_level=log_level, announce=click.echo)
