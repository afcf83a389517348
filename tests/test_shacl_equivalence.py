"""loader.shaclsparql (the shapes compiled to SPARQL, run in Oxigraph) reports exactly what pyshacl does.

pyshacl is the oracle. Both validate the same data (ontology + corpus metadata + triples/) against the
same shapes graph; each result is compared as (severity, focus node, path, value, source shape,
constraint component, messages), blank nodes by their content. On the real project graph, on a
synthetic graph (clean, then with every constraint broken), and on fixtures that break every
constraint of ontology/shapes.ttl (tests/data/shacl/). The human-facing report
(:func:`loader.shaclsparql.validate`) must equal :func:`loader.shacl.validate`'s line for line.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.namespace import RDF, SH

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # the bench package lives at the top of the checkout, not installed
    sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from loader import shacl, shaclsparql  # noqa: E402
from loader.errors import ShapeError  # noqa: E402
from loader.namespaces import BKG, PREFIXES  # noqa: E402
from loader.parse import discover, parse_all  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "data" / "shacl"
ALL_FIXTURES = ("violations.ttl", "blank-nodes.ttl")


def _local(iri) -> str:
    return str(iri).rsplit("#", 1)[-1]


def _key(term, outgoing) -> str | None:
    """A term as text; a blank node by its outgoing (predicate, object) pairs (objects: blank as ``_:``)."""
    if term is None:
        return None
    if isinstance(term, rdflib.BNode):
        pairs = sorted(f"{p} {'_:' if isinstance(o, rdflib.BNode) else o.n3()}" for p, o in outgoing(term))
        return "_:[" + "; ".join(pairs) + "]"
    return term.n3()


def _row(shapes, outgoing, severity, focus, path, value, shape, component, messages) -> tuple:
    name = (str(shape) if isinstance(shape, rdflib.URIRef) else shacl._shape_name(shapes, shape, PREFIXES))
    path_text = shacl._path(shapes, path, PREFIXES) if path is not None else None
    return (_local(severity), _key(focus, outgoing), path_text, _key(value, outgoing), name, _local(component),
            tuple(sorted(messages)))


def oracle(parsed, shapes: rdflib.Graph) -> list[tuple]:
    data = shacl._graph(parsed.quads({"ontology", "data", "corpus"}))
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True,
        allow_infos=True, advanced=False, meta_shacl=False)
    rows = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        rows.append(_row(shapes, data.predicate_objects, report.value(r, SH.resultSeverity),
                         report.value(r, SH.focusNode), report.value(r, SH.resultPath), report.value(r, SH.value),
                         report.value(r, SH.sourceShape), report.value(r, SH.sourceConstraintComponent),
                         [str(m) for m in report.objects(r, SH.resultMessage)]))
    return sorted(rows, key=repr)


def compiled(parsed, shapes: rdflib.Graph, *, extra_graph: bool = False) -> list[tuple]:
    store = ox.Store()
    store.extend(parsed.quads({"ontology", "data", "corpus"}))
    graphs = None
    if extra_graph:                      # as in the build: other graphs in the store, the data graphs named
        graphs = sorted({q.graph_name for q in store}, key=str)
        store.extend(parsed.quads({"shapes"}))
        store.add(ox.Quad(ox.NamedNode(BKG + "x-op-1"), ox.NamedNode(PREFIXES["rdfs"] + "label"),
                          ox.Literal("only in another graph"), ox.NamedNode(BKG + "inferred")))

    def outgoing(node):
        return [(shaclsparql.to_rdflib(q.predicate), shaclsparql.to_rdflib(q.object))
                for q in store.quads_for_pattern(ox.BlankNode(str(node)), None, None, None)]

    found = shaclsparql.findings(store, shapes, graphs)
    return sorted((_row(shapes, outgoing, f.severity, f.focus, f.path, f.value, f.shape, f.component, f.messages)
                   for f in found), key=repr)


def assert_same(mine: list[tuple], theirs: list[tuple]) -> None:
    a, b = Counter(mine), Counter(theirs)
    detail = ["only loader.shaclsparql:"] + [f"  {x}" for x in sorted(a - b, key=repr)[:20]]
    detail += ["only pyshacl:"] + [f"  {x}" for x in sorted(b - a, key=repr)[:20]]
    assert mine == theirs, "\n".join(detail)


def project(tmp: Path, fixtures=ALL_FIXTURES, base: Path | None = None) -> Path:
    """ROOT's ontology (with shapes.ttl) plus the fixtures as triples/ files, or ``base`` plus them."""
    if base is None:
        (tmp / "triples").mkdir(parents=True)
        shutil.copytree(ROOT / "ontology", tmp / "ontology")
        base = tmp
    for name in fixtures:
        shutil.copyfile(FIXTURES / name, base / "triples" / name)
    return base


def _load(root: Path):
    parsed = parse_all(discover(root))
    return parsed, shacl._graph(list(parsed.quads({"shapes"})))


