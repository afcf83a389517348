"""The generation writer: a child process bulk-loads quads and documents into a new store folder."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from loader.errors import StoreError
from loader.store import GenerationWriter

EX = "http://example.org/"
G = ox.NamedNode(EX + "g")


def quads_of(path) -> set[str]:
    store = ox.Store.read_only(str(path))
    return {str(q) for q in store}


def test_quads_keep_their_blank_nodes_and_documents_go_to_their_graph(tmp_path):
    writer = GenerationWriter(tmp_path)
    writer.start([ox.Quad(ox.BlankNode("doc_1"), ox.NamedNode(EX + "p"), ox.Literal("a"), G)])
    writer.add(texts=[(f"<{EX}s> <{EX}p> <{EX}o> .\n".encode(), ox.RdfFormat.N_TRIPLES, ox.NamedNode(EX + "h"))])
    writer.add([ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "q"), ox.BlankNode("doc_1"), G)])
    built = writer.finish()
    assert quads_of(built) == {
        f'_:doc_1 <{EX}p> "a" <{EX}g>',
        f"<{EX}s> <{EX}p> <{EX}o> <{EX}h>",
        f"<{EX}s> <{EX}q> _:doc_1 <{EX}g>",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == [built.name]      # its input files are gone


def test_a_document_the_child_cannot_read_fails_and_leaves_nothing(tmp_path):
    writer = GenerationWriter(tmp_path)
    writer.start([ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("a"), G)])
    writer.add(texts=[(b"<not an iri> <p> .\n", ox.RdfFormat.N_TRIPLES, G)])
    with pytest.raises(StoreError, match=r"^cannot write the new store: SyntaxError: "):
        writer.finish()
    assert list(tmp_path.iterdir()) == []


def test_files_read_differently_by_the_child_fail_the_build(mini, tmp_path):
    from loader.parse import discover, parse_all

    files = {f.source.rel: f.sha256 for f in parse_all(discover(mini)).files}
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    writer = GenerationWriter(store_dir)
    writer.start(root=mini)
    with pytest.raises(StoreError, match=r"^an input file changed while the build read it, build again: "
                                         r"triples/shared\.ttl$"):
        writer.finish(dict(files, **{"triples/shared.ttl": "0" * 64}))
    assert list(store_dir.iterdir()) == []
    writer = GenerationWriter(store_dir)
    writer.start(root=mini)
    built = writer.finish(files)
    assert len(quads_of(built)) == sum(1 for _ in parse_all(discover(mini)).quads())


def test_discard_stops_the_child_and_removes_the_folder(tmp_path):
    writer = GenerationWriter(tmp_path)
    writer.start([ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("a"), G)])
    writer.discard()
    assert list(tmp_path.iterdir()) == []


def test_the_child_loads_a_project_exactly_as_the_build_parses_it(mini, tmp_path):
    """Files without blank nodes go through Oxigraph's N-Quads loader, files with one (or with the text
    "_:") through the build's own parse; either way the store holds exactly the parsed quads."""
    from loader.parse import discover, parse_all

    (mini / "triples" / "tricky.ttl").write_text(
        '@prefix ex: <http://example.org/> .\n'
        'ex:s ex:p """two lines .\nand a dot""" , "tab\\there"@en , "x .\\n" , "_: is not a node" .\n'
        'ex:s ex:q "1"^^<http://www.w3.org/2001/XMLSchema#integer> , <http://example.org/a_:b> .\n',
        encoding="utf-8")
    (mini / "triples" / "blank.ttl").write_text(
        '@prefix ex: <http://example.org/> .\nex:s ex:r [ ex:v "in a blank node" ] , ( "l1" "l2" ) .\n',
        encoding="utf-8")
    parsed = parse_all(discover(mini))
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    writer = GenerationWriter(store_dir)
    writer.start(root=mini)
    built = writer.finish({f.source.rel: f.sha256 for f in parsed.files})
    assert quads_of(built) == {str(q) for q in parsed.quads()}
    assert {str(q) for q in parsed.quads() if "blank node" in str(q)} == {
        '_:triples_blank_1 <http://example.org/v> "in a blank node" <https://w3id.org/bukamal-kg/graph/blank>'}
