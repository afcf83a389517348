"""The embedded store on disk: generations and the pointer that names the current one.

Layout of a store folder::

    store/
      gen-000001/      an Oxigraph store (complete, never modified after it is published)
      gen-000002/        ... with bukamal-manifest.json inside: input hash, counts, prefixes, timings
      CURRENT          one line: the folder name of the current generation
      LOCK             held (flock) by a running build

A build writes a new store into a hidden ``.build-*`` folder, closes it, fsyncs it, renames it to the
next free ``gen-N`` (claimed with an atomic ``mkdir``), then publishes it by writing ``CURRENT.tmp``,
fsyncing it and renaming it over ``CURRENT`` (an atomic rename). Readers resolve ``CURRENT`` each time
they open the store, so a reader sees either the old or the new generation, never a half-built one. A
crash or ``kill -9`` at any moment leaves ``CURRENT`` naming a complete generation; the next build
removes the leftover ``.build-*`` folder. After publishing, generations older than the previous one
are deleted (the previous one stays, for readers that still have it open).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph

from .errors import QueryError, StoreBusy, StoreError
from .functions import unknown_function
from .sparqltext import (ENGINE_POSITION, blank, element_count, has_dataset_clause, literal_free_views,
                         longest_bang_chain, nesting_depth, prefix_message, uses_service)

POINTER = "CURRENT"
WRITE_MADE_BY = "bukamal serve (write)"     # "made_by" in the manifest of a generation a server write made
GEN_PREFIX = "gen-"
MANIFEST = "bukamal-manifest.json"
LOCK = "LOCK"
BUILD_PREFIX = ".build-"
_LEFTOVER_RE = re.compile(r"^\.build-(?:server-)?\d+-\d+(?:-\d+\.[a-z]+)?$")   # a build's, a server write's
_GEN_RE = re.compile(re.escape(GEN_PREFIX) + r"(\d+)$")
# Test-only fault injection: BUKAMAL_TEST_PAUSE=<point> makes the build create the file named by
# BUKAMAL_TEST_PAUSE_FILE at that point and then wait there (until killed); see tests/test_store_kill.py.
PAUSE_POINTS = ("load", "before-publish", "after-publish", "pruning")


def _not_a_store_folder(store_dir: Path) -> str | None:
    """Why ``store_dir`` must not be used as a store folder: it is a generation, or some other Oxigraph
    (RocksDB) data folder, whose own ``CURRENT`` and ``LOCK`` files a build would overwrite."""
    store_dir = Path(store_dir)
    if (store_dir / MANIFEST).is_file():
        return f"{store_dir} is a store generation, not a store folder: pass the folder that holds it ({store_dir.parent})"
    try:
        names = {p.name for p in store_dir.iterdir()} if store_dir.is_dir() else set()
    except OSError:
        return None                      # the callers' own reads give the precise error
    if "IDENTITY" in names or any(n.startswith(("MANIFEST-", "OPTIONS-")) or n.endswith(".sst") for n in names):
        return (f"{store_dir} is an Oxigraph (RocksDB) data folder, not a bukamal store folder; choose an empty"
                " or new folder (a bukamal store folder holds gen-N generations and a CURRENT pointer)")
    return None


def check_store_folder(store_dir: Path) -> None:
    """:class:`StoreError` if ``store_dir`` is a generation or another Oxigraph data folder."""
    if (why := _not_a_store_folder(store_dir)) is not None:
        raise StoreError(why)


def current_path(store_dir: Path) -> Path:
    """Folder of the current generation; :class:`StoreError` if nothing has been built yet."""
    check_store_folder(store_dir)
    pointer = Path(store_dir) / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise StoreError("no store has been built yet: run `bukamal build` first", file=str(store_dir)) from None
    except UnicodeDecodeError:
        raise StoreError(f"the store pointer {POINTER} is corrupt (not UTF-8 text); run `bukamal build` to"
                         " publish a new generation", file=str(store_dir)) from None
    except OSError as exc:               # a folder in its place, no permission, an I/O error
        raise StoreError(f"cannot read the store pointer {POINTER}: {exc.strerror or exc}",
                         file=str(store_dir)) from None
    if not _GEN_RE.match(name):
        raise StoreError(f"the store pointer {POINTER} is corrupt ({name[:80]!r}); run `bukamal build` to"
                         " publish a new generation", file=str(store_dir))
    path = Path(store_dir) / name
    if not path.is_dir():
        raise StoreError(f"the store pointer names a missing generation ({name})")
    return path


def open_read_only(store_dir: Path) -> pyoxigraph.Store:
    """Open the current generation read-only (many readers may do so at once)."""
    return open_generation(current_path(store_dir))


def open_generation(path: Path) -> pyoxigraph.Store:
    """Open the generation folder ``path`` read-only; :class:`StoreError` naming what is wrong, without
    the engine's text (it names files by their full path, which a server must not show)."""
    path = Path(path)
    try:
        return pyoxigraph.Store.read_only(str(path))
    except (OSError, RuntimeError) as exc:   # RuntimeError: RocksDB's "Corruption: ..."
        kind = str(exc).split(":", 1)[0] if ":" in str(exc) else "error"
        what = "its files are damaged" if isinstance(exc, RuntimeError) else "a file is missing or unreadable"
        raise StoreError(f"cannot open the store generation {path.name}: {what} ({kind});"
                         " build it again with `bukamal build --force`") from None


