"""What a store calls things: every ``rdfs:label`` / ``skos:altLabel`` of an IRI, indexed by its text.

``label_index(store)`` gives the :class:`LabelIndex` of a store: the (IRI, label) pairs, the IRIs each
label names (compared as people type names: see :func:`name_key` and :func:`loose_key`), and (computed when first asked) the instances of a class. Listing every label
costs far more than the lookups it serves, so the index of a store that cannot change is kept: a
pyoxigraph store opened read-only (a published generation is never modified; readers open it
read-only, and a new generation is a new store object). For any other store (a writable pyoxigraph
store, a remote SPARQL service) a new index is made on each call, so it always shows what the store
holds now.

The indexes of the last :data:`KEEP` read-only stores seen are kept, keyed by ``id``: pyoxigraph stores
take no weak references, so each entry holds its store, which therefore cannot be freed (and its ``id``
reused by another object) while the entry exists. (A read-only store holds no lock: keeping it open
longer stops no one from opening the same folder.)
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict

import pyoxigraph

from .namespaces import PREFIXES
from .registry import expand_pname

LABEL_PREDICATES = (PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "altLabel")
KEEP = 4
_LABELS_Q = "SELECT ?s ?p ?label WHERE { ?s ?p ?label VALUES ?p { <%s> <%s> } }" % LABEL_PREDICATES
_INSTANCES_Q = "SELECT DISTINCT ?s ?c WHERE { ?s a/<%ssubClassOf>* ?c }" % PREFIXES["rdfs"]


def _select(store, text: str, substitutions=None):
    return store.query(text, use_default_graph_as_union=True, substitutions=substitutions or None)


_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u02bb\u0060\u00b4\u2032"})
_LOOSE_DROP = re.compile(r"['.]")
_LOOSE_SPACE = re.compile(r"[\s_\-\u2010-\u2015]+")


def name_key(text: str) -> str:
    """How a typed name is compared with labels: Unicode-normalised (NFKC), case-folded, every apostrophe
    sign as ``'``, runs of white space as one space, trimmed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return " ".join(folded.split())


def loose_key(text: str) -> str:
    """A looser key, tried when :func:`name_key` finds nothing: without apostrophes and dots, with
    hyphens and underscores as spaces (``Kataib Hezbollah`` finds ``Kata'ib Hezbollah``, ``al Qaim``
    finds ``al-Qa'im``)."""
    return _LOOSE_SPACE.sub(" ", _LOOSE_DROP.sub("", name_key(text))).strip()


class LabelIndex:
    """The labels of one store, and the instances of the classes asked about."""

    def __init__(self, store) -> None:
        rows = _select(store, _LABELS_Q)
        found = {(r["p"].value != LABEL_PREDICATES[0], r["s"].value, r["label"].value) for r in rows
                 if isinstance(r["s"], pyoxigraph.NamedNode) and isinstance(r["label"], pyoxigraph.Literal)}
        # (IRI, label) for every label of an IRI: rdfs:labels first, then by IRI and text
        self.pairs: tuple[tuple[str, str], ...] = tuple((s, lab) for _, s, lab in sorted(found))
        self._store = store
        self._first: dict[str, str] = {}
        named: dict[str, set[str]] = {}
        loose: dict[str, set[str]] = {}
        for s, lab in self.pairs:
            self._first.setdefault(s, lab)
            named.setdefault(name_key(lab), set()).add(s)
            loose.setdefault(loose_key(lab), set()).add(s)
        self._named = {key: tuple(sorted(iris)) for key, iris in named.items()}
        self._loose = {key: tuple(sorted(iris)) for key, iris in loose.items()}
        self._instances: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def named(self, text: str) -> tuple[str, ...]:
        """The IRIs (sorted) with a label equal to ``text`` as :func:`name_key` compares them; if there
        are none, those equal to it as :func:`loose_key` compares them."""
        return self._named.get(name_key(text)) or self._loose.get(loose_key(text), ())

    def first_label(self, iri: str) -> str:
        """The first of the IRI's labels (in :attr:`pairs` order), else the IRI itself."""
        return self._first.get(iri, iri)

    def instances(self, cls: str) -> frozenset[str]:
        """IRIs of the instances of the class ``cls`` (a prefixed name), asserted or inferred."""
        with self._lock:
            if cls not in self._instances:
                rows = _select(self._store, _INSTANCES_Q,
                               {pyoxigraph.Variable("c"): pyoxigraph.NamedNode(expand_pname(cls))})
                self._instances[cls] = frozenset(r["s"].value for r in rows
                                                 if isinstance(r["s"], pyoxigraph.NamedNode))
            return self._instances[cls]


_kept: OrderedDict[int, tuple[pyoxigraph.Store, LabelIndex]] = OrderedDict()
_kept_lock = threading.Lock()


def label_index(store) -> LabelIndex:
    """The label index of ``store``: kept for a read-only pyoxigraph store, made anew for any other."""
    if type(store) is not pyoxigraph.Store:
        return LabelIndex(store)
    index = _kept_index(store)
    if index is None:
        index = LabelIndex(store)
        if read_only(store):
            _keep(store, index)
    return index


def read_only(store: pyoxigraph.Store) -> bool:
    """Whether ``store`` was opened read-only (pyoxigraph has no accessor for it: a flush, which does
    not change the data, is refused by a read-only store and only writes buffers to disk otherwise)."""
    try:
        store.flush()
    except RuntimeError:
        return True
    return False


def _kept_index(store: pyoxigraph.Store) -> LabelIndex | None:
    with _kept_lock:
        entry = _kept.get(id(store))
        if entry is None:
            return None
        _kept.move_to_end(id(store))
        return entry[1]


def _keep(store: pyoxigraph.Store, index: LabelIndex) -> None:
    with _kept_lock:
        _kept[id(store)] = (store, index)
        _kept.move_to_end(id(store))
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
