"""Stage 1: find the input files and parse them strictly with pyoxigraph's Turtle parser.

Inputs and the named graph each goes to::

    ontology/*.ttl          -> bkg:ontology   (ontology/shapes.ttl -> bkg:shapes)
    corpus/metadata.ttl     -> bkg:corpus
    triples/NAME.ttl        -> bkg:NAME

pyoxigraph's parser is strict (it rejects every W3C negative Turtle syntax test; rdflib accepts some of
them) and reports where it stopped: its ``SyntaxError`` carries 1-based line and column numbers, columns
counted in Unicode code points, as editors show them. No base IRI is given, so a relative IRI is an
error too. Each bad file is reported once (the parser stops at its first error); all files are parsed
before failing, so one run lists every broken file.

Blank nodes get deterministic labels (``<dir>_<stem>_<n>`` in document order) instead of the parser's
random ones, so two builds of the same files give the same store and the same export bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from .errors import DataError, ParseError
from .namespaces import BKG, INFERRED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH

CORPUS_GRAPH = BKG + "corpus"
RESERVED = {"ontology", "shapes", "corpus", "inferred"}
_GRAPH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LOCATION = re.compile(r"^Parser error (?:at line \d+ (?:between columns \d+ and \d+|column \d+)"
                       r"|between line \d+ column \d+ and line \d+ column \d+|at line \d+): ")


@dataclass(frozen=True)
class SourceFile:
    """One input file: where it is, how it is named for people, and the graph it goes to."""

    path: Path
    rel: str            # path relative to the project root, with forward slashes
    graph: str          # named graph IRI
    role: str           # "ontology", "shapes", "corpus" or "data"


@dataclass
class ParsedFile:
    source: SourceFile
    quads: list[pyoxigraph.Quad]
    prefixes: dict[str, str]
    sha256: str = ""                # of the bytes parsed


@dataclass
class Parsed:
    """Every input file, parsed; quads carry their named graph."""

    files: list[ParsedFile]
    _subject_files: dict | None = field(default=None, repr=False)

    def quads(self, roles: set[str] | None = None):
        for f in self.files:
            if roles is None or f.source.role in roles:
                yield from f.quads

    @property
    def triple_count(self) -> int:
        return sum(len(f.quads) for f in self.files)

    def graphs(self) -> dict[str, int]:
        """Triples per named graph (a triple repeated in two files of one graph counts once)."""
        per: dict[str, set] = defaultdict(set)
        for f in self.files:
            per[f.source.graph].update(f.quads)
        return {g: len(qs) for g, qs in sorted(per.items())}

    def prefixes(self, roles: set[str] | None = None) -> dict[str, str]:
        """Prefixes declared by the files (first declaration of a name wins), sorted by name."""
        out: dict[str, str] = {}
        for f in self.files:
            if roles is None or f.source.role in roles:
                for name, iri in f.prefixes.items():
                    out.setdefault(name, iri)
        return dict(sorted(out.items()))

    def files_with_subject(self, term) -> list[str]:
        """Files (relative paths) in which ``term`` is the subject of a triple."""
        if self._subject_files is None:
            index: dict = defaultdict(list)
            for f in self.files:
                for s in {q.subject for q in f.quads}:
                    index[s].append(f.source.rel)
            self._subject_files = index
        return list(self._subject_files.get(term, []))

    def file_for(self, rel: str) -> ParsedFile:
        return next(f for f in self.files if f.source.rel == rel)


_RDF_SUFFIXES = {".ttl", ".turtle", ".nt", ".n3", ".trig", ".nq", ".rdf", ".owl", ".jsonld", ".xml"}


def check_folder(root: Path, name: str) -> None:
    """:class:`DataError` for what the build would otherwise skip without a word (or fail on): a
    sub-folder of ``name/``, a ``*.ttl`` that is not a readable file (a broken link), or an RDF file there
    not named ``*.ttl`` (``doc.TTL``, ``doc.trig``). Other files (a README) and hidden ones are left alone."""
    folder = root / name
    if not folder.is_dir():
        return
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        rel = _rel(p, root)
        if p.is_dir():
            raise DataError(f"the build reads only {name}/*.ttl, not sub-folders: move the files of {rel}/"
                            f" into {name}/ (or out of the project)", file=rel)
        if p.suffix == ".ttl" and not p.is_file():
            raise DataError("this is not a readable file (a link to nothing, or to itself?); fix or remove it",
                            file=rel)
        if p.suffix != ".ttl" and p.suffix.lower() in _RDF_SUFFIXES:
            raise DataError(f"the build reads only {name}/*.ttl (Turtle, lower-case .ttl): rename or convert"
                            " this file, or move it out of the project", file=rel)


def ttl_files(folder: Path) -> list[Path]:
    """The ``*.ttl`` files of a folder, sorted; hidden ones (an editor's ``.#doc.ttl`` lock) are not inputs."""
    return sorted(p for p in Path(folder).glob("*.ttl") if not p.name.startswith("."))


def discover(root: Path) -> list[SourceFile]:
    """The input files of a project, in build order; :class:`DataError` if the layout is wrong."""
    root = Path(root)
    for name in ("ontology", "triples"):
        check_folder(root, name)
    out: list[SourceFile] = []
    ontology = ttl_files(root / "ontology")
    if not ontology:
        raise DataError(f"no ontology found: {root / 'ontology'} holds no *.ttl file")
    for p in ontology:
        graph, role = (SHAPES_GRAPH, "shapes") if p.name == "shapes.ttl" else (ONTOLOGY_GRAPH, "ontology")
        out.append(SourceFile(p, _rel(p, root), graph, role))
    metadata = root / "corpus" / "metadata.ttl"
    if metadata.is_file():
        out.append(SourceFile(metadata, _rel(metadata, root), CORPUS_GRAPH, "corpus"))
    for p in ttl_files(root / "triples"):
        rel = _rel(p, root)
        if p.stem in RESERVED:
            raise DataError(f"the graph name {p.stem!r} is reserved for the build; rename the file",
                            file=rel)
        if not _GRAPH_NAME.match(p.stem):
            raise DataError("a triples file name must be letters, digits, '.', '_' or '-' (it names a graph)",
                            file=rel)
        out.append(SourceFile(p, rel, BKG + p.stem, "data"))
    assert INFERRED_GRAPH not in {s.graph for s in out}
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):      # elsewhere, or a link loop
        return path.as_posix()


