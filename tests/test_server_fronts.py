"""``serve --fronts N``: N front processes on one port, each with its own workers; deadlines and worker
kills as with one front; SIGHUP reaches every front; a front that dies is replaced; SIGTERM stops
everything; writes need a single front."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from server_support import DATA, TOKEN, publish_marked, read_until, wait_until

SERVE = """
import sys
from pathlib import Path
from loader.server import fronts
from loader.server.run import serve
from loader.server.settings import Settings
fronts.MIN_LIFETIME_S = float(sys.argv[3])
if sys.argv[4] == "broken":
    import loader.server.app
    def broken(settings):
        raise RuntimeError("this application cannot start")
    loader.server.app.create_app = broken
serve(Settings(store_dir=Path(sys.argv[1]), workers=1, fronts=int(sys.argv[2]), timeout_s=1.0,
               reload_interval_s=3600), "127.0.0.1", 0, announce=lambda line: print(line, flush=True))
"""
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
MARKER = "SELECT ?v WHERE { <urn:m> <urn:v> ?v }"


def publish(store: Path, number: int) -> None:
    publish_marked(store, number, 1000)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z")


def marker(url: str) -> str:
    """The marker, on a new connection each time (each may go to another front)."""
    r = httpx.get(url + "/sparql", params={"query": MARKER}, headers={"accept": "text/csv"}, timeout=10)
    return r.text if r.status_code == 200 else str(r.status_code)


class Served:
    def __init__(self, store: Path, fronts: int = 2, min_lifetime_s: float = 1.0, mode: str = "ok") -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, str(store), str(fronts), str(min_lifetime_s), mode],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.line = self.proc.stdout.readline()
        self.url = self.line.split(" at ")[1].split("/ ")[0] if " at " in self.line else ""

    def fronts(self) -> list[int]:
        return children(self.proc.pid)

    def workers(self) -> list[int]:
        return sorted(w for f in self.fronts() for w in children(f))

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


@pytest.fixture()
def store(tmp_path):
    path = tmp_path / "store"
    publish(path, 1)
    return path


def test_fronts_share_the_port_and_stop_together(store):
    srv = Served(store)
    try:
        assert srv.line == f"bukamal: serving the query page at {srv.url}/ (SPARQL endpoint {srv.url}/sparql;" \
                           " 2 front processes)\n"
        assert wait_until(lambda: len(srv.fronts()) == 2 and len(srv.workers()) == 2, timeout=20)
        assert all(len(children(f)) == 1 for f in srv.fronts())        # each front has its own worker
        assert [marker(srv.url) for _ in range(20)] == ["v\r\n1\r\n"] * 20
        everything = srv.fronts() + srv.workers()
    finally:
        status = srv.stop()
    assert status == 0
    assert wait_until(lambda: not any(alive(p) for p in everything), timeout=10)


def tcp_inodes(port: int, state: str) -> list[str]:
    """The socket inodes of the kernel's TCP table entries on local ``port`` in ``state`` ("01"
    established, "0A" listening)."""
    inodes = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.append(fields[9])
    return inodes


def established(pid: int, port: int) -> int:
    """How many connections to ``port`` the process ``pid`` holds (its socket descriptors, matched
    against the kernel's table of established TCP connections)."""
    inodes = set(tcp_inodes(port, "01"))
    links = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            pass
    return sum(link.startswith("socket:[") and link[8:-1] in inodes for link in links)


def test_connections_are_spread_over_the_fronts(store):
    srv = Served(store)
    clients: list[socket.socket] = []
    try:
        assert wait_until(lambda: len(srv.fronts()) == 2 and len(srv.workers()) == 2, timeout=20)
        port = int(srv.url.rsplit(":", 1)[1])
        for _ in range(24):            # a burst: all connected (by the kernel) before a front accepts one
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        request = f"GET /sparql?query={quote(MARKER)} HTTP/1.1\r\nhost: x\r\naccept: text/csv\r\n\r\n".encode()
        for client in clients:
            client.sendall(request)
        for client in clients:
            assert read_until(client, b"v\r\n1\r\n").startswith(b"HTTP/1.1 200 ")
        held = [established(f, port) for f in srv.fronts()]
        assert sum(held) == 24
        assert min(held) >= 1        # the kernel hashes each connection to a front's socket: 2 x 2**-24 to fail
    finally:
        for client in clients:
            client.close()
        srv.stop()


def test_a_port_held_by_fronts_is_refused_to_another_server(store):
    from loader.server.sockets import bind, bind_fronts

    srv = Served(store)
    try:
        assert wait_until(lambda: len(srv.fronts()) == 2, timeout=20)
        port = int(srv.url.rsplit(":", 1)[1])
        with pytest.raises(OSError) as plain:
            bind("127.0.0.1", port)
        with pytest.raises(OSError) as group:
            bind_fronts("127.0.0.1", port, 2)      # would otherwise join the group and take half the clients
        assert plain.value.errno == group.value.errno == errno.EADDRINUSE
        assert marker(srv.url) == "v\r\n1\r\n"
    finally:
        srv.stop()


def test_a_deadline_still_kills_the_worker(store):
    srv = Served(store)
    try:
        assert wait_until(lambda: len(srv.workers()) == 2, timeout=20)
        before = set(srv.workers())
        started = time.monotonic()
        r = httpx.post(srv.url + "/sparql", content=CROSS, headers={"content-type": "application/sparql-query"},
                       timeout=30)
        elapsed = time.monotonic() - started
        assert (r.status_code, r.json()["error"]) == (503, "timeout")
        assert 0.95 <= elapsed <= 2.0
        assert wait_until(lambda: len(before - set(srv.workers())) == 1 and len(srv.workers()) == 2, timeout=10)
        assert marker(srv.url) == "v\r\n1\r\n"
    finally:
        srv.stop()


def test_sighup_reloads_every_front(store):
    srv = Served(store)
    try:
        assert wait_until(lambda: marker(srv.url) == "v\r\n1\r\n", timeout=20)
        publish(store, 2)
        time.sleep(0.5)
        assert {marker(srv.url) for _ in range(10)} == {"v\r\n1\r\n"}    # no watcher at this interval
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: {marker(srv.url) for _ in range(10)} == {"v\r\n2\r\n"}, timeout=10)
    finally:
        srv.stop()


