"""`bukamal serve --remote URL`: the endpoint proxies to a real `oxigraph serve`, with the same guards,
deadline and answers (byte for byte) as the endpoint on the embedded store."""

from __future__ import annotations

import time

import httpx
import pytest
from remote_support import OxigraphServer, free_port, push_generation
from server_support import LiveServer, settings

from loader.remote import RemoteConfig

TIMEOUT_S = 2.0
BK = "https://w3id.org/bukamal-kg/ontology#"
ORDERED = f"SELECT ?doc ?file WHERE {{ ?doc <{BK}fileName> ?file }} ORDER BY ?file"


@pytest.fixture(scope="module")
def servers(tmp_path_factory, real_store_dir):
    """(endpoint on the embedded store, endpoint on the remote, the remote) on the real graph."""
    with OxigraphServer(tmp_path_factory.mktemp("oxigraph-serve"), timeout_s=3) as ox:
        push_generation(ox.store(), real_store_dir)
        remote = RemoteConfig.from_options(ox.query_url, environ={})
        unused = tmp_path_factory.mktemp("unused-store")
        with LiveServer(settings(real_store_dir, timeout_s=TIMEOUT_S, queries_dir=None)) as here, \
                LiveServer(settings(unused, timeout_s=TIMEOUT_S, queries_dir=None, remote=remote)) as there:
            yield here, there, ox


def both(servers, method: str, target: str, **kw) -> tuple[httpx.Response, httpx.Response]:
    here, there, _ = servers
    return (httpx.request(method, here.url + target, timeout=10, **kw),
            httpx.request(method, there.url + target, timeout=10, **kw))


@pytest.mark.parametrize("accept", ["text/csv", "application/sparql-results+json", "application/sparql-results+xml"])
def test_sparql_same_answer(servers, accept):
    a, b = both(servers, "GET", "/sparql", params={"query": ORDERED}, headers={"Accept": accept})
    assert a.status_code == 200
    assert (b.status_code, b.headers["content-type"], b.content) == (200, a.headers["content-type"], a.content)


def test_post_with_default_graph_uri(servers):
    data = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            "default-graph-uri": "https://w3id.org/bukamal-kg/graph/doc-002"}
    a, b = both(servers, "POST", "/sparql", data=data, headers={"Accept": "text/csv"})
    assert a.status_code == 200
    assert (b.status_code, b.content) == (200, a.content)


@pytest.mark.parametrize("target", ["/queries/strikes.csv?site=Imam%20Ali%20base",
                                    "/queries/timeline.json?place=bkr:imam-ali-base",
                                    "/queries/strikes?site=nowhere-at-all"])
def test_saved_queries_same_answer(servers, target):
    a, b = both(servers, "GET", target)
    assert a.status_code in (200, 400)
    assert (b.status_code, b.content) == (a.status_code, a.content)


def test_graph_store_same_triples(servers):
    target = "/store?graph=https://w3id.org/bukamal-kg/graph/doc-003"
    a, b = both(servers, "GET", target, headers={"Accept": "application/n-triples"})
    assert a.status_code == 200
    assert (b.status_code, sorted(b.text.splitlines())) == (200, sorted(a.text.splitlines()))
    a, b = both(servers, "GET", "/store?graph=https://w3id.org/bukamal-kg/graph/nothing")
    assert (b.status_code, b.json()) == (404, a.json())


@pytest.mark.parametrize("query", ["SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
                                   "SELECT * WHERE { ?s ?p }", "SELECT ?x WHERE { " + "{" * 200 + "}" * 200 + " }"])
def test_guards_and_errors_same_answer(servers, query):
    a, b = both(servers, "GET", "/sparql", params={"query": query})
    assert a.status_code == 400
    assert (b.status_code, b.json()) == (400, a.json())


def test_deadline_holds(servers):
    _, there, _ = servers
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
    start = time.monotonic()
    r = httpx.get(there.url + "/sparql", params={"query": cross}, timeout=30)
    elapsed = time.monotonic() - start
    assert (r.status_code, r.json()["error"]) == (503, "timeout")
    assert elapsed < TIMEOUT_S + 1.0
    ok = httpx.get(there.url + "/sparql", params={"query": ORDERED}, headers={"Accept": "text/csv"}, timeout=10)
    assert ok.status_code == 200


def test_unreachable_remote_is_503(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/query"
    cfg = RemoteConfig.from_options(url, environ={})
    with LiveServer(settings(tmp_path, timeout_s=TIMEOUT_S, remote=cfg)) as srv:
        r = httpx.get(srv.url + "/sparql", params={"query": "ASK {}"}, timeout=10)
    assert (r.status_code, r.json()) == (503, {
        "error": "store_unavailable",
        "message": f"cannot reach the remote SPARQL service at {url} (a query): ConnectError"})


def test_serve_remote_is_read_only(cli):
    out = cli("serve", "--remote", "http://127.0.0.1:9/query", "--allow-update")
    assert (out.exit_code, out.stderr) == (2, "error: --allow-update cannot be combined with --remote: update"
                                              " the remote service itself, or run `bukamal build --remote URL`\n")



@pytest.mark.parametrize("value", ["inf", "1e19", "nan", "0", "-1", "abc"])
def test_a_remote_timeout_that_sockets_cannot_take_is_a_usage_error(value):
    from loader.errors import UsageError
    with pytest.raises(UsageError, match="^(the remote timeout must be a positive number of seconds, at most 604800"
                                         "|\\$BUKAMAL_REMOTE_TIMEOUT must be a number of seconds)$"):
        RemoteConfig.from_options("http://127.0.0.1:9/query", environ={"BUKAMAL_REMOTE_TIMEOUT": value})
