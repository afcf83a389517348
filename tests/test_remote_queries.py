"""Saved queries, ad-hoc queries and export against a real `oxigraph serve` holding the pushed graphs:
exactly the rows (in order) and bytes the embedded store gives."""

from __future__ import annotations

import base64
import json
import shlex

import httpx
import pytest
from queries_support import (FIXTURE, FIXTURE_EXPECTED, GOLDEN, QUERIES_DIR, load_cases, query_names,
                             result_table)
from remote_support import OxigraphServer, push_generation
from test_params import HOSTILE_IRIS, HOSTILE_STRINGS

import pyoxigraph
from loader.backend import export_from
from loader.errors import ParameterError, QueryTimeout, RemoteStoreError
from loader.export import export
from loader.registry import load_registry
from loader.remote import RemoteConfig, RemoteStore
from loader.remote_push import push
from loader.saved import run
from loader.store import open_read_only


@pytest.fixture(scope="module")
def registry():
    return load_registry(QUERIES_DIR)


@pytest.fixture(scope="module")
def real(tmp_path_factory, real_store_dir):
    """(local store, remote store) holding the real graph."""
    with OxigraphServer(tmp_path_factory.mktemp("oxigraph-real")) as srv:
        remote = srv.store()
        push_generation(remote, real_store_dir)
        yield open_read_only(real_store_dir), remote, srv


@pytest.fixture(scope="module")
def fixture_pair(tmp_path_factory):
    """(local store, remote store) holding tests/data/queries/fixture.trig."""
    local = pyoxigraph.Store()
    local.load(path=str(FIXTURE), format=pyoxigraph.RdfFormat.TRIG)
    with OxigraphServer(tmp_path_factory.mktemp("oxigraph-fixture")) as srv:
        remote = srv.store()
        push(remote, local.quads_for_pattern(None, None, None, None), {})
        yield local, remote


def example_params(example: str) -> dict[str, str]:
    words = shlex.split(example)
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "--param")


def real_cases(query) -> list[dict[str, str]]:
    """The query's examples, its golden cases, and no parameters when none is required."""
    cases = [example_params(e) for e in query.examples]
    if (GOLDEN / f"{query.name}.json").is_file():
        cases += [c["params"] for c in load_cases(GOLDEN / f"{query.name}.json")]
    if not any(p.required for p in query.params):
        cases.append({})
    return [dict(c) for c in {tuple(sorted(c.items())) for c in cases}]


@pytest.mark.parametrize("name", query_names())
def test_saved_query_same_rows_on_the_real_graph(name, registry, real):
    local, remote, _ = real
    query = registry.get(name)
    for params in sorted(real_cases(query), key=str):
        assert result_table(run(query, params, remote)) == result_table(run(query, params, local)), params


@pytest.mark.parametrize("name", query_names())
def test_saved_query_same_rows_on_the_fixture_graph(name, registry, fixture_pair):
    """The fixture cases exercise every parameter of every query."""
    local, remote = fixture_pair
    query = registry.get(name)
    for case in load_cases(FIXTURE_EXPECTED / f"{name}.json"):
        got = result_table(run(query, case["params"], remote))
        assert got == result_table(run(query, case["params"], local)), case["params"]


@pytest.mark.parametrize("fmt,graph", [("trig", "all"), ("turtle", "asserted"), ("ntriples", "inferred"),
                                       ("jsonld", "asserted")])
def test_export_same_bytes(fmt, graph, real, real_store_dir):
    _, remote, _ = real
    assert export_from(remote, fmt=fmt, graph=graph) == export(real_store_dir, fmt=fmt, graph=graph)


def test_query_command_same_output(cli, real, real_store_dir):
    srv = real[2]
    args = ("query", "strikes", "--param", "site=Imam Ali base")
    for extra in (("--format", "csv"), ("--format", "json"), ("--explain",)):
        here = cli(*args, *extra, "--store", real_store_dir)
        there = cli(*args, *extra, "--remote", srv.query_url)
        assert (there.exit_code, there.stdout_bytes) == (0, here.stdout_bytes), extra