def test_a_front_that_dies_is_replaced(store):
    srv = Served(store)
    try:
        assert wait_until(lambda: len(srv.fronts()) == 2 and len(srv.workers()) == 2, timeout=20)
        time.sleep(1.0)                                           # past MIN_LIFETIME_S
        victim = srv.fronts()[0]
        its_worker = children(victim)
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: victim not in srv.fronts() and len(srv.fronts()) == 2, timeout=10)
        assert wait_until(lambda: not any(alive(p) for p in its_worker), timeout=10)   # died with its front
        assert wait_until(lambda: len(srv.workers()) == 2, timeout=20)
        assert [marker(srv.url) for _ in range(10)] == ["v\r\n1\r\n"] * 10
    finally:
        srv.stop()


def test_fronts_that_cannot_start_stop_the_server(store):
    started = time.monotonic()
    srv = Served(store, min_lifetime_s=30.0, mode="broken")
    out, err = srv.proc.communicate(timeout=60)
    assert srv.proc.returncode == 1
    assert time.monotonic() - started < 10
    assert "RuntimeError: this application cannot start" in err
    assert "a front process could not start (exit status 1); stopping the server" in err
    assert "the front processes could not be kept running (see the messages above)" in err


def test_writes_need_a_single_front(store, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    proc = subprocess.run([sys.executable, "-c", "from loader.cli import main; main(prog_name='bukamal')", "serve",
                           "--store", str(store), "--port", "0", "--fronts", "2", "--allow-update",
                           "--token-file", str(token_file), "--queries-dir", str(DATA / "queries")],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("error: --allow-update needs a single front process (--fronts 1): a write must be"
                           " visible to the next query, whichever front answers it\n")


def test_a_front_killed_soon_after_it_started_is_replaced(store):
    """Only a front that exits by itself at start-up stops the server; one killed by a signal (an
    operator, the OOM killer) is replaced, however young."""
    srv = Served(store, min_lifetime_s=30.0)
    try:
        assert wait_until(lambda: len(srv.fronts()) == 2 and len(srv.workers()) == 2, timeout=20)
        for _ in range(2):                          # the front, then its young replacement
            victim = srv.fronts()[0]
            os.kill(victim, signal.SIGKILL)
            assert wait_until(lambda: victim not in srv.fronts() and len(srv.fronts()) == 2, timeout=10)
        assert srv.proc.poll() is None
        assert wait_until(lambda: marker(srv.url) == "v\r\n1\r\n", timeout=20)
    finally:
        assert srv.stop() == 0


def serve_cli(store: Path, fronts: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from loader.entry import run; run()", "serve", "--store",
                             str(store), "--port", "0", "--fronts", str(fronts)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("fronts", [1, 2])
def test_sighup_while_starting_never_stops_the_server(store, fronts):
    proc = serve_cli(store, fronts)
    try:
        line = proc.stdout.readline()                # printed once the port is bound, before the fronts run
        proc.send_signal(signal.SIGHUP)
        url = line.split(" at ")[1].split("/ ")[0]
        assert wait_until(lambda: marker(url) == "v\r\n1\r\n", timeout=20)
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert proc.poll() is None and marker(url) == "v\r\n1\r\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        # one front: uvicorn stops, then ends by the signal it caught; several: the supervisor exits 0
        assert proc.wait(timeout=30) == (-signal.SIGTERM if fronts == 1 else 0)


@pytest.mark.parametrize("fronts", [1, 2])
def test_ctrl_c_says_interrupted_with_status_130(store, fronts):
    proc = serve_cli(store, fronts)
    url = proc.stdout.readline().split(" at ")[1].split("/ ")[0]
    assert wait_until(lambda: marker(url) == "v\r\n1\r\n", timeout=20)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    assert proc.stderr.read().splitlines()[-1] == "interrupted"


def test_two_servers_binding_at_the_same_instant_both_refuse(monkeypatch):
    """The probe cannot see a server that binds between it and the fronts' sockets: the check after
    binding does (simulated: a foreign SO_REUSEPORT listener appears as the first front socket binds)."""
    from loader.server import sockets

    foreign: list[socket.socket] = []
    real_bind = sockets.bind

    def racing_bind(host, port, *, reuse_port=False):
        sock = real_bind(host, port, reuse_port=reuse_port)
        if not foreign:
            foreign.append(real_bind(host, sock.getsockname()[1], reuse_port=True))
        return sock

    monkeypatch.setattr(sockets, "bind", racing_bind)
    try:
        with pytest.raises(OSError) as err:
            sockets.bind_fronts("127.0.0.1", free_port(), 2)
        assert err.value.errno == errno.EADDRINUSE
        port = foreign[0].getsockname()[1]
        assert len(tcp_inodes(port, "0A")) == 1     # ours are closed: only the foreign one is left
    finally:
        for sock in foreign:
            sock.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
