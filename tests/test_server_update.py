"""Writes: refused on every write route without the token (403 read-only / 401 without or with a
wrong token), cross-site form updates refused; with the token they work, as new generations."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from server_support import TOKEN, LiveServer, chain, settings, wait_until, write_generation, fixture_store

G = "urn:test:graph"
TTL = {"content-type": "text/turtle"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
UPD = {"content-type": "application/sparql-update"}

# every write route: (id, method, path, headers, body)
WRITES = [
    ("sparql-direct", "POST", "/sparql", UPD, b"DROP ALL"),
    ("sparql-form", "POST", "/sparql", FORM, b"update=DROP+ALL"),
    ("update-direct", "POST", "/update", UPD, b"DROP ALL"),
    ("update-form", "POST", "/update", FORM, b"update=DROP+ALL"),
    ("update-bad-media-type", "POST", "/update", {"content-type": "text/plain"}, b"DROP ALL"),
    ("store-put", "PUT", f"/store?graph={G}", TTL, b"<urn:s> <urn:p> <urn:o> ."),
    ("store-post", "POST", f"/store?graph={G}", TTL, b"<urn:s> <urn:p> <urn:o> ."),
    ("store-delete", "DELETE", "/store?graph=https%3A%2F%2Fw3id.org%2Fbukamal-kg%2Fgraph%2Ftest-places", {}, None),
]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ORIGINAL_COUNT = 13


def count(srv) -> int:
    r = httpx.get(srv.url + "/sparql", params={"query": COUNT})
    assert r.status_code == 200
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def read_only(tmp_path_factory):
    with LiveServer(settings(fixture_store(tmp_path_factory, "ro"))) as srv:
        yield srv


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    with LiveServer(settings(fixture_store(tmp_path_factory, "rw"), allow_update=True, update_token=TOKEN)) as srv:
        yield srv


@pytest.mark.parametrize("route", WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize("auth", [None, f"Bearer {TOKEN}"], ids=["no-token", "with-token"])
def test_read_only_server_refuses_every_write(read_only, route, auth):
    _, method, path, headers, body = route
    headers = dict(headers, **({"authorization": auth} if auth else {}))
    r = httpx.request(method, read_only.url + path, headers=headers, content=body)
    assert (r.status_code, r.json()["error"]) == (403, "read_only")
    assert count(read_only) == ORIGINAL_COUNT
    assert read_only.stats()["generation"] == "gen-000001"


BAD_AUTH = [
    (None, 'Bearer realm="bukamal-kg"'),
    (f"Bearer {TOKEN}x", 'Bearer realm="bukamal-kg", error="invalid_token"'),
    (f"Bearer {TOKEN[:-1]}", 'Bearer realm="bukamal-kg", error="invalid_token"'),
    (f"Basic {TOKEN}", 'Bearer realm="bukamal-kg", error="invalid_token"'),
    ("Bearer", 'Bearer realm="bukamal-kg", error="invalid_token"'),
    (TOKEN, 'Bearer realm="bukamal-kg", error="invalid_token"'),
]


@pytest.mark.parametrize("route", WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize("auth, challenge", BAD_AUTH, ids=["none", "longer", "shorter", "basic", "empty", "bare"])
def test_writable_server_refuses_writes_without_the_token(writable, route, auth, challenge):
    _, method, path, headers, body = route
    before = writable.stats()["generation"]
    headers = dict(headers, **({"authorization": auth} if auth else {}))
    r = httpx.request(method, writable.url + path, headers=headers, content=body)
    assert (r.status_code, r.json()["error"]) == (401, "unauthorized")
    assert r.headers["www-authenticate"] == challenge
    assert "access-control-allow-origin" not in r.headers
    assert writable.stats()["generation"] == before


def test_cross_site_form_post_update_is_refused(writable):
    before = (count(writable), writable.stats()["generation"])
    # what a page on another site can make a browser send: a form POST, with cookies, no Authorization
    r = httpx.post(writable.url + "/sparql", content=b"update=DROP+ALL",
                   headers={**FORM, "origin": "https://evil.example", "referer": "https://evil.example/x",
                            "cookie": "session=1", "sec-fetch-site": "cross-site"})
    assert (r.status_code, r.json()["error"]) == (401, "unauthorized")
    assert (count(writable), writable.stats()["generation"]) == before


def test_an_rdf_xml_body_declaring_entities_is_refused(writable):
    """Nested entities would expand a 1 KB body into gigabytes, past the body limit."""
    levels = "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};">' for i in range(1, 9))
    body = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e0 "xxxxxxxxxx">{levels}]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="urn:ex:">'
            '<rdf:Description rdf:about="urn:s"><ex:p>&e8;</ex:p></rdf:Description></rdf:RDF>').encode()
    before = count(writable)
    r = httpx.put(writable.url + "/store", params={"graph": "urn:bomb"},
                  headers=_auth({"content-type": "application/rdf+xml"}), content=body)
    assert (r.status_code, r.json()["error"]) == (400, "bad_rdf"), r.text
    assert r.json()["message"].startswith("an RDF/XML body may declare only short, plain entities")
    assert count(writable) == before
    # an ontology editor's namespace abbreviations are plain, short entities: accepted
    plain = (b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY ex "urn:ex:" >]>'
             b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="urn:ex:">'
             b'<rdf:Description rdf:about="&ex;s"><ex:p>ok</ex:p></rdf:Description></rdf:RDF>')
    r = httpx.put(writable.url + "/store", params={"graph": "urn:bomb"},
                  headers=_auth({"content-type": "application/rdf+xml"}), content=plain)
    assert r.status_code == 201, r.text
    got = httpx.get(writable.url + "/store", params={"graph": "urn:bomb"}, headers={"accept": "application/n-triples"})
    assert got.text == '<urn:ex:s> <urn:ex:p> "ok" .\n'
    assert httpx.delete(writable.url + "/store", params={"graph": "urn:bomb"}, headers=_auth()).status_code == 204


def _auth(headers=None):
    return dict(headers or {}, authorization=f"Bearer {TOKEN}")


def test_update_with_the_token_makes_a_new_generation(writable):
    before = writable.stats()["generation"]
    n = count(writable)
    r = httpx.post(writable.url + "/update", headers=_auth(UPD),
                   content=f"INSERT DATA {{ GRAPH <{G}-u> {{ <urn:s> <urn:p> 'v1' }} }}")
    assert r.status_code == 204, r.text
    # the answer comes after the switch: the very next query sees the change
    assert count(writable) == n + 1
    after = writable.stats()["generation"]
    assert after != before and int(after[4:]) == int(before[4:]) + 1
    store_dir = writable.settings.store_dir
    assert not list(store_dir.glob(".build-*"))
    manifest = json.loads((store_dir / after / "bukamal-manifest.json").read_text())
    assert {k: manifest[k] for k in ("made_by", "source_generation", "operation", "generation")} == {
        "made_by": "bukamal serve (write)", "source_generation": before, "operation": "SPARQL Update",
        "generation": after}
    r = httpx.post(writable.url + "/sparql", headers=_auth(FORM),
                   content=f"update=DROP+GRAPH+%3C{G}-u%3E".encode())
    assert r.status_code == 204, r.text
    assert count(writable) == n
    # old generations are pruned as a build prunes them: the current and the previous one stay
    latest = writable.stats()["generation"]
    assert sorted(p.name for p in store_dir.glob("gen-*"))[-2:] == [after, latest]
    assert before not in {p.name for p in store_dir.glob("gen-*")}


def test_a_write_while_a_build_runs_is_503(writable):
    from loader.store import build_lock

    before = writable.stats()["generation"]
    with build_lock(writable.settings.store_dir):
        r = httpx.post(writable.url + "/update", headers=_auth(UPD), content="CLEAR SILENT GRAPH <urn:g>")
    assert (r.status_code, r.headers["retry-after"], r.json()["error"]) == (503, "5", "busy")
    assert writable.stats()["generation"] == before


@pytest.mark.parametrize("update, status, kind", [
    ("CLEAR XYZ", 400, "bad_update"),
    ("LOAD <http://127.0.0.1:1/data.ttl>", 400, "load_not_allowed"),
    ("INSERT { ?s <urn:p> ?o } WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", 400,
     "service_not_allowed"),
    ("INSERT DATA { " + "{" * 200 + " }", 400, "too_deep"),
    ("CLEAR GRAPH <urn:nothing>", 400, "update_failed"),
])
def test_bad_updates_with_the_token(writable, update, status, kind):
    before = writable.stats()["generation"]
    r = httpx.post(writable.url + "/update", headers=_auth(UPD), content=update)
    assert (r.status_code, r.json()["error"]) == (status, kind)
    assert writable.stats()["generation"] == before
    assert not list(writable.settings.store_dir.glob(".build-*"))


def test_an_update_the_engine_refuses_says_why(writable):
    r = httpx.post(writable.url + "/update", headers=_auth(UPD), content="CLEAR GRAPH <urn:nothing>")
    assert (r.status_code, r.json()) == (400, {
        "error": "update_failed",
        "message": "the update could not be applied: The graph <urn:nothing> does not exist"})


def test_graph_store_writes_with_the_token(writable):
    url = writable.url + "/store"
    params = {"graph": G}
    assert httpx.get(url, params=params).status_code == 404
    r = httpx.put(url, params=params, headers=_auth(TTL), content=b"<urn:s> <urn:p> <urn:o1> .")
    assert r.status_code == 201, r.text
    r = httpx.post(url, params=params, headers=_auth({"content-type": "application/n-triples"}),
                   content=b"<urn:s> <urn:p> <urn:o2> .\n")
    assert r.status_code == 204, r.text
    got = httpx.get(url, params=params, headers={"accept": "application/n-triples"})
    assert (got.status_code, sorted(got.text.splitlines())) == (
        200, ["<urn:s> <urn:p> <urn:o1> .", "<urn:s> <urn:p> <urn:o2> ."])
    r = httpx.put(url, params=params, headers=_auth(TTL), content=b"<urn:s> <urn:p> <urn:o3> .")
    assert r.status_code == 204, r.text
    got = httpx.get(url, params=params, headers={"accept": "application/n-triples"})
    assert got.text == "<urn:s> <urn:p> <urn:o3> .\n"
    assert httpx.put(url, params=params, headers=_auth({"content-type": "text/plain"}),
                     content=b"x").status_code == 415
    assert httpx.put(url, params=params, headers=_auth(TTL), content=b"<urn:s> <urn:p> .").status_code == 400
    assert httpx.put(url, params={"default": ""}, headers=_auth(TTL), content=b"").status_code == 400
    assert httpx.delete(url, params=params, headers=_auth()).status_code == 204
    assert httpx.delete(url, params=params, headers=_auth()).status_code == 404
    assert httpx.get(url, params=params).status_code == 404


@pytest.mark.parametrize("media, body", [
    ("application/n-quads", b"<urn:s> <urn:p> <urn:o> <https://w3id.org/bukamal-kg/graph/inferred> .\n"),
    ("application/trig", b"<urn:elsewhere> { <urn:s> <urn:p> <urn:o> }"),
    ("application/n-quads", b"<urn:s> <urn:p> <urn:o> .\n<urn:s> <urn:p> <urn:o2> <urn:elsewhere> .\n"),
], ids=["nquads-into-inferred", "trig-elsewhere", "nquads-mixed"])
def test_a_graph_store_write_never_reaches_another_graph(writable, media, body):
    """A dataset format may name graphs; a write goes to the graph the URL names and nowhere else."""
    before = count(writable)
    url = writable.url + "/store"
    r = httpx.put(url, params={"graph": "urn:harmless"}, headers=_auth({"content-type": media}), content=body)
    assert (r.status_code, r.json()["error"]) == (400, "bad_rdf"), r.text
    assert "names a graph" in r.json()["message"]
    assert count(writable) == before
    assert httpx.get(url, params={"graph": "urn:harmless"}).status_code == 404
    r = httpx.put(url, params={"graph": "urn:harmless"}, headers=_auth({"content-type": media}),
                  content=b"<urn:s> <urn:p> <urn:o> .\n" if media == "application/n-quads" else b"{ <urn:s> <urn:p> <urn:o> }")
    assert r.status_code == 201, r.text                 # the default graph of the body goes to the target
    got = httpx.get(url, params={"graph": "urn:harmless"}, headers={"accept": "application/n-triples"})
    assert got.text == "<urn:s> <urn:p> <urn:o> .\n"
    assert httpx.delete(url, params={"graph": "urn:harmless"}, headers=_auth()).status_code == 204


def test_an_update_past_the_memory_limit_stops_the_writer_and_changes_nothing(tmp_path_factory):
    """The writer runs under the query workers' address-space limit (--worker-memory-mb)."""
    hog = ("INSERT { GRAPH <urn:x> { ?a <urn:p> ?f } } WHERE { GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?c2 ?d ?e }"
           " GRAPH ?g3 { ?e2 ?f2 ?f } GRAPH ?g4 { ?g ?h ?i } GRAPH ?g5 { ?j ?k ?l } GRAPH ?g6 { ?m ?n ?o }"
           " GRAPH ?g7 { ?q ?r ?s } }")                 # 13^7 rows: gigabytes
    store = fixture_store(tmp_path_factory, "mem")
    with LiveServer(settings(store, allow_update=True, update_token=TOKEN, worker_memory_mb=256,
                             timeout_s=60)) as srv:
        before, n = srv.stats()["generation"], count(srv)
        r = httpx.post(srv.url + "/update", headers=_auth(UPD), content=hog, timeout=90)
        assert (r.status_code, r.json()["error"]) == (500, "writer_crashed"), r.text
        assert (srv.stats()["generation"], count(srv)) == (before, n)
        assert not list(store.glob(".build-*")) and not list(store.glob(".write-*"))


def test_a_slow_update_is_stopped_and_changes_nothing(tmp_path_factory):
    store = tmp_path_factory.mktemp("slow-update") / "store"
    write_generation(store, "gen-000001", quads=chain(1000))
    with LiveServer(settings(store, timeout_s=1.0, allow_update=True, update_token=TOKEN)) as srv:
        started = time.monotonic()
        r = httpx.post(srv.url + "/update", headers=_auth(UPD), timeout=30,
                       content="INSERT { GRAPH <urn:g> { ?a <urn:x> ?e } } WHERE "
                               "{ GRAPH ?g { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f } }")
        assert (r.status_code, r.json()["error"]) == (503, "timeout")
        assert time.monotonic() - started <= 2.0
        assert srv.stats()["generation"] == "gen-000001"
        assert (store / "CURRENT").read_text().strip() == "gen-000001"
        assert wait_until(lambda: not list(store.glob(".build-*")), timeout=3)
        assert sorted(p.name for p in store.iterdir()) == ["CURRENT", "LOCK", "gen-000001"]