MAX_QUERY_DEPTH = 256
MAX_QUERY_ELEMENTS = 10_000     # operators, UNION/OPTIONAL/..., triple separators (sparqltext.element_count)


def check_text(text: str, *, file: str | None = None) -> None:
    """What :func:`query` refuses before the engine sees the text (:class:`QueryError`): ``SERVICE``,
    nesting past :data:`MAX_QUERY_DEPTH`, chains past :data:`MAX_QUERY_ELEMENTS`."""
    code = blank(text)
    if uses_service(code, text):
        raise QueryError("SERVICE (federated query) is not allowed: queries run on the project's own store",
                         file=file)
    views = literal_free_views(text)
    depth = max(max(nesting_depth(v), longest_bang_chain(v)) for v in views)
    if depth > MAX_QUERY_DEPTH:
        raise QueryError(f"the query nests (or chains '!') {depth} levels deep; at most {MAX_QUERY_DEPTH}"
                         " are accepted", file=file)
    if len(text) > MAX_QUERY_ELEMENTS and (count := element_count(text)) > MAX_QUERY_ELEMENTS:
        raise QueryError(f"the query strings together {count:,} operators, group patterns or triples; at"
                         f" most {MAX_QUERY_ELEMENTS:,} are accepted", file=file)


def query(store: pyoxigraph.Store, text: str, *, file: str | None = None, **options):
    """Run SPARQL on ``store`` with the default graph as the union of all graphs.

    A syntax error becomes a :class:`QueryError` with ``file:line:column``; ``options`` go to
    ``Store.query`` (``substitutions``, ``custom_functions``, ...). ``SERVICE`` is refused: the project
    queries its own graph, and a federated call would reach any URL from the user's machine. So is text
    nested (``( { [``, or chained ``!``) more than :data:`MAX_QUERY_DEPTH` levels deep: the engine's
    parser recurses per level and a few thousand levels overflow the process's stack (a crash, not an
    error). So is text stringing together more than :data:`MAX_QUERY_ELEMENTS` operators, group
    patterns or triples (``1+1+...``, ``{} UNION {} ...``): the engine's tree is as deep as the chain.
    """
    check_text(text, file=file)
    try:
        return store.query(text, use_default_graph_as_union=not has_dataset_clause(text), **options)
    except SyntaxError as exc:
        msg = exc.msg or str(exc)
        m = ENGINE_POSITION.match(msg)
        prefixes = prefix_message(msg, text, options.get("prefixes") or ())
        if prefixes is not None:
            plain, line, column = prefixes
            raise QueryError(f"invalid SPARQL: {plain}", file=file or "query", line=line, column=column) from None
        if len(msg) > 300:                   # pyoxigraph lists every token it expected
            msg = msg[:300].rstrip() + " …"
        if m:
            raise QueryError(f"invalid SPARQL: {msg[m.end():]}", file=file or "query",
                             line=int(m.group(1)), column=int(m.group(2))) from None
        raise QueryError(f"invalid SPARQL: {msg}", file=file) from None
    except OSError as exc:
        raise StoreError(f"the store failed while running the query: {exc}") from None
    except RuntimeError as exc:
        if unknown_function(exc):
            raise QueryError(f"the query calls a function the project does not offer: {exc}", file=file) from None
        raise


