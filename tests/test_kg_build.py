"""The real graph after the build: every operation graded, dated and evidenced; what reasoning adds."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from loader.namespaces import BKR, sparql_prefixes


def rows(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    out = []
    for solution in store.query(sparql_prefixes() + query, use_default_graph_as_union=True):
        out.append(tuple("" if t is None else t.value.replace(BKR, "bkr:")
                         .replace("https://w3id.org/bukamal-kg/ontology#", "bk:") for t in solution))
    return out


def test_every_operation_has_exactly_one_grade(real_store):
    assert rows(real_store, """
        SELECT ?op (COUNT(DISTINCT ?g) AS ?n) WHERE {
            ?op a bk:Operation . OPTIONAL { ?op bk:attributionGrade ?g } }
        GROUP BY ?op HAVING (COUNT(DISTINCT ?g) != 1)""") == []


def test_every_operation_has_a_time_or_an_explicit_unknown(real_store):
    assert rows(real_store, """
        SELECT DISTINCT ?op WHERE { ?op a bk:Operation . FILTER NOT EXISTS { ?op bk:hasTime ?t . ?t a bk:TimeSpec } }""") == []


def test_every_operation_has_evidence(real_store):
    assert rows(real_store, """
        SELECT DISTINCT ?op WHERE {
            ?op a bk:Operation .
            FILTER NOT EXISTS { ?c a bk:Claim ; rdf:subject ?op ; bk:evidence ?e . ?e bk:quote ?q }
        }""") == []


def test_grades_live_only_in_the_inferred_graph(real_store):
    assert rows(real_store, """
        SELECT DISTINCT ?g WHERE { GRAPH ?g { ?op bk:attributionGrade ?grade } }""") == [("https://w3id.org/bukamal-kg/graph/inferred",)]


@pytest.mark.parametrize("op,grade", [
    ("op-2018-06-airstrike-kh-base", "Contested"),            # KH blames the US, the US denies, Al-Jarida: Israel
    ("op-2021-02-25-us-airstrike", "Confirmed"),              # stated flatly: the United States military
    ("op-2019-09-reported-airstrikes", "Unknown"),            # "reports emerged" of airstrikes: no attacker named
    ("op-2019-08-25-israeli-drones-crash-beirut", "Alleged"),  # Hezbollah's claim only
    ("op-2017-11-recapture-al-bukamal", "Confirmed"),         # several agents, all stated flatly: jointly
    ("op-2019-12-27-kirkuk-airbase-attack", "Contested"),     # the DoD's implied blame, Kata'ib Hezbollah's denial
    ("op-2021-militia-attacks-us-iraq", "Alleged"),           # only blamed (by the US), no bare agent triple
    ("op-2021-01-22-israeli-airstrike-hama", "SecondHand"),   # "according to Syrian state media"
    ("op-russia-israel-agreement-oust-iran", "SecondHand"),   # Elkin's word, quoted by the Jerusalem Post
])
def test_grade_of(real_store, op, grade):
    assert rows(real_store, f"SELECT ?g WHERE {{ bkr:{op} bk:attributionGrade ?g }}") == [(f"bk:{grade}",)]


def test_contested_reason_names_the_competing_agents(real_store):
    assert rows(real_store, "SELECT ?r WHERE { bkr:op-2018-06-airstrike-kh-base bk:gradeReason ?r }") == [(
        "Contested: competing agents named: bkr:israel (Alleges), bkr:united-states (Blames); denied: bkr:united-states",)]


def test_located_in_is_transitive_in_the_inferred_graph(real_store):
    """al-Tanf is stated to be in Rif Dimashq Governorate, which is stated to be in Syria."""
    assert rows(real_store, """
        SELECT ?g WHERE { GRAPH ?g { bkr:al-tanf bk:locatedIn bkr:syria } } ORDER BY ?g""") == [
        ("https://w3id.org/bukamal-kg/graph/inferred",)]


def test_stated_in_is_inferred_from_evidence(real_store):
    assert rows(real_store, """
        SELECT DISTINCT ?doc WHERE { GRAPH bkg:inferred {
            ?c bk:statedIn ?doc } ?c rdf:subject bkr:op-2018-06-airstrike-kh-base ; rdf:predicate bk:hasAgent }""") == [
        ("bkr:doc-004",)]


def test_a_second_label_for_a_place_actor_or_operation_is_a_shape_violation(tmp_path):
    """Every label column shows a thing's one rdfs:label: a second one (other names are skos:altLabel)
    fails the project's shapes, so no query can pick one of two labels."""
    import shutil
    from pathlib import Path

    from loader.errors import ShapeError
    from loader.parse import discover, parse_all
    from loader.shaclsparql import validate

    root = Path(__file__).resolve().parent.parent
    for folder in ("ontology", "corpus", "triples"):
        shutil.copytree(root / folder, tmp_path / folder)
    with (tmp_path / "triples" / "shared.ttl").open("a", encoding="utf-8") as f:
        f.write('\nbkr:imam-ali-base rdfs:label "Imam Ali"@en .\nbkr:iran rdfs:label "Islamic Republic"@en .\n'
                'bkr:op-2021-06-28-airstrike rdfs:label "June strike"@en .\n')
    with pytest.raises(ShapeError) as err:
        validate(parse_all(discover(tmp_path)))
    report = err.value.report.splitlines()
    assert report[0] == "SHACL validation failed: 4 violations"       # Iran is a place and an actor
    assert sorted(line.strip() for line in report if "message:" in line) == [
        "message: a place needs exactly one rdfs:label (other names are skos:altLabel)",
        "message: a place needs exactly one rdfs:label (other names are skos:altLabel)",
        "message: an actor needs exactly one rdfs:label (other names are skos:altLabel)",
        "message: an operation needs exactly one human-readable rdfs:label (other names are skos:altLabel)",
    ]
    assert [line.strip() for line in report if "check:" in line] == ["check:   sh:maxCount"] * 4


def test_a_claimed_literal_with_a_bar_is_a_shape_violation(tmp_path):
    """List columns of the saved queries join values with '|': a claim's literal object may not hold one,
    or a list cell would split it. Both validators say so."""
    import shutil
    from pathlib import Path

    from loader.errors import ShapeError
    from loader.parse import discover, parse_all
    from loader.shacl import validate as by_pyshacl
    from loader.shaclsparql import validate

    root = Path(__file__).resolve().parent.parent
    for folder in ("ontology", "corpus", "triples"):
        shutil.copytree(root / folder, tmp_path / folder)
    doc = tmp_path / "triples" / "doc-000.ttl"
    text = doc.read_text(encoding="utf-8")
    assert text.count('"Inoperative"') == 2                      # the claim's object and the bare triple
    doc.write_text(text.replace('"Inoperative"', '"Inoperative | destroyed"'), encoding="utf-8")
    parsed = parse_all(discover(tmp_path))
    for check in (validate, by_pyshacl):
        with pytest.raises(ShapeError) as err:
            check(parsed)
        report = [line.strip() for line in err.value.report.splitlines()]
        assert report[0] == "SHACL validation failed: 1 violation"
        assert "message: a claim's literal rdf:object may not contain '|' (saved queries join the values of a list" \
               " column with it): Inoperative | destroyed" in report, report
