"""The query text a remote store sends (loader/remote_sparql.py), checked against pyoxigraph itself.

Each rewritten query is run by pyoxigraph without substitutions and must give exactly the rows the
original gives with pyoxigraph's own substitutions (SEP-0007), on a small store; hostile parameter values
(those of tests/test_params.py and more) stay one literal.
"""

from __future__ import annotations

import pyoxigraph
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_params import HOSTILE_IRIS, HOSTILE_STRINGS

from loader.errors import QueryError
from loader.remote_sparql import prepare, term_text
from loader.sparqltext import render, tokenize

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
G1, G2, G3 = (pyoxigraph.NamedNode(EX + g) for g in ("g1", "g2", "staging"))


def n(local: str) -> pyoxigraph.NamedNode:
    return pyoxigraph.NamedNode(EX + local)


def lit(value: str, dt: str | None = None) -> pyoxigraph.Literal:
    return pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(XSD + dt)) if dt else pyoxigraph.Literal(value)


@pytest.fixture(scope="module")
def store() -> pyoxigraph.Store:
    s = pyoxigraph.Store()
    p, label, date = n("p"), n("label"), n("date")
    for q in [(n("a"), p, n("b"), G1), (n("a"), p, n("c"), G1), (n("c"), p, n("d"), G2),
              (n("a"), label, lit("Alpha"), G1), (n("c"), label, lit('say "hi" } UNION {'), G2),
              (n("a"), date, lit("2021-02-25", "date"), G1), (n("c"), date, lit("2019-01-01", "date"), G2),
              (n("x"), p, n("a"), G3), (n("x"), label, lit("staged"), G3)]:
        s.add(pyoxigraph.Quad(*q))
    s.add(pyoxigraph.Quad(n("decoy"), p, n("a"), pyoxigraph.DefaultGraph()))
    return s


def rows(result) -> list[tuple]:
    if isinstance(result, pyoxigraph.QueryBoolean):
        return [(bool(result),)]
    if isinstance(result, pyoxigraph.QuerySolutions):
        names = [v.value for v in result.variables]
        return [tuple((name, str(sol[name])) for name in names) for sol in result]
    return sorted(str(t) for t in result)


def same_as_pyoxigraph(store, text: str, subs: dict) -> list:
    """Rows of the rewritten text; asserts they equal pyoxigraph's own substitution rows."""
    variables = {pyoxigraph.Variable(k): v for k, v in subs.items()}
    expected = rows(store.query(text, use_default_graph_as_union=True, substitutions=variables))
    rewritten = prepare(text, substitutions=variables).text
    got = rows(store.query(rewritten, use_default_graph_as_union=True))
    assert got == expected, rewritten
    return got


P = f"PREFIX : <{EX}>\n"
CASES = [
    ("projected and in the pattern", P + "SELECT ?s ?o WHERE { ?s :p ?o } ORDER BY ?o", {"s": n("a")}),
    ("$ form", P + "SELECT $s ?o WHERE { $s :p ?o } ORDER BY ?o", {"s": n("a")}),
    ("grouped", P + "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s", {"s": n("a")}),
    ("grouped, no match", P + "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s", {"s": n("zz")}),
    ("grouped, only in GROUP BY", P + "SELECT ?x (COUNT(*) AS ?n) WHERE { ?s :p ?o } GROUP BY ?x",
     {"x": n("zz")}),
    ("ordered", P + "SELECT ?s ?o WHERE { ?s :p ?o } ORDER BY DESC(?s) ?o ?s", {"s": n("a")}),
    ("subquery projects it", P + "SELECT ?s ?n WHERE { { SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
     " GROUP BY ?s } }", {"s": n("c")}),
    ("subquery does not project it", P + "SELECT ?s ?o WHERE { { SELECT ?o WHERE { ?s :p ?o } } } ORDER BY ?o",
     {"s": n("a")}),
    ("distinct subquery", P + "SELECT ?s ?o WHERE { { SELECT DISTINCT ?s WHERE { ?s :p ?any } } ?s :p ?o }"
     " ORDER BY ?o", {"s": n("a")}),
    ("inside a UNION branch", P + "SELECT ?s ?o WHERE { { ?s :p ?o } UNION { ?o :label ?l FILTER(?s = :a) } }"
     " ORDER BY ?o", {"s": n("a")}),
    ("OPTIONAL that fails", P + "SELECT ?s ?x WHERE { ?s :p ?o OPTIONAL { ?s :nothing ?x } } ORDER BY ?s",
     {"x": n("zz")}),
    ("BIND onto it", P + "SELECT ?x ?o WHERE { :a :p ?o BIND(IF(?o = :b, :b, :other) AS ?x) }", {"x": n("b")}),
    ("BIND that errs", P + "SELECT ?x ?o WHERE { ?s :p ?o BIND(IF(?o = :c, 1/0, ?o) AS ?x) } ORDER BY ?o",
     {"x": n("b")}),
    ("FILTER EXISTS", P + "SELECT ?s ?t WHERE { ?s :label ?l FILTER EXISTS { ?s :p ?t } } ORDER BY ?s",
     {"t": n("d")}),
    ("optional filter idiom", P + "SELECT ?s ?from WHERE { ?s :date ?d FILTER(!COALESCE(isLiteral(?from),"
     " false) || ?d >= ?from) } ORDER BY ?s", {"from": lit("2020-01-01", "date")}),
    ("a graph name", P + "SELECT ?g ?s WHERE { GRAPH ?g { ?s :p ?o } } ORDER BY ?s", {"g": G2}),
    ("strings and comments are text", P + "SELECT ?s ?o WHERE {\n # ?s in a comment\n ?s :p ?o"
     ' FILTER(STR(?o) != "?s") } ORDER BY ?o', {"s": n("a")}),
    ("ASK", P + "ASK { ?s :p :d }", {"s": n("c")}),
    ("ASK false", P + "ASK { ?s :p :d }", {"s": n("a")}),
    ("CONSTRUCT", P + "CONSTRUCT { ?s :q ?o } WHERE { ?s :p ?o }", {"s": n("a")}),
    ("a literal", P + "SELECT ?l ?s WHERE { ?s :label ?l }", {"l": lit("Alpha")}),
]


