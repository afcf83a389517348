"""Saved queries are plain SPARQL 1.1: list columns (GROUP_CONCAT) are declared and normalised, and
`nearby` computes distances without extension functions."""

from __future__ import annotations

import json
import math

import pyoxigraph
import pytest
from queries_support import QUERIES_DIR, fixture_store, result_table

from loader.errors import RegistryError
from loader.registry import load_registry
from loader.saved import normalise, normalise_list, run

HEAD = "#+ title: T\n#+ description: D\n#+ example: bukamal query q\n"
PREFIX = "PREFIX bk: <https://w3id.org/bukamal-kg/ontology#>\n"
GOOD_LIST = '(GROUP_CONCAT(DISTINCT COALESCE(STR(?x), ""); separator="|") AS ?xs)'


def load_one(tmp_path, text):
    (tmp_path / "q.rq").write_text(text, encoding="utf-8")
    return load_registry(tmp_path).get("q")


def test_list_header_is_parsed(tmp_path):
    q = load_one(tmp_path, HEAD + "#+ list: ?xs\n" + PREFIX
                 + f"SELECT ?s {GOOD_LIST} WHERE {{ ?s bk:p ?x }} GROUP BY ?s ORDER BY ?s\n")
    assert q.list_vars == ("xs",)
    assert q.to_dict()["lists"] == ["xs"]


@pytest.mark.parametrize("header,select,message", [
    ("", f"?s {GOOD_LIST}",
     "q.rq: ?xs is a GROUP_CONCAT column: name it in '#+ list:' (its values are sorted after the query"
     " runs)"),
    ("#+ list: ?xs ?ys\n", f"?s {GOOD_LIST}",
     "q.rq: list names ?ys but no (GROUP_CONCAT(...) AS ?ys) produces it"),
    ("#+ list: xs\n", f"?s {GOOD_LIST}", "q.rq: list: expected variables like ?claims, got 'xs'"),
    ("#+ list: ?xs ?xs\n", f"?s {GOOD_LIST}", "q.rq: list names ?xs twice"),
    ("#+ list: ?xs\n", '?s (GROUP_CONCAT(DISTINCT STR(?x); separator="|") AS ?xs)',
     "q.rq: write list columns as (GROUP_CONCAT(DISTINCT COALESCE(expr, \"\"); separator=\"|\") AS ?name):"
     " 'GROUP_CONCAT(DISTINCT STR(?x); separator=\"|\")'"),
    ("#+ list: ?xs\n", '?s (GROUP_CONCAT(DISTINCT COALESCE(STR(?x), ""); separator=" ") AS ?xs)',
     "q.rq: write list columns as (GROUP_CONCAT(DISTINCT COALESCE(expr, \"\"); separator=\"|\") AS ?name):"
     " 'GROUP_CONCAT(DISTINCT COALESCE(STR(?x), \"\"); separator=\" \")'"),
    ("#+ list: ?xs\n", '?s (CONCAT("<", GROUP_CONCAT(DISTINCT COALESCE(STR(?x), ""); separator="|")) AS ?xs)',
     "q.rq: write list columns as (GROUP_CONCAT(DISTINCT COALESCE(expr, \"\"); separator=\"|\") AS ?name):"
     " 'GROUP_CONCAT(DISTINCT COALESCE(STR(?x), \"\"); separator=\"|\")'"),
])
def test_list_columns_are_checked(tmp_path, header, select, message):
    with pytest.raises(RegistryError) as err:
        load_one(tmp_path, HEAD + header + PREFIX
                 + f"SELECT {select} WHERE {{ ?s bk:p ?x }} GROUP BY ?s ORDER BY ?s\n")
    assert str(err.value) == message


def test_a_list_column_cannot_order_rows(tmp_path):
    with pytest.raises(RegistryError) as err:
        load_one(tmp_path, HEAD + "#+ list: ?xs\n" + PREFIX
                 + f"SELECT ?s {GOOD_LIST} WHERE {{ ?s bk:p ?x }} GROUP BY ?s ORDER BY ?s ?xs\n")
    assert str(err.value) == ("q.rq: list column ?xs in ORDER BY: the order of the values inside it differs"
                              " between engines")


