"""Cheap queries answered in the server process, on its own read-only view of the current generation.

The pool (:mod:`loader.server.workers`) opens a :class:`LocalStore` on each generation together with
its workers, and switches to it at the same moment as to them (so a reader never sees two
generations out of order). A query runs here only if :func:`loader.server.cheap.cheap_pattern` matches
it, the request names no dataset, and the index range its one triple pattern reads holds at most
``max_matches`` quads (counted first, reading at most ``max_matches + 1``). Everything else, and such
a query over a larger range, goes to a worker.

The answer is computed by the same :func:`loader.server.executor.execute` a worker runs, with the same
job, so it is byte for byte the answer a worker would give. It runs to completion on the event loop:
its cost is bounded by the range count (and the answer-size cap), so it needs neither a deadline nor a
process to kill.
"""

from __future__ import annotations

import asyncio
from itertools import islice
from pathlib import Path

import pyoxigraph

from ..store import open_generation
from .cheap import Pattern
from .executor import Reply, execute


class LocalStore:
    def __init__(self, generation: Path, store: pyoxigraph.Store) -> None:
        self.generation = generation
        self.store = store

    @classmethod
    async def open(cls, generation: Path) -> LocalStore:
        """Open ``generation`` read-only (in a thread: opening reads files)."""
        loop = asyncio.get_running_loop()
        return cls(generation, await loop.run_in_executor(None, open_generation, generation))

    def holds_more_than(self, pattern: Pattern, limit: int) -> bool:
        """Whether the pattern's index range holds more than ``limit`` quads (reads at most ``limit + 1``)."""
        subject = pyoxigraph.NamedNode(pattern.subject)
        predicate = pyoxigraph.NamedNode(pattern.predicate) if pattern.predicate is not None else None
        quads = self.store.quads_for_pattern(subject, predicate, None, None)
        return next(islice(quads, limit, None), None) is not None

    def run(self, job: dict, pattern: Pattern, max_matches: int, max_bytes: int) -> Reply | None:
        """The answer to ``job`` (a query whose one pattern is ``pattern``), or None if its range holds
        more than ``max_matches`` quads, names no valid IRI or cannot be read: then a worker answers
        (with the engine's own error, if there is one)."""
        try:
            if self.holds_more_than(pattern, max_matches):
                return None
        except (ValueError, OSError):
            return None
        return execute(self.store, job, max_bytes)
