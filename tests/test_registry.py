"""The saved-query registry: the project's queries load, and every malformed header is an error."""

from __future__ import annotations

import shlex

import pytest
from queries_support import QUERIES_DIR, query_names

from loader.errors import NotFoundError, RegistryError
from loader.registry import Param, load_registry

GOOD_HEAD = "#+ title: T\n#+ description: D\n#+ example: bukamal query q\n"
BODY = "PREFIX bk: <https://w3id.org/bukamal-kg/ontology#>\nSELECT ?s ?x WHERE { ?s bk:p ?x }\n"


def load_one(tmp_path, text, name="q"):
    (tmp_path / f"{name}.rq").write_text(text, encoding="utf-8")
    return load_registry(tmp_path)


def test_project_queries_load_sorted():
    registry = load_registry(QUERIES_DIR)
    assert registry.names() == query_names()
    assert [q.name for q in registry] == query_names()
    assert len(registry) == len(query_names()) >= 11


@pytest.mark.parametrize("name", query_names())
def test_project_query_header(name):
    query = load_registry(QUERIES_DIR).get(name)
    assert query.path_name == f"{name}.rq"
    assert query.title and query.description and query.form == "SELECT"
    assert query.explain_vars, "every saved query names the variables --explain follows"
    for example in query.examples:
        words = shlex.split(example)
        assert words[:3] == ["bukamal", "query", name]
        given = {w.split("=", 1)[0] for w in words[3:] if "=" in w}
        assert given <= {p.name for p in query.params}
        assert {p.name for p in query.params if p.required} <= given


def test_default_folder_is_the_project_queries(monkeypatch, tmp_path):
    monkeypatch.setenv("BUKAMAL_ROOT", str(tmp_path))
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "only.rq").write_text(GOOD_HEAD.replace("query q", "query only") + BODY)
    assert load_registry().names() == ["only"]


def test_parsed_fields(tmp_path):
    text = ("# a free comment\n"
            "#+ title: Strikes\n"
            "#+ description: What was struck\n"
            "#+ param: site iri optional class=bk:Place -- the site\n"
            "#+ param: from date optional bound=start default=2019 -- from\n"
            "#+ param: n integer optional default=5 min=1 max=9 -- how many\n"
            "#+ param: kind enum required values=a|b -- kind\n"
            "#+ param: text string optional default=x -- text\n"
            "#+ explain: ?claim\n"
            "#+ example: bukamal query q --param kind=a\n"
            "#+ example: bukamal query q --param kind=b\n"
            "SELECT ?claim ?site ?from ?n ?kind ?text WHERE { ?claim ?p ?site FILTER(?n > 0 && ?from > ?text"
            " && ?kind != '') } ORDER BY ?claim\n")
    q = load_one(tmp_path, text).get("q")
    assert (q.name, q.title, q.description, q.form, q.explain_vars, q.ordered) == (
        "q", "Strikes", "What was struck", "SELECT", ("claim",), True)
    assert q.example == "bukamal query q --param kind=a"
    assert q.examples == ("bukamal query q --param kind=a", "bukamal query q --param kind=b")
    assert q.params == (
        Param("site", "iri", False, None, (), "the site", cls="bk:Place"),
        Param("from", "date", False, "2019", (), "from", bound="start"),
        Param("n", "integer", False, "5", (), "how many", minimum=1, maximum=9),
        Param("kind", "enum", True, None, ("a", "b"), "kind"),
        Param("text", "string", False, "x", (), "text"),
    )
    assert q.text == text