@pytest.mark.parametrize("select,message", [
    ("?s (SAMPLE(?x) AS ?one)", "q.rq: SAMPLE() gives different values from one run or engine to the next;"
                                " saved queries must answer the same everywhere"),
    ("?s (RAND() AS ?r)", "q.rq: RAND() gives different values from one run or engine to the next;"
                          " saved queries must answer the same everywhere"),
    ("?s (<http://www.opengis.net/def/function/geosparql/distance>(?x, ?x) AS ?d)",
     "q.rq: <http://www.opengis.net/def/function/geosparql/distance>(...) is an extension function; saved"
     " queries are plain SPARQL 1.1"),
    ("?s (bkf:list(?x) AS ?xs)", "q.rq: bkf:list(...) is an extension function; saved queries are plain"
                                 " SPARQL 1.1"),
])
def test_unstable_and_extension_functions_are_refused(tmp_path, select, message):
    group = " GROUP BY ?s" if "SAMPLE" in select or "bkf:" in select else ""
    prefixes = PREFIX + "PREFIX bkf: <https://w3id.org/bukamal-kg/function#>\n"
    with pytest.raises(RegistryError) as err:
        load_one(tmp_path, HEAD + prefixes + f"SELECT {select} WHERE {{ ?s bk:p ?x }}{group} ORDER BY ?s\n")
    assert str(err.value) == message


def test_casts_are_plain_sparql(tmp_path):
    q = load_one(tmp_path, HEAD + PREFIX + "PREFIX x: <http://www.w3.org/2001/XMLSchema#>\n"
                 "SELECT ?s ?d WHERE { ?s bk:p ?o BIND(x:double(STR(?o)) AS ?d)"
                 " FILTER(<http://www.w3.org/2001/XMLSchema#integer>(?d) > 0) } ORDER BY ?s ?d\n")
    assert q.list_vars == ()


def test_every_project_query_is_portable():
    for query in load_registry(QUERIES_DIR):
        assert "bkf:" not in query.text and "geof:" not in query.text, query.name
        assert ("GROUP_CONCAT" in query.text) == bool(query.list_vars), query.name


# ---------------------------------------------------------------- normalisation

@pytest.mark.parametrize("value,expected", [
    ("b|a|b", "a|b"),
    ("bkr:claim-b11|bkr:claim-a5", "bkr:claim-a5|bkr:claim-b11"),
    ("|x||", "x"),
    ("", None),
    ("|", None),
    ("Z|a|É", "Z|a|É"),
])
def test_normalise_list(value, expected):
    got = normalise_list(pyoxigraph.Literal(value))
    assert (None if got is None else (got.value, got.datatype.value)) == (
        None if expected is None else (expected, "http://www.w3.org/2001/XMLSchema#string"))


def test_normalise_list_keeps_other_terms():
    iri = pyoxigraph.NamedNode("https://w3id.org/bukamal-kg/id/x")
    assert normalise_list(iri) == iri
    assert normalise_list(None) is None


def _solutions(names, rows):
    bindings = [{n: v for n, v in zip(names, row) if v is not None} for row in rows]
    doc = {"head": {"vars": names}, "results": {"bindings": bindings}}
    return pyoxigraph.parse_query_results(json.dumps(doc), pyoxigraph.QueryResultsFormat.JSON)


def test_normalise_rows_in_order_only_list_columns(tmp_path):
    query = load_one(tmp_path, HEAD + "#+ list: ?xs\n" + PREFIX
                     + f"SELECT ?s {GOOD_LIST} ?t WHERE {{ ?s bk:p ?x }} GROUP BY ?s ?t ORDER BY ?s ?t\n")
    lit = lambda v, **kw: {"type": "literal", "value": v, **kw}  # noqa: E731
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    result = _solutions(["s", "xs", "t"], [
        [{"type": "uri", "value": "http://x/2"}, lit("c|a|b|a"), lit("b|a")],
        [{"type": "uri", "value": "http://x/1"}, lit(""), lit("7", datatype=integer)],
        [{"type": "bnode", "value": "n1"}, lit("z|y"), lit("hi", **{"xml:lang": "en"})],
    ])
    columns, rows = result_table(normalise(query, result))
    assert columns == ["s", "xs", "t"]
    assert rows == [["<http://x/2>", "a|b|c", "b|a"],   # ?t is not a list column: left as it is
                    ["<http://x/1>", None, "7^^xsd:integer"],
                    [rows[2][0], "y|z", "hi@en"]]
    assert rows[2][0].startswith("_:")


