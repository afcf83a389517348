"""Hard timeouts: every query shape is stopped at its deadline (503 + JSON within deadline + 1 s), the
worker that ran it is killed and replaced, a client that leaves frees its worker, a full queue is 503."""

from __future__ import annotations

import os
import threading
import time

import httpx
import pytest

from server_support import DATA, P, LiveServer, chain, read_until, settings, wait_until, write_generation

TIMEOUT_S = 1.0
ONE_TIMEOUT_S = 4.0      # the one-worker server: long enough to see a freed worker early
Q = {"content-type": "application/sparql-query"}
CROSS = "?a ?p ?b . ?c ?q ?d . ?e ?r ?f"      # 1,000^3 combinations over the chain
PATH = f"(<{P}>|^<{P}>)+"
# filters over all three variables cannot be pushed below the join
NONE = 'FILTER(CONTAINS(CONCAT(STR(?a), STR(?c), STR(?f)), "zzz"))'
SOME = 'FILTER(STRENDS(CONCAT(STR(?a), STR(?c), STR(?f)), "000"))'

SHAPES = {
    "aggregate": f"SELECT (COUNT(*) AS ?n) WHERE {{ {CROSS} }}",
    "order-by": f"SELECT ?a ?c WHERE {{ {CROSS} {NONE} }} ORDER BY ?a ?c",
    # rows come out all the time (one combination in a thousand): a streaming SELECT
    "streaming-select": f"SELECT ?a ?c ?e WHERE {{ {CROSS} {SOME} }}",
    "construct": f"CONSTRUCT {{ ?a <urn:x> ?e }} WHERE {{ {CROSS} {SOME} }}",
    "describe": f"DESCRIBE ?a WHERE {{ {CROSS} {SOME} }}",
    "ask": f"ASK {{ {CROSS} {NONE} }}",
    "property-path": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?x {PATH} ?y . ?y {PATH} ?z }}",
}
ACCEPTS = {
    "streaming-select": ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"],
    "construct": ["text/turtle", "application/rdf+xml", "application/ld+json"],
}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _store(tmp_path_factory, name: str):
    store = tmp_path_factory.mktemp(name) / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig", quads=chain(1000))
    return store


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LiveServer(settings(_store(tmp_path_factory, "timeouts"), timeout_s=TIMEOUT_S)) as srv:
        yield srv


