"""Shared fixtures: the miniature project under tests/data/mini, copied or built into tmp folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from loader.build import build
from loader.cli import main

DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the miniature project (ontology/, corpus/, triples/)."""
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    return root


@pytest.fixture(scope="session")
def mini_store(tmp_path_factory) -> Path:
    """The miniature project built once into a store folder (read it, do not change it)."""
    store_dir = tmp_path_factory.mktemp("mini-store")
    build(MINI, store_dir)
    return store_dir


@pytest.fixture
def cli():
    """Run ``bukamal ARGS...`` in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    return run


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def real_store_dir(tmp_path_factory) -> Path:
    """The real project (ontology/, corpus/, triples/) built once per session into a store folder."""
    store_dir = tmp_path_factory.mktemp("real-store")
    build(ROOT, store_dir, force=True)
    return store_dir


@pytest.fixture(scope="session")
def real_store(real_store_dir):
    """The real graph, read-only: full build (parse, evidence, SHACL, reasoning, grades)."""
    from loader.store import open_read_only
    return open_read_only(real_store_dir)