def test_run_sorts_lists_whatever_order_the_engine_gives(tmp_path):
    """pyoxigraph's GROUP_CONCAT order changes from run to run; the answer through run() does not."""
    query = load_one(tmp_path, HEAD + "#+ list: ?xs\n" + PREFIX
                     + f"SELECT ?s {GOOD_LIST} WHERE {{ ?s bk:p ?x OPTIONAL {{ ?s bk:q ?y }} }}"
                       " GROUP BY ?s ORDER BY ?s\n")
    store = pyoxigraph.Store()
    s = pyoxigraph.NamedNode("http://x/s")
    for i in range(40):
        store.add(pyoxigraph.Quad(s, pyoxigraph.NamedNode("https://w3id.org/bukamal-kg/ontology#p"),
                                  pyoxigraph.Literal(f"v{i:02d}")))
    expected = "|".join(f"v{i:02d}" for i in range(40))
    answers = {result_table(run(query, {}, store))[1][0][1] for _ in range(5)}
    assert answers == {expected}


def test_a_missing_value_does_not_empty_the_list(tmp_path):
    """COALESCE(expr, ""): one unbound value must not make the whole GROUP_CONCAT unbound (pyoxigraph)."""
    query = load_one(tmp_path, HEAD + "#+ list: ?xs\n" + PREFIX
                     + f"SELECT ?s {GOOD_LIST} WHERE {{ ?s bk:p ?o OPTIONAL {{ ?o bk:q ?x }} }}"
                       " GROUP BY ?s ORDER BY ?s\n")
    store = pyoxigraph.Store()
    bk = "https://w3id.org/bukamal-kg/ontology#"
    s, a, b = (pyoxigraph.NamedNode(f"http://x/{n}") for n in "sab")
    store.add(pyoxigraph.Quad(s, pyoxigraph.NamedNode(bk + "p"), a))
    store.add(pyoxigraph.Quad(s, pyoxigraph.NamedNode(bk + "p"), b))
    store.add(pyoxigraph.Quad(a, pyoxigraph.NamedNode(bk + "q"), pyoxigraph.Literal("only-a")))
    assert result_table(run(query, {}, store))[1] == [["<http://x/s>", "only-a"]]


# ---------------------------------------------------------------- distances in plain SPARQL

def haversine_km(lon1, lat1, lon2, lat2):
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@pytest.mark.parametrize("radius,expected", [
    ("340", ["bkr:town", "bkr:town"]),        # Far City is 340.6 km away: outside
    ("341", ["bkr:town", "bkr:town", "bkr:far-city"]),   # (two operations in Townsville)
])
def test_nearby_radius_is_applied_to_the_computed_distance(radius, expected):
    query = load_registry(QUERIES_DIR).get("nearby")
    _, rows = result_table(run(query, {"place": "the base", "radius": radius}, fixture_store()))
    assert [r[0] for r in rows] == expected


@pytest.mark.parametrize("a,b", [
    ((40.93667, 34.45361), (40.92, 34.45)),        # 1.6 km
    ((40.93667, 34.45361), (44.36, 33.31)),        # 340.6 km
    ((36.29, 33.51), (44.36, 33.31)),              # ~750 km
    ((10.0, 59.9), (10.8, 59.4)),                  # high latitude, ~70 km
    ((-0.5, -20.0), (0.5, -20.5)),                 # southern hemisphere, across 0
])
def test_nearby_distance_is_close_to_great_circle(a, b):
    store = pyoxigraph.Store()
    g = pyoxigraph.NamedNode("https://w3id.org/bukamal-kg/graph/doc-a")
    bk = "https://w3id.org/bukamal-kg/ontology#"
    geo = "http://www.opengis.net/ont/geosparql#"
    for name, (lon, lat) in (("p", a), ("q", b)):
        node = pyoxigraph.NamedNode(f"https://w3id.org/bukamal-kg/id/{name}")
        geom = pyoxigraph.NamedNode(f"https://w3id.org/bukamal-kg/id/{name}-geom")
        store.add(pyoxigraph.Quad(node, pyoxigraph.NamedNode(
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), pyoxigraph.NamedNode(bk + "Place"), g))
        store.add(pyoxigraph.Quad(node, pyoxigraph.NamedNode(geo + "hasGeometry"), geom, g))
        store.add(pyoxigraph.Quad(geom, pyoxigraph.NamedNode(geo + "asWKT"), pyoxigraph.Literal(
            f"POINT({lon} {lat})", datatype=pyoxigraph.NamedNode(geo + "wktLiteral")), g))
    query = load_registry(QUERIES_DIR).get("nearby")
    columns, rows = result_table(run(query, {"place": "bkr:p", "radius": "20000"}, store))
    other, km_at, basis = (columns.index(c) for c in ("other", "km", "basis"))
    assert [(r[other], r[basis]) for r in rows] == [("bkr:q", "coordinates")]
    km = float(rows[0][km_at].split("^^")[0])
    true = haversine_km(*a, *b)
    assert abs(km - true) <= 0.001 * true + 0.05, (km, true)


