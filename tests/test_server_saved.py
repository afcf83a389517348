"""Saved queries over HTTP: the list, running one with parameters and formats, the OpenAPI description."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest

from server_support import DATA, LiveServer, settings, wait_until, write_generation

BK = "https://w3id.org/bukamal-kg/ontology#"
BKR = "https://w3id.org/bukamal-kg/id/"
ALL_LABELS = [("Abu Kamal", "abu-kamal", "Place"), ("IRGC", "irgc", "Actor"),
              ("Imam Ali base", "imam-ali-base", "Facility"), ("Iran", "iran", "Actor"),
              ("Quds Force", "quds-force", "Actor")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("saved") / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    with LiveServer(settings(store)) as srv:
        yield srv


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/sparql-results+json"
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def label_rows(selection, kind=None):
    out = []
    for label, thing, cls in selection:
        row = {"label": label, "thing": BKR + thing, "class": BK + cls}
        if kind:
            row["kind"] = BK + kind
        out.append(row)
    return out


def test_list(server):
    r = httpx.get(server.url + "/queries")
    assert (r.status_code, r.headers["content-type"]) == (200, "application/json")
    listing = r.json()
    assert [q["name"] for q in listing] == ["facilities", "labels", "parts"]
    labels = listing[1]
    assert (labels["title"], labels["url"], labels["form"]) == ("Labelled things", "/queries/labels", "SELECT")
    assert labels["params"] == [{"name": "kind", "type": "enum", "required": False, "default": None,
                                 "values": ["bk:Actor", "bk:Facility", "bk:Place"],
                                 "description": "only things of this class", "bound": None, "class": None,
                                 "min": None, "max": None}]
    assert labels["text"] == (DATA / "queries" / "labels.rq").read_text(encoding="utf-8")
    assert [p["name"] for p in listing[2]["params"]] == ["actor"] and listing[2]["params"][0]["required"]


def test_run_without_parameters(server):
    assert rows(httpx.get(server.url + "/queries/labels")) == label_rows(ALL_LABELS)


def test_run_with_an_enum_parameter(server):
    got = rows(httpx.get(server.url + "/queries/labels", params={"kind": "bk:Actor"}))
    assert got == label_rows([r for r in ALL_LABELS if r[2] == "Actor"], kind="Actor")


@pytest.mark.parametrize("actor, part", [("Iran", "irgc"), ("iran", "irgc"), ("bkr:irgc", "quds-force"),
                                         (f"<{BKR}iran>", "irgc"), (f"{BKR}irgc", "quds-force")])
def test_run_with_an_iri_parameter_by_label_or_iri(server, actor, part):
    got = rows(httpx.get(server.url + "/queries/parts", params={"actor": actor}))
    assert got == [{"part": BKR + part, "actor": BKR + ("iran" if part == "irgc" else "irgc")}]


def test_an_empty_value_counts_as_not_given_even_repeated(server):
    url = server.url + "/queries/parts?actor=&actor=Iran&actor="
    assert rows(httpx.get(url)) == [{"part": BKR + "irgc", "actor": BKR + "iran"}]
    r = httpx.get(server.url + "/queries/parts?actor=Iran&actor=irgc")
    assert (r.status_code, r.json()["message"]) == (400, "parameter 'actor' is given twice")


@pytest.mark.parametrize("value", ["foo /etc/passwd", "(/var/log)", "http://[::1]/x"])
def test_a_parameter_error_echoes_the_value_as_given(server, value):
    """The same message as the command line: nothing of the caller's value is masked as a path."""
    r = httpx.get(server.url + "/queries/parts", params={"actor": value})
    assert r.status_code == 400
    assert repr(value)[1:-1] in r.json()["message"] and "<path>" not in r.json()["message"]


def test_parameter_errors_name_candidates(server):
    r = httpx.get(server.url + "/queries/parts", params={"actor": "Abu Kamal"})
    assert (r.status_code, r.json()) == (400, {
        "error": "bad_parameter",
        "message": f"parts: parameter 'actor': 'Abu Kamal' names <{BKR}abu-kamal>, not a bk:Actor",
        "candidates": [f"{BKR}abu-kamal"]})
    r = httpx.get(server.url + "/queries/labels", params={"kind": "bk:Acter"})
    assert (r.status_code, r.json()) == (400, {
        "error": "bad_parameter",
        "message": "labels: parameter 'kind': 'bk:Acter' is not one of bk:Actor, bk:Facility, bk:Place",
        "candidates": ["bk:Actor", "bk:Facility", "bk:Place"]})


CSV = ("label,thing,class,kind\r\n" + "".join(f"{label},{BKR}{thing},{BK}{cls},\r\n"
                                              for label, thing, cls in ALL_LABELS))