def test_stats_same_output(cli, real, real_store_dir):
    here = cli("stats", "--store", real_store_dir)
    there = cli("stats", "--remote", real[2].query_url)
    assert here.exit_code == 0 and "bkg:inferred" in here.stdout
    assert (there.exit_code, there.stdout) == (0, here.stdout)


ADHOC = {
    "ordered": "SELECT ?doc ?file WHERE { ?doc bk:fileName ?file } ORDER BY DESC(?file)",
    "construct": "CONSTRUCT { ?doc bk:fileName ?file } WHERE { ?doc bk:fileName ?file }",
    "ask": "ASK { bkr:doc-000 bk:fileName ?f }",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "blank nodes": "SELECT ?p ?x WHERE { bk:statedIn owl:propertyChainAxiom ?x . ?x ?p ?o } ORDER BY ?p",
    "list, ordered and limited": (
        "PREFIX bkf: <https://w3id.org/bukamal-kg/function#>\n"
        "SELECT ?doc (bkf:list(?ev) AS ?evidence) WHERE { ?ev bk:inDocument ?doc } GROUP BY ?doc"
        " ORDER BY DESC(?evidence) LIMIT 3 OFFSET 1"),
    "list with unbound values": (
        "PREFIX bkf: <https://w3id.org/bukamal-kg/function#>\n"
        "SELECT ?claim (bkf:list(?who) AS ?credited) WHERE { ?claim bk:evidence ?ev ."
        " OPTIONAL { ?claim bk:attributedTo ?who } } GROUP BY ?claim ORDER BY ?credited ?claim"),
    "list of values holding the separator": (        # the remote rewrite joins items with U+001F
        "PREFIX bkf: <https://w3id.org/bukamal-kg/function#>\n"
        'SELECT ?d (bkf:list(?o) AS ?os) WHERE { VALUES (?d ?o) { (1 "b") (1 "a\\u001Fz") (1 "a") (1 "%41")'
        ' (1 "\u00e9|x") (2 <http://x/a%20b>) } } GROUP BY ?d ORDER BY ?d'),
    "base direction": 'SELECT ?x ?y WHERE { BIND("x"@en--rtl AS ?x) BIND("y"@ar--ltr AS ?y) }',
}


@pytest.mark.parametrize("name", sorted(ADHOC))
@pytest.mark.parametrize("fmt", ["table", "tsv"])
def test_query_file_same_output(name, fmt, cli, real, real_store_dir, tmp_path):
    srv = real[2]
    path = tmp_path / "q.rq"
    path.write_text(ADHOC[name], encoding="utf-8")
    if fmt == "tsv" and name == "construct":
        fmt = "ntriples"
    here = cli("query", path, "--format", fmt, "--store", real_store_dir)
    there = cli("query", path, "--format", fmt, "--remote", srv.query_url)
    assert here.exit_code == 0
    assert (there.exit_code, there.stdout_bytes) == (0, here.stdout_bytes)


def test_syntax_error_reads_the_same(cli, real, real_store_dir, tmp_path):
    path = tmp_path / "bad.rq"
    path.write_text("SELECT ?s WHERE {\n  ?s ?p\n}\n", encoding="utf-8")
    here = cli("query", path, "--store", real_store_dir)
    there = cli("query", path, "--remote", real[2].query_url)
    assert here.exit_code == 1
    assert (there.exit_code, there.stderr) == (1, here.stderr)


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_strings_are_just_text_remotely(hostile, registry, real):
    local, remote, _ = real
    query = registry.get("find-quotes")
    assert result_table(run(query, {"text": hostile}, remote)) == result_table(run(query, {"text": hostile}, local))


@pytest.mark.parametrize("hostile", HOSTILE_IRIS)
def test_hostile_iris_are_rejected_remotely(hostile, registry, real):
    local, remote, _ = real
    with pytest.raises(ParameterError) as here:
        run(registry.get("strikes"), {"site": hostile}, local)
    with pytest.raises(ParameterError) as there:
        run(registry.get("strikes"), {"site": hostile}, remote)
    assert str(there.value) == str(here.value)


def test_union_by_oxigraph_parameter(registry, real):
    local, _, srv = real
    remote = RemoteStore(srv.config(union="param"))
    query = registry.get("timeline")
    params = {"place": "Imam Ali base"}
    assert result_table(run(query, params, remote)) == result_table(run(query, params, local))


