"""Cheap queries answered in the server process: the whitelist (exact matches and near misses), answers
byte for byte equal to a worker's, the range bound, no dataset, busy workers, and reload."""

from __future__ import annotations

import threading
import time

import httpx
import pyoxigraph as ox
import pytest

from loader.server.cheap import RDF_TYPE, Pattern, cheap_pattern
from loader.server.workers import WorkerPool
from server_support import LiveServer, chain, settings, wait_until, write_generation

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
S = "<urn:s>"
PREFIXES = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def _quads():
    s, p, g1, g2 = (ox.NamedNode(x) for x in ("urn:s", "urn:p", "urn:g1", "urn:g2"))
    label = ox.NamedNode(RDFS_LABEL)
    quads = [
        ox.Quad(s, label, ox.Literal("plain"), g1),
        ox.Quad(s, label, ox.Literal("étiquette", language="fr"), g1),
        ox.Quad(s, label, ox.Literal("2024-02-29", datatype=ox.NamedNode(XSD + "date")), g1),
        ox.Quad(s, label, ox.Literal('with "quotes", a comma\nand a line break'), g2),
        ox.Quad(s, label, ox.Literal("ünïcødé 🚀 <b>&amp;"), g2),
        ox.Quad(s, p, ox.NamedNode("urn:o1"), g1),
        ox.Quad(s, p, ox.NamedNode("urn:o2"), g1),
        ox.Quad(s, p, ox.BlankNode("b1"), g2),
        ox.Quad(s, ox.NamedNode(RDF_TYPE), ox.NamedNode("urn:C"), g1),
        ox.Quad(s, ox.NamedNode("urn:dup"), ox.Literal("x"), g1),      # the same triple in two graphs
        ox.Quad(s, ox.NamedNode("urn:dup"), ox.Literal("x"), g2),
    ]
    quads += [ox.Quad(ox.NamedNode("urn:big"), p, ox.NamedNode(f"urn:o{i}"), g1) for i in range(4)]
    return quads


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cheap") / "store"
    write_generation(path, "gen-000001", quads=_quads() + chain(1000))
    return path


@pytest.fixture(scope="module")
def here(store):
    """Cheap queries are answered in the server process (the default settings)."""
    with LiveServer(settings(store)) as srv:
        yield srv


@pytest.fixture(scope="module")
def bounded(store):
    """Cheap queries over at most 3 quads are answered in the server process."""
    with LiveServer(settings(store, inline_max_matches=3)) as srv:
        yield srv


@pytest.fixture(scope="module")
def there(store):
    """Every query goes to a worker."""
    with LiveServer(settings(store, inline_max_matches=0)) as srv:
        yield srv


# ------------------------------------------------------------------------------------------- the rule
@pytest.mark.parametrize("query, pattern", [
    (f"SELECT ?l WHERE {{ {S} <{RDFS_LABEL}> ?l }}", Pattern("urn:s", RDFS_LABEL)),
    (f"{PREFIXES}select ?l {{{S} rdfs:label ?l}}", Pattern("urn:s", RDFS_LABEL)),
    (f"SELECT * {{ {S} ?p ?o . }} LIMIT 10 OFFSET 5", Pattern("urn:s", None)),
    (f"SELECT * {{ {S} ?p ?o }} offset 5 limit 10", Pattern("urn:s", None)),
    (f"SELECT DISTINCT?o{{ {S} $p ?o }}", Pattern("urn:s", None)),
    (f"SELECT REDUCED ?p {{ {S} ?p <urn:o1> }}", Pattern("urn:s", None)),
    (f"ASK {{ {S} a <urn:C> }}", Pattern("urn:s", RDF_TYPE)),
    (f"ASK WHERE{{{S} a<urn:C>}}", Pattern("urn:s", RDF_TYPE)),
    ("PREFIX ex: <http://ex.org/> PREFIX : <http://d/>\nSELECT ?o WHERE\t{ ex:a :p ?o }\n",
     Pattern("http://ex.org/a", "http://d/p")),
    ("PREFIX ex: <http://ex.org/> SELECT ?o WHERE { ex:a.b ex:p-q ex:o. }", Pattern("http://ex.org/a.b", "http://ex.org/p-q")),
    ("PREFIX ex: <http://x/> PREFIX ex: <http://y/> ASK { ex:s ex:p ?o }", Pattern("http://y/s", "http://y/p")),
    ("PREFIX select: <http://x/> SELECT ?o WHERE { select:s select:p ?o }", Pattern("http://x/s", "http://x/p")),
])
def test_the_cheap_shape(query, pattern):
    assert cheap_pattern(query) == pattern