@pytest.mark.parametrize("name,text,subs", CASES, ids=[c[0] for c in CASES])
def test_substitution_matches_pyoxigraph(store, name, text, subs):
    same_as_pyoxigraph(store, text, subs)


def test_bound_of_a_parameter_is_true():
    text = prepare("SELECT ?x WHERE { FILTER(BOUND(?x)) }",
                   substitutions={pyoxigraph.Variable("x"): n("a")}).text
    assert text == f"SELECT (<{EX}a> AS ?x) WHERE {{ FILTER(true) }}"


@pytest.mark.parametrize("text,message", [
    ("SELECT * WHERE { ?x ?p ?o }", "a remote store cannot bind parameters in SELECT *: name the columns"),
    ("SELECT ?x WHERE { VALUES ?x { 1 } }", "?x is a parameter, but the query assigns it"),
    ("SELECT (1 AS ?x) WHERE { }", "?x is a parameter, but the query assigns it"),
])
def test_parameters_the_query_assigns_are_refused(text, message):
    with pytest.raises(QueryError) as err:
        prepare(text, substitutions={pyoxigraph.Variable("x"): n("a")})
    assert str(err.value) == message


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS + HOSTILE_IRIS + [
    '"""', "'''", "\\", "a\\\"b", "\\u0022", "\\U00000022", "line\nbreak\r", "tab\there", "}}}", "#",
    "\u2028 \u00e9 \U0001f600", ">", "<https://example.org/>"])
def test_hostile_literals_stay_one_literal(store, hostile):
    text = P + "SELECT ?t ?s WHERE { ?s :label ?l FILTER(CONTAINS(?l, ?t)) } ORDER BY ?s"
    got = same_as_pyoxigraph(store, text, {"t": pyoxigraph.Literal(hostile)})
    assert all(dict(r)["t"] == str(pyoxigraph.Literal(hostile)) for r in got)
    tokens = tokenize(prepare(text, substitutions={pyoxigraph.Variable("t"): pyoxigraph.Literal(hostile)}).text)
    # ?t occurs twice (projection, FILTER): two string tokens, each exactly the value's serialisation
    assert [t.text for t in tokens if t.kind == "string"] == [str(pyoxigraph.Literal(hostile))] * 2


def test_a_matching_hostile_literal_is_found(store):
    got = same_as_pyoxigraph(store, P + "SELECT ?t ?s WHERE { ?s :label ?t }", {"t": lit('say "hi" } UNION {')})
    assert got == [(("t", str(lit('say "hi" } UNION {'))), ("s", f"<{EX}c>"))]


def test_typed_and_tagged_literals():
    for term in (lit("2021-02-25", "date"), lit("-7", "integer"), pyoxigraph.Literal("x", language="en-GB")):
        assert term_text(term) == str(term)


