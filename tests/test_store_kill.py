"""kill -9 during a build never harms the published store: the previous generation keeps answering.

A build runs in a subprocess and is stopped with SIGKILL at fixed points (the build waits there when
BUKAMAL_TEST_PAUSE names the point: half-way through the bulk load, just before CURRENT is replaced,
just after), and at a series of moments with no pause at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loader import store as stores
from loader.build import build

from test_evidence import edit

LABEL_QUERY = "SELECT ?label WHERE { <https://w3id.org/bukamal-kg/id/israel> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
OLD, NEW = [("Israel",)], [("State of Israel",)]


def labels(store_dir: Path) -> list[tuple[str, ...]]:
    store = stores.open_read_only(store_dir)
    return [tuple(t.value for t in row) for row in stores.query(store, LABEL_QUERY)]


def start_build(root: Path, store_dir: Path, pause: str | None = None, marker: Path | None = None,
                *options: str):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    env.pop("BUKAMAL_TEST_PAUSE", None)
    if pause:
        env.update(BUKAMAL_TEST_PAUSE=pause, BUKAMAL_TEST_PAUSE_FILE=str(marker))
    return subprocess.Popen([sys.executable, "-c", "from loader.cli import main; main()", "build", "--root", str(root),
                             "--store", str(store_dir), *options], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(proc, marker: Path) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the build never reached the pause point"
        time.sleep(0.05)


@pytest.fixture
def built(mini, tmp_path):
    """The mini project built once (label "Israel"), then edited so the next build says "State of Israel"."""
    store_dir = tmp_path / "store"
    build(mini, store_dir)
    assert labels(store_dir) == OLD
    edit(mini / "triples" / "shared.ttl", 'rdfs:label "Israel"@en', 'rdfs:label "State of Israel"@en')
    return mini, store_dir


@pytest.mark.parametrize("point,after_kill,after_rebuild", [
    ("load", OLD, ["CURRENT", "LOCK", "gen-000001", "gen-000002"]),
    ("before-publish", OLD, ["CURRENT", "LOCK", "gen-000001", "gen-000003"]),
    ("after-publish", NEW, ["CURRENT", "LOCK", "gen-000001", "gen-000002"]),
])
def test_sigkill_at_each_point_of_the_load(built, tmp_path, point, after_kill, after_rebuild):
    root, store_dir = built
    marker = tmp_path / "paused"
    proc = start_build(root, store_dir, point, marker)
    wait_for(proc, marker)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    proc.stderr.close()
    assert labels(store_dir) == after_kill                    # the store answers, old or new, never broken
    build(root, store_dir)                                    # the next build cleans up and publishes
    assert labels(store_dir) == NEW
    assert sorted(p.name for p in store_dir.iterdir()) == after_rebuild


def test_sigkill_while_an_old_generation_is_deleted_leaves_nothing_behind(built, tmp_path):
    """The third build deletes the first generation; killed half-way, the next build removes the rest."""
    root, store_dir = built
    build(root, store_dir)                                    # gen-000002 (NEW)
    marker = tmp_path / "paused"
    proc = start_build(root, store_dir, "pruning", marker, "--force")
    wait_for(proc, marker)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert labels(store_dir) == NEW
    names = sorted(p.name for p in store_dir.iterdir())
    assert names[0].startswith(".build-") and names[1:] == ["CURRENT", "LOCK", "gen-000002", "gen-000003"]
    build(root, store_dir, force=True)
    assert sorted(p.name for p in store_dir.iterdir()) == ["CURRENT", "LOCK", "gen-000003", "gen-000004"]


def test_ctrl_c_while_publishing_is_held_back_and_the_build_completes(built, tmp_path):
    """SIGINT once the new generation is in place: the build finishes (exit 0) and says so, rather than
    reporting "interrupted" about a store that has already changed."""
    root, store_dir = built
    marker = tmp_path / "paused"
    proc = start_build(root, store_dir, "after-publish", marker)
    wait_for(proc, marker)
    os.kill(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    marker.unlink()
    assert proc.wait(timeout=60) == 0
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert "warning: Ctrl-C came while gen-000002 was being published; the build had finished, so it is" \
           " published" in err
    assert labels(store_dir) == NEW
    assert sorted(p.name for p in store_dir.iterdir()) == ["CURRENT", "LOCK", "gen-000001", "gen-000002"]


def test_sigkill_at_any_moment_leaves_a_working_store(built):
    root, store_dir = built
    for delay in (0.2, 0.6, 1.0, 1.4, 1.8, 2.4):
        proc = start_build(root, store_dir)
        time.sleep(delay)
        proc.kill()
        proc.wait()
        proc.stderr.close()
        rows = labels(store_dir)
        assert rows in (OLD, NEW)
    build(root, store_dir)
    assert labels(store_dir) == NEW
    assert not list(store_dir.glob(".build-*"))


def test_a_reader_of_the_previous_generation_keeps_working(built):
    root, store_dir = built
    reader = stores.open_read_only(store_dir)                 # gen-000001, as a server worker would hold it
    build(root, store_dir)                                    # publishes gen-000002, keeps gen-000001
    assert [tuple(t.value for t in r) for r in stores.query(reader, LABEL_QUERY)] == OLD
    assert labels(store_dir) == NEW
