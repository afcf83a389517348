"""The embedded store on disk: generations and the pointer that names the current one.

Layout of a store folder::

    store/
      gen-000001/      an Oxigraph store (complete, never modified after it is published)
      gen-000002/
      CURRENT          one line: the folder name of the current generation

A build writes a new ``gen-N`` folder, closes it, then publishes it by writing ``CURRENT.tmp``,
fsyncing it and renaming it over ``CURRENT`` (an atomic rename). Readers resolve ``CURRENT`` each time
they open the store, so a reader sees either the old or the new generation, never a half-built one.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph

from .errors import StoreError

POINTER = "CURRENT"
GEN_PREFIX = "gen-"


def current_path(store_dir: Path) -> Path:
    """Folder of the current generation; :class:`StoreError` if nothing has been built yet."""
    pointer = Path(store_dir) / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise StoreError("no store has been built yet: run `bukamal build` first") from None
    if not name.startswith(GEN_PREFIX) or "/" in name or "\\" in name:
        raise StoreError(f"the store pointer {POINTER} is corrupt ({name!r})")
    path = Path(store_dir) / name
    if not path.is_dir():
        raise StoreError(f"the store pointer names a missing generation ({name})")
    return path


def open_read_only(store_dir: Path) -> pyoxigraph.Store:
    """Open the current generation read-only (many readers may do so at once)."""
    path = current_path(store_dir)
    try:
        return pyoxigraph.Store.read_only(str(path))
    except OSError as exc:
        raise StoreError(f"cannot open the store generation {path.name}: {exc}") from None
