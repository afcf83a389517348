"""Stage 4: the OWL 2 RL closure (owlrl on pyoxigraph), one test per rule, all into the inferred graph.

Each case is a few asserted triples and the exact set of triples the build keeps in the inferred graph
(after dropping axiomatic noise: reflexive axioms, owl:Thing, built-in vocabulary, blank nodes).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from loader.errors import DataError, UsageError
from loader.reason import closure
from loader.terms import compact

from conftest import DATA

P = {"ex": "http://example.org/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
     "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "owl": "http://www.w3.org/2002/07/owl#",
     "xsd": "http://www.w3.org/2001/XMLSchema#"}
HEAD = "".join(f"@prefix {k}: <{v}> .\n" for k, v in P.items())
ASSERTED, INFERRED = ox.NamedNode("urn:test:asserted"), ox.NamedNode("urn:test:inferred")


def run(turtle: str) -> tuple[set[str], ox.Store]:
    store = ox.Store()
    store.load(HEAD + turtle, format=ox.RdfFormat.TURTLE, to_graph=ASSERTED)
    result = closure(store, INFERRED.value)
    return {" ".join(compact(x, P) for x in (t.subject, t.predicate, t.object)) for t in result.triples}, store


def test_cax_sco():
    assert run("ex:A rdfs:subClassOf ex:B . ex:x a ex:A .")[0] == {"ex:x rdf:type ex:B"}


def test_cax_eqc1_and_scm_eqc1():
    assert run("ex:A owl:equivalentClass ex:B . ex:x a ex:A .")[0] == {
        "ex:x rdf:type ex:B", "ex:A rdfs:subClassOf ex:B", "ex:B rdfs:subClassOf ex:A",
        "ex:B owl:equivalentClass ex:A"}                                  # scm-eqc2 from the two subclass axioms


def test_cax_eqc2():
    assert run("ex:A owl:equivalentClass ex:B . ex:x a ex:B .")[0] == {
        "ex:x rdf:type ex:A", "ex:A rdfs:subClassOf ex:B", "ex:B rdfs:subClassOf ex:A",
        "ex:B owl:equivalentClass ex:A"}


def test_prp_dom():
    assert run("ex:p rdfs:domain ex:C . ex:a ex:p ex:b .")[0] == {"ex:a rdf:type ex:C"}


def test_prp_rng():
    assert run("ex:p rdfs:range ex:C . ex:a ex:p ex:b .")[0] == {"ex:b rdf:type ex:C"}


def test_prp_inv1():
    assert run("ex:partOf owl:inverseOf ex:hasPart . ex:a ex:partOf ex:b .")[0] == {"ex:b ex:hasPart ex:a"}


def test_prp_inv2():
    assert run("ex:partOf owl:inverseOf ex:hasPart . ex:b ex:hasPart ex:a .")[0] == {"ex:a ex:partOf ex:b"}


def test_prp_trp():
    assert run("ex:partOf a owl:TransitiveProperty . ex:a ex:partOf ex:b . ex:b ex:partOf ex:c .")[0] == {
        "ex:a ex:partOf ex:c"}


def test_prp_symp():
    assert run("ex:near a owl:SymmetricProperty . ex:a ex:near ex:b .")[0] == {"ex:b ex:near ex:a"}


def test_prp_spo1():
    assert run("ex:hasAgent rdfs:subPropertyOf ex:involves . ex:op ex:hasAgent ex:x .")[0] == {
        "ex:op ex:involves ex:x"}


def test_prp_spo2():
    """The property chain bk:statedIn = bk:evidence / bk:inDocument."""
    assert run("ex:statedIn owl:propertyChainAxiom ( ex:evidence ex:inDocument ) ."
               " ex:claim ex:evidence ex:ev . ex:ev ex:inDocument ex:doc .")[0] == {"ex:claim ex:statedIn ex:doc"}


def test_prp_fp():
    assert run("ex:p a owl:FunctionalProperty . ex:a ex:p ex:b . ex:a ex:p ex:c .")[0] == {
        "ex:b owl:sameAs ex:c", "ex:c owl:sameAs ex:b"}


def test_cls_hv1():
    assert run("ex:C owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:hasValue ex:v ] ."
               " ex:x a ex:C .")[0] == {"ex:x ex:p ex:v"}


def test_cls_hv2():
    assert run("ex:C owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:p ; owl:hasValue ex:v ] ."
               " ex:x ex:p ex:v .")[0] == {"ex:x rdf:type ex:C"}


def test_cls_int1():
    assert run("ex:C owl:intersectionOf ( ex:A ex:B ) . ex:x a ex:A, ex:B .")[0] == {
        "ex:x rdf:type ex:C", "ex:C rdfs:subClassOf ex:A", "ex:C rdfs:subClassOf ex:B"}


def test_cls_int2():
    assert run("ex:C owl:intersectionOf ( ex:A ex:B ) . ex:x a ex:C .")[0] == {
        "ex:x rdf:type ex:A", "ex:x rdf:type ex:B", "ex:C rdfs:subClassOf ex:A", "ex:C rdfs:subClassOf ex:B"}


def test_scm_sco():
    assert run("ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:C .")[0] == {"ex:A rdfs:subClassOf ex:C"}


def test_scm_spo():
    assert run("ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:subPropertyOf ex:r .")[0] == {"ex:p rdfs:subPropertyOf ex:r"}


def test_scm_dom1():
    assert run("ex:p rdfs:domain ex:A . ex:A rdfs:subClassOf ex:B .")[0] == {"ex:p rdfs:domain ex:B"}


def test_scm_rng2():
    assert run("ex:q rdfs:range ex:C . ex:p rdfs:subPropertyOf ex:q .")[0] == {"ex:p rdfs:range ex:C"}


def test_eq_diff1_inconsistency_fails():
    with pytest.raises(DataError) as err:
        run("ex:a owl:sameAs ex:b . ex:a owl:differentFrom ex:b .")
    pair = "  'sameAs' and 'differentFrom' cannot be used on the same subject-object pair: ({}, {})"
    a, b = "http://example.org/a", "http://example.org/b"
    # eq-rep-s/eq-rep-o carry the differentFrom over to every pair of the two equal names
    assert str(err.value).splitlines() == ["the OWL 2 RL reasoner found inconsistencies:",
                                           pair.format(a, a), pair.format(a, b), pair.format(b, a), pair.format(b, b)]


def test_dt_not_type_inconsistency_fails():
    with pytest.raises(DataError) as err:
        run('ex:a ex:value "twelve"^^xsd:integer .')
    assert str(err.value) == ("the OWL 2 RL reasoner found inconsistencies:\n"
                              "  Lexical value of the literal 'twelve' does not match its datatype "
                              "(http://www.w3.org/2001/XMLSchema#integer)")


def test_g_dates_pass_quietly(caplog):
    """owlrl 7.6.2's checks reject every xsd:gMonthDay/gDay/gMonth and rdflib logs a traceback for each."""
    found, _ = run('ex:t ex:exactDate "--06-28"^^xsd:gMonthDay, "---28"^^xsd:gDay, "--06"^^xsd:gMonth .')
    assert found == set()
    assert caplog.records == []