NEAR_MISSES = [
    f"SELECT ?o WHERE {{ ?s <{RDFS_LABEL}> ?o }}",                         # a variable subject
    f"SELECT ?o WHERE {{ _:b <{RDFS_LABEL}> ?o }}",                        # a blank node subject
    f"SELECT ?o WHERE {{ [] <{RDFS_LABEL}> ?o }}",
    f"SELECT ?o WHERE {{ {S} <{RDFS_LABEL}> ?o FILTER(isLiteral(?o)) }}",  # a FILTER
    f"SELECT ?o WHERE {{ {S} <urn:p>/<urn:q> ?o }}",                       # property paths
    f"SELECT ?o WHERE {{ {S} <urn:p>* ?o }}",
    f"SELECT ?o WHERE {{ {S} ^<urn:p> ?o }}",
    f"SELECT ?o WHERE {{ {S} !<urn:p> ?o }}",
    f"SELECT ?o WHERE {{ {S} (<urn:p>) ?o }}",
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o . {S} <urn:q> ?z }}",             # two patterns
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o ; <urn:q> ?z }}",
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o , ?z }}",
    f"SELECT ?o WHERE {{ {{ SELECT ?o {{ {S} <urn:p> ?o }} }} }}",         # a subquery
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o OPTIONAL {{ ?o <urn:q> ?z }} }}",
    f"SELECT ?o WHERE {{ SERVICE <http://127.0.0.1:1/> {{ {S} <urn:p> ?o }} }}",
    f"SELECT ?o WHERE {{ GRAPH ?g {{ {S} <urn:p> ?o }} }}",
    f"SELECT ?o FROM <urn:g1> WHERE {{ {S} <urn:p> ?o }}",
    f"BASE <http://x/> SELECT ?o WHERE {{ <s> <urn:p> ?o }}",
    f"SELECT ?o WHERE {{ <s> <urn:p> ?o }}",                               # a relative IRI
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o }} ORDER BY ?o",
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o }} GROUP BY ?o",
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o }} VALUES ?o {{ <urn:o1> }}",
    f"SELECT (STR(?o) AS ?x) WHERE {{ {S} <urn:p> ?o }}",
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o }} LIMIT 1 LIMIT 2",
    f"ASK {{ {S} <urn:p> ?o }} LIMIT 1",
    f"CONSTRUCT WHERE {{ {S} <urn:p> ?o }}",
    f"DESCRIBE {S}",
    f'SELECT ?o WHERE {{ {S} <urn:p> "{{ FILTER }}" }}',                   # a string holding braces, keywords
    f"SELECT ?o WHERE {{ {S} <urn:p> 'SELECT' }}",
    f"SELECT ?o WHERE {{ {S} <urn:p> 42 }}",
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o }} # }} UNION {{ ?s ?p ?o",        # a comment holding braces
    f"# SELECT ?o WHERE {{ {S} <urn:p> ?o }}\nSELECT ?o WHERE {{ ?s ?p ?o }}",
    f"SELECT ?o WHERE {{ {S} \\u003Curn:p> ?o }}",                          # a codepoint escape
    "PREFIX ex: <http://ex.org/> SELECT ?o WHERE { ex:a:b ex:p ?o }",       # one name to SPARQL
    "PREFIX ex: <http://ex.org/> SELECT ?o WHERE { ex:a\\.b ex:p ?o }",
    f"SELECT ?o WHERE {{ {S} A ?o }}",
    f"SELECTx ?o WHERE {{ {S} <urn:p> ?o }}",
    f"SELECT ?o WHERE {{ {S} <urn:p> ?o }}\u00a0",                          # not SPARQL white space
    "SELECT ?o WHERE { ex:s <urn:p> ?o }",                                  # an undeclared prefix
    "ASK {}",
]


@pytest.mark.parametrize("query", NEAR_MISSES)
def test_near_misses_are_not_cheap(query):
    assert cheap_pattern(query) is None


def test_a_remote_pool_answers_nothing_itself(tmp_path):
    assert WorkerPool(tmp_path, inline=True).inline
    assert not WorkerPool(tmp_path, inline=True, remote=object()).inline


