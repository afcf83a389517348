"""Helpers for the server tests: tiny store generations, and a real uvicorn on 127.0.0.1 (free port)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pyoxigraph

from loader.server.run import make_server, run_server
from loader.server.sockets import base_url, bind
from loader.server.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "server"
TOKEN = "test-token-0123456789abcdef"
BIG = "https://w3id.org/bukamal-kg/graph/big"
P = "urn:test:p"


def write_generation(store_dir: Path, name: str, *, trig: Path | None = None, quads=(),
                     publish: bool = True) -> Path:
    """Build ``store_dir/name`` (an Oxigraph store) from a TriG file and/or quads; publish it."""
    store_dir.mkdir(parents=True, exist_ok=True)
    path = store_dir / name
    store = pyoxigraph.Store(str(path))
    if trig is not None:
        store.load(path=str(trig), format=pyoxigraph.RdfFormat.TRIG)
    store.extend(list(quads))
    store.flush()
    del store
    if publish:
        tmp = store_dir / "CURRENT.tmp"
        tmp.write_text(name + "\n", encoding="utf-8")
        os.replace(tmp, store_dir / "CURRENT")
    return path


def fixture_store(tmp_path_factory, name: str) -> Path:
    """A fresh store folder holding the small server fixture graph as its one generation."""
    store = tmp_path_factory.mktemp(name) / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    return store


def publish_marked(store_dir: Path, number: int, chain_length: int) -> str:
    """Generation ``gen-NUMBER``: ``<urn:m> <urn:v> "NUMBER"`` in graph ``<urn:marker>`` (which generation
    answers) and a chain of ``chain_length`` triples (work for slow queries). Returns its name."""
    name = f"gen-{number:06d}"
    marker = pyoxigraph.Quad(pyoxigraph.NamedNode("urn:m"), pyoxigraph.NamedNode("urn:v"),
                             pyoxigraph.Literal(str(number)), pyoxigraph.NamedNode("urn:marker"))
    write_generation(store_dir, name, quads=[marker] + chain(chain_length))
    return name


def chain(n: int) -> list[pyoxigraph.Quad]:
    """``<urn:n0> <urn:test:p> <urn:n1> ... <urn:n{n}>`` in the graph ``BIG``: food for slow queries."""
    g, p = pyoxigraph.NamedNode(BIG), pyoxigraph.NamedNode(P)
    return [pyoxigraph.Quad(pyoxigraph.NamedNode(f"urn:n{i}"), p, pyoxigraph.NamedNode(f"urn:n{i + 1}"), g)
            for i in range(n)]


class LiveServer:
    """``with LiveServer(settings) as srv: httpx.get(srv.url + "/sparql")`` — uvicorn in a thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server = make_server(settings)
        self.sock = bind("127.0.0.1", 0)
        self.url = base_url(self.sock)
        self.thread = threading.Thread(target=self._run, daemon=True, name="uvicorn-test")

    def _run(self) -> None:
        run_server(self.server, self.sock)

    @property
    def app(self):
        return self.server.config.app

    def stats(self) -> dict:
        return self.app.state.pool.stats()

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.sock.close()


def settings(store_dir: Path, **kw) -> Settings:
    defaults = dict(timeout_s=5.0, workers=2, queries_dir=DATA / "queries", reload_interval_s=0.2)
    defaults.update(kw)
    return Settings(store_dir=store_dir, **defaults)


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def raw_get(base: str, target: str, headers: dict[str, str] | None = None, host: str | None = None) -> tuple[int, bytes]:
    """Send ``GET target`` exactly as written (no client-side normalisation; ``host`` as the Host
    header if given); (status, body)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc if host is None else host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def read_until(sock, suffix: bytes) -> bytes:
    """What ``sock`` sends until it ends with ``suffix`` (an answer cut short fails the test)."""
    answer = b""
    while not answer.endswith(suffix):
        chunk = sock.recv(4096)
        assert chunk, answer
        answer += chunk
    return answer
