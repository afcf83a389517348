"""loader.rules derives exactly what owlrl's OWL 2 RL closure derives, minus the documented noise.

owlrl (``DeductiveClosure(OWLRL_Semantics)`` on an rdflib graph holding the union of the input graphs)
is the oracle. Its output minus the input, minus :func:`loader.rules.is_owlrl_noise`, must be the very
set of triples loader.rules writes into bkg:inferred — on a synthetic graph in the project's ontology,
on the real project graph, and on a tiny ontology that uses the constructs the project's ontology does
not (equivalences, a longer chain, a datatype sub-property, an inverse of a transitive property).
With ``rules.BUILD_EXCLUSIONS`` it must also equal what the build's owlrl stage keeps (owlrl's output
minus :func:`loader.reason.is_noise`), so either path can fill bkg:inferred.
"""

from __future__ import annotations

import sys
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
import rdflib

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # the bench package lives at the top of the checkout, not installed
    sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from loader import reason, rules  # noqa: E402
from loader.namespaces import BK, BKG, INFERRED_GRAPH, ONTOLOGY_GRAPH  # noqa: E402
from loader.reason import rdflib_conversions_kept  # noqa: E402

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def project_files(root: Path) -> list[tuple[str, Path]]:
    """(graph name, file) as the contract loads them; the ontology first."""
    files = [("ontology", f) for f in sorted((root / "ontology").glob("*.ttl")) if f.name != "shapes.ttl"]
    if (root / "corpus" / "metadata.ttl").is_file():
        files.append(("corpus", root / "corpus" / "metadata.ttl"))
    return files + [(f.stem, f) for f in sorted((root / "triples").glob("*.ttl"))]


def ox_key(term) -> tuple:
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("blank", term.value)
    if term.language:
        return ("literal", term.value, None, term.language)
    return ("literal", term.value, term.datatype.value, None)


def rdflib_key(term) -> tuple:
    if isinstance(term, rdflib.URIRef):
        return ("iri", str(term))
    if isinstance(term, rdflib.BNode):
        return ("blank", str(term))
    if term.language:
        return ("literal", str(term), None, term.language)
    return ("literal", str(term), str(term.datatype) if term.datatype else XSD_STRING, None)


def ours(files: list[tuple[str, Path]], exclude: rules.Exclusions = rules.NOTHING_EXCLUDED) -> set[tuple]:
    store = ox.Store()
    for name, path in files:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(BKG + name))
    data = list(dict.fromkeys(ox.NamedNode(BKG + n) for n, _ in files if n != "ontology"))
    count = rules.infer(store, data, ox.NamedNode(ONTOLOGY_GRAPH), ox.NamedNode(INFERRED_GRAPH), exclude)
    inferred = {(ox_key(q.subject), ox_key(q.predicate), ox_key(q.object))
                for q in store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH))}
    assert count == len(inferred), "infer() must return the number of triples it wrote"
    return inferred


def oracle(files: list[tuple[str, Path]]) -> tuple[set[tuple], set[tuple]]:
    """owlrl's new triples minus the documented noise; and the part of those the build keeps
    (also minus :func:`loader.reason.is_noise`)."""
    graph = rdflib.Graph()
    for _, path in files:
        graph.parse(path, format="turtle")
    before = set(graph)
    with rdflib_conversions_kept():
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    new = [t for t in set(graph) - before if not rules.is_owlrl_noise(*t)]
    key = lambda t: (rdflib_key(t[0]), rdflib_key(t[1]), rdflib_key(t[2]))  # noqa: E731
    kept = {key(t) for t in new if not reason.is_noise(ox.Triple(*(to_ox(x) for x in t)))}
    return {key(t) for t in new}, kept


def to_ox(term):
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype) if term.datatype else XSD_STRING))


def assert_same(mine: set[tuple], theirs: set[tuple]) -> None:
    only_owlrl, only_rules = sorted(theirs - mine), sorted(mine - theirs)
    detail = "\n".join([f"{len(only_owlrl)} inferred by owlrl only, e.g.:"] + [f"  {t}" for t in only_owlrl[:15]]
                       + [f"{len(only_rules)} inferred by loader.rules only, e.g.:"]
                       + [f"  {t}" for t in only_rules[:15]])
    assert mine == theirs, detail


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> list[tuple[str, Path]]:
    out = tmp_path_factory.mktemp("synthetic")
    generate(4000, 1, out)
    return project_files(out)


def test_synthetic_graph_same_inferences_as_owlrl(synthetic):
    everything, kept = oracle(synthetic)
    mine = ours(synthetic)
    assert_same(mine, everything)
    assert_same(ours(synthetic, rules.BUILD_EXCLUSIONS), kept)
    # the synthetic graph exercises every property rule of the ontology (else the equality proves less)
    derived = {p[1] for _, p, _ in mine}
    for local in ("statedIn", "partOf", "locatedIn", "contains", "hasPart", "near", "adjacentTo", "opposes",
                  "affiliatedWith", "similarTo", "agentOf", "targetedBy", "provoked", "causedBy", "controlledBy",
                  "leads", "supports", "involves"):
        assert BK + local in derived, f"the synthetic graph derives no bk:{local} triple"


def test_derive_gives_the_triples_infer_writes(synthetic):
    store = ox.Store()
    for name, path in synthetic:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(BKG + name))
    data = list(dict.fromkeys(ox.NamedNode(BKG + n) for n, _ in synthetic if n != "ontology"))
    inferences = rules.derive(store, data, ox.NamedNode(ONTOLOGY_GRAPH), rules.BUILD_EXCLUSIONS)
    inferences.write(store, ox.NamedNode(INFERRED_GRAPH))
    written = {ox.Triple(q.subject, q.predicate, q.object)
               for q in store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH))}
    triples = inferences.triples()
    assert len(triples) == inferences.count == len(written)
    assert set(triples) == written