BAD = [
    ("#+ title T\n", "q.rq:1: malformed header line (expected '#+ key: value'): '#+ title T'"),
    ("#+ colour: red\n",
     "q.rq:1: unknown header key 'colour' (known: description, example, explain, list, param, title)"),
    ("#+ title:\n", "q.rq:1: empty header value for 'title'"),
    ("#+ title: A\n#+ title: B\n", "q.rq:2: header key 'title' given twice"),
    ("#+ param: x float optional -- d\n",
     "q.rq:1: unknown parameter type 'float' for 'x' (known: iri, string, date, integer, enum)"),
    ("#+ param: x iri maybe -- d\n", "q.rq:1: parameter 'x': expected 'required' or 'optional', got 'maybe'"),
    ("#+ param: x iri optional\n",
     "q.rq:1: malformed param (expected 'NAME TYPE required|optional [key=value ...] -- description'):"
     " 'x iri optional'"),
    ("#+ param: x-y iri optional -- d\n", "q.rq:1: bad parameter name 'x-y' (letters, digits, '_')"),
    ("#+ param: x iri optional colour=red -- d\n", "q.rq:1: parameter 'x': unknown option 'colour'"),
    ("#+ param: x iri optional bound=start -- d\n",
     "q.rq:1: parameter 'x': option 'bound' does not apply to type iri"),
    ("#+ param: x iri required default=bk:A -- d\n",
     "q.rq:1: parameter 'x' is required and so cannot have a default"),
    ("#+ param: x iri optional default=http://x/ -- d\n",
     "q.rq:1: parameter 'x': an iri default must be a prefixed name, got 'http://x/'"),
    ("#+ param: x enum optional -- d\n", "q.rq:1: enum parameter 'x' needs values=a|b|c"),
    ("#+ param: x enum optional values=a|a -- d\n", "q.rq:1: parameter 'x': bad or repeated enum values 'a|a'"),
    ("#+ param: x enum optional values=a|bk:B -- d\n",
     "q.rq:1: parameter 'x': enum values must be all prefixed names or all words"),
    ("#+ param: x enum optional values=a|b default=c -- d\n",
     "q.rq:1: parameter 'x': default 'c' is not one of its values"),
    ("#+ param: x date optional -- d\n", "q.rq:1: date parameter 'x' needs bound=start or bound=end"),
    ("#+ param: x date optional bound=start default=2019-13 -- d\n",
     "q.rq:1: parameter 'x': bad default date '2019-13'"),
    ("#+ param: x integer optional min=5 default=1 -- d\n", "q.rq:1: parameter 'x': default 1 is outside 5.."),
    ("#+ param: x integer optional min=5 max=1 -- d\n", "q.rq:1: parameter 'x': min 5 is above max 1"),
    ("#+ param: x integer optional default=1_000 -- d\n",
     "q.rq:1: parameter 'x': default must be an integer of at most 18 ASCII digits, got '1_000'"),
    ("#+ param: x integer optional max=\u0663 -- d\n",
     "q.rq:1: parameter 'x': max must be an integer of at most 18 ASCII digits, got '\u0663'"),
    ("#+ param: x integer optional default=99999999999999999999 -- d\n",
     "q.rq:1: parameter 'x': default must be an integer of at most 18 ASCII digits, got '99999999999999999999'"),
    ("#+ param: x string optional default=" + "y" * 201 + " -- d\n",
     "q.rq:1: parameter 'x': a string default must be printable and at most 200 characters"),
    ("#+ param: x iri optional class=Place -- d\n",
     "q.rq:1: parameter 'x': class must be a prefixed name like bk:Place, got 'Place'"),
    ("#+ param: x iri optional -- d\n#+ param: x iri optional -- e\n", "q.rq:2: parameter 'x' declared twice"),
    ("#+ title: x\x1b[31mred\n", "q.rq:1: header value holds the control character U+001B: titles, descriptions"
     " and examples are printed to terminals and pages as they are"),
    ("#+ description: a \u202e evil\n", "q.rq:1: header value holds the control character U+202E: titles,"
     " descriptions and examples are printed to terminals and pages as they are"),
    ("#+ param: x string optional -- d\x07\n", "q.rq:1: header value holds the control character U+0007: titles,"
     " descriptions and examples are printed to terminals and pages as they are"),
]


@pytest.mark.parametrize("header,message", BAD, ids=[m.split(": ", 1)[1][:40] for _, m in BAD])
def test_malformed_header_names_file_and_line(tmp_path, header, message):
    with pytest.raises(RegistryError) as err:
        load_one(tmp_path, header + GOOD_HEAD + BODY)
    assert str(err.value) == message
    assert err.value.file == "q.rq"