def test_the_rules_fixture_gives_exactly_this_closure():
    found, _ = run((DATA / "reason" / "rules.ttl").read_text(encoding="utf-8").split("\n", 3)[3])
    assert found == {
        "ex:Airstrike owl:equivalentClass ex:Strike",
        "ex:Airstrike rdfs:subClassOf ex:Operation", "ex:Airstrike rdfs:subClassOf ex:Strike",
        "ex:Strike rdfs:subClassOf ex:Airstrike", "ex:Strike rdfs:subClassOf ex:Attack",
        "ex:Strike rdfs:subClassOf ex:Operation", "ex:claim ex:statedIn ex:doc",
        "ex:hasAgent rdfs:domain ex:Event", "ex:iaf ex:partOf ex:israel", "ex:idf ex:hasPart ex:iaf",
        "ex:israel ex:hasPart ex:iaf", "ex:israel ex:hasPart ex:idf", "ex:israel rdf:type ex:Actor",
        "ex:s1 ex:involves ex:israel", "ex:s1 rdf:type ex:Airstrike", "ex:s1 rdf:type ex:Attack",
        "ex:s1 rdf:type ex:Event", "ex:s1 rdf:type ex:IsraeliOperation", "ex:s1 rdf:type ex:Operation",
        "ex:town ex:near ex:base",
    }


