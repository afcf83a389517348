"""A real ``oxigraph serve`` on 127.0.0.1 (a free port, a tmp folder) as the remote SPARQL service.

The ``oxigraph`` command comes with the ``oxigraph`` PyPI package (a test dependency) in the same
environment as this Python. The tests start, kill and restart it themselves.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph

from loader.export import selected_quads
from loader.remote import RemoteConfig, RemoteStore
from loader.remote_push import push
from loader.store import current_manifest, open_read_only

DATA = Path(__file__).resolve().parent / "data" / "remote"


def oxigraph_command() -> str:
    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.exists() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("the `oxigraph` command is missing: pip install oxigraph (a test dependency)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OxigraphServer:
    """``oxigraph serve --location DIR --bind 127.0.0.1:PORT``; ``kill()`` and ``start()`` again keep DIR."""

    def __init__(self, location: Path, *, timeout_s: int = 10) -> None:
        self.location = Path(location)
        self.port = free_port()
        self.timeout_s = timeout_s
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    def config(self, **kw) -> RemoteConfig:
        return RemoteConfig.from_options(self.query_url, environ={}, **kw)

    def store(self, **kw) -> RemoteStore:
        return RemoteStore(self.config(**kw))

    def start(self) -> OxigraphServer:
        self.proc = subprocess.Popen(
            [oxigraph_command(), "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}",
             "--timeout-s", str(self.timeout_s)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"oxigraph serve exited with {self.proc.returncode}")
            try:
                if httpx.get(self.base + "/", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("oxigraph serve did not start")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def push_generation(store: RemoteStore, store_dir: Path):
    """Push the current generation of a local store folder (its quads and manifest) to ``store``."""
    local = open_read_only(store_dir)
    return push(store, local.quads_for_pattern(None, None, None, None), current_manifest(store_dir) or {})


def graph_names(store: RemoteStore) -> list[str]:
    """Every named graph on the remote (META and staged ones included), sorted."""
    rows = store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
    return sorted(r["g"].value for r in rows)


def quads_of(store) -> list[str]:
    """Every quad of the project's graphs, as sorted N-Quads lines (blank nodes by label)."""
    return sorted(str(q) for q in selected_quads(store, "all"))


def trig_quads(name: str) -> list[pyoxigraph.Quad]:
    return list(pyoxigraph.parse(path=str(DATA / name), format=pyoxigraph.RdfFormat.TRIG))