@pytest.mark.parametrize("text,message", [
    ("#+ description: D\n#+ example: bukamal query q\n" + BODY, "q.rq: missing header line '#+ title: ...'"),
    ("#+ title: T\n#+ example: bukamal query q\n" + BODY, "q.rq: missing header line '#+ description: ...'"),
    ("#+ title: T\n#+ description: D\n" + BODY, "q.rq: missing header line '#+ example: ...'"),
    ("#+ title: T\n#+ description: D\n#+ example: bukamal query other\n" + BODY,
     "q.rq: example 'bukamal query other' does not run this query ('bukamal query q ...')"),
    (GOOD_HEAD + BODY + "#+ title: late\n", "q.rq:6: a '#+' header line after the query has started"),
    (GOOD_HEAD + "#+ param: site iri optional -- the site\n" + BODY,
     "q.rq: parameter 'site' is declared but the query never uses ?site"),
    (GOOD_HEAD + "#+ param: site iri optional -- the site\n" + "SELECT ?s WHERE { ?s ?p '?site' } # ?site\n",
     "q.rq: parameter 'site' is declared but the query never uses ?site"),
    (GOOD_HEAD + "#+ param: site iri optional -- the site\n" + "SELECT ?s WHERE { ?s ?p ?o FILTER(?o = ?site) }\n",
     "q.rq: parameter 'site' cannot be bound (The SPARQL query does not contains variable ?site in its SELECT"
     " projection); the query must project it in SELECT"),
    (GOOD_HEAD + "#+ param: place iri optional -- the place\n"
     + "SELECT ?p ?place WHERE { ?place ?p ?o MINUS { ?place a <http://x/Facility> } }\n",
     "q.rq: parameter 'place' cannot be bound on a remote store: ?place is a parameter used inside MINUS;"
     " use FILTER NOT EXISTS instead"),
    (GOOD_HEAD + "#+ param: s iri optional -- the thing\n" + "SELECT * WHERE { ?s ?p ?o }\n",
     "q.rq: parameter 's' cannot be bound on a remote store: a remote store cannot bind parameters in"
     " SELECT *: name the columns"),
    (GOOD_HEAD + "#+ explain: claim\n" + BODY, "q.rq: explain: expected variables like ?claim, got 'claim'"),
    (GOOD_HEAD + "#+ explain: ?claim\n" + BODY, "q.rq: explain names ?claim but the query never uses it"),
    (GOOD_HEAD + "SELECT ?s WHERE { ?s ?p }\n", "q.rq:5:1: SPARQL syntax error: expected OPTIONAL"),
    (GOOD_HEAD + "SELECT ?s WHERE {\n  VALUES ?s { <http://x/a> <not an iri> }\n}\n",
     "q.rq:5: SPARQL syntax error in the VALUES block: expected IRI parsing failed"),
    (GOOD_HEAD + "SELECT ?s ?t WHERE {\n  VALUES ?s {\n <http://x/a>\n }\n  VALUES ?t { <not an iri> }\n}\n",
     "q.rq:8: SPARQL syntax error in the VALUES block: expected IRI parsing failed"),
    (GOOD_HEAD + "# only comments\n", "q.rq: no SELECT, ASK, CONSTRUCT or DESCRIBE in the query"),
    (GOOD_HEAD + "SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }\n",
     "q.rq: SERVICE (federated query) is not allowed: queries run on the project's own store"),
    (GOOD_HEAD + "SELECT ?s WHERE { " + "{" * 300 + " ?s ?p ?o " + "}" * 300 + " }\n",
     "q.rq: the query nests (or chains '!') 301 levels deep; at most 256 are accepted"),
])
def test_malformed_file(tmp_path, text, message):
    with pytest.raises(RegistryError) as err:
        load_one(tmp_path, text)
    assert str(err.value) == message


def test_a_saved_query_with_service_is_refused_without_calling_its_url(tmp_path):
    """Checking a saved query used to run it on an empty store: a SERVICE call then went out, and a
    service that never answers hung the server and every saved-query command."""
    import socket
    import time
    with socket.socket() as listener:                 # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(RegistryError, match="SERVICE .federated query. is not allowed"):
            load_one(tmp_path, GOOD_HEAD + f"SELECT ?s WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}\n")
        assert time.monotonic() - started < 5
        with pytest.raises(socket.timeout):
            listener.accept()                         # nobody called


def test_bad_file_name_and_encoding(tmp_path):
    with pytest.raises(RegistryError) as err:
        load_one(tmp_path, GOOD_HEAD + BODY, name="Bad_Name")
    assert str(err.value) == "Bad_Name.rq: bad saved-query name 'Bad_Name': use lower-case letters, digits and '-'"
    (tmp_path / "Bad_Name.rq").unlink()
    (tmp_path / "q.rq").write_bytes(b"#+ title: \xff\n")
    with pytest.raises(RegistryError) as err:
        load_registry(tmp_path)
    assert str(err.value) == "q.rq: not UTF-8: invalid start byte"


