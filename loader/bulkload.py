"""The child process of a build that writes the new generation's store folder.

``python -m loader.bulkload TARGET`` opens (creates) an Oxigraph store at ``TARGET`` and reads jobs from
its standard input, one JSON object per line:

* ``{"op": "project", "root": R}``: load the project's files as the build parses them (:mod:`loader.parse`:
  same graphs, same blank node labels), most of them in one N-Quads document (see :func:`_project`);
  the SHA-256 of each file's bytes is reported at the end, so the build can check it parsed the same bytes;
* ``{"op": "load", "path": P, "format": "nquads"}``: an N-Quads file, blank node ids kept (read as
  Python objects, then bulk-loaded);
* ``{"op": "load", "path": P, "format": "ntriples" | "turtle", "graph": IRI}``: a file without blank
  nodes, bulk-loaded by Oxigraph straight from the file into the graph (lenient: the build wrote it);
* ``{"op": "done"}``: flush, compact (``Store.optimize``: without it the separately loaded parts
  overlap and a join reads them all, twice as slow), write ``{"files": {relative path: sha256}}`` on stdout and exit 0.

Standard input closing before ``done`` means the build went away: exit 1 without flushing. Any error:
the message on stderr, exit 3. pyoxigraph holds the GIL while it bulk-loads Python objects, so a thread
would stall the build's other stages; a process runs on another core (:class:`loader.store.
GenerationWriter` starts it). On Linux it also asks to be killed when the build process dies.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import signal
import sys
from pathlib import Path

import pyoxigraph

from .errors import BukamalError

_PR_SET_PDEATHSIG = 1
_FORMATS = {"ntriples": pyoxigraph.RdfFormat.N_TRIPLES, "turtle": pyoxigraph.RdfFormat.TURTLE}


def _die_with_parent() -> bool:
    """Be killed when the build process dies; False if it is already gone (``BUKAMAL_BUILD_PID``)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass                      # best effort: the next build removes a half-written folder anyway
    parent = os.environ.get("BUKAMAL_BUILD_PID")
    return parent is None or str(os.getppid()) == parent


def _load(store: pyoxigraph.Store, job: dict) -> None:
    if job["format"] == "nquads":
        store.bulk_extend(pyoxigraph.parse(path=job["path"], format=pyoxigraph.RdfFormat.N_QUADS,
                                           rename_blank_nodes=False))
    else:
        store.bulk_load(path=job["path"], format=_FORMATS[job["format"]],
                        to_graph=pyoxigraph.NamedNode(job["graph"]), lenient=True)


def _project(store: pyoxigraph.Store, root: str) -> dict[str, str]:
    """Load the project's files; their SHA-256. A file without blank nodes goes through Oxigraph's own
    N-Quads loader (parsed, written as N-Triples and tagged with its graph, all in one document: one
    bulk load); a file with blank nodes is parsed as the build parses it (same labels) and its quads
    follow. Parse errors stop the child (the build reports them from its own parse)."""
    from .parse import blank_node_tags, discover, parse_file, read_source, turtle_bytes

    sources = discover(Path(root))
    digests, texts, labelled = {}, [], []
    for source, tag in zip(sources, blank_node_tags(sources)):
        data = read_source(source)
        digests[source.rel] = hashlib.sha256(data).hexdigest()
        triples = pyoxigraph.parse(turtle_bytes(source, data), format=pyoxigraph.RdfFormat.TURTLE,
                                   without_named_graphs=True)
        lines = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
        if b"_:" in lines:            # may hold a blank node (or just the text "_:"): relabel as the build does
            labelled.append((source, tag))
            continue
        # every N-Triples line ends with " .\n" (a line break inside a literal is written \n)
        texts.append(lines.replace(b" .\n", f" <{source.graph}> .\n".encode()))
    store.bulk_load(b"".join(texts), format=pyoxigraph.RdfFormat.N_QUADS, lenient=True)
    del texts
    for source, tag in labelled:
        parsed = parse_file(source, tag)
        digests[source.rel] = parsed.sha256          # the bytes loaded (read again)
        store.bulk_extend(parsed.quads)
    return digests


def main(argv: list[str]) -> int:
    if not _die_with_parent():
        return 1                      # the build died while this process started: write nothing
    if len(argv) != 1:
        print("usage: python -m loader.bulkload TARGET  (jobs on stdin)", file=sys.stderr)
        return 2
    try:
        store = pyoxigraph.Store(argv[0])
        files: dict[str, str] = {}
        for line in sys.stdin:
            job = json.loads(line)
            if job["op"] == "done":
                store.flush()
                store.optimize()      # compact the bulk-loaded files: joins read far fewer of them
                print(json.dumps({"files": files}))
                return 0
            if job["op"] == "project":
                files.update(_project(store, job["root"]))
            else:
                _load(store, job)
    except (OSError, SyntaxError, ValueError, KeyError, BukamalError) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
