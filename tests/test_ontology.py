"""The ontology: every term labelled and defined, inside OWL 2 RL, documented, and the only vocabulary
the data uses."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "bukamal.ttl"
GUIDE = ROOT / "ontology" / "README.md"
BK = "https://w3id.org/bukamal-kg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"

# Predicates an OWL 2 RL ontology of this kind may use. Anything else (owl:someValuesFrom, owl:unionOf,
# cardinalities, owl:hasKey, ...) would take it outside what this project's closure covers.
ALLOWED_PREDICATES = {
    RDF + "type", RDF + "first", RDF + "rest", RDFS + "subClassOf", RDFS + "subPropertyOf",
    RDFS + "domain", RDFS + "range", RDFS + "label", RDFS + "comment", OWL + "inverseOf",
    OWL + "propertyChainAxiom", OWL + "versionInfo", SKOS + "definition",
    "http://purl.org/dc/terms/title", BK + "precision",
}
ALLOWED_TYPES = {
    OWL + "Ontology", OWL + "Class", OWL + "ObjectProperty", OWL + "DatatypeProperty",
    OWL + "TransitiveProperty", OWL + "SymmetricProperty", OWL + "NamedIndividual",
}


def load(*paths: Path) -> ox.Store:
    store = ox.Store()
    for path in paths:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def ontology_terms() -> set[str]:
    store = load(ONTOLOGY)
    return {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), None)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(BK)}


def test_every_term_has_label_and_definition():
    store = load(ONTOLOGY)
    missing = []
    for term in sorted(ontology_terms()):
        node = ox.NamedNode(term)
        for prop in (RDFS + "label", SKOS + "definition"):
            if not list(store.quads_for_pattern(node, ox.NamedNode(prop), None)):
                missing.append((term, prop))
    assert missing == []


def test_ontology_stays_in_the_rl_fragment_used():
    store = load(ONTOLOGY)
    bad_predicates = sorted({q.predicate.value for q in store if q.predicate.value not in ALLOWED_PREDICATES})
    assert bad_predicates == []
    types = {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), None)}
    assert sorted(t for t in types if not t.startswith(BK) and t not in ALLOWED_TYPES) == []


def test_guide_documents_every_term():
    text = GUIDE.read_text(encoding="utf-8")
    undocumented = sorted(t for t in ontology_terms() if f"`bk:{t[len(BK):]}`" not in text)
    assert undocumented == []


def data_files() -> list[Path]:
    return sorted((ROOT / "triples").glob("*.ttl")) + [ROOT / "corpus" / "metadata.ttl", ROOT / "ontology" / "shapes.ttl"]


@pytest.mark.parametrize("path", data_files(), ids=lambda p: p.name)
def test_data_uses_only_ontology_terms(path):
    """A typo in a bk: term would silently make a fact invisible to every query: refuse it."""
    terms = ontology_terms()
    store = load(path)
    used = set()
    for quad in store:
        for term in (quad.predicate, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(BK):
                used.add(term.value)
        if quad.predicate.value == RDF + "type" and quad.object.value.startswith(BK):
            used.add(quad.object.value)
    assert sorted(used - terms) == []


QUERY_TERM = re.compile(r"\bbk:([A-Za-z][A-Za-z0-9_]*)")


@pytest.mark.parametrize("path", sorted((ROOT / "queries").glob("*.rq")), ids=lambda p: p.name)
def test_saved_queries_use_only_ontology_terms(path):
    terms = ontology_terms()
    used = {BK + m for m in QUERY_TERM.findall(path.read_text(encoding="utf-8"))}
    assert sorted(used - terms) == []


def test_events_type_choices_are_exactly_the_operation_classes():
    """`events --param type=...` offers every subclass of bk:Operation the ontology defines, and nothing
    else: a class added to the ontology must be added to the query's choices."""
    from loader.registry import load_file
    store = load(ONTOLOGY)
    classes = {r["c"].value.replace(BK, "bk:") for r in store.query(
        f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS}subClassOf>+ <{BK}Operation> }}")}
    param = next(p for p in load_file(ROOT / "queries" / "events.rq").params if p.name == "type")
    assert sorted(param.values) == sorted(classes)
