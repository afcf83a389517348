"""The store interface the library uses, and how to open one.

Two implementations: the embedded Oxigraph store (``pyoxigraph.Store``, the current generation of a
store folder, :mod:`loader.store`) and a remote SPARQL 1.1 service (:class:`loader.remote.RemoteStore`).
Callers (saved queries, parameters, export, the server's workers) use only what :class:`Backend` lists,
with pyoxigraph's signatures and answers (``QuerySolutions``, ``QueryBoolean``, triples).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from . import store as stores


class Backend(Protocol):
    def query(self, query: str, **options):
        """pyoxigraph's ``Store.query`` options: ``use_default_graph_as_union``, ``substitutions``,
        ``prefixes``, ``base_iri``, ``default_graph``, ``named_graphs``, ``custom_functions``,
        ``custom_aggregate_functions``."""

    def named_graphs(self) -> Iterable: ...

    def contains_named_graph(self, graph) -> bool: ...

    def quads_for_pattern(self, subject, predicate, object, graph_name=None) -> Iterable: ...


def open_backend(store_dir: Path | None = None, remote=None) -> Backend:
    """The remote store when ``remote`` (a :class:`~loader.remote.RemoteConfig`) is given, checked to
    hold the project's graphs; else the current generation of ``store_dir``, read-only."""
    if remote is not None:
        from .remote import RemoteStore

        backend = RemoteStore(remote)
        try:
            backend.check()
        except BaseException:
            backend.close()
            raise
        return backend
    return stores.open_read_only(store_dir)


def manifest(backend, store_dir: Path | None = None) -> dict | None:
    """The build manifest of what ``backend`` serves (a remote keeps it in its META graph)."""
    if hasattr(backend, "manifest"):
        return backend.manifest()
    return stores.current_manifest(store_dir) if store_dir is not None else None


def export_from(backend, store_dir: Path | None = None, *, fmt: str = "turtle", graph: str = "asserted") -> bytes:
    """:func:`loader.export.export` for any backend: the same bytes for the same graphs."""
    from .export import selected_quads, serialize
    from .namespaces import PREFIXES

    m = manifest(backend, store_dir) or {}
    return serialize(selected_quads(backend, graph), fmt, m.get("prefixes") or PREFIXES)