def test_real_project_graph_same_results_as_pyshacl():
    parsed, shapes = _load(ROOT)
    assert_same(compiled(parsed, shapes), oracle(parsed, shapes))
    assert shaclsparql.validate(parsed) == shacl.validate(parsed)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generate(4000, 3, out)
    return out


def test_synthetic_graph_same_results_as_pyshacl(synthetic):
    parsed, shapes = _load(synthetic)
    assert_same(compiled(parsed, shapes), oracle(parsed, shapes))
    assert shaclsparql.validate(parsed) == shacl.validate(parsed)


def test_synthetic_graph_with_violations_same_results_as_pyshacl(synthetic, tmp_path):
    root = tmp_path / "synthetic"
    shutil.copytree(synthetic, root)
    parsed, shapes = _load(project(tmp_path, base=root))
    mine = compiled(parsed, shapes)
    assert len(mine) == 121
    assert_same(mine, oracle(parsed, shapes))


def test_fixtures_break_every_constraint_and_results_equal_pyshacl(tmp_path):
    parsed, shapes = _load(project(tmp_path))
    mine = compiled(parsed, shapes)
    assert_same(mine, oracle(parsed, shapes))
    # every constraint of shapes.ttl is broken at least once, so the equality above covers all of them
    broken = {(r[4], r[2], r[5]) for r in mine}
    declared = set()
    for prop in shapes.objects(None, SH.property):
        parent = shapes.value(None, SH.property, prop)
        name = shacl._shape_name(shapes, prop, PREFIXES)
        path = shacl._path(shapes, shapes.value(prop, SH.path), PREFIXES)
        for p in shapes.predicates(prop, None):
            if p not in (SH.path, SH.message, SH.flags):
                declared.add((name, path, p.rsplit("#", 1)[-1][0].upper() + p.rsplit("#", 1)[-1][1:]
                              + "ConstraintComponent"))
        assert parent is not None
    for node in shapes.subjects(SH.sparql, None):
        declared.add((str(node), None, "SPARQLConstraintComponent"))
    assert len(declared) == 100
    assert declared - broken == set()
    assert Counter(r[0] for r in mine) == {"Violation": 121}


def test_the_store_may_hold_other_graphs_when_the_data_graphs_are_named(tmp_path):
    parsed, shapes = _load(project(tmp_path))
    assert_same(compiled(parsed, shapes, extra_graph=True), compiled(parsed, shapes))


def test_the_report_is_the_same_line_for_line(tmp_path):
    parsed, _shapes = _load(project(tmp_path, fixtures=("violations.ttl",)))
    with pytest.raises(ShapeError) as theirs:
        shacl.validate(parsed)
    with pytest.raises(ShapeError) as mine:
        shaclsparql.validate(parsed)
    assert mine.value.report.splitlines() == theirs.value.report.splitlines()
    assert mine.value.report.splitlines()[0] == "SHACL validation failed: 115 violations"


def test_warnings_are_returned_as_pyshacl_returns_them(mini):
    shapes_file = mini / "ontology" / "shapes.ttl"
    text = shapes_file.read_text(encoding="utf-8")
    shapes_file.write_text(text.replace('sh:message "an operation needs an rdfs:label" ]',
                                        'sh:message "an operation needs an rdfs:label" ; sh:severity sh:Warning ]'),
                           encoding="utf-8")
    doc = mini / "triples" / "doc-000.ttl"
    doc.write_text(doc.read_text(encoding="utf-8").replace(
        '    rdfs:label "Airstrike on the Imam Ali base, 1 June 2021"@en ;\n', ""), encoding="utf-8")
    parsed = parse_all(discover(mini))
    summary = shaclsparql.validate(parsed)
    assert summary == shacl.validate(parsed)
    assert [(w.severity, w.focus, w.path) for w in summary.warnings] == [
        ("Warning", "bkr:op-2021-06-01-strike", "rdfs:label")]


@pytest.mark.parametrize("shape, message", [
    ("bks:S a sh:NodeShape ; sh:targetClass bk:Actor ; sh:node bks:T .",
     "<http://www.w3.org/ns/shacl#node> (on <https://w3id.org/bukamal-kg/shapes#S>) is not compiled to SPARQL; "
     "validate with pyshacl"),
    ("bks:S a sh:NodeShape ; sh:targetClass bk:Actor ; sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .",
     "has no sh:message (pyshacl's generated messages are not reproduced)"),
])
def test_shapes_it_cannot_compile_are_refused(tmp_path, shape, message):
    root = project(tmp_path, fixtures=())
    with open(root / "ontology" / "shapes.ttl", "a", encoding="utf-8") as fh:
        fh.write("\n" + shape + "\n")
    parsed, shapes = _load(root)
    with pytest.raises(shaclsparql.UnsupportedShapes) as err:
        shaclsparql.validate(parsed)
    assert message in str(err.value)
