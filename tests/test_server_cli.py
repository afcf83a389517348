"""``bukamal serve``: prints the URL, serves, refuses unsafe settings, stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest

from server_support import DATA, TOKEN, wait_until, write_generation

SERVE = "import sys; from loader.cli import main; main(['serve', *sys.argv[1:]], prog_name='bukamal')"


def start(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SERVE, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) in (0, -signal.SIGTERM)


@pytest.fixture()
def store(tmp_path):
    path = tmp_path / "store"
    write_generation(path, "gen-000001", trig=DATA / "store.trig")
    return path


def test_serve_prints_the_url_and_answers(store):
    proc = start("--store", str(store), "--port", "0", "--workers", "1", "--timeout-s", "5",
                 "--queries-dir", str(DATA / "queries"))
    try:
        line = proc.stdout.readline()
        url = line.split(" at ")[1].split("/ ")[0]
        assert url.startswith("http://127.0.0.1:")
        assert line == f"bukamal: serving the query page at {url}/ (SPARQL endpoint {url}/sparql)\n"
        assert wait_until(lambda: httpx.get(url + "/sparql", params={"query": "ASK {}"}).status_code == 200)
        assert [q["name"] for q in httpx.get(url + "/queries").json()] == ["facilities", "labels", "parts"]
        r = httpx.post(url + "/update", headers={"content-type": "application/sparql-update"}, content="DROP ALL")
        assert (r.status_code, r.json()["error"]) == (403, "read_only")
    finally:
        stop(proc)


def test_allow_update_without_a_token_is_refused(store, monkeypatch):
    monkeypatch.delenv("BUKAMAL_UPDATE_TOKEN", raising=False)
    proc = start("--store", str(store), "--port", "0", "--allow-update")
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (2, "")
    assert err == "error: --allow-update needs a bearer token: set $BUKAMAL_UPDATE_TOKEN or give --token-file\n"


def test_a_port_in_use_is_a_usage_error(store):
    from loader.server.sockets import bind

    sock = bind("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        proc = start("--store", str(store), "--port", str(port))
        out, err = proc.communicate(timeout=30)
        assert (proc.returncode, out) == (2, "")
        assert err == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    finally:
        sock.close()


def test_allow_update_with_a_token_file(store, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    proc = start("--store", str(store), "--port", "0", "--workers", "1", "--allow-update",
                 "--token-file", str(token_file))
    try:
        url = proc.stdout.readline().split(" at ")[1].split("/ ")[0]
        update = {"content-type": "application/sparql-update"}
        r = httpx.post(url + "/update", headers=update, content="CLEAR SILENT GRAPH <urn:g>")
        assert (r.status_code, r.headers["www-authenticate"]) == (401, 'Bearer realm="bukamal-kg"')
        r = httpx.post(url + "/update", headers={**update, "authorization": f"Bearer {TOKEN}"},
                       content="CLEAR SILENT GRAPH <urn:g>")
        assert r.status_code == 204
    finally:
        stop(proc)


@pytest.mark.parametrize("value,message", [
    ("nan", "'nan' is not a finite number."),
    ("inf", "inf is not in the range 0.1<=x<=86400.0."),
    ("0", "0.0 is not in the range 0.1<=x<=86400.0."),
])
def test_a_timeout_that_is_not_a_finite_number_of_seconds_is_refused(store, value, message):
    proc = start("--store", str(store), "--port", "0", "--timeout-s", value)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (2, "")
    assert err.splitlines()[-1] == f"Error: Invalid value for '--timeout-s': {message}"
