"""Export: deterministic bytes, the ontology's prefixes, and a round trip back to the same graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from loader import store as stores
from loader.build import build
from loader.export import FORMATS, GRAPHS, export, export_store, selected_quads, serialize
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
    assert len(exported) == {"asserted": 172, "inferred": 29, "all": 201}[graph]
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


# ---------------------------------------------------------------- the embedded store's export

def test_export_store_gives_the_bytes_of_the_generic_export(mini_store):
    store = stores.open_read_only(mini_store)
    prefixes = stores.current_manifest(mini_store)["prefixes"]
    for fmt in sorted(FORMATS):
        for graph in GRAPHS:
            expected = serialize(selected_quads(store, graph), fmt, prefixes)
            assert export_store(store, fmt, graph, prefixes) == expected, (fmt, graph)
            assert export(mini_store, fmt=fmt, graph=graph) == expected, (fmt, graph)


def awkward_store() -> ox.Store:
    """Terms whose N-Triples forms are prefixes of one another, escapes, non-ASCII text, the default
    graph, a blank-node graph name, and a triple stated in several graphs."""
    ex = "http://example.org/"
    s1, s10, p, q = ox.BlankNode("b1"), ox.BlankNode("b10"), ox.NamedNode(ex + "p"), ox.NamedNode(ex + "p2")
    objects = [ox.Literal("a"), ox.Literal("a", language="en"), ox.Literal("a b"), ox.Literal('a"b'),
               ox.Literal("a", datatype=ox.NamedNode(ex + "t")), ox.Literal("a\tb\nc\\d"), ox.Literal("é"),
               ox.Literal("𝄞"), ox.Literal("\uffff"), ox.NamedNode(ex + "o"), ox.NamedNode(ex + "o/é"), s1, s10]
    graphs = [ox.DefaultGraph(), ox.NamedNode(ex + "g"), ox.NamedNode(ex + "g/2"), ox.BlankNode("g"), INFERRED]
    store = ox.Store()
    for i, graph in enumerate(graphs):
        for subject in (s1, s10, ox.NamedNode(ex + "s"), ox.NamedNode(ex + "s/é")):
            for predicate in (p, q):
                for o in objects[i:]:
                    store.add(ox.Quad(subject, predicate, o, graph))
    return store


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_store_sorts_awkward_terms_as_the_generic_export(fmt, graph):
    store = awkward_store()
    assert export_store(store, fmt, graph) == serialize(selected_quads(store, graph), fmt)


def test_nquads_are_sorted_graph_by_graph():
    store = awkward_store()
    lines = export_store(store, "nquads", "all").decode("utf-8").splitlines()
    assert len(lines) == len(store) == 5 * 4 * 2 * 13 - 4 * 2 * (0 + 1 + 2 + 3 + 4)
    assert ox.Dataset(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS)) == ox.Dataset(store)
    graph_names = [q.graph_name for q in ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS)]
    order = [str(g) for g in dict.fromkeys(graph_names)]
    assert order == sorted(order) and len(order) == 5
    merged = export_store(store, "ntriples", "all").decode("utf-8").splitlines()
    assert merged == sorted(merged) and len(merged) == len(set(merged)) == 4 * 2 * 13


def test_cli_output_that_cannot_be_written_is_an_error_not_a_traceback(mini_store, tmp_path, cli):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for target in (tmp_path / "missing" / "out.ttl", tmp_path / "file" / "out.ttl"):
        r = cli("export", "--store", mini_store, "-o", target)
        assert r.exit_code == 2, r.output
        assert r.stderr.startswith(f"error: cannot write to {target}: ")
        assert "Traceback" not in r.stderr
    dash = cli("export", "--store", mini_store, "-o", "-")        # "-" is standard output, not a file
    assert dash.exit_code == 0 and dash.stdout == cli("export", "--store", mini_store).stdout
    if Path("/dev/full").exists():                  # a full disk is a disk error: exit 3
        r = cli("export", "--store", mini_store, "-o", "/dev/full")
        assert (r.exit_code, r.stderr) == (3, "error: cannot write to /dev/full: No space left on device\n")


def test_a_damaged_store_is_a_store_error(mini_store, tmp_path, cli):
    import shutil

    damaged = tmp_path / "store"
    shutil.copytree(mini_store, damaged)
    generation = stores.current_path(damaged)
    sst = sorted(generation.glob("*.sst"))[0]
    with open(sst, "r+b") as f:
        f.truncate(100)
    for args in (("stats",), ("export",)):
        r = cli(*args, "--store", damaged)
        assert (r.exit_code, r.stderr) == (3, f"error: cannot open the store generation {generation.name}: its files "
                                              "are damaged (Corruption); build it again with `bukamal build --force`\n")


def test_a_closed_standard_output_is_an_error_not_a_traceback(mini_store):
    """Started with standard output closed (``bukamal export >&-``), Python has no sys.stdout at all."""
    import os
    import subprocess
    import sys

    for args in (["export"], ["stats"]):
        done = subprocess.run([sys.executable, "-c", "from loader.entry import run; run()", *args, "--store",
                               str(mini_store)], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              preexec_fn=lambda: os.close(1), timeout=60)
        assert (done.returncode, done.stderr.decode()) == (2, "error: cannot write to standard output: it is closed\n")