def test_blank_nodes_cannot_be_bound():
    with pytest.raises(QueryError) as err:
        term_text(pyoxigraph.BlankNode("b"))
    assert str(err.value) == "a remote store can bind only IRIs and literals, not BlankNode"


DATASET = [
    P + "SELECT ?s ?o WHERE { ?s :p ?o } ORDER BY ?s ?o",
    P + "SELECT ?s ?o { ?s :p ?o } ORDER BY ?s ?o",
    P + "SELECT ?g ?s WHERE { GRAPH ?g { ?s :p ?o } } ORDER BY ?g ?s",
    P + "ASK { :x :p :a }",
    P + "ASK WHERE { :a :p :b }",
    P + "CONSTRUCT { ?s :q ?o } WHERE { ?s :p ?o }",
    P + "CONSTRUCT WHERE { ?s :p ?o }",
    P + "DESCRIBE :a",
    P + "SELECT ?s WHERE { { SELECT ?s WHERE { ?s :label ?l } } } ORDER BY ?s",
]


@pytest.mark.parametrize("text", DATASET)
def test_from_clauses_give_the_union_of_the_listed_graphs(store, text):
    """FROM/FROM NAMED for g1 and g2: as pyoxigraph with those graphs; the staged g3 is not seen."""
    expected = rows(store.query(text, default_graph=[G1, G2], named_graphs=[G1, G2]))
    rewritten = prepare(text, graphs=[G1.value, G2.value]).text
    assert "FROM <http://example.org/g1> FROM <http://example.org/g2> FROM NAMED" in rewritten
    assert rows(store.query(rewritten)) == expected


def test_a_query_with_its_own_dataset_is_left_alone():
    text = P + "SELECT ?s FROM :g1 WHERE { ?s :p ?o }"
    assert prepare(text, graphs=[G2.value]).text == text


def test_prefixes_and_base_are_declared_once():
    text = "PREFIX ex: <http://example.org/other#>\nSELECT ?s WHERE { ?s ex:p <rel> }"
    got = prepare(text, prefixes={"ex": EX, "bk": EX + "bk#"}, base_iri="http://base.example/").text
    assert got == f"BASE <http://base.example/>\nPREFIX bk: <{EX}bk#>\n" + text


def test_tokens_render_back_exactly():
    text = ('PREFIX bk: <x:> SELECT ?a WHERE { ?a bk:p.\n ?a bk:q "x\\"y" ; bk:r """a\n"b""" . '
            "# c ?d\n FILTER(?a<?b && ?c>=1.5e3) } ORDER BY DESC(?a) LIMIT 3")
    assert render(tokenize(text)) == text
    assert [t.text for t in tokenize(text) if t.kind == "var"] == ["?a", "?a", "?a", "?a", "?b", "?c", "?a"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:.-_\\\n <>#?@1eE+{}\"'$^&|()é·%")), max_size=40))
def test_any_text_renders_back_from_its_tokens(text):
    assert render(tokenize(text)) == text


@pytest.mark.parametrize("text, tokens", [
    # a string or long string that is never closed is one token to the end of its line (long: of the
    # text), not a quote followed by the same scan again from the next character
    ('"\\' * 40000, [("string", '"\\' * 40000)]),
    ("'''\\'\\'\n x", [("string", "'''\\'\\'\n x")]),
    ('"ab\n?x', [("string", '"ab'), ("ws", "\n"), ("var", "?x")]),
    # a run of name characters without a colon is read as the grammar reads it
    ("a.a.a", [("word", "a"), ("punct", "."), ("word", "a"), ("punct", "."), ("word", "a")]),
    ("x.1e+5", [("word", "x"), ("number", ".1e+5")]),
    ("é1 ex:a.b.", [("punct", "é"), ("number", "1"), ("ws", " "), ("word", "ex:a.b"), ("punct", ".")]),
])
def test_tokens_of_unclosed_strings_and_dotted_runs(text, tokens):
    assert [(t.kind, t.text) for t in tokenize(text)] == tokens


def test_a_base_iri_is_validated_before_it_is_written():
    """The server's base IRI is the request URL: a value that is no IRI never reaches the text."""
    with pytest.raises(ValueError):
        prepare("SELECT * WHERE { }", base_iri="http://x>{SERVICE<http://127.0.0.1:9/>{?s ?p ?o}}#")
    assert prepare("ASK { }", base_iri="http://127.0.0.1:8000/sparql").text == \
        "BASE <http://127.0.0.1:8000/sparql>\nASK { }"