def still_answers(srv) -> None:
    r = httpx.get(srv.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert (r.status_code, r.json()) == (200, {"head": {}, "boolean": True})


CASES = [(shape, accept) for shape in SHAPES for accept in ACCEPTS.get(shape, [None])]


@pytest.mark.parametrize("shape, accept", CASES, ids=[f"{s}-{a or 'default'}" for s, a in CASES])
def test_every_shape_times_out_with_503(server, shape, accept):
    assert wait_until(lambda: server.stats()["idle"] == server.settings.workers)
    before = set(server.stats()["pids"])
    headers = dict(Q, **({"accept": accept} if accept else {}))
    started = time.monotonic()
    r = httpx.post(server.url + "/sparql", headers=headers, content=SHAPES[shape], timeout=30)
    elapsed = time.monotonic() - started
    assert r.status_code == 503, r.text[:300]
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"] == "timeout"
    assert TIMEOUT_S - 0.05 <= elapsed <= TIMEOUT_S + 1.0
    # the worker that ran it is dead, and a fresh one takes its place
    killed = before - set(server.stats()["pids"])
    assert len(killed) == 1
    assert wait_until(lambda: all(_gone(pid) for pid in killed), timeout=3)
    assert wait_until(lambda: len(server.stats()["pids"]) == server.settings.workers, timeout=5)
    still_answers(server)


@pytest.fixture()
def one_worker_server(tmp_path_factory):
    with LiveServer(settings(_store(tmp_path_factory, "one"), timeout_s=ONE_TIMEOUT_S, workers=1,
                             max_queue=1)) as srv:
        yield srv


def test_a_client_that_leaves_frees_its_worker(one_worker_server):
    srv = one_worker_server
    assert wait_until(lambda: srv.stats()["idle"] == 1)
    (pid,) = srv.stats()["pids"]
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(srv.url + "/sparql", headers=Q, content=SHAPES["aggregate"], timeout=0.5)
    # the only worker was killed when the client went away, not at the deadline
    assert wait_until(lambda: _gone(pid), timeout=2)
    started = time.monotonic()
    still_answers(srv)
    assert time.monotonic() - started < 2.0
    assert srv.stats()["pids"] != [pid]


def test_a_full_queue_is_503_with_retry_after(one_worker_server):
    srv = one_worker_server
    assert wait_until(lambda: srv.stats()["idle"] == 1)
    results: dict[str, tuple[int, float]] = {}

    def slow(name: str) -> None:
        started = time.monotonic()
        r = httpx.post(srv.url + "/sparql", headers=Q, content=SHAPES["aggregate"], timeout=30)
        results[name] = (r.status_code, time.monotonic() - started, r.json()["error"])

    first = threading.Thread(target=slow, args=("running",))
    first.start()
    assert wait_until(lambda: srv.stats()["busy"] == 1)
    second = threading.Thread(target=slow, args=("queued",))
    second.start()
    assert wait_until(lambda: srv.stats()["waiting"] == 1)
    started = time.monotonic()
    r = httpx.post(srv.url + "/sparql", headers=Q, content="ASK {}", timeout=30)
    assert time.monotonic() - started < 0.5
    assert (r.status_code, r.headers["retry-after"], r.json()["error"]) == (503, "1", "busy")
    first.join()
    second.join()
    # the running query was stopped at its deadline; the queued one spent its whole deadline waiting
    assert results["running"][0] == 503 and results["running"][2] == "timeout"
    assert results["queued"][0] == 503 and results["queued"][2] == "timeout"
    assert ONE_TIMEOUT_S - 0.05 <= results["queued"][1] <= ONE_TIMEOUT_S + 1
    still_answers(srv)


def test_a_query_past_the_memory_limit_kills_only_its_worker(tmp_path_factory):
    store = _store(tmp_path_factory, "memory")
    with LiveServer(settings(store, timeout_s=20, worker_memory_mb=256)) as srv:
        before = set(srv.stats()["pids"])
        started = time.monotonic()
        r = httpx.post(srv.url + "/sparql", headers=Q, timeout=30,
                       content=f"SELECT ?a ?c ?e WHERE {{ {CROSS} }} ORDER BY ?a ?c ?e")   # 10^9 rows, sorted
        assert (r.status_code, r.json()["error"]) == (500, "engine_crashed")
        assert time.monotonic() - started < 15
        still_answers(srv)
        assert len(before - set(srv.stats()["pids"])) == 1


def test_a_request_whose_headers_never_end_is_closed(tmp_path, monkeypatch):
    import socket

    from loader.server import connection

    monkeypatch.setattr(connection, "HEADER_TIMEOUT_S", 0.5)
    store = tmp_path / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    with LiveServer(settings(store)) as srv:
        host, port = srv.sock.getsockname()[:2]
        for first in (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n", b""):   # half the headers; nothing
            with socket.create_connection((host, port), timeout=5) as s:
                s.sendall(first)
                t0 = time.monotonic()
                assert s.recv(100) == b""                    # closed by the server, no answer
                assert 0.3 < time.monotonic() - t0 < 3
        # a request that completes in time is answered, and the connection stays usable
        with socket.create_connection((host, port), timeout=5) as s:
            for _ in range(2):
                s.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_until(s, b'"boolean":true}').startswith(b"HTTP/1.1 200")
                time.sleep(0.7)                              # longer than the header deadline, between requests


def test_what_is_not_http_gets_a_json_400(tmp_path):
    import socket

    store = tmp_path / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    with LiveServer(settings(store)) as srv:
        host, port = srv.sock.getsockname()[:2]
        for request in (b"NOT HTTP AT ALL\r\n\r\n", b"GET /sparql?query=" + b"A" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
            with socket.create_connection((host, port), timeout=5) as s:
                s.sendall(request)
                answer = b""
                while chunk := s.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
            assert b"content-type: application/json" in head and b"x-content-type-options: nosniff" in head
            assert body == (b'{"error": "bad_request", "message": "the request is not valid HTTP/1.1, or its request'
                            b' line or a header is too long (send a long query with POST)"}')


@pytest.mark.parametrize("victims", [1, 2])
def test_workers_killed_while_idle_are_replaced_and_no_request_fails(tmp_path_factory, victims):
    store = _store(tmp_path_factory, f"idle-kill-{victims}")
    with LiveServer(settings(store, timeout_s=10)) as srv:
        assert wait_until(lambda: len(srv.stats()["pids"]) == 2 and srv.stats()["idle"] == 2)
        before = srv.stats()["pids"]
        for pid in before[:victims]:
            os.kill(pid, 9)
        assert wait_until(lambda: all(_gone(pid) for pid in before[:victims]))
        answers = [httpx.get(srv.url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                             headers={"accept": "text/csv"}, timeout=15) for _ in range(4)]
        assert [(r.status_code, r.text) for r in answers] == [(200, "n\r\n1013\r\n")] * 4
        assert wait_until(lambda: len(srv.stats()["pids"]) == 2 and srv.stats()["idle"] == 2)
        after = srv.stats()["pids"]
        assert len(set(after) - set(before)) == victims and not set(after) & set(before[:victims])


def test_workers_that_cannot_open_a_damaged_generation_give_503_at_once_and_retry_later(
        tmp_path_factory, caplog, monkeypatch):
    """The generation's files damaged under a running server, then every worker killed: the replacements
    cannot open it, so a request is told why at once (not at its deadline); a new try comes every
    RETRY_S (not at every tick), and once the files are back the workers are too."""
    from loader.server import workers

    monkeypatch.setattr(workers, "RETRY_S", 1.0)
    store = _store(tmp_path_factory, "damaged")
    pointer = store / "gen-000001" / "CURRENT"              # RocksDB's own pointer file
    with LiveServer(settings(store, timeout_s=10)) as srv:
        assert wait_until(lambda: len(srv.stats()["pids"]) == 2 and srv.stats()["idle"] == 2)
        good = pointer.read_bytes()
        pointer.write_text("garbage", encoding="utf-8")
        before = srv.stats()["pids"]
        for pid in before:
            os.kill(pid, 9)
        assert wait_until(lambda: all(_gone(pid) for pid in before))

        def failures() -> int:
            return sum("could not start a replacement worker" in r.getMessage() for r in caplog.records)

        assert wait_until(lambda: failures() >= 2 and srv.stats()["starting"] == 0)
        started = time.monotonic()
        r = httpx.get(srv.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=15)
        assert time.monotonic() - started < 3
        assert (r.status_code, r.json()) == (503, {
            "error": "store_unavailable",
            "message": "cannot open the store generation gen-000001: its files are damaged (Corruption); build it"
                       " again with `bukamal build --force`"})
        time.sleep(2.5)                                     # about two more tries of 2 workers, not hundreds
        assert 4 <= failures() <= 10
        pointer.write_bytes(good)
        assert wait_until(lambda: srv.stats()["idle"] == 2, timeout=10)
        r = httpx.get(srv.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"},
                      headers={"accept": "text/csv"}, timeout=15)
        assert (r.status_code, r.text) == (200, "true")             # a boolean as text/csv