def test_unreachable_remote(cli):
    from remote_support import free_port
    url = f"http://127.0.0.1:{free_port()}/query"
    out = cli("query", "strikes", "--remote", url)
    assert (out.exit_code, out.stderr) == (
        3, f"error: cannot reach the remote SPARQL service at {url} (a query): ConnectError\n")


@pytest.mark.parametrize("url,message", [
    ("http://[::1", "not a usable remote SPARQL URL: 'http://[::1' (Invalid IPv6 URL)"),
    ("http://x:99999/sparql", "not a usable remote SPARQL URL: 'http://x:99999/sparql' (Port out of range 0-65535)"),
    ("http://x:abc/sparql", "not a usable remote SPARQL URL: 'http://x:abc/sparql' (Port could not be cast to"
                            " integer value as 'abc')"),
    ("http://u:secret@[::1/q", "not a usable remote SPARQL URL: 'http://***@[::1/q' (Invalid IPv6 URL)"),
    ("http:///sparql", "a remote SPARQL URL needs a host: 'http:///sparql'"),
    ("ftp://x/query", "a remote SPARQL URL must start with http:// or https://, not 'ftp://x/query'"),
])
@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_malformed_remote_url_is_a_usage_error(cli, url, message, how, monkeypatch):
    if how == "environment":
        monkeypatch.setenv("BUKAMAL_REMOTE", url)
        out = cli("stats")
    else:
        out = cli("stats", "--remote", url)
    assert (out.exit_code, out.stderr) == (2, f"error: {message}\n")


def test_remote_without_graphs(cli, tmp_path):
    with OxigraphServer(tmp_path / "empty") as srv:
        out = cli("export", "--remote", srv.query_url)
    assert (out.exit_code, out.stderr) == (3, f"error: the remote SPARQL service {srv.query_url} holds no"
                                              " graphs yet: run `bukamal build --remote URL` first\n")


# ------------------------------------------------------------------- credentials and answers (no server)

def mock(status: int = 200, body: bytes = b'{"head":{"vars":[]},"boolean":true}', seen: list | None = None,
         ctype: str = "application/sparql-results+json"):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=body, headers={"Content-Type": ctype})
    return httpx.MockTransport(handler)


def test_bearer_token_from_the_environment():
    seen: list[httpx.Request] = []
    config = RemoteConfig.from_options("http://127.0.0.1:9/query", environ={"BUKAMAL_REMOTE_TOKEN": "tok-123"})
    assert "tok-123" not in repr(config)
    assert bool(RemoteStore(config, transport=mock(seen=seen)).query("ASK {}"))
    assert seen[0].headers["Authorization"] == "Bearer tok-123"


def test_basic_auth_and_refused_credentials():
    seen: list[httpx.Request] = []
    config = RemoteConfig.from_options("http://u:x@127.0.0.1:9/sparql", secret="pa55",
                                       environ={"BUKAMAL_REMOTE_USER": "alice"})
    assert (config.update_url, config.store_url) == ("http://u:x@127.0.0.1:9/sparql", None)
    store = RemoteStore(config, transport=mock(401, b"no", seen=seen))
    with pytest.raises(RemoteStoreError) as err:
        store.query("ASK {}")
    assert str(err.value) == "the remote SPARQL service http://127.0.0.1:9/sparql refused the credentials (HTTP 401)"
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b"alice:pa55").decode()


def test_a_user_needs_a_password():
    with pytest.raises(Exception) as err:
        RemoteConfig.from_options("http://127.0.0.1:9/query", environ={"BUKAMAL_REMOTE_USER": "alice"})
    assert str(err.value) == "a remote user needs a password: set $BUKAMAL_REMOTE_PASSWORD or give a secret file"


def test_an_answer_cut_short_is_an_error():
    body = b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"uri","value":"http://a"}},The SPARQL'
    store = RemoteStore(RemoteConfig("http://127.0.0.1:9/query"), transport=mock(body=body))
    with pytest.raises(RemoteStoreError) as err:
        store.query("SELECT ?s WHERE { ?s ?p ?o }")
    assert str(err.value).startswith("the remote SPARQL service sent an answer that does not parse (it may"
                                     " have stopped in the middle): ...")
    assert str(err.value).endswith('"http://a"}},The SPARQL')


