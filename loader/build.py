"""``build``: from the project's files to a new, published store generation, in five stages.

    1 parse     ontology/, corpus/metadata.ttl, triples/ with pyoxigraph's strict parser   (parse.py)
    2 evidence  quotes at their offsets, document checksums, the coverage rule             (evidence.py)
    3 shacl     ontology/shapes.ttl over the data                              (shaclsparql.py, shacl.py)
    4 reason    OWL 2 RL closure into bkg:inferred, then the attribution grades            (rules.py, grades.py)
    5 load      bulk-load a new generation, publish it atomically, prune old ones          (store.py)

Stages 2 to 4 read one in-memory work store (the ontology, corpus and data graphs), filled once, and
run side by side (see :func:`derive`). SHACL runs compiled to SPARQL (:mod:`loader.shaclsparql`, proven
equal to pyshacl by the tests); if the shapes use a feature it does not compile, pyshacl validates
instead and the stage's line says so. A child process (:mod:`loader.bulkload`) parses the files too and
bulk-loads them into the new generation's folder from the start, on another core; the closure follows
as soon as it is computed, the grades at the end of stage 4; stage 5 waits for it (and checks it read
the same bytes as stage 1), then publishes.

Any failure stops the build before stage 5 publishes anything, so the current store stays as it was
(a half-written generation folder is deleted).
The inputs (every file under ontology/ and triples/ that is read, every corpus file), the package
version, the versions of the RDF libraries and the source of the build modules are hashed; a build
whose hash equals the current generation's does nothing (unless ``force``).
"""

from __future__ import annotations

import hashlib
import os
from concurrent import futures
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pyoxigraph

from . import __version__, config, evidence, grades, rules, shacl, shaclsparql, store
from .namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, PREFIXES
from .errors import DataError, StoreError
from .parse import check_folder, discover, parse_all, ttl_files

INFERRED = pyoxigraph.NamedNode(INFERRED_GRAPH)
STAGES = ("parse", "evidence", "shacl", "reason", "load")
_CODE = ("build", "parse", "evidence", "shacl", "shaclsparql", "rules", "grades", "store", "namespaces")
_LIBRARIES = ("pyoxigraph", "owlrl", "pyshacl", "rdflib")

Progress = Callable[[int, str, str, float], None]      # (stage number, name, detail, seconds)


@dataclass
class BuildResult:
    store_dir: Path
    input_hash: str
    up_to_date: bool = False
    generation: str | None = None          # the published (or, when up to date, current) generation
    previous: str | None = None
    asserted: dict[str, int] = field(default_factory=dict)    # graph IRI -> triples
    inferred: int = 0
    shapes: int = 0
    grades: dict[str, int] = field(default_factory=dict)      # grade -> operations
    timings: dict[str, float] = field(default_factory=dict)   # stage -> seconds
    details: dict[str, str] = field(default_factory=dict)     # stage -> one-line summary
    pruned: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)         # SHACL warnings and infos, for people
    target: str | None = None              # where it was published, for people (a remote URL)


def resolve_dirs(root: Path | None, store_dir: Path | None) -> tuple[Path, Path]:
    """The project root and store folder: explicit values, else ``$BUKAMAL_STORE`` / ``<root>/store``."""
    root = Path(root).resolve() if root else config.project_root()
    if store_dir is None:
        env = os.environ.get("BUKAMAL_STORE")
        store_dir = Path(env) if env else root / "store"
    return root, Path(store_dir).resolve()


def input_files(root: Path) -> list[Path]:
    files = ttl_files(root / "ontology") + ttl_files(root / "triples")
    corpus = root / "corpus"
    if corpus.is_dir():
        files += sorted(p for p in corpus.iterdir() if p.is_file())
    return files


