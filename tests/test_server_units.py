"""The server's pure parts, without a server: lexical guards, negotiation, request parsing, USING
rewriting, settings; and the ASGI app driven in-process."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from loader.errors import UsageError
from loader.server.guards import check_sparql
from loader.sparqltext import (blank, blank_literals, element_count, longest_bang_chain, nesting_depth, prefix_message,
                               undeclared_prefix_uses)
from loader.server.httperrors import HttpError
from loader.server.negotiation import RDF_OFFERS, RESULT_OFFERS, negotiate
from loader.server.protocol import QueryOp, UpdateOp, parse_operation, parse_pairs
from loader.server.settings import Settings, read_token
from loader.server.updatetext import apply_using
from server_support import DATA, TOKEN, write_generation


@pytest.mark.parametrize("text, hidden", [
    ('SELECT ("a{b" AS ?x) {}', ['"a{b"']),
    ("ASK { <urn:a(> ?p ?o } # {{{", ["<urn:a(>", "# {{{"]),
    ("ASK { <urn:a{> ?p ?o }", []),           # not an IRI: { is not allowed in one
    ("ASK { FILTER(?a < ?b && ?c > ?d) }", []),
    ("SELECT ('''x\n{''' AS ?y) {}", ["'''x\n{'''"]),
    ('SELECT ("a\\"{" AS ?x) {}', ['"a\\"{"']),
    ('SELECT ("unterminated {{{', ['"unterminated {{{']),
    ("ASK { ex:a\\#b ex:c\\'d ?o } # {", ["# {"]),      # escapes in prefixed names are code
])
def test_blank(text, hidden):
    expected = text
    for part in hidden:
        expected = expected.replace(part, " " * len(part))
    assert blank(text) == expected


@pytest.mark.parametrize("text, depth", [
    ("ASK {}", 1), ("SELECT * { { ?s ?p ?o } UNION { ?s ?p [ ?q ?r ] } }", 3),
    ("SELECT ((1+(2)) AS ?x) {}", 3), ("}}}} ASK {", 1), ("", 0),
    ("ASK { FILTER(?a<((1))&&?b>0) }", 4), ("ASK { <urn:x(y)> ?p ?o }", 2), ("ASK { << ?s ?p << ?a ?b ?c >> >> ?q ?r }", 3),
    ("ASK { ?s ?p '(((' } # (((", 1),
])
def test_nesting_depth(text, depth):
    assert nesting_depth(blank_literals(text)) == depth


@pytest.mark.parametrize("text, chain", [
    ("ASK { FILTER(!true) }", 1), ("ASK { FILTER(!!true) }", 2), ("ASK { FILTER(! (!\n!true)) }", 3),
    ("ASK { FILTER(!?a && !?b && !?c) }", 1), ("ASK { FILTER(?a != ?b && !(?c != ?d)) }", 1),
    ("ASK { ?s !(<a:b>|!<c:d>) ?o }", 1), ("ASK {}", 0),
])
def test_longest_bang_chain(text, chain):
    assert longest_bang_chain(blank(text)) == chain


@pytest.mark.parametrize("text, predeclared, uses", [
    ("SELECT * { ?s a foo:Bar }", (), [("foo", 16)]),
    ("PREFIX bk: <urn:b#> SELECT * { ?s a bk:X ; ex:p :y ; ex:q 'z:w' } # c:d", (), [("ex", 43), ("", 48)]),
    ("SELECT * { ?s a bk:X ; <urn:a:b> ?o }", ("bk",), []),
    ("PREFIX ex: <urn:e:> PREFIX  ex2:\n<urn:f:> ASK { ex:a ex2:b ex3:c }", (), [("ex3", 59)]),
    ("SELECT * { _:b ?p ex:o }", (), [("ex", 18)]),        # a blank node label is no prefix
])
def test_undeclared_prefix_uses(text, predeclared, uses):
    assert undeclared_prefix_uses(text, predeclared) == uses
    for name, at in uses:
        assert text[at:].startswith(name + ":")


def test_prefix_message_names_undeclared_prefixes_at_their_first_use():
    assert prefix_message("error at 1:20: expected one of Prefix not found, ['%'], ['-']",
                          "SELECT * { ?s a foo:Bar ; ex:p ?o }") == (
        "undeclared prefixes foo:, ex:; declare them first, e.g. PREFIX foo: <http://example.org/>", 1, 17)
    # inside an expression the engine stops at the end of the text, expecting some other token
    assert prefix_message("error at 1:37: expected ENCODE_FOR_URI", "SELECT ?x WHERE {BIND(bk:foo AS ?x)}") == (
        "undeclared prefix bk:; declare it first, e.g. PREFIX bk: <http://example.org/>", 1, 23)
    assert prefix_message("error at 3:37: expected one of PREDICATE, STRBEFORE",
                          "PREFIX ex: <urn:e:>\nASK {\n  FILTER(?o = ex:a || ?o = xsd:int)}") == (
        "undeclared prefix xsd:; declare it first, e.g. PREFIX xsd: <http://example.org/>", 3, 28)
    assert prefix_message("error at 1:9: expected one of '{', WHERE", "SELECT * <urn:x>") is None
    # a blank node label is no prefix; an error the engine met before the first undeclared prefix comes first
    assert prefix_message("error at 1:26: expected OPTIONAL", "SELECT * WHERE { _:b ex:p ?o }") == (
        "undeclared prefix ex:; declare it first, e.g. PREFIX ex: <http://example.org/>", 1, 22)
    assert prefix_message("error at 1:17: expected DISTINCT", "SELECT  WHERE { ?s ex:p ?o }") is None
    assert prefix_message("error at 2:1: x", "SELECT * WHERE { _:b ?p ?o . FILTER( }\n") is None
    # an IRI with a space is a bad IRI, not a use of the prefix "http:": the engine's message stands
    assert prefix_message("error at 2:27: expected IRI parsing failed",
                          "SELECT * WHERE {\n  <http://example.org/a b> a ?o }") is None


@pytest.mark.parametrize("text, kind", [
    ("SELECT * { SERVICE <x:y> { ?s ?p ?o } }", "service_not_allowed"),
    ("SELECT * {\n  service\tsilent <x:y> {} }", "service_not_allowed"),
    ("SELECT * { SERVICE?s{} }", "service_not_allowed"),
    ("SELECT ?service { ?service ?p ?o }", None),
    ("PREFIX service: <urn:s:> SELECT * { service:a ?p ?o }", None),
    ("PREFIX ex: <urn:e:> SELECT * { ex:service ?p ex:SERVICE }", None),
    ("SELECT * { ?s ?p 'SERVICE' } # SERVICE <x:y>", None),
    ("SELECT * { ?s ?p <urn:SERVICE> }", None),
])
def test_service_guard(text, kind):
    if kind is None:
        check_sparql(text, 128)
    else:
        with pytest.raises(HttpError) as info:
            check_sparql(text, 128)
        assert (info.value.status, info.value.kind) == (400, kind)


def test_load_is_refused_in_updates_only():
    check_sparql("SELECT ?load { ?load ?p ?o }", 128, update=True)
    check_sparql("ASK { ?s ?p 'LOAD <x:y>' }", 128)
    with pytest.raises(HttpError) as info:
        check_sparql("LOAD SILENT <http://127.0.0.1/x> INTO GRAPH <urn:g>", 128, update=True)
    assert (info.value.status, info.value.kind) == (400, "load_not_allowed")


@pytest.mark.parametrize("accept, offers, chosen", [
    (None, RESULT_OFFERS, "application/sparql-results+json"),
    ("", RDF_OFFERS, "text/turtle"),
    ("*/*", RESULT_OFFERS, "application/sparql-results+json"),
    ("text/csv", RESULT_OFFERS, "text/csv"),
    ("text/*", RESULT_OFFERS, "text/csv"),
    ("text/*;q=0.5, application/sparql-results+xml", RESULT_OFFERS, "application/sparql-results+xml"),
    ("application/sparql-results+json;q=0.1, text/tab-separated-values;q=0.9", RESULT_OFFERS,
     "text/tab-separated-values"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", RESULT_OFFERS, "application/xml"),
    ("text/html,*/*;q=0.8", RDF_OFFERS, "text/turtle"),
    ("application/json", RESULT_OFFERS, "application/json"),
    ("*/*;q=0.1, text/turtle;q=0", RDF_OFFERS, "application/n-triples"),
    ("image/png", RESULT_OFFERS, None),
    ("text/turtle", RESULT_OFFERS, None),
    ("*/*;q=0", RDF_OFFERS, None),
    ("APPLICATION/LD+JSON", RDF_OFFERS, "application/ld+json"),
    ("garbage", RESULT_OFFERS, "application/sparql-results+json"),
    # a range whose q is not a qvalue (RFC 9110: 0 to 1, three decimals at most) is malformed: skipped
    ("text/csv;q=abc", RESULT_OFFERS, "application/sparql-results+json"),
    ("text/csv;q=nan", RESULT_OFFERS, "application/sparql-results+json"),
    ("text/csv;q=2, application/sparql-results+xml;q=0.5", RESULT_OFFERS, "application/sparql-results+xml"),
    ("text/csv;q=-1, text/tab-separated-values;q=0.001", RESULT_OFFERS, "text/tab-separated-values"),
    ("text/csv;q=1.000, text/tab-separated-values;q=0.999", RESULT_OFFERS, "text/csv"),
])
def test_negotiate(accept, offers, chosen):
    assert negotiate(accept, offers) == chosen


def test_parse_pairs_is_strict():
    assert parse_pairs(b"a=1+2&b=%C3%A9&&c", "URL") == [("a", "1 2"), ("b", "\u00e9"), ("c", "")]
    for bad in (b"q=%FF", b"q=%C3", b"%FF=1", b"q=\xff"):
        with pytest.raises(HttpError) as info:
            parse_pairs(bad, "URL")
        assert (info.value.status, info.value.kind) == (400, "bad_encoding")


def _never():
    raise AssertionError("not an update")


@pytest.mark.parametrize("method, ctype, url, body, expected", [
    ("GET", None, [("query", "ASK {}")], b"", QueryOp("ASK {}")),
    ("GET", None, [], b"", None),
    ("GET", None, [("query", "ASK {}"), ("default-graph-uri", "urn:a"), ("named-graph-uri", "urn:b")], b"",
     QueryOp("ASK {}", ("urn:a",), ("urn:b",))),
    ("GET", None, [("query", "ASK {}"), ("named-graph-uri", "urn:b")], b"", QueryOp("ASK {}", (), ("urn:b",))),
    ("POST", "application/sparql-query", [], "\ufeffASK {}".encode(), QueryOp("ASK {}")),
    ("POST", "application/sparql-query; charset=UTF-8", [], b"ASK {}", QueryOp("ASK {}")),
    ("POST", "Application/X-WWW-Form-Urlencoded", [("default-graph-uri", "urn:a")], b"query=ASK+%7B%7D",
     QueryOp("ASK {}", ("urn:a",), ())),
])
def test_parse_operation(method, ctype, url, body, expected):
    assert parse_operation(method, ctype, url, body, _never) == expected


@pytest.mark.parametrize("method, ctype, url, body, status", [
    ("GET", None, [("update", "CLEAR ALL")], b"", 400),
    ("GET", None, [("query", "ASK {}"), ("query", "ASK {}")], b"", 400),
    ("GET", None, [("query", "ASK {}"), ("using-graph-uri", "urn:a")], b"", 400),
    ("POST", None, [], b"ASK {}", 415),
    ("POST", "text/plain", [], b"ASK {}", 415),
    ("POST", "application/sparql-query; charset=latin1", [], b"ASK {}", 415),
    ("POST", "application/sparql-query", [("query", "ASK {}")], b"ASK {}", 400),
    ("POST", "application/sparql-query", [], b"ASK \xff", 400),
    ("POST", "application/x-www-form-urlencoded", [], b"nothing=here", 400),
])
def test_parse_operation_refusals(method, ctype, url, body, status):
    with pytest.raises(HttpError) as info:
        parse_operation(method, ctype, url, body, _never)
    assert info.value.status == status


def test_updates_are_authorised_before_their_body_is_looked_at():
    calls = []

    def deny():
        calls.append(1)
        raise HttpError(401, "unauthorized", "no")

    for ctype, body in (("application/sparql-update; charset=UTF-16", b"\xff\xfe"),
                        ("application/x-www-form-urlencoded", b"update=A&update=B")):
        with pytest.raises(HttpError) as info:
            parse_operation("POST", ctype, [], body, deny)
        assert info.value.status == 401
    assert len(calls) == 2
    assert parse_operation("POST", "application/sparql-update", [("using-graph-uri", "urn:g")], b"CLEAR ALL",
                           lambda: None) == UpdateOp("CLEAR ALL", ("urn:g",), ())


@pytest.mark.parametrize("update, using, named, expected", [
    ("CLEAR ALL", ("urn:g",), (), "CLEAR ALL"),
    ("INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", ("urn:g",), (),
     "INSERT { ?s ?p 1 } USING <urn:g> WHERE { ?s ?p ?o }"),
    ("DELETE WHERE { ?s ?p ?o }", (), ("urn:n",), "DELETE { ?s ?p ?o } USING NAMED <urn:n> WHERE { ?s ?p ?o }"),
    ("INSERT DATA { <urn:a> <urn:b> 'WHERE' } ; DELETE { ?s ?p ?o } where { ?s ?p ?o FILTER(?o = 'WHERE') }",
     ("urn:g",), (),
     "INSERT DATA { <urn:a> <urn:b> 'WHERE' } ; DELETE { ?s ?p ?o } USING <urn:g> where { ?s ?p ?o FILTER(?o = 'WHERE') }"),
    ("INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", (), (), "INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }"),
])
def test_apply_using(update, using, named, expected):
    assert apply_using(update, using, named) == expected


@pytest.mark.parametrize("update", [
    "WITH <urn:w> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <urn:u> WHERE { ?s ?p ?o }",
])
def test_apply_using_refuses_a_second_dataset(update):
    assert apply_using(update, (), ()) == update
    with pytest.raises(HttpError) as info:
        apply_using(update, ("urn:g",), ())
    assert info.value.status == 400


@pytest.mark.parametrize("message, scrubbed", [
    ("another build, or a write through the server, is running on /tmp/x/store (it holds LOCK)",
     "another build, or a write through the server, is running on <path> (it holds LOCK)"),
    ("IO error: /srv/store/gen-000001/LOCK: No such file", "IO error: <path>: No such file"),
    ("unknown IRI <https://w3id.org/bukamal-kg/id/x>", "unknown IRI <https://w3id.org/bukamal-kg/id/x>"),
    ("the graph <urn:a/b> and 1/2", "the graph <urn:a/b> and 1/2"),
])
def test_error_messages_lose_filesystem_paths(message, scrubbed):
    from loader.errors import StoreError
    from loader.server.httperrors import from_project_error

    assert from_project_error(StoreError(message)).message == scrubbed


def test_settings_validation(tmp_path, monkeypatch):
    with pytest.raises(UsageError, match="needs a bearer token"):
        Settings(store_dir=tmp_path, allow_update=True)
    with pytest.raises(UsageError, match="at least 16"):
        Settings(store_dir=tmp_path, allow_update=True, update_token="short")
    with pytest.raises(UsageError, match="origin"):
        Settings(store_dir=tmp_path, cors_origins=("*",))
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert read_token(token_file) == TOKEN
    monkeypatch.setenv("BUKAMAL_UPDATE_TOKEN", "from-the-environment-1234")
    assert read_token(None) == "from-the-environment-1234"
    monkeypatch.setenv("BUKAMAL_UPDATE_TOKEN", "secrettoken-01234567\udcff89")   # a byte 0xff in the environment
    with pytest.raises(UsageError, match=r"^\$BUKAMAL_UPDATE_TOKEN is not valid UTF-8 text$"):
        read_token(None)
    monkeypatch.delenv("BUKAMAL_UPDATE_TOKEN")
    assert read_token(None) is None


def test_the_app_runs_in_process(tmp_path):
    from loader.server import create_app

    store = tmp_path / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    app = create_app(Settings(store_dir=store, queries_dir=DATA / "queries", workers=1))

    async def main():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                r = await client.get("/sparql", params={"query": "SELECT ?l { <https://w3id.org/bukamal-kg/id/iran> "
                                                                 "<http://www.w3.org/2000/01/rdf-schema#label> ?l }"})
                assert r.status_code == 200
                assert r.json()["results"]["bindings"] == [{"l": {"type": "literal", "value": "Iran"}}]
                r = await client.get("/queries/parts.csv", params={"actor": "IRGC"})
                assert r.text == "part,actor\r\nhttps://w3id.org/bukamal-kg/id/quds-force,https://w3id.org/bukamal-kg/id/irgc\r\n"

    asyncio.run(main())


# the faster paths (the server's blanking, blank_literals without strings or comments): the same results
_TRICKY = ["<", ">", '"', "'", "#", "\n", "\\", "{", "}", "(", ")", "[", "]", " ", "a", ":", "/", "SERVICE",
           "?x", '"""', "'''", "<urn:a>", "<a b>", "<urn:x#y>", "'it''s'", "\u00e9"]