def test_a_service_answering_other_columns_is_an_error_not_a_crash():
    body = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"1"}}]}}'
    store = RemoteStore(RemoteConfig("http://127.0.0.1:9/query"), transport=mock(body=body))
    with pytest.raises(RemoteStoreError) as err:
        store.meta()
    assert str(err.value) == ("the bukamal metadata graph on http://127.0.0.1:9/query is corrupt (or the service"
                              " did not answer the query asked)")


@pytest.mark.parametrize("manifest", ["[1, 2]", '"x"', "null", "3"])
def test_a_manifest_that_is_no_json_object_is_an_error_not_a_crash(manifest):
    literal = json.dumps(manifest)
    body = ('{"head":{"vars":["gen","graph","manifest"]},"results":{"bindings":[{"gen":{"type":"literal",'
            '"value":"1"},"manifest":{"type":"literal","value":' + literal + '}}]}}').encode()
    store = RemoteStore(RemoteConfig("http://127.0.0.1:9/query"), transport=mock(body=body))
    with pytest.raises(RemoteStoreError) as err:
        store.manifest()
    assert str(err.value) == ("the bukamal metadata graph on http://127.0.0.1:9/query is corrupt (or the service"
                              " did not answer the query asked)")


def test_an_iri_under_the_skolem_prefix_that_is_no_label_of_ours_stays_an_iri():
    from loader.remote import GENID, unskolem

    assert unskolem(pyoxigraph.NamedNode(GENID + "b1")) == pyoxigraph.BlankNode("b1")
    odd = pyoxigraph.NamedNode(GENID + "a%20b")
    assert unskolem(odd) == odd


def test_a_remote_past_its_timeout():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)
    config = RemoteConfig.from_options("http://127.0.0.1:9/query", environ={"BUKAMAL_REMOTE_TIMEOUT": "2.5"})
    with pytest.raises(QueryTimeout) as err:
        RemoteStore(config, transport=httpx.MockTransport(handler)).query("ASK {}")
    assert str(err.value) == "the remote SPARQL service (http://127.0.0.1:9/query) did not answer a query within 2.5 s"
    assert err.value.exit_code == 4


def test_an_answer_that_trickles_in_is_cut_at_the_timeout():
    """Each chunk comes well within the timeout, the whole answer does not: cut when the time is up."""
    import time

    def trickle():
        for part in (b'{"head":{"vars":[]},', b'"boolean"', b":", b"true", b"}") * 4:
            time.sleep(0.15)
            yield part

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=trickle(), headers={"Content-Type": "application/sparql-results+json"})
    config = RemoteConfig.from_options("http://127.0.0.1:9/query", environ={"BUKAMAL_REMOTE_TIMEOUT": "0.5"})
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout) as err:
        RemoteStore(config, transport=httpx.MockTransport(handler)).query("ASK {}")
    assert time.monotonic() - t0 < 1.5
    assert str(err.value) == "the remote SPARQL service (http://127.0.0.1:9/query) did not answer a query within 0.5 s"


def test_an_answer_cut_short_is_one_line_on_stderr(tmp_path):
    """Through the command (the engine runs in its own thread): the error, and nothing about objects the
    parser left behind being dropped by another thread."""
    import socket
    import subprocess
    import sys
    import threading
    from pathlib import Path

    def read_request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        for _ in range(3):
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            with conn:
                read_request(conn)            # all of it: unread bytes at close would reset the connection
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                             b"Connection: close\r\n\r\n"
                             b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"uri","value":"http://a"}},{"s":')

    threading.Thread(target=serve, daemon=True).start()
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?s WHERE { ?s ?p ?o }", encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", "from loader.cli import main; main()", "query", str(query),
                           "--remote", f"http://127.0.0.1:{port}/query"], capture_output=True, text=True,
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)}, timeout=60)
    listener.close()
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        'error: the remote SPARQL service sent an answer that does not parse (it may have stopped in the middle):'
        ' ...{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"uri","value":"http://a"}},{"s":']
