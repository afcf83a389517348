"""The project's IRIs: ontology, resources, named graphs, and the standard vocabularies it aligns to."""

from __future__ import annotations

BASE = "https://w3id.org/bukamal-kg/"
BK = BASE + "ontology#"          # classes and properties
BKR = BASE + "id/"               # resources: entities, operations, claims, evidence, documents
BKG = BASE + "graph/"            # named graphs

# Named graphs. Each triples/NAME.ttl file is loaded into BKG + NAME; the ontology into ONTOLOGY_GRAPH.
ONTOLOGY_GRAPH = BKG + "ontology"
SHAPES_GRAPH = BKG + "shapes"
INFERRED_GRAPH = BKG + "inferred"

PREFIXES: dict[str, str] = {
    "bk": BK,
    "bkr": BKR,
    "bkg": BKG,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "geof": "http://www.opengis.net/def/function/geosparql/",
    "schema": "https://schema.org/",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "sh": "http://www.w3.org/ns/shacl#",
}


RDF_TYPE = PREFIXES["rdf"] + "type"


def graph_for(name: str) -> str:
    """IRI of the named graph that holds ``triples/<name>.ttl``."""
    return BKG + name


def sparql_prefixes() -> str:
    """``PREFIX`` lines for every project prefix, for queries written by the project itself."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
