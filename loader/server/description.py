"""The SPARQL 1.1 Service Description returned by ``GET /sparql`` without a query.

It names the endpoint (``sd:endpoint``, the URL the client used), the languages (query; update only
when the server accepts updates), the result and input formats, the union-default-graph feature and
the default dataset with its named graphs.
"""

from __future__ import annotations

import pyoxigraph as ox

from .executor import serialize

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FORMATS = "http://www.w3.org/ns/formats/"

# the W3C format IRIs of what negotiation.RESULTS and negotiation.RDF produce
_RESULT_FORMAT_IRIS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                       "SPARQL_Results_TSV", "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD",
                       "RDF_XML")
_INPUT_FORMAT_IRIS = ("Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML")

def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def description_triples(endpoint: str, named_graphs: list[str], *, update: bool) -> list[ox.Triple]:
    service = _n(endpoint)
    dataset, default_graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    t = ox.Triple
    a = _n(RDF_NS + "type")
    triples = [
        t(service, a, _n(SD + "Service")),
        t(service, _n(SD + "endpoint"), service),
        t(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        t(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        t(service, _n(SD + "defaultDataset"), dataset),
        t(dataset, a, _n(SD + "Dataset")),
        t(dataset, _n(SD + "defaultGraph"), default_graph),
        t(default_graph, a, _n(SD + "Graph")),
    ]
    if update:
        triples.append(t(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Update")))
        for name in _INPUT_FORMAT_IRIS:
            triples.append(t(service, _n(SD + "inputFormat"), _n(FORMATS + name)))
    for name in _RESULT_FORMAT_IRIS:
        triples.append(t(service, _n(SD + "resultFormat"), _n(FORMATS + name)))
    for i, graph in enumerate(named_graphs):
        node = ox.BlankNode(f"named{i}")
        triples += [t(dataset, _n(SD + "namedGraph"), node), t(node, a, _n(SD + "NamedGraph")),
                    t(node, _n(SD + "name"), _n(graph))]
    return triples


def description(endpoint: str, named_graphs: list[str], *, update: bool, accept: str | None,
                max_bytes: int):
    """The service description, serialised as the client asks (Turtle by default)."""
    return serialize(description_triples(endpoint, named_graphs, update=update), accept, max_bytes,
                     prefixes={"sd": SD, "formats": FORMATS})