def test_normalise_gives_back_every_other_term_exactly(tmp_path):
    query = load_one(tmp_path, HEAD + "#+ list: ?xs\n" + PREFIX
                     + f"SELECT ?s ?o {GOOD_LIST} WHERE {{ ?s bk:p ?x OPTIONAL {{ ?s bk:o ?o }} }}"
                       " GROUP BY ?s ?o ORDER BY ?s\n")
    bk = "https://w3id.org/bukamal-kg/ontology#"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    terms = [
        pyoxigraph.NamedNode("https://example.org/é?q=1#f"),
        pyoxigraph.BlankNode("b10"),
        pyoxigraph.Literal('tab\there\nnew line "quoted" back\\slash \x01 \u2028 𝄞'),
        pyoxigraph.Literal("hi", language="en-GB"),
        pyoxigraph.Literal("مرحبا", language="ar", direction=pyoxigraph.BaseDirection.RTL),
        pyoxigraph.Literal(" 7 ", datatype=pyoxigraph.NamedNode(xsd + "integer")),
        pyoxigraph.Literal(""),
        pyoxigraph.Literal("a|b"),
        pyoxigraph.Triple(pyoxigraph.NamedNode("http://x/s"), pyoxigraph.NamedNode("http://x/p"),
                          pyoxigraph.Literal("o\t")),
        None,
    ]
    store = pyoxigraph.Store()
    for i, term in enumerate(terms):
        s = pyoxigraph.NamedNode(f"http://x/{i:02d}")
        store.add(pyoxigraph.Quad(s, pyoxigraph.NamedNode(bk + "p"), pyoxigraph.Literal("c|a")))
        store.add(pyoxigraph.Quad(s, pyoxigraph.NamedNode(bk + "p"), pyoxigraph.Literal("c")))
        if term is not None:
            store.add(pyoxigraph.Quad(s, pyoxigraph.NamedNode(bk + "o"), term))
    rows = [(row["s"], row["o"], row["xs"]) for row in run(query, {}, store)]
    assert rows == [(pyoxigraph.NamedNode(f"http://x/{i:02d}"), term, pyoxigraph.Literal("a|c"))
                    for i, term in enumerate(terms)]


def test_normalise_keeps_rows_whose_only_cell_becomes_unbound(tmp_path):
    query = load_one(tmp_path, HEAD + "#+ list: ?xs\n" + PREFIX
                     + f"SELECT {GOOD_LIST} WHERE {{ ?s bk:p ?x }} GROUP BY ?s ORDER BY ?s\n")
    store = pyoxigraph.Store()
    p = pyoxigraph.NamedNode("https://w3id.org/bukamal-kg/ontology#p")
    for name, value in (("1", "b|a"), ("2", "|"), ("3", "")):
        store.add(pyoxigraph.Quad(pyoxigraph.NamedNode(f"http://x/{name}"), p, pyoxigraph.Literal(value)))
    result = run(query, {}, store)
    assert [v.value for v in result.variables] == ["xs"]
    assert [row["xs"] for row in result] == [pyoxigraph.Literal("a|b"), None, None]


@pytest.mark.parametrize("text, shown", [
    ("a\x1bb", "a\\x1bb"),                     # ESC would drive the terminal
    ("a\u202eb", "a\\u202eb"),                 # a bidi override would reorder what follows
    ("a\U0010ffffb", "a\\U0010ffffb"),         # past U+FFFF: the long form (\u10ffff reads as U+10FF, "ff")
    ("a\tb\nc", "a\\tb\\nc"),
    ("a\u3000b é", "a\u3000b é"),               # spaces of any width and printable text stay
])
def test_characters_a_terminal_would_not_show_are_escaped(text, shown):
    from loader.results import visible

    assert visible(text) == shown
