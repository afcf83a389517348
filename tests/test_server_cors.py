"""CORS: none by default; with --cors ORIGIN, for query routes only, never for updates; security headers."""

from __future__ import annotations

import httpx
import pytest

from server_support import TOKEN, LiveServer, settings, fixture_store

OK = "https://ok.example"
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    with LiveServer(settings(fixture_store(tmp_path_factory, "plain"))) as srv:
        yield srv


@pytest.fixture(scope="module")
def cors(tmp_path_factory):
    with LiveServer(settings(fixture_store(tmp_path_factory, "cors"), cors_origins=(OK,), allow_update=True,
                             update_token=TOKEN)) as srv:
        yield srv


def ask(srv, origin):
    return httpx.get(srv.url + "/sparql", params={"query": "ASK {}"}, headers={"origin": origin})


def test_no_cors_by_default(plain):
    r = ask(plain, OK)
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    pre = httpx.options(plain.url + "/sparql", headers={"origin": OK, "access-control-request-method": "POST"})
    assert pre.status_code == 405
    assert "access-control-allow-origin" not in pre.headers


@pytest.mark.parametrize("path", ["/sparql?query=ASK%20%7B%7D", "/query?query=ASK%20%7B%7D", "/queries",
                                  "/queries/labels", "/openapi.json",
                                  "/store?graph=https%3A%2F%2Fw3id.org%2Fbukamal-kg%2Fgraph%2Ftest-places"])
def test_query_routes_allow_the_configured_origin(cors, path):
    r = httpx.get(cors.url + path, headers={"origin": OK})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == OK
    assert "Origin" in r.headers["vary"]
    r = httpx.get(cors.url + path, headers={"origin": EVIL})
    assert "access-control-allow-origin" not in r.headers


def test_preflight_for_queries_never_allows_authorization(cors):
    r = httpx.options(cors.url + "/sparql", headers={
        "origin": OK, "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == OK
    assert r.headers["access-control-allow-methods"] == "GET, POST"
    assert r.headers["access-control-allow-headers"] == "Accept, Content-Type"
    r = httpx.options(cors.url + "/sparql", headers={"origin": EVIL, "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_no_preflight_for_write_routes(cors, method):
    for path in ("/update", "/store?graph=urn%3Ag"):
        r = httpx.options(cors.url + path, headers={"origin": OK, "access-control-request-method": method})
        assert "access-control-allow-origin" not in r.headers
        assert r.status_code in (403, 405)


@pytest.mark.parametrize("path, headers, body", [
    ("/sparql", {"content-type": "application/sparql-update"}, b"CLEAR SILENT GRAPH <urn:nothing>"),
    ("/sparql", {"content-type": "application/x-www-form-urlencoded"}, b"update=CLEAR+SILENT+GRAPH+%3Curn%3Anothing%3E"),
    ("/update", {"content-type": "application/sparql-update"}, b"CLEAR SILENT GRAPH <urn:nothing>"),
])
@pytest.mark.parametrize("token", [False, True])
def test_update_answers_never_carry_cors_headers(cors, path, headers, body, token):
    headers = dict(headers, origin=OK, **({"authorization": f"Bearer {TOKEN}"} if token else {}))
    r = httpx.post(cors.url + path, headers=headers, content=body)
    assert r.status_code == (204 if token else 401), r.text
    assert "access-control-allow-origin" not in r.headers


def test_security_headers_and_no_server_banner(plain):
    for path in ("/", "/sparql?query=ASK%20%7B%7D", "/nope"):
        r = httpx.get(plain.url + path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "server" not in r.headers
    page = httpx.get(plain.url + "/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