@settings_(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_TRICKY), max_size=16).map("".join))
def test_the_guards_blank_and_count_as_the_library_does(text):
    from loader import sparqltext
    from loader.server import guards

    assert guards.blanked(text) == sparqltext.blank(text)
    closers = str.maketrans({c: " " for c in ")]}>"})      # inside an IRI span: not counted as closing
    for iris in (True, False):
        slow = "".join(text[a:b] if kind == "code" else text[a:b].translate(closers) if kind == "iri"
                       else " " * (b - a) for kind, a, b in sparqltext.segments(text, iris))
        assert sparqltext.blank_literals(text, iris) == slow


_ESCAPES = [b"%", b"%4", b"%41", b"%e9", b"%C3%A9", b"%zz", b"%5C", b"%5c%78%34%31", b"%%", b"%0", b"%\n", b"\\",
            b"\\x41", b"\\n", b"\\N{DASH}", b"a", b"+", b"\xff", b"\xc3\xa9", b"'"]


@settings_(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_ESCAPES), max_size=12).map(b"".join))
def test_percent_decoding_is_unquote_to_bytes(data):
    from urllib.parse import unquote_to_bytes

    from loader.server.protocol import percent_decode

    assert percent_decode(data) == unquote_to_bytes(data)


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://a/> <http://b/> 'x' } ; # c\rLOAD <http://127.0.0.1:9/>",
    "PREFIX ex: <http://x/\\u0041#> INSERT DATA { ex:a ex:b ex:c } ; LOAD <http://127.0.0.1:9/>",
    "INSERT { <http://a/> <http://b/> 1 } WHERE { BIND(1 AS ?a) FILTER(?a<'x>') } ; LOAD <http://127.0.0.1:9/>",
    "PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c\\#d } ; LOAD <http://127.0.0.1:9/>",
])
def test_no_misreading_hides_a_load(update):
    with pytest.raises(HttpError) as info:
        check_sparql(update, 128, update=True)
    assert (info.value.status, info.value.kind) == (400, "load_not_allowed")