def input_hash(root: Path) -> str:
    """SHA-256 over the inputs (names and bytes), the versions, and the build code."""
    h = hashlib.sha256()
    h.update(f"bukamal {__version__}\n".encode())
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib} {version(lib)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{lib} ?\n".encode())
    here = Path(__file__).resolve().parent
    for mod in _CODE:
        h.update(f"code {mod}\n".encode() + (here / f"{mod}.py").read_bytes())
    for name in ("ontology", "triples"):
        check_folder(root, name)          # a broken link or a sub-folder: the error names it
    for p in input_files(root):
        rel = p.relative_to(root).as_posix()
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read this file: {exc.strerror or exc}", file=rel) from None
        h.update(f"file {rel} {len(data)}\n".encode() + data)
    return h.hexdigest()


def export_prefixes(parsed) -> dict[str, str]:
    """Prefixes for serialisations: the ontology's (and shapes') own, then the project's for other names."""
    out = dict(parsed.prefixes({"ontology", "shapes"}))
    taken = set(out.values())
    for name, iri in PREFIXES.items():
        if name not in out and iri not in taken:
            out[name] = iri
    return dict(sorted(out.items()))


def build(root: Path | None = None, store_dir: Path | None = None, *, force: bool = False,
          progress: Progress | None = None) -> BuildResult:
    """Run the five stages; raise a :class:`~loader.errors.BukamalError` on the first failing stage."""
    root, store_dir = resolve_dirs(root, store_dir)
    progress = progress or (lambda *a: None)
    discover(root)              # not a project (no ontology, a bad layout): say so before making store/
    with store.build_lock(store_dir):
        store.clean_leftovers(store_dir)
        digest = input_hash(root)
        current = store.current_manifest(store_dir)
        damaged = None
        if current is not None and current.get("input_hash") == digest and not force:
            damaged = _unreadable(store_dir)
            if damaged is None:
                return BuildResult(store_dir, digest, up_to_date=True, generation=current["generation"],
                                   asserted=current.get("asserted", {}), inferred=current.get("inferred", 0))
        result = BuildResult(store_dir, digest)
        _run(root, store_dir, result, progress)
        if damaged is not None:
            result.warnings.append(f"warning: the inputs are unchanged but the current store could not be read"
                                   f" ({damaged}): built again")
        if current is not None and current.get("made_by") == store.WRITE_MADE_BY:
            result.warnings.append(
                f"warning: {current['generation']} held writes made through the server (SPARQL Update, Graph"
                f" Store); this build is made from the project's files and does not hold them"
                f" ({result.previous or current['generation']} keeps them until the next build;"
                " `bukamal export --graph all` saves them)")
        return result


def _unreadable(store_dir: Path) -> str | None:
    """Why the current generation cannot be opened (damaged files), or None: an unchanged build trusts
    its manifest only if the store behind it still opens."""
    try:
        store.open_read_only(store_dir)             # closed again when the object goes
    except StoreError as exc:
        return str(exc).split(";")[0]
    return None


def _n(count: int, word: str) -> str:
    """``1 file``, ``2 files``, ``1,234 triples``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _stage(n: int, name: str, result: BuildResult, progress: Progress, fn):
    t0 = time.perf_counter()
    value, detail = fn()
    _report(n, name, result, progress, detail, time.perf_counter() - t0)
    return value


def _report(n: int, name: str, result: BuildResult, progress: Progress, detail: str, seconds: float) -> None:
    result.timings[name], result.details[name] = seconds, detail
    progress(n, name, detail, seconds)


def _timed(fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - t0


def validate_shapes(parsed, work: pyoxigraph.Store):
    """Stage 3: the shapes compiled to SPARQL over ``work``; pyshacl when they use a feature the compiler
    does not cover. Returns the summary and, for the stage's line, why pyshacl was used ("" if not).
    A shape whose ``sh:pattern`` is not a valid regular expression is an error in the shapes file
    (checked first: either validator would otherwise fail on it, or fail every value)."""
    shacl.check_patterns(parsed)
    try:
        return shaclsparql.validate(parsed, store=work), ""
    except shaclsparql.UnsupportedShapes as exc:
        return shacl.validate(parsed), f" (by pyshacl: {str(exc).removesuffix('; validate with pyshacl')})"


def _closure(parsed, work: pyoxigraph.Store) -> rules.Inferences:
    # The scalable OWL 2 RL reasoner (loader/rules.py); owlrl stays the oracle: the tests prove both
    # give the same inferences on the real graph and on synthetic ones. It only reads ``work``.
    data_graphs = sorted({pyoxigraph.NamedNode(f.source.graph) for f in parsed.files
                          if f.source.role in {"corpus", "data"}}, key=str)
    return rules.derive(work, data_graphs, pyoxigraph.NamedNode(ONTOLOGY_GRAPH), rules.BUILD_EXCLUSIONS)


def derive(root: Path, result: BuildResult, progress: Progress,
           on_closure: Callable[[rules.Inferences], None] | None = None):
    """Stages 1-4: the parsed files and the inferred triples (``build`` loads them; a remote build
    pushes them, :mod:`loader.remote_build`).

    After stage 1 the work store is filled and the OWL 2 RL closure of stage 4 computed first, so that
    ``on_closure(closure)`` can start writing it out; then stages 2 and 3, which only read the work store,
    run side by side (Oxigraph releases the GIL while it evaluates); then the closure is written into the
    work store and the grades computed from it. Each stage's line shows its own time, the lines come in
    stage order, and the first failing stage in that order is the one reported."""
    def do_parse():
        parsed = parse_all(discover(root))
        return parsed, f"{_n(len(parsed.files), 'file')}, {_n(parsed.triple_count, 'triple')}"

    parsed = _stage(1, "parse", result, progress, do_parse)
    result.asserted = parsed.graphs()

    (work, closure), closure_seconds = _timed(lambda: _closed_work_store(parsed))
    if on_closure is not None and not isinstance(closure, DataError):
        on_closure(closure)
    with futures.ThreadPoolExecutor(2, thread_name_prefix="bukamal-build") as pool:
        checked = pool.submit(_timed, evidence.check, parsed, root, work)
        shaped = pool.submit(_timed, validate_shapes, parsed, work)
        futures.wait([checked, shaped])

    s, seconds = checked.result()
    _report(2, "evidence", result, progress,
            f"{_n(s.evidence, 'quote')} in {_n(s.documents, 'document')} verbatim, "
            f"{_n(s.facts, 'data triple')} covered", seconds)

    (summary, how), seconds = shaped.result()
    warn = f", {_n(len(summary.warnings), 'warning')}" if summary.warnings else ""
    _report(3, "shacl", result, progress, f"{_n(summary.shapes, 'shape')}{how}, 0 violations{warn}", seconds)
    result.shapes = summary.shapes
    result.warnings = [line for w in summary.warnings for line in
                       [f"SHACL {w.severity.lower()}:"] + w.lines()]

    if isinstance(closure, DataError):       # reported after stages 2 and 3, which may fail first
        raise closure

    def do_reason():
        closure.write(work, INFERRED)       # the grades need the types and the bk:partOf closure
        graded = grades.compute(work)
        inferred = Inferred(closure, [t for g in graded for t in g.triples()])
        work.extend(pyoxigraph.Quad(t.subject, t.predicate, t.object, INFERRED) for t in inferred.graded)
        inferred.count = int(next(iter(work.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}")))["n"].value)
        result.grades = dict(sorted(Counter(g.grade for g in graded).items()))
        counts = ", ".join(f"{k} {v}" for k, v in result.grades.items()) or "none"
        return inferred, (f"{_n(closure.count, 'triple')} inferred, "
                          f"{_n(len(graded), 'operation')} graded ({counts}, "
                          f"{_n(2 * len(graded), 'triple')})")

    (inferred, detail), seconds = _timed(do_reason)
    _report(4, "reason", result, progress, detail, closure_seconds + seconds)
    result.inferred = inferred.count
    return parsed, inferred


def _closed_work_store(parsed) -> tuple[pyoxigraph.Store, rules.Inferences | DataError]:
    """The work store (asserted graphs) and the OWL 2 RL closure of its content, not yet written (or
    why it could not be computed: stage 4's error, raised once stages 2 and 3 have passed)."""
    work = evidence.work_store(parsed)
    try:
        return work, _closure(parsed, work)
    except DataError as exc:
        return work, exc


@dataclass
class Inferred:
    """What stage 4 adds to ``bkg:inferred``: the OWL 2 RL closure (as text) and the grade triples."""

    closure: rules.Inferences
    graded: list[pyoxigraph.Triple]
    count: int = 0                      # distinct triples in all

    def quads(self) -> list[pyoxigraph.Quad]:
        return [pyoxigraph.Quad(t.subject, t.predicate, t.object, INFERRED)
                for t in self.closure.triples() + self.graded]

    def load_rest(self, writer: store.GenerationWriter) -> None:
        """Queue for a new generation what :func:`load_closure` did not: the closure's triples with blank
        nodes, and the grade triples."""
        writer.add([pyoxigraph.Quad(t.subject, t.predicate, t.object, INFERRED)
                    for t in self.closure.blank_triples() + self.graded])


def load_closure(writer: store.GenerationWriter, closure: rules.Inferences) -> None:
    """Queue the closure's triples without blank nodes, as text the store loads as it is."""
    writer.add(texts=[(data, fmt, INFERRED) for data, fmt in closure.texts()])


def _run(root: Path, store_dir: Path, result: BuildResult, progress: Progress) -> None:
    writer = store.GenerationWriter(store_dir)
    try:
        writer.start(root=root)             # the child parses and loads the files on another core
        parsed, inferred = derive(root, result, progress, on_closure=lambda c: load_closure(writer, c))
        inferred.load_rest(writer)
    except BaseException:
        writer.discard()
        raise

    def do_load():
        built = writer.finish({f.source.rel: f.sha256 for f in parsed.files})
        manifest = {
            "input_hash": result.input_hash, "version": __version__,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "asserted": result.asserted, "inferred": result.inferred, "shapes": result.shapes,
            "grades": result.grades, "prefixes": export_prefixes(parsed),
            "files": [f.source.rel for f in parsed.files],
            "timings": {k: round(v, 3) for k, v in result.timings.items()},
        }
        with store.interrupts_held() as caught:
            name, previous = store.publish(store_dir, built, manifest)
            result.generation, result.previous = name, previous
            # with no readable previous pointer (a first build, or CURRENT damaged) nothing is deleted
            result.pruned = store.prune(store_dir, {name, previous}) if previous else []
        if caught:
            result.warnings.append(f"warning: Ctrl-C came while {name} was being published; the build had"
                                   " finished, so it is published")
        total = sum(result.asserted.values()) + result.inferred
        return None, f"{total:,} quads into {name}" + (f" (previous {previous} kept)" if previous else "")

    try:
        _stage(5, "load", result, progress, do_load)
    except BaseException:
        writer.discard()                    # a no-op once the folder is published
        raise