# ---------------------------------------------------------------------------------- over HTTP
CHEAP = [
    f"{PREFIXES}SELECT ?l WHERE {{ {S} rdfs:label ?l }}",
    f"SELECT * {{ {S} ?p ?o }}",
    f"SELECT ?o {{ {S} <urn:dup> ?o }}",
    f"SELECT DISTINCT ?o {{ {S} <urn:dup> ?o }}",
    f"SELECT ?p {{ {S} ?p <urn:o1> }}",
    f"SELECT ?o ?unbound {{ {S} <urn:p> ?o }} LIMIT 2 OFFSET 1",
    f"SELECT ?x {{ <urn:nothing> ?p ?o }}",
    f"ASK {{ {S} a <urn:C> }}",
    f"ASK {{ {S} a <urn:D> }}",
    f"\ufeffSELECT ?o {{ {S} <urn:p> ?o }}",          # a byte-order mark is dropped first
    "SELECT ?o { <urn:s> <urn:p> ex:o }",           # an undeclared prefix in the object: the engine's 400
]
ACCEPTS = [None, "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values", "text/turtle", "text/*;q=0.5, application/json"]


def _get(srv, query: str, accept: str | None = None, **params) -> httpx.Response:
    headers = {"accept": accept} if accept else {}
    return httpx.get(srv.url + "/sparql", params={"query": query, **params}, headers=headers, timeout=20)


def _same(a: httpx.Response, b: httpx.Response) -> None:
    assert a.status_code == b.status_code
    assert [(k, v) for k, v in a.headers.items() if k != "date"] == \
        [(k, v) for k, v in b.headers.items() if k != "date"]
    assert a.content == b.content


@pytest.mark.parametrize("query", CHEAP)
def test_answers_are_byte_identical_to_a_workers(here, there, query):
    for accept in ACCEPTS:
        before = here.stats()["local_answers"]
        a, b = _get(here, query, accept), _get(there, query, accept)
        _same(a, b)
        assert here.stats()["local_answers"] == before + 1
    assert there.stats()["local_answers"] == 0 and there.stats()["local"] is None


def test_what_the_answers_hold(here):
    r = _get(here, f"{PREFIXES}SELECT ?l WHERE {{ {S} rdfs:label ?l }}", "text/csv")
    assert (r.status_code, r.headers["content-type"]) == (200, "text/csv; charset=utf-8")
    assert sorted(r.text.split("\r\n")) == sorted(
        ["l", "plain", "étiquette", "2024-02-29", '"with ""quotes"", a comma\nand a line break"',
         "ünïcødé 🚀 <b>&amp;", ""])
    r = _get(here, "SELECT ?o { <urn:s> <urn:p> ex:o }")
    assert (r.status_code, r.json()["error"]) == (400, "bad_query")
    assert _get(here, f"ASK {{ {S} a <urn:C> }}").json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize("query", NEAR_MISSES)
def test_near_misses_go_to_a_worker(here, there, query):
    before = here.stats()["local_answers"]
    a, b = _get(here, query, "application/sparql-results+json"), _get(there, query, "application/sparql-results+json")
    _same(a, b)
    assert here.stats()["local_answers"] == before


def test_a_range_over_the_bound_goes_to_a_worker(bounded, there):
    for query, quads, local in ((f"SELECT ?o {{ {S} <urn:p> ?o }}", 3, 1),       # the bound is inclusive
                                ("SELECT ?o { <urn:big> <urn:p> ?o }", 4, 0),
                                (f"ASK {{ {S} ?p ?o }}", 11, 0)):
        before = bounded.stats()["local_answers"]
        a, b = _get(bounded, query, "text/csv"), _get(there, query, "text/csv")
        _same(a, b)
        assert bounded.stats()["local_answers"] == before + local
        if query.startswith("SELECT"):
            assert a.status_code == 200 and len(a.text.split("\r\n")) == quads + 2


def test_a_query_with_a_dataset_goes_to_a_worker(here, there):
    query = f"SELECT ?o {{ {S} <urn:p> ?o }}"
    for params in ({"default-graph-uri": "urn:g1"}, {"named-graph-uri": "urn:g2"}):
        before = here.stats()["local_answers"]
        a, b = _get(here, query, "text/csv", **params), _get(there, query, "text/csv", **params)
        _same(a, b)
        assert here.stats()["local_answers"] == before
    assert _get(here, query, "text/csv", **{"default-graph-uri": "urn:g1"}).text == \
        "o\r\nurn:o1\r\nurn:o2\r\n"