@pytest.mark.parametrize("text, count", [
    ("SELECT (" + "+".join(["1"] * 101) + " AS ?x) {}", 100),
    ("PREFIX : <http://x/> SELECT (1" + " -:a" * 100 + " AS ?x) {}", 100),     # minus before a name
    ("SELECT (" + "-".join(["?x"] * 101) + " AS ?y) {}", 100),
    ("ASK { " + "?s <a:p> ?o." * 100 + " }", 100),                             # no space before the dot
    ("ASK { ?s " + "/".join(["bk:p"] * 101) + " ?o }", 100),
    ("ASK { " + " UNION ".join(["{}"] * 101) + " }", 100),
    # nothing inside IRIs, names, strings or comments counts
    ("SELECT * { VALUES ?op { " + " ".join(f"<https://w3id.org/bukamal-kg/id/op-2019-12-29-x-{i}>"
                                            for i in range(100)) + " } }", 1),
    ('SELECT * { bkr:op-2019-06-a ?p "a-b/c+d" } # x-y/z', 1),
    # the quads of INSERT DATA are a flat list, not a chain; a WHERE's triples are
    ("INSERT DATA { GRAPH <a:g> { " + "<a:s> <a:p> <a:o> . " * 100 + "} }", 0),
    ("DELETE { ?s <a:p> ?o } WHERE { " + "?s <a:p> ?o . " * 100 + "}", 100),
])
def test_element_count(text, count):
    assert element_count(text) == count


