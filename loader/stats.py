"""Counts over the store: triples per named graph, instances per class, and per source document.

* graphs: triples in each named graph (and the default graph, if anything was written there);
* classes: distinct instances of each class, asserted or inferred types together (the union of all
  graphs), leaving out the RDF, RDFS, OWL and SHACL vocabularies (the ontology's own machinery);
* documents: for each ``bk:Document`` (with its ``bk:fileName``): its evidence (``bk:inDocument``), the
  claims citing that evidence, and the facts -- distinct bare triples, asserted in some graph, that one
  of those claims reifies.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph

from .namespaces import PREFIXES, sparql_prefixes
from .results import cell, table
from .store import query

_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_CLASSES = f"""
SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  ?x a ?class .
  FILTER (isIRI(?class) && !STRSTARTS(STR(?class), "{PREFIXES['rdf']}") && !STRSTARTS(STR(?class), "{PREFIXES['rdfs']}")
          && !STRSTARTS(STR(?class), "{PREFIXES['owl']}") && !STRSTARTS(STR(?class), "{PREFIXES['sh']}"))
}} GROUP BY ?class"""
_DOCUMENTS = """
SELECT ?doc ?file
       (COUNT(DISTINCT ?ev) AS ?evidence) (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
  ?doc a bk:Document .
  OPTIONAL { ?doc bk:fileName ?file }
  OPTIONAL { ?ev bk:inDocument ?doc . OPTIONAL { ?claim bk:evidence ?ev } }
} GROUP BY ?doc ?file"""
_FACTS = """
SELECT ?doc (COUNT(*) AS ?facts) WHERE {
  { SELECT DISTINCT ?doc ?s ?p ?o WHERE {
      ?doc a bk:Document . ?ev bk:inDocument ?doc . ?claim bk:evidence ?ev ;
      rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
      ?s ?p ?o .
  } }
} GROUP BY ?doc"""


@dataclass(frozen=True)
class Stats:
    graphs: list[tuple[str, int]]                    # (graph IRI, triples), by IRI
    classes: list[tuple[str, int]]                   # (class IRI, instances), most first then by IRI
    documents: list[tuple[str, str, int, int, int]]  # (document IRI, file, evidence, claims, facts)


def _int(term) -> int:
    return int(term.value) if term is not None else 0


def compute(store: pyoxigraph.Store) -> Stats:
    # a row without its key (only a remote service that does not answer what was asked sends one) is left out
    graphs = sorted((row["g"].value, _int(row["n"])) for row in query(store, _GRAPHS) if row["g"] is not None)
    default = sum(1 for _ in store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()))
    if default:
        graphs.append(("(default graph)", default))
    classes = sorted(((row["class"].value, _int(row["n"])) for row in query(store, sparql_prefixes() + _CLASSES)
                      if row["class"] is not None),
                     key=lambda r: (-r[1], r[0]))
    facts = {row["doc"]: _int(row["facts"]) for row in query(store, sparql_prefixes() + _FACTS)}
    docs = sorted((row["doc"].value, row["file"].value if row["file"] is not None else "",
                   _int(row["evidence"]), _int(row["claims"]), facts.get(row["doc"], 0))
                  for row in query(store, sparql_prefixes() + _DOCUMENTS) if row["doc"] is not None)
    return Stats(graphs, classes, docs)


def render(stats: Stats) -> str:
    """Three tables for people."""
    name = lambda iri: cell(pyoxigraph.NamedNode(iri)) if iri.startswith("http") else iri  # noqa: E731
    parts = [
        "Named graphs\n" + table(["graph", "triples"], [[name(g), f"{n:,}"] for g, n in stats.graphs]),
        "Classes (asserted and inferred types)\n"
        + table(["class", "instances"], [[name(c), f"{n:,}"] for c, n in stats.classes]),
        "Source documents\n" + table(["document", "file", "evidence", "claims", "facts"],
                                     [[name(d), f, str(e), str(c), str(x)] for d, f, e, c, x in stats.documents]),
    ]
    return "\n".join(parts)
