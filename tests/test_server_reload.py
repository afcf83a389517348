"""Reload without downtime: a new generation published via store/CURRENT is picked up (by watching it,
or at once on SIGHUP); readers never see an error or an empty store during the switch; queries already
running finish on the old generation; a broken generation is never switched to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from server_support import LiveServer, publish_marked, settings, wait_until

MARKER = "SELECT ?v WHERE { GRAPH <urn:marker> { <urn:m> <urn:v> ?v } }"
SLOW_MARKER = ("SELECT ?v (COUNT(*) AS ?n) WHERE { GRAPH <urn:marker> { <urn:m> <urn:v> ?v } "
               "GRAPH ?g { ?a <urn:test:p> ?b . ?c <urn:test:p> ?d FILTER(STR(?a) < STR(?c)) } } GROUP BY ?v")
CHAIN = 600         # the slow query below then takes about 1.5 s


def publish(store: Path, number: int) -> str:
    return publish_marked(store, number, CHAIN)


def marker(url: str) -> tuple[int, list[str]]:
    r = httpx.get(url + "/sparql", params={"query": MARKER}, timeout=20)
    if r.status_code != 200:
        return r.status_code, []
    return 200, [b["v"]["value"] for b in r.json()["results"]["bindings"]]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture()
def store(tmp_path):
    path = tmp_path / "store"
    publish(path, 1)
    return path


def test_switch_under_load_never_shows_an_error_or_an_empty_store(store):
    with LiveServer(settings(store, timeout_s=10)) as srv:
        old_pids = srv.stats()["pids"]
        seen: dict[int, list[tuple[int, list[str]]]] = {0: [], 1: []}
        stop = threading.Event()

        def reader(i: int) -> None:
            while not stop.is_set():
                seen[i].append(marker(srv.url))

        threads = [threading.Thread(target=reader, args=(i,)) for i in seen]
        for t in threads:
            t.start()
        time.sleep(0.5)
        publish(store, 2)
        switched = wait_until(lambda: all(r and r[-1] == (200, ["2"]) for r in seen.values()), timeout=10)
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
        assert switched
        for answers in seen.values():
            assert set(map(repr, answers)) <= {repr((200, ["1"])), repr((200, ["2"]))}
            values = [a[1][0] for a in answers]
            first_new = values.index("2")
            assert values[:first_new] == ["1"] * first_new and values[first_new:] == ["2"] * (len(values) - first_new)
            assert first_new > 0
        assert srv.stats()["generation"] == "gen-000002"
        assert wait_until(lambda: not any(_alive(p) for p in old_pids), timeout=5)


def test_a_running_query_finishes_on_the_old_generation(store):
    with LiveServer(settings(store, timeout_s=10)) as srv:
        result = {}

        def slow() -> None:
            r = httpx.post(srv.url + "/sparql", content=SLOW_MARKER, timeout=20,
                           headers={"content-type": "application/sparql-query"})
            result["answer"] = (r.status_code, [(b["v"]["value"], b["n"]["value"])
                                                for b in r.json()["results"]["bindings"]])

        thread = threading.Thread(target=slow)
        thread.start()
        assert wait_until(lambda: srv.stats()["busy"] == 1)
        publish(store, 3)
        assert wait_until(lambda: srv.stats()["generation"] == "gen-000003", timeout=10)
        assert marker(srv.url) == (200, ["3"])
        still_running = thread.is_alive()
        thread.join()
        assert still_running
        assert result["answer"] == (200, [("1", str(CHAIN * (CHAIN - 1) // 2))])


def test_a_broken_generation_is_not_switched_to(store):
    with LiveServer(settings(store, timeout_s=5)) as srv:
        (store / "gen-000007").mkdir()
        (store / "gen-000007" / "junk").write_text("not a store")
        (store / "CURRENT").write_text("gen-000007\n")
        time.sleep(1.0)                           # several watch intervals
        assert srv.stats()["generation"] == "gen-000001"
        assert marker(srv.url) == (200, ["1"])
        (store / "CURRENT").write_text("gen-000099\n")     # names a missing folder
        time.sleep(0.6)
        assert marker(srv.url) == (200, ["1"])
        (store / "CURRENT").write_bytes(b"\xff\xfe")          # not text: the watcher goes on watching
        time.sleep(0.6)
        assert marker(srv.url) == (200, ["1"])
        publish(store, 8)
        assert wait_until(lambda: marker(srv.url) == (200, ["8"]), timeout=10)


def test_no_store_yet_is_503_then_served_once_built(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    with LiveServer(settings(store, timeout_s=5)) as srv:
        r = httpx.get(srv.url + "/sparql", params={"query": "ASK {}"})
        assert (r.status_code, r.headers["retry-after"], r.json()) == (503, "5", {
            "error": "store_unavailable", "message": "no store has been built yet: run `bukamal build` first"})
        sd = httpx.get(srv.url + "/sparql")                 # the service description needs no store
        assert sd.status_code == 200
        publish(store, 1)
        assert wait_until(lambda: marker(srv.url) == (200, ["1"]), timeout=10)


SERVE = """
import sys
from pathlib import Path
from loader.server.run import serve
from loader.server.settings import Settings
serve(Settings(store_dir=Path(sys.argv[1]), workers=1, reload_interval_s=3600), "127.0.0.1", 0,
      announce=lambda line: print(line, flush=True))
"""


def test_sighup_reloads_at_once(store):
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(store)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split(" at ")[1].split("/ ")[0]
        assert line == f"bukamal: serving the query page at {url}/ (SPARQL endpoint {url}/sparql)\n"
        assert wait_until(lambda: marker(url) == (200, ["1"]), timeout=15)
        publish(store, 2)
        time.sleep(0.5)
        assert marker(url) == (200, ["1"])           # no watcher at this interval: still the old one
        proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: marker(url) == (200, ["2"]), timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert proc.wait(timeout=15) in (0, -signal.SIGTERM)
    assert wait_until(lambda: not _workers_on(store), timeout=5)


def _workers_on(store: Path) -> list[int]:
    """Worker processes still running on a generation of ``store``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"loader.server.worker_main" in cmdline and any(str(store).encode() in a for a in cmdline):
                pids.append(int(entry.name))
    return pids


def test_a_real_build_is_picked_up_without_downtime(mini, tmp_path):
    from loader.build import build

    store = tmp_path / "store"
    assert build(mini, store).generation == "gen-000001"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with LiveServer(settings(store, timeout_s=10)) as srv:
        def ask() -> tuple[int, str | None]:
            r = httpx.get(srv.url + "/sparql", params={"query": count}, timeout=20)
            return r.status_code, (r.json()["results"]["bindings"][0]["n"]["value"] if r.status_code == 200 else None)

        first = ask()
        assert first[0] == 200 and int(first[1]) > 0
        answers: list[tuple[int, str | None]] = []
        stop = threading.Event()

        def reader() -> None:
            while not stop.is_set():
                answers.append(ask())

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            for expected in ("gen-000002", "gen-000003"):
                assert build(mini, store, force=True).generation == expected
                assert wait_until(lambda: srv.stats()["generation"] == expected, timeout=10)
        finally:
            stop.set()
            thread.join()
        assert len(answers) > 10
        assert set(answers) == {first}          # every answer complete: never an error, never empty
        assert sorted(p.name for p in store.glob("gen-*")) == ["gen-000002", "gen-000003"]
