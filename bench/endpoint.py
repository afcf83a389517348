"""Endpoint throughput and latency under bounded concurrent load on 127.0.0.1: ``bukamal serve``
(guards, worker processes and hard timeouts on; two front processes, as Oxigraph's server uses every
core) against ``oxigraph serve-read-only`` on a copy of the same store generation, for a point lookup
and a medium join.

The load generator is a small asyncio HTTP/1.1 client (keep-alive, one connection per client) in its
own process: ``clients`` connections each send ``requests`` GETs one after the other (a client stops
early if the round has lasted a minute). A round is preceded by a warm-up round of 10 requests per
client. Both servers are up for the whole measurement and their rounds alternate (see :func:`measure`).
Reported per server and query: the median
over the rounds of requests per second (successful answers / wall time) and of the p50 and p99
latency, the non-200 answers, and the peak resident memory of the server (with its workers).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from .common import OUT, in_child, percentile

BIN = Path(sys.executable).parent
BK = "https://w3id.org/bukamal-kg/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def queries(store_dir: str) -> dict[str, str]:
    """The two queries: the label of the actor with most parts; the operations at the place with most
    operations, with their label, earliest date and agents' labels (about 80 rows at 1 M triples)."""
    from loader.store import open_read_only

    from .queries_bench import pick_actor, pick_place

    store = open_read_only(Path(store_dir))
    actor, _ = pick_actor(store)
    place = pick_place(store)
    del store
    return {
        "point lookup": f"SELECT ?label WHERE {{ <{actor}> <{RDFS}label> ?label }}",
        "medium join": (
            f"SELECT DISTINCT ?op ?label ?earliest ?agent ?agentLabel WHERE {{ ?op <{BK}hasPlace> <{place}> ; "
            f"<{RDFS}label> ?label ; <{BK}hasTime> ?t . ?t <{BK}earliest> ?earliest . "
            f"OPTIONAL {{ ?op <{BK}hasAgent> ?agent . ?agent <{RDFS}label> ?agentLabel }} }} "
            f"ORDER BY ?earliest ?op ?agent"),
    }


# ------------------------------------------------------------------------------------------- client
async def _one_client(host: str, port: int, request: bytes, n: int, latencies: list, errors: list,
                      stop_at: float) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(n):
            if time.perf_counter() > stop_at:         # a bound on the round, whatever the server does
                break
            t = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            status = int(status_line.split(b" ", 2)[1])
            length, chunked, close = None, False, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                key, _, value = line.decode("latin-1").partition(":")
                key, value = key.strip().lower(), value.strip().lower()
                if key == "content-length":
                    length = int(value)
                elif key == "transfer-encoding" and "chunked" in value:
                    chunked = True
                elif key == "connection" and value == "close":
                    close = True
            if chunked:
                while True:
                    size = int((await reader.readline()).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length is not None:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            if status != 200:
                errors.append(status)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def _load(host: str, port: int, query: str, clients: int, requests: int, max_s: float = 60.0) -> dict:
    path = "/query?" + urllib.parse.urlencode({"query": query})
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               "Accept: application/sparql-results+json\r\n\r\n").encode()

    async def main(n: int):
        latencies, errors = [], []
        t0 = time.perf_counter()
        await asyncio.gather(*(_one_client(host, port, request, n, latencies, errors, t0 + max_s)
                               for _ in range(clients)))
        return time.perf_counter() - t0, latencies, errors

    asyncio.run(main(10))                                  # warm-up
    wall, latencies, errors = asyncio.run(main(requests))
    latencies.sort()
    ok = len(latencies) - len(errors)
    return {"seconds": wall, "requests": len(latencies), "errors": len(errors), "rps": ok / wall,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


# ------------------------------------------------------------------------------------------- servers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, ()))
    return out


def peak_rss_mb(pid: int) -> int:
    """Sum of the peak resident memory (VmHWM) of a process and its descendants, MiB."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total // 1024


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    req = b"GET /query?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(req)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer within a minute")


def start_bukamal(store_dir: str, workers: int, max_queue: int,
                  fronts: int = 1) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen([str(BIN / "bukamal"), "serve", "--store", store_dir, "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers), "--max-queue", str(max_queue),
                             "--fronts", str(fronts)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    _wait_ready(port, proc)
    return proc, port


def start_oxigraph(store_dir: str) -> tuple[subprocess.Popen, int, Path]:
    from loader.store import current_path

    copy = OUT / "oxigraph-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(current_path(Path(store_dir)), copy)
    port = _free_port()
    proc = subprocess.Popen([str(BIN / "oxigraph"), "serve-read-only", "--location", str(copy),
                             "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    _wait_ready(port, proc)
    return proc, port, copy


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server (and its workers: it leads its own process group), SIGKILL after 10 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def measure(store_dir: str, runs: int, clients: int = 32, requests: int = 100, workers: int = 2,
            max_queue: int = 64, fronts: int = 2) -> dict:
    """Both servers run side by side (the idle one costs nothing); each round loads one then the other,
    in alternating order, so a slow patch of the machine weighs on both alike."""
    qs = queries(store_dir)
    out: dict = {"clients": clients, "requests_per_client": requests, "queries": qs,
                 "bukamal_options": f"--fronts {fronts} --workers {workers} --max-queue {max_queue}"
                                   " (timeout 30 s, guards on)",
                 "rounds": "alternating (bukamal first in odd rounds, oxigraph first in even ones)",
                 "results": {}}
    procs: dict[str, subprocess.Popen] = {}
    ports: dict[str, int] = {}
    copy = None
    try:
        procs["bukamal"], ports["bukamal"] = start_bukamal(store_dir, workers, max_queue, fronts)
        procs["oxigraph"], ports["oxigraph"], copy = start_oxigraph(store_dir)
        rounds: dict = {(name, server): [] for name in qs for server in procs}
        for n in range(runs):
            order = ("bukamal", "oxigraph") if n % 2 == 0 else ("oxigraph", "bukamal")
            for name, text in qs.items():
                for server in order:
                    rounds[name, server].append(in_child(_load, "127.0.0.1", ports[server], text, clients, requests))
        for (name, server), rs in rounds.items():
            med = lambda k: round(sorted(r[k] for r in rs)[len(rs) // 2], 3)  # noqa: E731
            out["results"].setdefault(name, {})[server] = {
                "rps": med("rps"), "p50_ms": med("p50_ms"), "p99_ms": med("p99_ms"),
                "errors": sum(r["errors"] for r in rs), "runs_rps": [round(r["rps"]) for r in rs],
                "client_peak_mb": max(r["peak_mb"] for r in rs),
                "server_peak_mb": peak_rss_mb(procs[server].pid)}
    finally:
        for proc in procs.values():
            stop(proc)
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)
    for name, r in out["results"].items():
        r["rps_ratio"] = round(r["bukamal"]["rps"] / r["oxigraph"]["rps"], 3)
        r["p99_ratio"] = round(r["bukamal"]["p99_ms"] / r["oxigraph"]["p99_ms"], 3)
    return out