@pytest.mark.parametrize("kind", ["folder", "dangling link", "pipe", "device link"])
def test_an_entry_that_is_not_a_regular_file_is_an_error_not_a_hang(tmp_path, kind):
    import os

    entry = tmp_path / "odd.rq"
    if kind == "folder":
        entry.mkdir()
    elif kind == "dangling link":
        entry.symlink_to(tmp_path / "nothing")
    elif kind == "pipe":
        os.mkfifo(entry)                 # reading it would block until someone writes
    else:
        entry.symlink_to("/dev/zero")    # reading it would never end
    (tmp_path / "q.rq").write_text(GOOD_HEAD + BODY, encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(tmp_path)
    assert str(err.value) == ("odd.rq: not a regular file (a folder, a link to nothing, a pipe or a device?):"
                              " fix or remove it")


def test_a_byte_order_mark_is_dropped(tmp_path):
    (tmp_path / "q.rq").write_bytes(b"\xef\xbb\xbf" + (GOOD_HEAD + BODY).encode("utf-8"))
    assert load_registry(tmp_path).get("q").text == (GOOD_HEAD + BODY)


def test_missing_folder(tmp_path):
    with pytest.raises(NotFoundError) as err:
        load_registry(tmp_path / "nope")
    assert str(err.value) == f"the saved-query folder {tmp_path.resolve()}/nope/ does not exist"
    assert err.value.exit_code == 2


def test_ask_and_construct_forms(tmp_path):
    load_one(tmp_path, GOOD_HEAD + "#+ param: x iri optional -- d\nASK { ?s ?p ?x }\n", name="q")
    reg = load_registry(tmp_path)
    assert reg.get("q").form == "ASK"
    (tmp_path / "q.rq").write_text(GOOD_HEAD + "#+ param: x iri optional -- d\n"
                                   "CONSTRUCT { ?s ?p ?x } WHERE { ?s ?p ?x }\n")
    assert load_registry(tmp_path).get("q").form == "CONSTRUCT"
    (tmp_path / "q.rq").write_text(GOOD_HEAD + "#+ param: x iri optional -- d\n"
                                   "ASK { ?s ?p ?o FILTER(?o = ?x) }\n")
    with pytest.raises(RegistryError) as err:
        load_registry(tmp_path)
    assert str(err.value).endswith("the query must bind it in the WHERE pattern")


@pytest.mark.parametrize("form", ["ASK {", "SELECT ?a (COUNT(*) AS ?n) WHERE {"])
def test_checking_a_query_does_not_evaluate_its_inline_data(tmp_path, form):
    """An ASK, GROUP BY or ORDER BY is evaluated as soon as it is run, even on the empty store the check
    uses: three VALUES of 400 rows made the check (and a server reloading its saved queries) work
    through 64 million rows. The rows are checked for syntax only."""
    rows = " ".join(str(n) for n in range(400))
    tail = "} GROUP BY ?a ORDER BY ?n" if form.startswith("SELECT") else "}"
    text = (GOOD_HEAD + f"{form} VALUES ?a {{ {rows} }} VALUES ?b {{ {rows} }} VALUES ?c {{ {rows} }}"
            f" FILTER(?a + ?b + ?c < 0) {tail}\n")
    assert load_one(tmp_path, text).get("q").form == form.split()[0]


@pytest.mark.parametrize("name", ["nope", "../queries/strikes", "strikes.rq", "", "STRIKES", "a\x00b", 7])
def test_unknown_names_are_not_found_never_paths(name):
    registry = load_registry(QUERIES_DIR)
    with pytest.raises(NotFoundError) as err:
        registry.get(name)
    assert "`bukamal queries` lists them" in str(err.value)
    assert name not in registry


def test_not_found_suggests():
    with pytest.raises(NotFoundError) as err:
        load_registry(QUERIES_DIR).get("strike")
    assert str(err.value) == "no saved query named 'strike' (did you mean: strikes?); `bukamal queries` lists them"


def test_frozen():
    q = load_registry(QUERIES_DIR).get("strikes")
    with pytest.raises(AttributeError):
        q.title = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        q.params[0].name = "x"  # type: ignore[misc]
