"""Export: deterministic bytes, the ontology's prefixes, and a round trip back to the same graph."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from loader import store as stores
from loader.build import build
from loader.export import FORMATS, export
from loader.namespaces import BKG

from conftest import MINI

INFERRED = ox.NamedNode(BKG + "inferred")


def store_quads(store_dir, graph: str) -> set:
    store = stores.open_read_only(store_dir)
    return {q for q in store if graph == "all" or (graph == "inferred") == (q.graph_name == INFERRED)}


def as_rdflib(triples) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    return g


@pytest.mark.parametrize("graph", ["asserted", "inferred", "all"])
def test_turtle_export_parses_back_isomorphic_to_the_store(mini_store, graph):
    data = export(mini_store, fmt="turtle", graph=graph)
    exported = rdflib.Graph().parse(data=data.decode("utf-8"), format="turtle")
    expected = as_rdflib({ox.Triple(q.subject, q.predicate, q.object) for q in store_quads(mini_store, graph)})
    assert len(exported) == {"asserted": 173, "inferred": 29, "all": 202}[graph]
    assert isomorphic(exported, expected)


@pytest.mark.parametrize("fmt", ["trig", "nquads", "jsonld"])
def test_dataset_exports_keep_graph_names(mini_store, fmt):
    data = export(mini_store, fmt=fmt, graph="all")
    parsed = set(ox.parse(data, format=FORMATS[fmt]))
    assert parsed == store_quads(mini_store, "all")          # blank-node labels survive too


def test_ntriples_export_is_the_sorted_set_of_triples(mini_store):
    lines = export(mini_store, fmt="ntriples", graph="inferred").decode("utf-8").splitlines()
    assert lines == sorted(lines)
    assert len(lines) == 29
    assert lines[0] == ("<https://w3id.org/bukamal-kg/id/abu-kamal> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                        "<https://w3id.org/bukamal-kg/ontology#Entity> .")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_two_exports_are_byte_identical(mini_store, fmt):
    assert export(mini_store, fmt=fmt, graph="all") == export(mini_store, fmt=fmt, graph="all")


@pytest.fixture(scope="module")
def other_store(tmp_path_factory):
    """A second, independent build of the same inputs."""
    path = tmp_path_factory.mktemp("other-store")
    build(MINI, path)
    return path


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_two_builds_of_the_same_inputs_export_the_same_bytes(mini_store, other_store, fmt):
    assert export(other_store, fmt=fmt, graph="all") == export(mini_store, fmt=fmt, graph="all")


def test_turtle_header_is_the_sorted_prefixes_of_the_ontology_and_project(mini_store):
    lines = export(mini_store).decode("utf-8").splitlines()
    assert lines[:4] == ["@prefix bk: <https://w3id.org/bukamal-kg/ontology#> .",
                         "@prefix bkg: <https://w3id.org/bukamal-kg/graph/> .",
                         "@prefix bkr: <https://w3id.org/bukamal-kg/id/> .",
                         "@prefix bks: <https://w3id.org/bukamal-kg/shapes#> ."]    # bks: comes from shapes.ttl
    prefixes = [line.split()[1] for line in lines if line.startswith("@prefix")]
    assert prefixes == sorted(prefixes) and len(prefixes) == 17
    assert lines[17:20] == ["bkr:abu-kamal a bk:Place ;", '\trdfs:label "Abu Kamal"@en ;', '\tskos:altLabel "abu kamal"@en .']


def test_cli_export_to_file_and_stdout(mini_store, tmp_path, cli):
    out = tmp_path / "graph.trig"
    assert cli("export", "--store", mini_store, "--format", "trig", "--graph", "all", "-o", out).exit_code == 0
    result = cli("export", "--store", mini_store, "--format", "trig", "--graph", "all")
    assert result.exit_code == 0
    assert result.stdout_bytes == out.read_bytes() == export(mini_store, fmt="trig", graph="all")
    bad = cli("export", "--store", mini_store, "--format", "rdfxml")
    assert bad.exit_code == 2