def read_manifest(generation: Path) -> dict | None:
    """The build manifest recorded in a generation, or None (not written by a build, or unreadable)."""
    try:
        data = json.loads((Path(generation) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generation") != Path(generation).name:
        return None          # copied from another generation (e.g. by a server update): not this one's
    return data


def current_manifest(store_dir: Path) -> dict | None:
    """Manifest of the current generation; None if there is no store or it has no manifest."""
    try:
        return read_manifest(current_path(store_dir))
    except StoreError:
        return None


def generations(store_dir: Path) -> list[tuple[int, Path]]:
    store_dir = Path(store_dir)
    if not store_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in store_dir.iterdir() if (m := _GEN_RE.match(p.name)) and p.is_dir()]
    return sorted(found)


@contextmanager
def build_lock(store_dir: Path) -> Iterator[None]:
    """Exclusive lock for one build at a time (released by the kernel if the process dies). A
    generation or another Oxigraph data folder is refused first: its own files would be overwritten."""
    store_dir = Path(store_dir)
    check_store_folder(store_dir)
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
        fh = open(store_dir / LOCK, "a+")
    except OSError as exc:
        raise StoreError(f"cannot create the store folder {store_dir}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusy(f"another build, or a write through the server, is running on {store_dir} (it"
                             f" holds {LOCK}); try again when it is done") from None
        yield
    finally:
        fh.close()


def clean_leftovers(store_dir: Path) -> list[str]:
    """Remove half-built ``.build-*`` folders of killed builds (call with the build lock held)."""
    removed = []
    for p in sorted(Path(store_dir).glob(BUILD_PREFIX + "*")):
        if not _LEFTOVER_RE.match(p.name):
            continue                  # not a name a build or a server write gives (.build-[server-]PID-NS[-N.ext])
        # the loading process of a killed build dies with it, but may finish its last write meanwhile
        for _ in range(40):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            if not p.exists():
                break
            time.sleep(0.05)
        removed.append(p.name)
    for p in Path(store_dir).glob(POINTER + ".tmp"):
        p.unlink(missing_ok=True)
    return removed


def _pause(point: str) -> None:
    """For the tests: wait at ``point`` (named by ``$BUKAMAL_TEST_PAUSE``) after creating the file
    ``$BUKAMAL_TEST_PAUSE_FILE``, until that file is deleted (or the process is killed)."""
    if os.environ.get("BUKAMAL_TEST_PAUSE") == point:
        marker = Path(os.environ["BUKAMAL_TEST_PAUSE_FILE"])
        marker.write_text(point, encoding="utf-8")
        while marker.exists():
            time.sleep(0.05)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GenerationWriter:
    """A new, hidden generation folder of ``store_dir``, written by a child process
    (:mod:`loader.bulkload`) on another core while the build's other stages run.

    ``start(root=R)`` has the child parse and load the project's files itself (from the start of the
    build, on another core), ``start(quads)`` gives it quads through an N-Quads file; ``add(quads,
    texts)`` queues more (documents without blank nodes are loaded by Oxigraph straight from a file,
    since a store renames the blank nodes of what it parses; triples with blank nodes go as quads);
    ``finish(files)`` waits for the child, checks it parsed the same bytes (``files``: relative path ->
    SHA-256, as :class:`loader.parse.ParsedFile` records them), fsyncs the folder and returns it, ready
    for :func:`publish`.
    ``discard()`` stops the child and deletes the folder and its input files. A failure while writing
    becomes a :class:`StoreError` (the folder is deleted)."""

    def __init__(self, store_dir: Path) -> None:
        self.target = Path(store_dir) / f"{BUILD_PREFIX}{os.getpid()}-{time.time_ns()}"
        self._inputs: list[Path] = []
        self._child: subprocess.Popen | None = None

    def _file(self, suffix: str) -> Path:
        path = self.target.with_name(f"{self.target.name}-{len(self._inputs)}{suffix}")
        self._inputs.append(path)
        return path

    def _send(self, job: dict) -> None:
        if self._child is None:
            raise StoreError("cannot write the new store: the loading process has already finished")
        try:
            self._child.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
            self._child.stdin.flush()
        except OSError:                      # the child died: its exit status and stderr say why
            self._wait()
            raise StoreError("cannot write the new store: the loading process stopped") from None

    def start(self, quads: Iterable[pyoxigraph.Quad] = (), *, root: Path | None = None) -> None:
        try:
            self._child = subprocess.Popen(
                child_argv("loader.bulkload", str(self.target)), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=dict(child_env(), BUKAMAL_BUILD_PID=str(os.getpid())))
        except OSError as exc:
            self._fail(exc)
        if root is not None:
            self._send({"op": "project", "root": str(root)})
        self.add(quads)

    def add(self, quads: Iterable[pyoxigraph.Quad] = (),
            texts: Iterable[tuple[bytes, pyoxigraph.RdfFormat, pyoxigraph.NamedNode]] = ()) -> None:
        """Queue ``quads`` and documents (data, format N-Triples or Turtle, graph) without blank nodes."""
        names = {pyoxigraph.RdfFormat.N_TRIPLES: "ntriples", pyoxigraph.RdfFormat.TURTLE: "turtle"}
        try:
            jobs = []
            for data, fmt, graph in texts:
                path = self._file(".txt")
                path.write_bytes(data)
                jobs.append({"op": "load", "path": str(path), "format": names[fmt], "graph": graph.value})
            path = self._file(".nq")
            pyoxigraph.serialize(quads, output=str(path), format=pyoxigraph.RdfFormat.N_QUADS)
            jobs.append({"op": "load", "path": str(path), "format": "nquads"})
        except OSError as exc:
            self._fail(exc)
        for job in jobs:
            self._send(job)

    def finish(self, files: dict[str, str] | None = None) -> Path:
        """Wait for the child to write and flush everything; fsync the folder; return it."""
        _pause("load")
        self._send({"op": "done"})
        report = self._wait()
        if files is not None and report.get("files") != files:
            changed = sorted(k for k in set(files) | set(report.get("files", {}))
                             if files.get(k) != report.get("files", {}).get(k))
            self.discard()
            raise StoreError("an input file changed while the build read it, build again: " + ", ".join(changed))
        try:
            _fsync_tree(self.target)
        except OSError as exc:
            self._fail(exc)
        return self.target

    def _wait(self) -> dict:
        """Wait for the child to exit; its report (the JSON it wrote), or :class:`StoreError`."""
        if self._child is None:
            return {}
        child, self._child = self._child, None
        out, err = child.communicate()
        self._remove_inputs()
        if child.returncode != 0:
            detail = err.decode("utf-8", "replace").strip() or f"the loading process exited with {child.returncode}"
            self._fail(OSError(detail))
        try:
            return json.loads(out or b"{}")
        except ValueError:
            self._fail(OSError(f"the loading process wrote {out[:200]!r}"))

    def discard(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.communicate()
            self._child = None
        shutil.rmtree(self.target, ignore_errors=True)
        self._remove_inputs()

    def _remove_inputs(self) -> None:
        for path in self._inputs:
            path.unlink(missing_ok=True)

    def _fail(self, exc: OSError):
        self.discard()
        raise StoreError(f"cannot write the new store: {exc}") from None


def child_argv(module: str, *args: str) -> list[str]:
    """The command line of a child process running ``module`` of this package. ``-P``: the child's
    working directory is not put on its path, so a ``loader`` folder there is never run instead."""
    return [sys.executable, "-P", "-m", module, *args]


def child_env(*, limited: bool = False) -> dict[str, str]:
    """The environment for a child process (a build's loader, a server's workers): this ``loader``
    package first on its path. A ``limited`` child (a query worker or writer under an address-space
    limit) gets at most two malloc arenas (``MALLOC_ARENA_MAX``, unless set already): glibc reserves 64 MiB
    of address space per arena, which made an idle worker's size vary between 0.5 and 1.1 GiB, so that
    a limit of 1 GiB failed some workers before they ran anything."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if limited:
        env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def publish(store_dir: Path, built: Path, manifest: dict) -> tuple[str, str | None]:
    """Make ``built`` the next generation and point ``CURRENT`` at it; returns (new, previous) names.

    The manifest is written into the generation (with its name) before the pointer moves.
    """
    store_dir = Path(store_dir)
    try:
        previous = current_path(store_dir).name
    except StoreError:
        previous = None
    pointer = store_dir / POINTER
    if pointer.exists() and not pointer.is_file():     # the pointer could never be replaced
        raise StoreError(f"the store pointer {POINTER} is not a file (a folder?); remove it and build again"
                         " (the generations beside it are kept)", file=str(store_dir))
    target, pointed = None, False
    try:
        while True:
            number = max((n for n, _ in generations(store_dir)), default=0) + 1
            target = store_dir / f"{GEN_PREFIX}{number:06d}"
            try:
                target.mkdir()                # claim the name (a concurrent server update does the same)
            except FileExistsError:
                continue
            os.rename(built, target)          # replaces the empty folder just claimed
            break
        body = dict(manifest, generation=target.name)
        with open(target / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=1, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(target)
        _fsync_dir(store_dir)
        _pause("before-publish")
        tmp = store_dir / (POINTER + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(target.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, pointer)
        pointed = True
        _fsync_dir(store_dir)
    except OSError as exc:
        if target is not None and not pointed and target.exists():
            shutil.rmtree(target, ignore_errors=True)    # never pointed at: nothing may use it
        raise StoreError(f"cannot publish the new store generation: {exc}") from None
    _pause("after-publish")
    return target.name, previous


def _is_store_folder(path: Path) -> bool:
    """Whether ``path`` holds an Oxigraph (RocksDB) store: a folder named like a generation that does not
    is someone else's, and is left alone."""
    return (path / "IDENTITY").is_file() or any(path.glob("MANIFEST-*"))


def prune(store_dir: Path, keep: set[str]) -> list[str]:
    """Delete generations older than the newest kept one, except those in ``keep`` and folders that
    are not stores."""
    gens = generations(store_dir)
    kept_numbers = [n for n, p in gens if p.name in keep]
    if not kept_numbers:
        return []
    newest = max(kept_numbers)
    removed = []
    for n, p in gens:
        if n < newest and p.name not in keep and _is_store_folder(p):
            # renamed first to a leftover's name: a deletion stopped half-way (kill -9) leaves a folder
            # the next build removes (clean_leftovers), not a generation without its database files
            doomed = p.with_name(f"{BUILD_PREFIX}{os.getpid()}-{time.time_ns()}")
            try:
                os.rename(p, doomed)
            except OSError:
                continue                          # kept; the next prune tries again
            _pause("pruning")
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(p.name)
    return removed


@contextmanager
def interrupts_held():
    """Hold Ctrl-C (SIGINT) back while a new generation is published and old ones are deleted: stopped
    there, a build would report "interrupted" with the store already changed. Yields a list that
    receives the signal numbers that came meanwhile. Only the main thread can do this; elsewhere (a
    server's writer) it holds nothing back."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)