def test_a_query_naming_its_dataset_runs_on_it(there):
    count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ ?s ?p ?o }}"
    # without one, the default graph is the union of the named graphs, read graph by graph (Oxigraph):
    # the triple stated in two graphs is counted twice there (DISTINCT counts it once)
    for dataset, n in (("", 1015), ("FROM <urn:g1>", 11), ("FROM <urn:g2>", 4), ("FROM <urn:nothing>", 0),
                       ("FROM <urn:g1> FROM <urn:g2>", 15),          # read graph by graph, as the union
                       ("FROM NAMED <urn:g1>", 0)):                   # named graphs only: an empty default graph
        assert _get(there, count.format(dataset), "text/csv").text == f"n\r\n{n}\r\n", dataset
    named = "SELECT ?g (COUNT(*) AS ?n) FROM NAMED <urn:g2> WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    assert _get(there, named, "text/csv").text == "g,n\r\nurn:g2,4\r\n"
    # the protocol's dataset overrides the query's, and a graph given twice is counted once
    twice = [("query", count.format("FROM <urn:g2>")), ("default-graph-uri", "urn:g1"), ("default-graph-uri", "urn:g1")]
    assert httpx.get(there.url + "/sparql", params=twice, headers={"accept": "text/csv"}, timeout=20).text == \
        "n\r\n11\r\n"


def _posts(srv, query: str) -> tuple[httpx.Response, httpx.Response]:
    direct = httpx.post(srv.url + "/query", content=query, timeout=20,
                        headers={"content-type": "application/sparql-query", "accept": "text/tab-separated-values"})
    return direct, httpx.post(srv.url + "/sparql", data={"query": query}, timeout=20)


def test_a_post_is_answered_here_too(here, there):
    query = f"SELECT ?o {{ {S} <urn:p> ?o }}"
    before = here.stats()["local_answers"]
    for a, b in zip(_posts(here, query), _posts(there, query)):
        assert a.status_code == 200
        _same(a, b)
    assert here.stats()["local_answers"] == before + 2


CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"


def test_cheap_queries_are_answered_while_every_worker_is_busy(store):
    with LiveServer(settings(store, timeout_s=3.0, workers=1, max_queue=1)) as srv:
        slow = [threading.Thread(target=httpx.post, args=(srv.url + "/sparql",),
                                 kwargs={"content": CROSS, "timeout": 30,
                                         "headers": {"content-type": "application/sparql-query"}})
                for _ in range(2)]
        slow[0].start()
        assert wait_until(lambda: srv.stats()["busy"] == 1)
        slow[1].start()
        assert wait_until(lambda: srv.stats()["waiting"] == 1)
        started = time.monotonic()
        r = _get(srv, f"ASK {{ {S} a <urn:C> }}")
        assert (r.status_code, r.json()) == (200, {"head": {}, "boolean": True})
        assert time.monotonic() - started < 1.0
        r = _get(srv, "ASK { ?s a <urn:C> }")
        assert (r.status_code, r.json()["error"], r.headers["retry-after"]) == (503, "busy", "1")
        for t in slow:
            t.join()


def _publish(store, number: int) -> None:
    marker = ox.Quad(ox.NamedNode("urn:m"), ox.NamedNode("urn:v"), ox.Literal(str(number)), ox.NamedNode("urn:marker"))
    write_generation(store, f"gen-{number:06d}", quads=[marker])


def test_reload_switches_the_servers_own_view_too(tmp_path):
    store = tmp_path / "store"
    _publish(store, 1)
    query = "SELECT ?v WHERE { <urn:m> <urn:v> ?v }"
    with LiveServer(settings(store, timeout_s=10)) as srv:
        assert srv.stats()["local"] == "gen-000001"
        seen: list[str] = []
        stop = threading.Event()

        def reader() -> None:
            with httpx.Client() as client:
                while not stop.is_set():
                    r = client.get(srv.url + "/sparql", params={"query": query}, headers={"accept": "text/csv"})
                    seen.append(r.text)

        thread = threading.Thread(target=reader)
        thread.start()
        time.sleep(0.3)
        before = srv.stats()["local_answers"]
        _publish(store, 2)
        switched = wait_until(lambda: seen and seen[-1] == "v\r\n2\r\n", timeout=10)
        stop.set()
        thread.join()
        assert switched
        first_new = seen.index("v\r\n2\r\n")
        assert first_new > 0
        assert seen == ["v\r\n1\r\n"] * first_new + ["v\r\n2\r\n"] * (len(seen) - first_new)
        assert srv.stats()["local"] == srv.stats()["generation"] == "gen-000002"
        assert srv.stats()["local_answers"] > before
