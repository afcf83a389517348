"""Stage 4: the OWL 2 RL closure (owlrl), kept in its own named graph ``bkg:inferred``.

owlrl 7.6 runs on a pyoxigraph ``Store``: the rules read the union of all graphs and write every new
triple to a ``destination`` graph, here ``bkg:inferred``; the asserted graphs are never written. The
reasoner sees the ontology, the corpus metadata and the ``triples/`` graphs, not the SHACL shapes (their
``sh:`` lists and blank nodes are not domain knowledge).

Defects of owlrl 7.6.2's Oxigraph adapter, worked around by :class:`_Graph`: (1) a membership test on
a triple with a literal subject (which rules such as ``eq-ref`` and ``dt-type2`` produce) raises
``TypeError``, and such a triple cannot be stored, so it would be "new" again on every cycle and the
closure would never end -- :class:`_Graph` answers "already present" for triples RDF cannot hold;
(2) a membership test on the union of the graphs looks in the default graph only, so rules whose
premises are tested with ``in`` (cls-int1, eq-diff1, cax-dw, prp-irp, prp-asyp, ...) never fired --
:class:`_Graph` tests the union, against an in-memory index of the store (:class:`_Membership`, also
cheaper than asking the store); (3) owlrl's lexical checks of ``xsd:gMonthDay``/``gDay``/``gMonth``
reject valid values and rdflib logs a traceback for each: those logs are silenced.

What the closure keeps -- the OWL 2 RL rules also derive axiomatic noise that would bloat the graph
and that no query needs; :func:`is_noise` drops, and says why:

* reflexive triples ``x owl:sameAs x``, ``C rdfs:subClassOf C``, ``C owl:equivalentClass C``,
  ``p rdfs:subPropertyOf p``, ``p owl:equivalentProperty p`` (eq-ref, scm-cls, scm-op, scm-dp);
* the top and bottom of the hierarchy: ``x rdf:type owl:Thing``, ``C rdfs:subClassOf owl:Thing``,
  ``p rdfs:domain owl:Thing``, ``p rdfs:range owl:Thing``, ``owl:Nothing rdfs:subClassOf C``
  (scm-cls, scm-dom1, scm-rng1, cax-sco into owl:Thing);
* statements about the language itself -- subjects in the rdf:, rdfs:, owl: or xsd: namespaces, e.g.
  ``xsd:string rdf:type rdfs:Datatype``, datatype disjointness, ``rdfs:label rdf:type
  owl:AnnotationProperty`` (the datatype axioms dt-type1, cls-thing, cls-nothing1, prp-ap);
* any triple with a blank node: those are about anonymous class expressions and property-chain lists
  of the ontology, never about the data, and dropping them keeps ``bkg:inferred`` free of blank nodes;
* anything already asserted in some graph (the closure only holds what is new).

owlrl reports inconsistencies (e.g. a literal whose lexical form does not match its datatype, or
``owl:sameAs`` against ``owl:differentFrom``) as ``err:ErrorMessage`` nodes; they fail the build as
:class:`DataError`.
"""

from __future__ import annotations

import logging
import warnings
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

import owlrl
import pyoxigraph
from owlrl.graph_abstraction import DataGraph
from rdflib import BNode as RdfBNode
from rdflib import Literal as RdfLiteral

from .errors import DataError
from .namespaces import INFERRED_GRAPH, PREFIXES

RDF, RDFS, OWL, XSD = (PREFIXES[p] for p in ("rdf", "rdfs", "owl", "xsd"))
ERR = "http://www.daml.org/2002/03/agents/agent-ont#"
_REFLEXIVE = {OWL + "sameAs", RDFS + "subClassOf", OWL + "equivalentClass", RDFS + "subPropertyOf",
              OWL + "equivalentProperty"}
_BUILTIN = (RDF, RDFS, OWL, XSD)
_TYPE = RDF + "type"
_TOP_OBJECT = {RDFS + "subClassOf", RDFS + "domain", RDFS + "range"}


@contextmanager
def rdflib_conversions_kept():
    """Run owlrl without letting it change rdflib for the rest of the process.

    ``DeductiveClosure.expand`` swaps rdflib's lexical converters (``rdflib.term._toPythonMapping``) for
    its own and "restores" them with ``dict.update``, which leaves its broken xsd:gMonthDay/gDay/gMonth
    converters in place: afterwards every such literal is ill-typed for rdflib, and pyshacl reports valid
    dates as datatype violations. This puts the exact mapping back.
    """
    from rdflib.term import _toPythonMapping
    saved = dict(_toPythonMapping)
    try:
        yield
    finally:
        _toPythonMapping.clear()
        _toPythonMapping.update(saved)


@contextmanager
def _quiet_rdflib():
    """owlrl's lexical checks for xsd:gMonthDay/gDay/gMonth reject valid values ("--08-25"); rdflib then
    logs a traceback per literal. Those datatypes are not OWL 2 RL datatypes, so nothing else follows."""
    logger = logging.getLogger("rdflib.term")
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