def test_inferences_go_only_to_the_inferred_graph():
    quads = list(ox.parse(path=DATA / "reason" / "rules.ttl", format=ox.RdfFormat.TURTLE))
    quads = [ox.Quad(q.subject, q.predicate, q.object, ASSERTED) for q in quads]
    store = ox.Store()
    store.extend(quads)
    closure(store, INFERRED.value)
    inferred = {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, INFERRED)}
    assert set(store.quads_for_pattern(None, None, None, ASSERTED)) == set(quads)   # asserted graph untouched
    assert set(store.named_graphs()) == {ASSERTED, INFERRED}
    assert len(inferred) == 20
    assert not inferred & {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    assert not any(isinstance(t, ox.BlankNode) for tr in inferred for t in (tr.subject, tr.object))


def test_noise_is_dropped():
    found, _ = run("ex:x a ex:A . ex:A a owl:Class .")
    # owlrl also derives ex:x owl:sameAs ex:x, ex:x a owl:Thing, ex:A rdfs:subClassOf ex:A / owl:Thing, ...
    assert found == set()


# ---------------------------------------------------------------- the build's reasoner, rule by rule
# The build runs loader/rules.py; owlrl (above) is its oracle. On each rule's fixture both must keep
# exactly the same inferred triples; OWL vocabulary outside the rules' fragment is refused, not ignored.

RULE_FIXTURES = {
    "cax-sco": "ex:A rdfs:subClassOf ex:B . ex:x a ex:A .",
    "cax-eqc1": "ex:A owl:equivalentClass ex:B . ex:x a ex:A .",
    "cax-eqc2": "ex:A owl:equivalentClass ex:B . ex:x a ex:B .",
    "prp-dom": "ex:p rdfs:domain ex:C . ex:a ex:p ex:b .",
    "prp-rng": "ex:p rdfs:range ex:C . ex:a ex:p ex:b .",
    "prp-inv1": "ex:partOf owl:inverseOf ex:hasPart . ex:a ex:partOf ex:b .",
    "prp-inv2": "ex:partOf owl:inverseOf ex:hasPart . ex:b ex:hasPart ex:a .",
    "prp-trp": "ex:partOf a owl:TransitiveProperty . ex:a ex:partOf ex:b . ex:b ex:partOf ex:c .",
    "prp-symp": "ex:near a owl:SymmetricProperty . ex:a ex:near ex:b .",
    "prp-spo1": "ex:hasAgent rdfs:subPropertyOf ex:involves . ex:op ex:hasAgent ex:x .",
    "prp-spo2": "ex:statedIn owl:propertyChainAxiom ( ex:evidence ex:inDocument ) . ex:c ex:evidence ex:e . ex:e ex:inDocument ex:d .",
    "scm-sco": "ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:C .",
    "scm-spo": "ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:subPropertyOf ex:r .",
    "scm-dom1": "ex:p rdfs:domain ex:A . ex:A rdfs:subClassOf ex:B .",
    "scm-rng2": "ex:q rdfs:range ex:C . ex:p rdfs:subPropertyOf ex:q .",
}


def run_rules(turtle: str) -> set[str]:
    from loader.rules import BUILD_EXCLUSIONS, derive
    store = ox.Store()
    store.load(HEAD + turtle, format=ox.RdfFormat.TURTLE, to_graph=ASSERTED)
    inferences = derive(store, [ASSERTED], ASSERTED, BUILD_EXCLUSIONS)
    return {" ".join(compact(x, P) for x in (t.subject, t.predicate, t.object)) for t in inferences.triples()}


@pytest.mark.parametrize("rule", sorted(RULE_FIXTURES))
def test_build_reasoner_matches_owlrl(rule):
    found = run_rules(RULE_FIXTURES[rule])
    assert found == run(RULE_FIXTURES[rule])[0]
    assert found            # each fixture makes its rule fire


@pytest.mark.parametrize("turtle", [
    "ex:p a owl:FunctionalProperty . ex:a ex:p ex:b .",
    "ex:C owl:intersectionOf ( ex:A ex:B ) . ex:x a ex:A, ex:B .",
    "ex:a owl:sameAs ex:b .",
], ids=["prp-fp", "cls-int1", "eq-sym"])
def test_build_reasoner_refuses_what_it_does_not_implement(turtle):
    from loader.rules import UnsupportedOntology
    with pytest.raises(UnsupportedOntology):
        run_rules(turtle)


def test_owlrl_leaves_rdflib_datatypes_as_it_found_them():
    """After the oracle has run, a valid xsd:gMonthDay is still well-typed for rdflib (and pyshacl)."""
    import rdflib
    from rdflib.namespace import XSD
    run('ex:t ex:exactDate "--06-28"^^xsd:gMonthDay .')
    assert rdflib.Literal("--01-20", datatype=XSD.gMonthDay).ill_typed is not True


# ------------------------------------------------------------------ a bound on the property rules' work
def _clique_chain(n: int) -> str:
    """A transitive and symmetric property over a chain of n nodes: its closure links every pair."""
    links = " ".join(f"ex:n{i} ex:near ex:n{i + 1} ." for i in range(n - 1))
    return f"ex:near a owl:TransitiveProperty, owl:SymmetricProperty . {links}"


def _rule_facts(turtle: str):
    from loader.rules import _Reader, _pairs, _read_schema
    store = ox.Store()
    store.load(HEAD + turtle, format=ox.RdfFormat.TURTLE, to_graph=ASSERTED)
    reader = _Reader(store, [ASSERTED])
    schema = _read_schema(reader)
    facts = {p: set(_pairs(reader.select("?s ?o", f"?s {p} ?o"))) for p in sorted(schema.rule_properties())}
    return facts, schema


def test_the_property_closure_counts_its_derivations():
    from loader.rules import _property_closure
    facts, schema = _rule_facts("ex:p a owl:SymmetricProperty . ex:a ex:p ex:b .")
    # one symmetric flip of the asserted pair, then one of the new pair (already known): 2 derivations
    assert _property_closure(facts, schema, budget=10) == 2
    assert facts == {"<http://example.org/p>": {("<http://example.org/a>", "<http://example.org/b>"),
                                                ("<http://example.org/b>", "<http://example.org/a>")}}


def test_a_closure_past_its_budget_stops_with_the_property_named():
    from loader.rules import ClosureTooLarge, _property_closure
    facts, schema = _rule_facts(_clique_chain(40))
    with pytest.raises(ClosureTooLarge) as caught:
        _property_closure(facts, schema, budget=5_000)
    assert "passes 5,000 derivations while applying the axioms of <http://example.org/near>" in str(caught.value)
    assert isinstance(caught.value, DataError)             # the build fails with exit 1, naming the cause
    facts, schema = _rule_facts(_clique_chain(40))
    _property_closure(facts, schema, budget=10_000_000)
    assert len(facts["<http://example.org/near>"]) == 40 * 40    # every pair, each node with itself too


def test_the_budget_comes_from_the_environment(monkeypatch):
    from loader.rules import DERIVATION_BUDGET, derivation_budget
    monkeypatch.delenv("BUKAMAL_MAX_DERIVATIONS", raising=False)
    assert derivation_budget() == DERIVATION_BUDGET
    monkeypatch.setenv("BUKAMAL_MAX_DERIVATIONS", " 1234 ")
    assert derivation_budget() == 1234
    for bad in ("0", "-5", "lots", "1e9"):
        monkeypatch.setenv("BUKAMAL_MAX_DERIVATIONS", bad)
        with pytest.raises(UsageError, match="BUKAMAL_MAX_DERIVATIONS must be a positive whole number"):
            derivation_budget()


def test_derive_applies_the_budget_from_the_environment(monkeypatch):
    from loader.rules import ClosureTooLarge
    monkeypatch.setenv("BUKAMAL_MAX_DERIVATIONS", "100")
    with pytest.raises(ClosureTooLarge):
        run_rules(_clique_chain(20))
    monkeypatch.setenv("BUKAMAL_MAX_DERIVATIONS", "100000")
    assert "ex:n0 ex:near ex:n19" in run_rules(_clique_chain(20))
