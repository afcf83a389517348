"""Stage 1: strict Turtle parsing with file:line:column errors (1-based, columns in code points)."""

from __future__ import annotations

import shutil

import pyoxigraph
import pytest

from loader.errors import DataError, ParseError
from loader.build import build
from loader.parse import discover, parse_all

from conftest import DATA, MINI

BAD = DATA / "bad"

# file -> (line, column, message) as the build reports it
MALFORMED = {
    "missing-dot.ttl": (5, 1, "A dot is expected at the end of statements"),
    "undeclared-prefix.ttl": (3, 7, "The prefix zz: has not been declared"),
    "unterminated-string.ttl": (4, 16, "Unexpected end of file"),
    "relative-iri.ttl": (3, 1, "No scheme found in an absolute IRI"),
    "after-non-ascii.ttl": (4, 30, "A dot is expected at the end of statements"),  # ’ and é count as 1 column
    "unclosed-iri.ttl": (4, 28, "Unexpected end of file"),
    # a Latin-1 byte in a comment: the parser skips comments, the build checks every byte is UTF-8
    "latin1-comment.ttl": (3, 6, "invalid UTF-8 (byte 0xe9); the file must be UTF-8 text"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_turtle_is_reported_with_file_line_column(mini, name):
    shutil.copy(BAD / name, mini / "triples" / name)
    line, column, message = MALFORMED[name]
    with pytest.raises(ParseError) as err:
        parse_all(discover(mini))
    assert (err.value.file, err.value.line, err.value.column, err.value.message) == (
        f"triples/{name}", line, column, message)
    assert str(err.value) == f"triples/{name}:{line}:{column}: {message}"


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_cli_build_of_malformed_turtle_exits_1_with_location(mini, tmp_path, cli, name):
    shutil.copy(BAD / name, mini / "triples" / name)
    line, column, message = MALFORMED[name]
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"error: triples/{name}:{line}:{column}: {message}"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "store" / "CURRENT").exists()


def test_every_bad_file_is_reported_before_failing(mini):
    for name in ("missing-dot.ttl", "relative-iri.ttl"):
        shutil.copy(BAD / name, mini / "triples" / name)
    with pytest.raises(ParseError) as err:
        parse_all(discover(mini))
    assert str(err.value).splitlines() == [
        "triples/missing-dot.ttl:5:1: A dot is expected at the end of statements",
        "triples/relative-iri.ttl:3:1: No scheme found in an absolute IRI",
        "(2 files have syntax errors)",
    ]


def test_files_go_to_their_named_graphs(mini):
    got = [(s.rel, s.graph.rsplit("/", 1)[-1], s.role) for s in discover(mini)]
    assert got == [
        ("ontology/bukamal.ttl", "ontology", "ontology"),
        ("ontology/shapes.ttl", "shapes", "shapes"),
        ("corpus/metadata.ttl", "corpus", "corpus"),
        ("triples/doc-000.ttl", "doc-000", "data"),
        ("triples/shared.ttl", "shared", "data"),
    ]


def test_blank_nodes_get_the_same_labels_on_every_parse(mini):
    first = parse_all(discover(mini))
    second = parse_all(discover(mini))
    bnodes = sorted({t.value for q in first.quads() for t in (q.subject, q.object)
                     if isinstance(t, pyoxigraph.BlankNode)})
    # the property-chain list of bukamal.ttl (2 cells); shapes.ttl: 7 property shapes, a 3-cell sh:in list
    assert bnodes == ["ontology_bukamal_1", "ontology_bukamal_2"] + sorted(f"ontology_shapes_{n}" for n in range(1, 11))
    assert list(first.quads()) == list(second.quads())


def test_files_whose_names_sanitise_alike_never_share_a_blank_node(mini):
    """x-y.ttl and x_y.ttl both sanitise to x_y; the second must not take x_y2, which x_y2.ttl has."""
    for name in ("x-y", "x_y", "x_y2"):
        (mini / "triples" / f"{name}.ttl").write_text(
            f'<https://example.org/{name}> <http://www.w3.org/2000/01/rdf-schema#seeAlso> [ <http://www.w3.org/2000/01/rdf-schema#label> "from {name}" ] .\n',
            encoding="utf-8")
    parsed = parse_all(discover(mini))
    labels = {f.source.rel: sorted({q.object.value for q in f.quads if isinstance(q.object, pyoxigraph.BlankNode)})
              for f in parsed.files if f.source.rel.startswith("triples/x")}
    assert labels == {"triples/x-y.ttl": ["triples_x_y_1"], "triples/x_y.ttl": ["triples_x_y3_1"],
                      "triples/x_y2.ttl": ["triples_x_y2_1"]}


def test_a_reserved_graph_name_is_refused(mini):
    (mini / "triples" / "inferred.ttl").write_text("", encoding="utf-8")
    with pytest.raises(DataError) as err:
        discover(mini)
    assert str(err.value) == "triples/inferred.ttl: the graph name 'inferred' is reserved for the build; rename the file"


def test_a_project_without_ontology_is_refused(tmp_path):
    with pytest.raises(DataError) as err:
        discover(tmp_path)
    assert str(err.value) == f"no ontology found: {tmp_path / 'ontology'} holds no *.ttl file"


@pytest.mark.parametrize("name, message", [
    ("triples/extra.TTL", "triples/extra.TTL: the build reads only triples/*.ttl (Turtle, lower-case .ttl): rename or"
                          " convert this file, or move it out of the project"),
    ("triples/extra.trig", "triples/extra.trig: the build reads only triples/*.ttl (Turtle, lower-case .ttl): rename"
                           " or convert this file, or move it out of the project"),
    ("ontology/more.nt", "ontology/more.nt: the build reads only ontology/*.ttl (Turtle, lower-case .ttl): rename or"
                         " convert this file, or move it out of the project"),
    ("triples/sub/doc.ttl", "triples/sub: the build reads only triples/*.ttl, not sub-folders: move the files of"
                            " triples/sub/ into triples/ (or out of the project)"),
])
def test_files_the_build_would_skip_are_errors(mini, name, message):
    path = mini / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        discover(mini)
    assert str(err.value) == message


def test_other_files_beside_the_turtle_are_left_alone(mini):
    (mini / "triples" / "README.md").write_text("notes\n", encoding="utf-8")
    (mini / "triples" / ".doc.ttl.swp").write_bytes(b"\x00")
    (mini / "triples" / ".#doc-000.ttl").symlink_to("user@host.1234:1700000000")   # an editor's lock: a dangling link
    (mini / "ontology" / ".draft.ttl").write_text("not turtle at all", encoding="utf-8")
    assert [s.rel for s in discover(mini)] == [s.rel for s in discover(MINI)]
    assert build(mini, mini / "store").asserted == build(MINI, mini / "store2").asserted


def test_a_byte_order_mark_is_allowed_and_the_checksum_is_of_the_bytes_on_disk(mini):
    import hashlib

    path = mini / "triples" / "shared.ttl"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    parsed = parse_all(discover(mini))
    shared = next(f for f in parsed.files if f.source.rel == "triples/shared.ttl")
    assert len(shared.quads) == len(pyoxigraph.Dataset(pyoxigraph.parse(
        path.read_bytes()[3:], format=pyoxigraph.RdfFormat.TURTLE, without_named_graphs=True)))
    assert shared.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_token_too_large_for_the_parser_names_the_file(mini):
    path = mini / "triples" / "shared.ttl"
    with path.open("a", encoding="utf-8") as fh:
        fh.write('\n<https://w3id.org/bukamal-kg/id/x> <https://w3id.org/bukamal-kg/ontology#comment> "'
                 + "x" * (17 << 20) + '" .\n')
    with pytest.raises(ParseError) as err:
        parse_all(discover(mini))
    assert err.value.file == "triples/shared.ttl"
    assert err.value.message.startswith("a token is too large for the parser (")


def test_control_characters_in_an_error_are_escaped_on_the_terminal(mini, tmp_path, cli):
    with (mini / "triples" / "shared.ttl").open("a", encoding="utf-8") as fh:
        fh.write("\n\x1b[31mRED\x1b[0m .\n")
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    assert result.exit_code == 1
    assert result.stderr == "error: triples/shared.ttl:12:1: '\\x1b' is not allowed at the beginning of a prefix name\n"