def test_real_project_graph_same_inferences_as_owlrl():
    if not any((ROOT / "triples").glob("*.ttl")):
        pytest.skip("triples/ holds no .ttl file yet: the real graph is only the ontology")
    files = project_files(ROOT)
    everything, kept = oracle(files)
    assert_same(ours(files), everything)
    assert_same(ours(files, rules.BUILD_EXCLUSIONS), kept)


TINY = """
@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:A a owl:Class ; owl:equivalentClass ex:B .
ex:B rdfs:subClassOf ex:C .
ex:p a owl:ObjectProperty ; owl:equivalentProperty ex:q ; rdfs:domain ex:A ; rdfs:range ex:C .
ex:anc a owl:ObjectProperty, owl:TransitiveProperty ; owl:inverseOf ex:desc .
ex:uncle owl:propertyChainAxiom ( ex:parent ex:parent ex:brother ) .
ex:name a owl:DatatypeProperty ; rdfs:subPropertyOf ex:label .
ex:x ex:q ex:y ; ex:name "Ex", 42 ; ex:anc ex:x2 .
ex:x2 ex:anc ex:x3 . ex:x3 ex:anc ex:x4 .
ex:k ex:parent ex:k1 . ex:k1 ex:parent ex:k2 . ex:k2 ex:brother ex:k3 .
ex:d a ex:B .
"""


def test_constructs_beyond_the_project_ontology(tmp_path):
    path = tmp_path / "tiny.ttl"
    path.write_text(TINY, encoding="utf-8")
    everything, kept = oracle([("ontology", path)])
    mine = ours([("ontology", path)])
    assert_same(mine, everything)
    assert_same(ours([("ontology", path)], rules.BUILD_EXCLUSIONS), kept)
    iri = {n: ("iri", "http://example.org/" + n) for n in ("x", "y", "p", "A", "B", "C", "x4", "desc", "k", "uncle",
                                                           "k3", "label", "d")}
    a = ("iri", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for triple in [("x", "p", "y"), ("k", "uncle", "k3"), ("x4", "desc", "x"), ("x", a, "A"), ("x", a, "B"),
                   ("x", a, "C"), ("y", a, "C"), ("d", a, "A"), ("d", a, "C")]:
        assert tuple(iri[t] if isinstance(t, str) else t for t in triple) in mine, triple
    assert (iri["x"], iri["label"], ("literal", "Ex", XSD_STRING, None)) in mine
    assert (iri["x"], iri["label"], ("literal", "42", "http://www.w3.org/2001/XMLSchema#integer", None)) in mine


def test_blank_nodes_keep_their_identity():
    store = ox.Store()
    onto, data, dest = ox.NamedNode(ONTOLOGY_GRAPH), ox.NamedNode(BKG + "d"), ox.NamedNode(INFERRED_GRAPH)
    store.load(input=f"<{BK}Airstrike> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{BK}Attack> .",
               format=ox.RdfFormat.TURTLE, to_graph=onto)
    b = ox.BlankNode("strike1")
    store.add(ox.Quad(b, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      ox.NamedNode(BK + "Airstrike"), data))
    count = rules.infer(store, [data], onto, dest)
    assert count == len(list(store.quads_for_pattern(None, None, None, dest)))
    assert [(q.subject, q.object) for q in store.quads_for_pattern(None, None, None, dest)
            if isinstance(q.subject, ox.BlankNode)] == [(b, ox.NamedNode(BK + "Attack"))]


RDF_NS, RDFS_NS, OWL_NS = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#",
                           "http://www.w3.org/2002/07/owl#")


@pytest.mark.parametrize("turtle, message", [
    (f"<http://e/a> <{OWL_NS}sameAs> <http://e/b> .",
     f"the graphs use <{OWL_NS}sameAs>, whose OWL 2 RL rules loader.rules does not implement; reason with owlrl"),
    (f"<http://e/C> a <{OWL_NS}Restriction> .",
     f"the graphs use <{OWL_NS}Restriction>, whose OWL 2 RL rules loader.rules does not implement; reason with owlrl"),
    (f"<http://e/C> <{RDFS_NS}subClassOf> <{OWL_NS}Class> .",
     f"<http://e/C> <{RDFS_NS}subClassOf> <{OWL_NS}Class>: instance triples would then change the schema; "
     "reason with owlrl"),
    (f"<http://e/p> <{RDFS_NS}subPropertyOf> <{RDF_NS}type> .",
     f"property axioms on <{RDF_NS}type> are not supported; reason with owlrl"),
])
def test_unsupported_vocabulary_is_refused(turtle, message):
    store = ox.Store()
    onto = ox.NamedNode(ONTOLOGY_GRAPH)
    store.load(input=turtle, format=ox.RdfFormat.TURTLE, to_graph=onto)
    with pytest.raises(rules.UnsupportedOntology) as err:
        rules.infer(store, [], onto, ox.NamedNode(INFERRED_GRAPH))
    assert str(err.value) == message


def test_destination_must_not_be_an_input():
    store = ox.Store()
    onto = ox.NamedNode(ONTOLOGY_GRAPH)
    with pytest.raises(ValueError) as err:
        rules.infer(store, [onto], onto, onto)
    assert str(err.value) == "the destination graph must not be one of the input graphs"