@pytest.mark.parametrize("path, accept, media", [
    ("/queries/labels.csv", None, "text/csv; charset=utf-8"),
    ("/queries/labels.csv", "application/sparql-results+json", "text/csv; charset=utf-8"),  # suffix wins
    ("/queries/labels", "text/csv", "text/csv; charset=utf-8"),
    ("/queries/labels.json", None, "application/sparql-results+json"),
    ("/queries/labels", "application/sparql-results+xml", "application/sparql-results+xml"),
    ("/queries/labels", "text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
])
def test_formats(server, path, accept, media):
    r = httpx.get(server.url + path, headers={"accept": accept} if accept else {})
    assert (r.status_code, r.headers["content-type"]) == (200, media)
    if media.startswith("text/csv"):
        assert r.text.replace("\r\n", "\n") == CSV.replace("\r\n", "\n")
    else:
        fmt = ox.QueryResultsFormat.from_media_type(media.split(";")[0])
        parsed = ox.parse_query_results(r.content, fmt)
        assert [s["label"].value for s in parsed] == [label for label, _, _ in ALL_LABELS]


@pytest.mark.parametrize("path, accept, media", [
    ("/queries/facilities", None, "text/turtle; charset=utf-8"),
    ("/queries/facilities.ttl", None, "text/turtle; charset=utf-8"),
    ("/queries/facilities", "application/n-triples", "application/n-triples"),
    ("/queries/facilities", "application/ld+json", "application/ld+json"),
])
def test_graph_query(server, path, accept, media):
    r = httpx.get(server.url + path, headers={"accept": accept} if accept else {})
    assert (r.status_code, r.headers["content-type"]) == (200, media)
    fmt = ox.RdfFormat.from_media_type(media.split(";")[0])
    got = sorted(str(q.triple) for q in ox.parse(r.content, fmt))
    base = ox.NamedNode(BKR + "imam-ali-base")
    assert got == sorted([
        str(ox.Triple(base, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(BK + "Facility"))),
        str(ox.Triple(base, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("Imam Ali base"))),
    ])


def test_openapi(server):
    r = httpx.get(server.url + "/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert spec["openapi"] == "3.1.0"
    assert list(spec["paths"]) == ["/queries", "/queries/facilities", "/queries/labels", "/queries/parts"]
    labels = spec["paths"]["/queries/labels"]["get"]
    assert labels["parameters"] == [{"name": "kind", "in": "query", "required": False,
                                     "description": "only things of this class",
                                     "schema": {"type": "string", "enum": ["bk:Actor", "bk:Facility", "bk:Place"]}}]
    assert list(labels["responses"]["200"]["content"]) == [
        "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
        "text/tab-separated-values", "application/json", "application/xml"]
    parts = spec["paths"]["/queries/parts"]["get"]["parameters"]
    assert [(p["name"], p["required"], p["schema"]["type"]) for p in parts] == [("actor", True, "string")]
    # every operation's parameters are exactly the saved query's
    listing = httpx.get(server.url + "/queries").json()
    for q in listing:
        op = spec["paths"][q["url"]]["get"]
        assert [p["name"] for p in op["parameters"]] == [p["name"] for p in q["params"]]


@pytest.fixture()
def own_queries(tmp_path):
    """A server on a copy of the saved-query folder that a test may edit while it serves."""
    import shutil

    folder = tmp_path / "queries"
    shutil.copytree(DATA / "queries", folder)
    store = tmp_path / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    with LiveServer(settings(store, queries_dir=folder, workers=2, reload_interval_s=0.1)) as srv:
        yield srv, folder


def test_an_edited_query_is_run_alike_by_every_worker(own_queries):
    srv, folder = own_queries
    for _ in range(6):                  # both workers have run the old text
        assert len(rows(httpx.get(srv.url + "/queries/labels"))) == len(ALL_LABELS)
    path = folder / "labels.rq"
    path.write_text(path.read_text(encoding="utf-8").replace("ORDER BY ?label", "ORDER BY ?label LIMIT 1"),
                    encoding="utf-8")
    assert wait_until(lambda: "LIMIT 1" in httpx.get(srv.url + "/queries").json()[1]["text"])
    answers = [rows(httpx.get(srv.url + "/queries/labels")) for _ in range(12)]
    assert answers == [label_rows(ALL_LABELS[:1])] * 12


def test_a_broken_edit_keeps_the_queries_that_worked(own_queries):
    srv, folder = own_queries
    path = folder / "labels.rq"
    good = path.read_text(encoding="utf-8")
    path.write_text("#+ title: A\n#+ title: B\n" + good, encoding="utf-8")
    assert wait_until(lambda: srv.app.state.queries_fingerprint[1][1] == path.stat().st_size)
    assert [q["name"] for q in httpx.get(srv.url + "/queries").json()] == ["facilities", "labels", "parts"]
    assert rows(httpx.get(srv.url + "/queries/labels")) == label_rows(ALL_LABELS)
    path.write_text(good.replace("ORDER BY ?label", "ORDER BY ?label LIMIT 2"), encoding="utf-8")
    assert wait_until(lambda: len(rows(httpx.get(srv.url + "/queries/labels"))) == 2)


def test_a_broken_query_folder_at_start_names_the_file(tmp_path):
    import shutil

    folder = tmp_path / "queries"
    shutil.copytree(DATA / "queries", folder)
    (folder / "parts.rq").write_text("#+ title: A\n#+ title: B\n", encoding="utf-8")
    store = tmp_path / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    with LiveServer(settings(store, queries_dir=folder)) as srv:
        r = httpx.get(srv.url + "/queries/labels")
        assert (r.status_code, r.json()) == (500, {"error": "bad_saved_query",
                                                   "message": "parts.rq: header key 'title' given twice"})
        assert httpx.get(srv.url + "/sparql", params={"query": "ASK {}"}).status_code == 200


def test_a_missing_query_folder_is_the_servers_fault_not_an_unknown_url(tmp_path):
    store = tmp_path / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    with LiveServer(settings(store, queries_dir=tmp_path / "gone")) as srv:
        r = httpx.get(srv.url + "/queries")
        assert (r.status_code, r.json()) == (500, {
            "error": "bad_saved_query",
            "message": "the saved-query folder <path>/ does not exist"})      # no server path shown