class _Membership:
    """The triples of the store as rdflib tuples, per graph and for the union, kept in step with owlrl's
    writes: owlrl tests membership about a million times on this data, and a set lookup is far cheaper
    than converting the terms and asking the store each time."""

    def __init__(self, store: pyoxigraph.Store) -> None:
        self.store = store
        self.rebuild()

    def rebuild(self) -> None:
        self.union: set = set()
        self.graphs: dict = defaultdict(set)
        for q in self.store:
            s, p, o, g = DataGraph.convert_quad_to_rdflib(q)
            self.union.add((s, p, o))
            self.graphs[str(g)].add((s, p, o))
        self.stale = False


class _Graph(DataGraph):
    """owlrl's Oxigraph adapter with the fixes listed in the module docstring."""

    def __new__(cls, store: pyoxigraph.Store, locked_context: str | None = None, *, members: _Membership):
        self = super().__new__(cls, store, locked_context)
        self.members = members
        add, remove = self.add, self.remove
        key = str(locked_context)               # as _Membership.rebuild names graphs ("None": default graph)

        def add_and_record(triple):
            if not (isinstance(triple[0], RdfLiteral) or isinstance(triple[1], (RdfLiteral, RdfBNode))):
                members.union.add(tuple(triple))
                members.graphs[key].add(tuple(triple))
            return add(triple)

        def remove_and_forget(triple):
            members.stale = True
            return remove(triple)

        self.add, self.remove = add_and_record, remove_and_forget
        return self

    def __contains__(self, triple) -> bool:
        s, p, _o = triple
        if isinstance(s, RdfLiteral) or isinstance(p, (RdfLiteral, RdfBNode)):
            return True                     # cannot be stored: say it is there, so it is never "new"
        if self.members.stale:
            self.members.rebuild()
        if self.locked_context is not None:
            return tuple(triple) in self.members.graphs[str(self.locked_context.value)]
        if self.default_union:
            return tuple(triple) in self.members.union
        return tuple(triple) in self.members.graphs["None"]


def is_noise(t: pyoxigraph.Triple) -> bool:
    """True for the axiomatic triples the build does not keep (listed in the module docstring)."""
    s, p, o = t.subject, t.predicate, t.object
    if isinstance(s, pyoxigraph.BlankNode) or isinstance(o, pyoxigraph.BlankNode):
        return True
    if not isinstance(s, pyoxigraph.NamedNode):
        return True
    if s == o and p.value in _REFLEXIVE:
        return True
    if isinstance(o, pyoxigraph.NamedNode):
        if p.value == _TYPE and o.value in (OWL + "Thing", RDFS + "Resource"):
            return True
        if p.value in _TOP_OBJECT and o.value in (OWL + "Thing", RDFS + "Resource"):
            return True
    if s.value == OWL + "Nothing":
        return True
    return s.value.startswith(_BUILTIN)


@dataclass(frozen=True)
class Closure:
    triples: list[pyoxigraph.Triple]     # kept inferred triples, sorted
    derived: int                         # everything owlrl derived, before filtering


def closure(store: pyoxigraph.Store, inferred_graph: str = INFERRED_GRAPH) -> Closure:
    """Run the OWL 2 RL closure over every graph of ``store`` into ``inferred_graph``, then filter it.

    On return ``inferred_graph`` in ``store`` holds exactly :attr:`Closure.triples`.
    """
    target = pyoxigraph.NamedNode(inferred_graph)
    with warnings.catch_warnings(), _quiet_rdflib(), rdflib_conversions_kept():
        warnings.simplefilter("ignore")     # "tried to add a triple with a Literal in the subject position"
        members = _Membership(store)
        source = _Graph(store, members=members)
        destination = _Graph(store, inferred_graph, members=members)
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                               datatype_axioms=False).expand(source, destination=destination)
    derived = list(store.quads_for_pattern(None, None, None, target))
    _raise_errors(store, target)
    keep = []
    for q in derived:
        t = pyoxigraph.Triple(q.subject, q.predicate, q.object)
        if is_noise(t) or _asserted(store, t, target):
            store.remove(q)
        else:
            keep.append(t)
    keep.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return Closure(keep, len(derived))


def _asserted(store: pyoxigraph.Store, t: pyoxigraph.Triple, inferred) -> bool:
    return any(q.graph_name != inferred for q in store.quads_for_pattern(t.subject, t.predicate, t.object, None))


def _raise_errors(store: pyoxigraph.Store, graph) -> None:
    messages = sorted(
        q.object.value
        for m in store.quads_for_pattern(None, pyoxigraph.NamedNode(_TYPE), pyoxigraph.NamedNode(ERR + "ErrorMessage"), graph)
        for q in store.quads_for_pattern(m.subject, pyoxigraph.NamedNode(ERR + "error"), None, graph))
    if messages:
        raise DataError("the OWL 2 RL reasoner found inconsistencies:\n" + "\n".join(f"  {m}" for m in messages))
