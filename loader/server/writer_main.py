"""A one-shot writer process: ``python -m loader.server.writer_main SOURCE_GEN TARGET_DIR``.

Published generations are never modified. A write (SPARQL Update or a Graph Store Protocol write)
copies the current generation (a RocksDB checkpoint: hard links, cheap) into ``TARGET_DIR``, applies
the change there and exits; the server then publishes ``TARGET_DIR`` as the next generation. If the
server kills this process at the deadline, nothing was published and the target is deleted.

Input: one frame (:mod:`loader.server.wire`) with the job; output: one frame with the reply.
Jobs: ``{"op": "update", "update", "base_iri"}`` and
``{"op": "gsp", "method": "PUT"|"POST"|"DELETE", "graph", "media_type"}`` (body: the RDF payload).
"""

from __future__ import annotations

import gc
import os
import sys

from .worker_main import _die_with_parent, limit_memory


def _apply(store, job: dict, payload: bytes):
    import pyoxigraph

    from .executor import Reply, clean_message, error_reply
    from .httperrors import HttpError

    if job["op"] == "update":
        try:
            store.update(job["update"], base_iri=job.get("base_iri"))
        except SyntaxError as exc:
            return error_reply(HttpError(400, "bad_update", f"the update is not valid SPARQL: {exc}"))
        except (RuntimeError, ValueError) as exc:     # pyoxigraph: e.g. CLEAR of a missing graph
            return error_reply(HttpError(400, "update_failed",
                                         f"the update could not be applied: {clean_message(str(exc))}"))
        except OSError as exc:
            print(f"writer: update failed: {exc!r}", file=sys.stderr)
            return error_reply(HttpError(503, "store_unavailable", "the store could not be written"))
        return Reply(204, "application/json", b"")
    graph = pyoxigraph.NamedNode(job["graph"])
    existed = store.contains_named_graph(graph)
    method = job["method"]
    if method == "DELETE":
        if not existed:
            return error_reply(HttpError(404, "not_found", f"the store has no graph <{job['graph'][:200]}>"))
        store.remove_graph(graph)
        return Reply(204, "application/json", b"")
    fmt = pyoxigraph.RdfFormat.from_media_type(job["media_type"])
    try:
        # a dataset format's quads must not name a graph: the write goes to the graph the URL names,
        # never elsewhere (a reserved graph such as bkg:inferred included)
        triples = list(pyoxigraph.parse(payload, fmt, base_iri=job["graph"], without_named_graphs=True))
    except SyntaxError as exc:
        if "Named graphs are not allowed" in str(exc):
            return error_reply(HttpError(400, "bad_rdf", "the request body names a graph; a Graph Store write"
                                         " goes to the graph the URL names (?graph=IRI): send its triples"
                                         " without a graph name"))
        return error_reply(HttpError(400, "bad_rdf", f"the request body is not valid {fmt.name}: {exc}"))
    if method == "PUT" and existed:
        store.clear_graph(graph)
    store.extend(pyoxigraph.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    if not existed:
        store.add_graph(graph)
    return Reply(204 if existed else 201, "application/json", b"")


def write(target: str, job: dict, payload: bytes):
    """Open the copy at ``target``, apply the job, flush, close and fsync it; the reply. A disk that
    fills up (or fails) on the way is a 503: the server then publishes nothing."""
    import pyoxigraph

    from .executor import error_reply
    from .httperrors import HttpError, scrub_paths

    try:
        store = pyoxigraph.Store(target)
        reply = _apply(store, job, payload)
        store.flush()
        store = None
        gc.collect()                 # closes RocksDB: the only reference was ours
        if reply.status < 300:
            _fsync_tree(target)      # durable before the server publishes it
    except OSError as exc:
        print(f"writer: the write failed: {exc!r}", file=sys.stderr)
        # the engine's message names its files: no server path goes to the client
        return error_reply(HttpError(503, "store_unavailable", f"the store could not be written"
                                     f" ({scrub_paths(exc.strerror or str(exc))}); nothing was changed"))
    return reply


def _fsync_tree(root: str) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files + ["."]:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m loader.server.writer_main")
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--memory-mb", type=int, default=0)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    source, target = args.source, args.target
    _die_with_parent()
    limit_memory(args.memory_mb)          # an update past it stops only this writer (500; nothing published)
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    channel_in = os.fdopen(os.dup(0), "rb")

    import pyoxigraph

    from . import wire
    from .executor import error_reply
    from .httperrors import HttpError

    frame = wire.read_blocking(channel_in)
    if frame is None:
        return 1
    job, payload = frame
    try:
        pyoxigraph.Store.read_only(source).backup(target)
    except OSError:
        reply = error_reply(HttpError(503, "store_unavailable", "the store could not be copied for writing"))
    else:
        reply = write(target, job, payload)
    channel_out.write(wire.encode(reply.header(), reply.body))
    channel_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
