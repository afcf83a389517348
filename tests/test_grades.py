"""Attribution grades: computed from the hasAgent claims of each operation (rules in ontology/README.md)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from loader.grades import compute
from loader.namespaces import sparql_prefixes


def claim(n: int, agent: str, stance: str, *credits: str) -> str:
    """``credits``: ``claimant=x`` or ``attributedTo=x`` (bkr:x)."""
    extra = "".join(f" bk:{c.split('=')[0]} bkr:{c.split('=')[1]} ;" for c in credits)
    return (f"bkr:c{n} a bk:Claim ; rdf:subject bkr:op ; rdf:predicate bk:hasAgent ; rdf:object bkr:{agent} ;"
            f"{extra} bk:stance bk:{stance} .\n")


def grade_of(*claims: str) -> tuple[str, str]:
    store = ox.Store()
    turtle = sparql_prefixes().replace("PREFIX ", "@prefix ").replace(">\n", "> .\n")
    turtle += "bkr:op a bk:Operation .\nbkr:iaf bk:partOf bkr:idf .\nbkr:idf bk:partOf bkr:israel .\n"
    turtle += "bkr:doc a bk:NewsReport .\nbk:NewsReport rdfs:subClassOf bk:Document .\nbkr:section a bk:RelatedArticle .\n"
    turtle += "".join(claim(n, *c.split()) for n, c in enumerate(claims))
    store.load(turtle, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:g"))
    (g,) = compute(store)
    return g.grade, g.reason


CASES = {
    "no claim": ((), "Unknown", "Unknown: no claim names an agent"),
    "only a denial": (("us Denies",), "Unknown", "Unknown: no claim names an agent; denied: bkr:us"),
    "flat": (("israel Asserts",), "Confirmed",
             "Confirmed: stated flatly or claimed, no competing agent, no denial: bkr:israel (Asserts)"),
    "responsibility": (("israel ClaimsResponsibility", "israel Reportedly"), "Confirmed",
                       "Confirmed: stated flatly or claimed, no competing agent, no denial: "
                       "bkr:israel (ClaimsResponsibility, Reportedly)"),
    "hedged": (("israel Reportedly", "israel Alleges"), "Alleged",
               "Alleged: named only by hedged claims, no competing agent, no denial: bkr:israel (Alleges, Reportedly)"),
    "part of, transitively": (("iaf Reportedly", "israel Confirms"), "Confirmed",
                              "Confirmed: stated flatly or claimed, no competing agent, no denial: "
                              "bkr:iaf (Reportedly), bkr:israel (Confirms)"),
    "competing agents": (("israel Alleges", "us Blames"), "Contested",
                         "Contested: competing agents named: bkr:israel (Alleges), bkr:us (Blames)"),
    "a flat agent against a hedged one": (("israel Asserts", "us Reportedly"), "Contested",
                                          "Contested: competing agents named: bkr:israel (Asserts), bkr:us (Reportedly)"),
    "joint flat agents": (("israel Asserts", "us Asserts"), "Confirmed",
                          "Confirmed: several agents, all stated flatly (acting jointly), no denial: "
                          "bkr:israel (Asserts), bkr:us (Asserts)"),
    "named and denied": (("us Blames", "us Denies", "iaf Alleges"), "Contested",
                         "Contested: competing agents named: bkr:iaf (Alleges), bkr:us (Blames); denied: bkr:us"),
    "denial of another agent": (("israel Asserts", "us Denies"), "Contested",
                                "Contested: agents named: bkr:israel (Asserts); denied: bkr:us"),
    "according to a third party": (("israel Asserts attributedTo=state-media", "israel Reportedly"), "SecondHand",
                                   "SecondHand: stated flatly only on others' word, no competing agent, no denial: "
                                   "bkr:israel (Asserts per bkr:state-media, Reportedly)"),
    "two third parties, jointly": (("israel Asserts claimant=elkin attributedTo=jpost", "us Asserts claimant=elkin"),
                                   "SecondHand", "SecondHand: stated flatly only on others' word, no competing agent, "
                                   "no denial: bkr:israel (Asserts per bkr:elkin and bkr:jpost), bkr:us (Asserts per "
                                   "bkr:elkin)"),
    "and in the document's own voice": (("israel Asserts attributedTo=state-media", "israel Asserts"), "Confirmed",
                                        "Confirmed: stated flatly or claimed, no competing agent, no denial: "
                                        "bkr:israel (Asserts, Asserts per bkr:state-media)"),
    "on the agent's own word, or a part of it": (("israel Asserts claimant=iaf",), "Confirmed",
                                                 "Confirmed: stated flatly or claimed, no competing agent, no denial: "
                                                 "bkr:israel (Asserts)"),
    "credited to the document or its sections": (("israel Asserts attributedTo=doc attributedTo=section",), "Confirmed",
                                                 "Confirmed: stated flatly or claimed, no competing agent, no denial: "
                                                 "bkr:israel (Asserts)"),
    "a third party's confirmation": (("israel Confirms claimant=monitor",), "Confirmed",
                                     "Confirmed: stated flatly or claimed, no competing agent, no denial: "
                                     "bkr:israel (Confirms)"),
    "second-hand against a hedged rival": (("israel Asserts attributedTo=state-media", "us Blames"), "Contested",
                                           "Contested: competing agents named: bkr:israel (Asserts per "
                                           "bkr:state-media), bkr:us (Blames)"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_grade(case):
    claims, grade, reason = CASES[case]
    assert grade_of(*claims) == (grade, reason)


def test_the_mini_project_grade(mini_store):
    from loader.store import open_read_only
    store = open_read_only(mini_store)
    rows = [(r["op"].value, r["g"].value, r["why"].value) for r in store.query(
        sparql_prefixes() + "SELECT ?op ?g ?why WHERE { GRAPH bkg:inferred { ?op bk:attributionGrade ?g ; bk:gradeReason ?why } }")]
    assert rows == [("https://w3id.org/bukamal-kg/id/op-2021-06-01-strike", "https://w3id.org/bukamal-kg/ontology#Alleged",
                     "Alleged: named only by hedged claims, no competing agent, no denial: bkr:iaf (Reportedly)")]