def test_a_write_that_fills_the_disk_is_a_store_error_not_a_crash(tmp_path, monkeypatch):
    """The writer's disk filling up (in the write, the flush or the fsync) answers 503 store_unavailable
    and lets the server publish nothing, where an uncaught OSError looked like a crashed writer (500)."""
    import json

    import pyoxigraph

    from loader.server import writer_main

    target = tmp_path / "copy"

    def full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_main, "_apply", full)
    reply = writer_main.write(str(target), {"op": "update", "update": "INSERT DATA {}"}, b"")
    assert (reply.status, json.loads(reply.body)) == (503, {
        "error": "store_unavailable", "message": "the store could not be written (No space left on device); nothing was changed"})
    monkeypatch.undo()
    reply = writer_main.write(str(target), {"op": "update",
                                            "update": "INSERT DATA { GRAPH <http://g> { <http://s> <http://p> 1 } }"}, b"")
    assert reply.status == 204
    assert len(pyoxigraph.Store(str(target))) == 1          # closed by the writer: a read-write open succeeds


def test_the_memory_limit_counts_from_what_the_process_already_holds():
    """--worker-memory-mb is room for the job: added to the address space the worker holds once started
    (its thread stack alone reserves 256 MiB), so a small limit still lets it start."""
    import subprocess
    import sys
    script = ("import resource; from loader.server.worker_main import address_space, limit_memory\n"
              "before = address_space(); limit_memory(64)\n"
              "soft, hard = resource.getrlimit(resource.RLIMIT_AS)\n"
              "assert soft == hard and 0 <= soft - before - (64 << 20) < (8 << 20), (soft, before)\n"
              "small = bytearray(16 << 20)\n"
              "try:\n    bytearray(256 << 20)\nexcept MemoryError:\n    print('refused')\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout, out.stderr) == (0, "refused\n", "")


def test_limited_children_get_two_malloc_arenas_unless_told_otherwise(monkeypatch):
    from loader.store import child_env
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert child_env(limited=True)["MALLOC_ARENA_MAX"] == "2"
    assert "MALLOC_ARENA_MAX" not in child_env()
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert child_env(limited=True)["MALLOC_ARENA_MAX"] == "8"