def _bnode_tag(source: SourceFile) -> str:
    parts = Path(source.rel).with_suffix("").parts[-2:]
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", p) for p in parts)


def parse_file(source: SourceFile, tag: str | None = None) -> ParsedFile:
    """Parse one Turtle file; :class:`ParseError` with file, line and column on the first error."""
    raw = read_source(source)
    data = turtle_bytes(source, raw)
    graph = pyoxigraph.NamedNode(source.graph)
    tag = tag or _bnode_tag(source)
    labels: dict[str, pyoxigraph.BlankNode] = {}

    def relabel(term):
        if term.value not in labels:
            labels[term.value] = pyoxigraph.BlankNode(f"{tag}_{len(labels) + 1}")
        return labels[term.value]

    parser = pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE, without_named_graphs=True)
    quads: list[pyoxigraph.Quad] = []
    append, blank, quad = quads.append, pyoxigraph.BlankNode, pyoxigraph.Quad
    try:
        for q in parser:
            s, o = q.subject, q.object
            if type(s) is blank:          # a type check per term: this loop runs once per triple
                s = relabel(s)
            if type(o) is blank:
                o = relabel(o)
            append(quad(s, q.predicate, o, graph))
    except SyntaxError as exc:
        raise syntax_error(source, exc) from None
    except MemoryError as exc:               # the parser's buffer limit: one token of more than 16 MiB
        raise ParseError(f"a token is too large for the parser ({exc})", file=source.rel) from None
    return ParsedFile(source, quads, dict(parser.prefixes), hashlib.sha256(raw).hexdigest())


BOM = b"\xef\xbb\xbf"


def turtle_bytes(source: SourceFile, raw: bytes) -> bytes:
    """The bytes to parse: ``raw`` without a leading UTF-8 byte order mark, after checking that all of
    it is UTF-8 (the parser itself does not look inside comments); :class:`ParseError` at the first
    byte that is not."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[start:exc.start].decode("utf-8", "replace")) + 1
        raise ParseError(f"invalid UTF-8 (byte 0x{raw[exc.start]:02x}); the file must be UTF-8 text",
                         file=source.rel, line=line, column=column) from None
    return raw[len(BOM):] if raw.startswith(BOM) else raw


def read_source(source: SourceFile) -> bytes:
    try:
        return source.path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror}", file=source.rel) from None


def syntax_error(source: SourceFile, exc: SyntaxError) -> ParseError:
    """The parser's error as a :class:`ParseError` naming the file, line and column."""
    message = _LOCATION.sub("", exc.msg or str(exc))
    return ParseError(message, file=source.rel, line=exc.lineno, column=exc.offset)


def blank_node_tags(sources: list[SourceFile]) -> list[str]:
    """The blank node label prefix of each file, one per file: its sanitised name, or, for a second file
    whose name sanitises alike (``x-y.ttl``, ``x_y.ttl``), that name and ``2``, ``3``... -- skipping any
    tag another file has (``x_y2.ttl`` keeps ``x_y2``), so that no two files share a blank node."""
    bases = [_bnode_tag(source) for source in sources]
    taken = set(bases)
    out, used = [], set()
    for tag in bases:
        if tag in used:
            n = 2
            while f"{tag}{n}" in taken or f"{tag}{n}" in used:
                n += 1
            tag = f"{tag}{n}"
        used.add(tag)
        out.append(tag)
    return out


def parse_all(sources: list[SourceFile]) -> Parsed:
    """Parse every file; if any fails, one :class:`ParseError` listing each failing file."""
    files, errors = [], []
    for source, tag in zip(sources, blank_node_tags(sources)):
        try:
            files.append(parse_file(source, tag))
        except ParseError as exc:
            errors.append(exc)
    if errors:
        first = errors[0]
        if len(errors) == 1:
            raise first
        rest = "\n".join(str(e) for e in errors[1:])
        raise ParseError(f"{first.message}\n{rest}\n({len(errors)} files have syntax errors)",
                         file=first.file, line=first.line, column=first.column)
    return Parsed(files)
