"""Stage 3: SHACL violations fail the build with a report naming focus node, path, message, shape, the failed check and file."""

from __future__ import annotations

import pytest

from loader.errors import ShapeError
from loader.parse import discover, parse_all
from loader.shacl import validate

from test_evidence import edit

LABEL = '    rdfs:label "Airstrike on the Imam Ali base, 1 June 2021"@en ;\n'
MISSING_LABEL_ERROR = [             # what `bukamal build` prints when LABEL is removed
    "error: SHACL validation failed: 1 violation",
    "  triples/doc-000.ttl: bkr:op-2021-06-01-strike",
    "      path:    rdfs:label",
    "      message: an operation needs an rdfs:label",
    "      shape:   bks:OperationShape (property rdfs:label)",
    "      check:   sh:minCount",
]


def test_the_fixture_conforms(mini):
    summary = validate(parse_all(discover(mini)))
    assert (summary.shapes, summary.warnings) == (10, ())


def test_a_violation_names_focus_node_path_message_shape_and_file(mini):
    edit(mini / "triples" / "doc-000.ttl", LABEL, "")
    with pytest.raises(ShapeError) as err:
        validate(parse_all(discover(mini)))
    assert err.value.report.splitlines() == [
        "SHACL validation failed: 1 violation",
        "  triples/doc-000.ttl: bkr:op-2021-06-01-strike",
        "      path:    rdfs:label",
        "      message: an operation needs an rdfs:label",
        "      shape:   bks:OperationShape (property rdfs:label)",
        "      check:   sh:minCount",
    ]


def test_violations_are_all_listed_with_the_offending_value(mini):
    edit(mini / "triples" / "doc-000.ttl", LABEL, "")
    edit(mini / "triples" / "doc-000.ttl", "# only reported (a hedged stance): the agent stays a claim, never a bare"
         " bk:hasAgent triple", "bkr:op-2021-06-01-strike bk:hasAgent bkr:imam-ali-base .")
    edit(mini / "triples" / "doc-000.ttl", "rdf:predicate bk:hasAgent ; rdf:object bkr:iaf ;",
         "rdf:predicate bk:hasAgent ; rdf:object bkr:iaf, bkr:imam-ali-base ;")
    with pytest.raises(ShapeError) as err:
        validate(parse_all(discover(mini)))
    assert err.value.report.splitlines() == [
        "SHACL validation failed: 2 violations",
        "  triples/doc-000.ttl: bkr:op-2021-06-01-strike",
        "      path:    bk:hasAgent",
        "      message: bk:hasAgent must point to a bk:Actor",
        "      shape:   bks:OperationShape (property bk:hasAgent)",
        "      check:   sh:class",
        "      value:   bkr:imam-ali-base",
        "  triples/doc-000.ttl: bkr:op-2021-06-01-strike",
        "      path:    rdfs:label",
        "      message: an operation needs an rdfs:label",
        "      shape:   bks:OperationShape (property rdfs:label)",
        "      check:   sh:minCount",
    ]


def test_cli_build_with_a_violation_exits_1_and_prints_the_report(mini, tmp_path, cli):
    edit(mini / "triples" / "doc-000.ttl", LABEL, "")
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-6:] == MISSING_LABEL_ERROR
    assert not (tmp_path / "store" / "CURRENT").exists()


def test_types_given_by_the_ontology_count(mini):
    """An individual typed only in the ontology (like bkr:time-unknown) satisfies sh:class."""
    edit(mini / "triples" / "doc-000.ttl", "bk:hasTime bkr:time-2021-06-01 .", "bk:hasTime bkr:time-unknown .")
    edit(mini / "triples" / "doc-000.ttl", "rdf:object bkr:time-2021-06-01 ;", "rdf:object bkr:time-unknown ;")
    edit(mini / "triples" / "doc-000.ttl", 'bkr:time-2021-06-01 a bk:TimeSpec ;\n    rdfs:label "1 June 2021" .\n', "")
    with open(mini / "ontology" / "bukamal.ttl", "a", encoding="utf-8") as fh:
        fh.write("<https://w3id.org/bukamal-kg/id/time-unknown> a bk:TimeSpec .\n")
    validate(parse_all(discover(mini)))


