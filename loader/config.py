"""Where things are. Read inside functions (never at import time) so tests and users can redirect them."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The project folder: ``$BUKAMAL_ROOT`` if set, else the checkout that contains this package."""
    env = os.environ.get("BUKAMAL_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parent.parent


def default_store_dir() -> Path:
    """The store folder: ``$BUKAMAL_STORE`` if set, else ``store/`` in the project folder."""
    env = os.environ.get("BUKAMAL_STORE")
    return Path(env).resolve() if env else project_root() / "store"


def corpus_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "corpus"


def ontology_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "ontology"


def triples_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "triples"


def queries_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "queries"
