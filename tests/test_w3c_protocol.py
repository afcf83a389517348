"""The W3C SPARQL 1.1 Protocol and Service Description tests, run against a live server.

The manifests (tests/data/w3c/, see SOURCE.txt there) describe HTTP requests and the expected
responses. The runner replays each request on a real uvicorn (127.0.0.1, free port) whose store holds
the manifests' data files (``ut:graphData``, one named graph per file, named by its label).

Statuses are asserted exactly: the manifests only say "2xx" or "4xx", so the table below fixes the
one status this server must give, and checks it lies in the manifest's class. Query tests and
update-negative tests run on a read-only server (the default) and on a writable one (``--allow-update``,
requests carrying the bearer token: the refusal must then come from the protocol check itself, not
from the missing right to write). The positive update tests run on the writable server, each on a
fresh generation. Expected contents (booleans from the manifest; rows and triples fixed here) are
compared exactly, parsed according to the response's Content-Type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from server_support import TOKEN, DATA, LiveServer, settings, wait_until, write_generation

W3C = Path(__file__).resolve().parent / "data" / "w3c"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
SD = "http://www.w3.org/ns/sparql-service-description#"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

# test -> (status on the read-only server, status on the writable server with the token)
EXACT_STATUS: dict[str, tuple[int, int]] = {
    "query_post_form": (200, 200),
    "query_dataset_default_graphs_get": (200, 200),
    "query_dataset_default_graphs_post": (200, 200),
    "query_dataset_named_graphs_post": (200, 200),
    "query_dataset_named_graphs_get": (200, 200),
    "query_dataset_full": (200, 200),
    "query_multiple_dataset": (200, 200),
    "query_get": (200, 200),
    "query_content_type_select": (200, 200),
    "query_content_type_ask": (200, 200),
    "query_content_type_describe": (200, 200),
    "query_content_type_construct": (200, 200),
    "query_post_direct": (200, 200),
    "bad_query_method": (405, 405),             # PUT on the endpoint (Allow: GET, HEAD, POST)
    "bad_multiple_queries": (400, 400),
    "bad_query_wrong_media_type": (415, 415),   # text/plain
    "bad_query_missing_form_type": (415, 415),  # no Content-Type at all
    "bad_query_missing_direct_type": (415, 415),
    "bad_query_non_utf8": (415, 415),           # charset=UTF-16
    "bad_query_syntax": (400, 400),
    "bad_update_get": (400, 400),               # GET is allowed on /sparql, but not for updates
    "bad_multiple_updates": (403, 400),         # read-only server: refused before anything else
    "bad_update_wrong_media_type": (415, 415),  # text/plain: not recognisable as an update
    "bad_update_missing_form_type": (415, 415),
    "bad_update_non_utf8": (403, 415),
    "bad_update_syntax": (403, 400),
    "bad_update_dataset_conflict": (403, 400),
}
UPDATE_POSITIVE = ("update_dataset_default_graph", "update_dataset_default_graphs",
                   "update_dataset_named_graphs", "update_dataset_full", "update_post_form",
                   "update_post_direct", "update_base_uri")
# status of each update request in the positive tests (writable server): 204 No Content
UPDATE_STATUS = 204


@dataclass
class Req:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    status_classes: set[str]
    fmt: str | None
    boolean: bool | None


@dataclass
class Case:
    id: str
    name: str
    kind: str
    requests: list[Req] = field(default_factory=list)
    graph_data: list[tuple[str, str]] = field(default_factory=list)   # (file, graph IRI)


def _one(store, s, p):
    objs = [q.object for q in store.quads_for_pattern(s, ox.NamedNode(p), None)]
    return objs[0] if objs else None


def _all(store, s, p):
    return [q.object for q in store.quads_for_pattern(s, ox.NamedNode(p), None)]


def _list(store, head):
    out = []
    while head is not None and head != ox.NamedNode(RDF + "nil"):
        out.append(_one(store, head, RDF + "first"))
        head = _one(store, head, RDF + "rest")
    return out


def load_manifest(path: Path) -> list[Case]:
    store = ox.Store()
    base = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/" + path.parent.name + "/"
    store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=base + "manifest.ttl")
    manifest = ox.NamedNode(base + "manifest.ttl")
    cases = []
    for entry in _list(store, _one(store, manifest, MF + "entries")):
        case = Case(id=entry.value.rsplit("#", 1)[1], name=_one(store, entry, MF + "name").value,
                    kind=_one(store, entry, RDF + "type").value.rsplit("#", 1)[1])
        for gd in _all(store, entry, UT + "graphData"):
            case.graph_data.append((_one(store, gd, UT + "graph").value.rsplit("/", 1)[1],
                                    _one(store, gd, RDFS + "label").value))
        action = _one(store, entry, MF + "action")
        if action is not None:
            for r in _list(store, _one(store, action, HT + "requests")):
                headers = {_one(store, h, HT + "fieldName").value: _one(store, h, HT + "fieldValue").value
                           for h in _list(store, _one(store, r, HT + "headers"))}
                body_node = _one(store, r, HT + "body")
                body = None
                if body_node is not None:
                    encoding = _one(store, body_node, CNT + "characterEncoding").value
                    body = _one(store, body_node, CNT + "chars").value.encode(encoding.lower())
                resp = _one(store, r, HT + "resp")
                fmt = _one(store, resp, MF + "expectedFormat")
                boolean = _one(store, resp, MF + "expectedBoolean")
                case.requests.append(Req(
                    method=_one(store, r, HT + "methodName").value,
                    path=_one(store, r, HT + "absolutePath").value, headers=headers, body=body,
                    status_classes={s.value[len(HTS):] for s in _all(store, resp, MF + "expectedStatus")},
                    fmt=fmt.value if fmt is not None else None,
                    boolean=(boolean.value == "true") if boolean is not None else None))
        cases.append(case)
    return cases


PROTOCOL = {c.id: c for c in load_manifest(W3C / "protocol" / "manifest.ttl")}
SERVICE_DESCRIPTION = [c.id for c in load_manifest(W3C / "service-description" / "manifest.ttl")]
QUERY_TESTS = [i for i in PROTOCOL if i.startswith(("query_", "bad_query_")) or i == "bad_multiple_queries"]
UPDATE_NEGATIVE = [i for i in PROTOCOL if i.startswith("bad_update_") or i == "bad_multiple_updates"]


def test_the_manifests_hold_what_the_runner_expects():
    assert len(PROTOCOL) == 34
    assert len(QUERY_TESTS) == 20 and len(UPDATE_NEGATIVE) == 7
    assert sorted(QUERY_TESTS + UPDATE_NEGATIVE) == sorted(EXACT_STATUS)
    assert sorted(set(PROTOCOL) - set(QUERY_TESTS) - set(UPDATE_NEGATIVE)) == sorted(UPDATE_POSITIVE)
    assert SERVICE_DESCRIPTION == ["has-endpoint-triple", "returns-rdf", "conforms-to-schema"]
    for test_id, (ro, rw) in EXACT_STATUS.items():
        for req in PROTOCOL[test_id].requests:
            assert f"StatusCode{ro // 100}xx" in req.status_classes, test_id
            assert f"StatusCode{rw // 100}xx" in req.status_classes, test_id


def _dataset_quads() -> list[ox.Quad]:
    graphs = {(f, g) for c in PROTOCOL.values() for f, g in c.graph_data}
    assert graphs == {(f"data{i}.nt", f"http://kasei.us/2009/09/sparql/data/data{i}.rdf") for i in (1, 2, 3)}
    quads = []
    for file, graph in sorted(graphs):
        for t in ox.parse(path=str(W3C / "protocol" / file), format=ox.RdfFormat.N_TRIPLES):
            quads.append(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)))
    return quads


@pytest.fixture(scope="module")
def read_only_server(tmp_path_factory):
    store = tmp_path_factory.mktemp("w3c-ro") / "store"
    write_generation(store, "gen-000001", quads=_dataset_quads())
    with LiveServer(settings(store)) as srv:
        yield srv


@pytest.fixture(scope="module")
def writable_server(tmp_path_factory):
    store = tmp_path_factory.mktemp("w3c-rw") / "store"
    write_generation(store, "gen-000001", quads=_dataset_quads())
    with LiveServer(settings(store, allow_update=True, update_token=TOKEN)) as srv:
        srv.store_dir = store
        yield srv


def send(srv: LiveServer, req: Req, *, token: bool = False) -> httpx.Response:
    assert req.path.startswith("/sparql/")
    path = "/sparql" + req.path[len("/sparql/"):]          # "/sparql/?query=..." -> "/sparql?query=..."
    headers = dict(req.headers)
    if token:
        headers["Authorization"] = f"Bearer {TOKEN}"
    with httpx.Client(timeout=10) as client:
        return client.send(client.build_request(req.method, srv.url + path, headers=headers,
                                                content=req.body))


# the manifest leaves out the answer of ASK {} in this test; it is true
EXTRA_BOOLEAN = {"query_content_type_ask": True}


def _expected_rows(test_id: str):
    if test_id == "query_content_type_select":
        return [{"value": ox.Literal("1", datatype=XSD_INTEGER)}]
    return None


def _expected_triples(test_id: str, endpoint: str):
    if test_id == "query_content_type_construct":      # CONSTRUCT { <s> <p> 1 }: relative to the endpoint
        base = endpoint.rsplit("/", 1)[0] + "/"
        return [ox.Triple(ox.NamedNode(base + "s"), ox.NamedNode(base + "p"), ox.Literal("1", datatype=XSD_INTEGER))]
    if test_id == "query_content_type_describe":        # DESCRIBE of a resource the data does not have
        return []
    return None


def check_content(test_id: str, req: Req, response: httpx.Response, endpoint: str) -> None:
    media = response.headers["content-type"].split(";")[0].strip()
    if req.fmt in ("boolean", "tabular"):
        results = ox.parse_query_results(response.content, ox.QueryResultsFormat.from_media_type(media))
        if req.fmt == "boolean":
            assert isinstance(results, ox.QueryBoolean)
            expected = req.boolean if req.boolean is not None else EXTRA_BOOLEAN[test_id]
            assert bool(results) is expected
        else:
            rows = [{v.value: s[v] for v in results.variables} for s in results]
            assert rows == _expected_rows(test_id)
    elif req.fmt == "RDF":
        fmt = ox.RdfFormat.from_media_type(media)
        assert fmt is not None, media
        triples = [q.triple for q in ox.parse(response.content, fmt)]
        assert triples == _expected_triples(test_id, endpoint)


def _run_case(srv: LiveServer, test_id: str, writable: bool) -> None:
    case = PROTOCOL[test_id]
    for req in case.requests:
        response = send(srv, req, token=writable)
        expected = EXACT_STATUS[test_id][1 if writable else 0]
        assert response.status_code == expected, (test_id, response.text)
        if expected >= 400:
            assert response.headers["content-type"] == "application/json"
            assert response.json()["error"]
        else:
            check_content(test_id, req, response, srv.url + "/sparql")
    # and the server still answers
    assert httpx.get(srv.url + "/sparql", params={"query": "ASK {}"}).json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize("test_id", QUERY_TESTS + UPDATE_NEGATIVE)
def test_protocol_read_only_server(read_only_server, test_id):
    _run_case(read_only_server, test_id, writable=False)


@pytest.mark.parametrize("test_id", QUERY_TESTS + UPDATE_NEGATIVE)
def test_protocol_writable_server_with_token(writable_server, test_id):
    _run_case(writable_server, test_id, writable=True)


_fresh = iter(range(500001, 999999))


@pytest.mark.parametrize("test_id", UPDATE_POSITIVE)
def test_protocol_update_writable_server(writable_server, test_id):
    srv = writable_server
    name = f"gen-{next(_fresh):06d}"
    write_generation(srv.store_dir, name, quads=_dataset_quads())
    assert wait_until(lambda: srv.stats()["generation"] == name)
    for req in PROTOCOL[test_id].requests:
        response = send(srv, req, token=True)
        is_update = req.headers.get("content-type") != "application/sparql-query"
        assert response.status_code == (UPDATE_STATUS if is_update else 200), (test_id, response.text)
        if not is_update:
            check_content(test_id, req, response, srv.url + "/sparql")


# ---- service description --------------------------------------------------------------------

def _description(srv: LiveServer, accept: str | None = None):
    headers = {"Accept": accept} if accept else {}
    response = httpx.get(srv.url + "/sparql", headers=headers)
    assert response.status_code == 200
    media = response.headers["content-type"].split(";")[0]
    fmt = ox.RdfFormat.from_media_type(media)
    return media, fmt, response.content


@pytest.mark.parametrize("test_id", SERVICE_DESCRIPTION)
def test_service_description(read_only_server, test_id):
    srv = read_only_server
    media, fmt, body = _description(srv)
    if test_id == "returns-rdf":
        assert media == "text/turtle" and fmt == ox.RdfFormat.TURTLE
        assert len(list(ox.parse(body, fmt))) == 27
        for accept, expected in (("application/rdf+xml", ox.RdfFormat.RDF_XML),
                                 ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                 ("application/ld+json", ox.RdfFormat.JSON_LD)):
            m, f, b = _description(srv, accept)
            assert (m, f) == (accept, expected)
            assert len(list(ox.parse(b, f))) == 27
    elif test_id == "has-endpoint-triple":
        triples = list(ox.parse(body, fmt))
        endpoints = [t for t in triples if t.predicate == ox.NamedNode(SD + "endpoint")]
        assert [t.object for t in endpoints] == [ox.NamedNode(srv.url + "/sparql")]
    else:
        import pyshacl
        import rdflib

        data = rdflib.Graph().parse(data=body.decode("utf-8"), format="turtle")
        shapes = rdflib.Graph().parse(DATA / "sd-shapes.ttl", format="turtle")
        conforms, _, report = pyshacl.validate(data, shacl_graph=shapes)
        assert conforms, report
        names = sorted(str(o) for o in data.objects(None, rdflib.URIRef(SD + "name")))
        assert names == [f"http://kasei.us/2009/09/sparql/data/data{i}.rdf" for i in (1, 2, 3)]