def test_warnings_are_reported_but_do_not_fail(mini, tmp_path, cli):
    edit(mini / "ontology" / "shapes.ttl", 'sh:message "an operation needs an rdfs:label" ]',
         'sh:message "an operation needs an rdfs:label" ; sh:severity sh:Warning ]')
    edit(mini / "triples" / "doc-000.ttl", LABEL, "")
    summary = validate(parse_all(discover(mini)))
    assert [(w.severity, w.focus, w.path) for w in summary.warnings] == [
        ("Warning", "bkr:op-2021-06-01-strike", "rdfs:label")]
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[2].startswith("[3/5] shacl     10 shapes, 0 violations, 1 warning   ")
    assert lines[5:] == [                       # after the five progress lines, before the summary
        "SHACL warning:",
        "  triples/doc-000.ttl: bkr:op-2021-06-01-strike",
        "      path:    rdfs:label",
        "      message: an operation needs an rdfs:label",
        "      shape:   bks:OperationShape (property rdfs:label)",
        "      check:   sh:minCount",
    ]



def test_shapes_the_compiler_does_not_cover_are_validated_by_pyshacl_and_the_build_says_so(mini, tmp_path, cli):
    """sh:closed is not compiled to SPARQL: the build validates with pyshacl, its stage line says why, and a
    violation is reported as usual."""
    edit(mini / "ontology" / "shapes.ttl", "bks:OperationShape a sh:NodeShape ;\n",
         "bks:OperationShape a sh:NodeShape ;\n    sh:closed false ;\n")
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    assert result.exit_code == 0, result.stderr
    line = result.stderr.splitlines()[2]
    assert line.startswith("[3/5] shacl     10 shapes (by pyshacl: <http://www.w3.org/ns/shacl#closed> (on "
                           "<https://w3id.org/bukamal-kg/shapes#OperationShape>) is not compiled to SPARQL), "
                           "0 violations   "), line
    edit(mini / "triples" / "doc-000.ttl", LABEL, "")
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-6:] == MISSING_LABEL_ERROR


@pytest.mark.parametrize("message", [None, "m"])
def test_an_invalid_pattern_is_an_error_in_the_shapes_file(mini, tmp_path, cli, message):
    shapes = mini / "ontology" / "shapes.ttl"
    lines = shapes.read_text(encoding="utf-8").count("\n")
    extra = f' ; sh:message "{message}"' if message else ""
    with open(shapes, "a", encoding="utf-8") as f:
        f.write(f'\n[] a sh:NodeShape ; sh:targetClass bk:Place ;\n'
                f'    sh:property [ sh:path rdfs:label ; sh:pattern "([" {extra}] .\n')
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (f"error: ontology/shapes.ttl:{lines + 3}: sh:pattern '([' is not a valid"
                                              " regular expression (the query engine cannot read it)")
    assert not (tmp_path / "store" / "CURRENT").exists()


@pytest.mark.parametrize("pattern, problem", [
    (".+", None),
    ("^\\\\p{L}", "Python's re, which pyshacl uses, cannot read it: bad escape \\p"),
])
def test_a_pattern_must_suit_both_validators(mini, tmp_path, cli, pattern, problem):
    with open(mini / "ontology" / "shapes.ttl", "a", encoding="utf-8") as f:
        f.write(f'\n[] a sh:NodeShape ; sh:targetClass bk:Place ;\n    sh:property [ sh:path rdfs:label ; sh:pattern "{pattern}" ] .\n')
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    if problem is None:
        assert result.exit_code == 0, result.stderr
    else:
        assert result.exit_code == 1
        assert result.stderr.splitlines()[-1].endswith(f"is not a valid regular expression ({problem})")


def test_the_failed_check_is_named_by_its_parameter():
    from rdflib import URIRef
    from rdflib.namespace import SH

    from loader.shacl import check_name

    assert [check_name(c) for c in (SH.DatatypeConstraintComponent, SH.MinCountConstraintComponent,
                                    SH.SPARQLConstraintComponent, URIRef("https://w3id.org/bukamal-kg/ontology#X"),
                                    None)] == ["sh:datatype", "sh:minCount", "sh:sparql", "bk:X", ""]
