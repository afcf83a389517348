"""Small helpers on pyoxigraph terms: compact names for people, and a total order for sorting.

``compact`` writes IRIs as prefixed names (``bkr:doc-000``) when a project prefix covers them;
``sort_key`` orders terms by their N-Triples form, which is stable across runs and processes.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph

from .namespaces import PREFIXES

_LOCAL_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def compact_iri(iri: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """``prefix:local`` for the longest matching namespace whose local part is simple, else ``<iri>``."""
    best = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(best[1])):
            local = iri[len(ns):]
            if all(c in _LOCAL_OK for c in local) and not local.endswith("."):
                best = (prefix, ns)
    if best is None:
        return f"<{iri}>"
    return f"{best[0]}:{iri[len(best[1]):]}"


def compact(term, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """A term written for people: prefixed IRI, ``_:id`` blank node, or the literal in N-Triples form."""
    if isinstance(term, pyoxigraph.NamedNode):
        return compact_iri(term.value, prefixes)
    if isinstance(term, (pyoxigraph.DefaultGraph,)):
        return "(default graph)"
    return str(term)


def sort_key(term) -> str:
    """Total, deterministic order on terms: their N-Triples serialisation."""
    return str(term)


def triple_key(t) -> tuple[str, str, str]:
    return (str(t.subject), str(t.predicate), str(t.object))


def quad_key(q) -> tuple[str, str, str, str]:
    return (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))
