"""The saved queries: ``queries/*.rq`` files with a ``#+`` header, loaded into frozen dataclasses.

A saved query is a plain SPARQL file whose first lines are a header (grammar in ``queries/README.md``)::

    #+ title: Who struck which site when, according to whom
    #+ description: One row per operation and attributed agent ...
    #+ param: site iri optional class=bk:Place -- the struck place or facility
    #+ param: from date optional bound=start -- earliest date (YYYY, YYYY-MM or YYYY-MM-DD)
    #+ param: kind enum optional values=any|airstrike default=any -- kind of operation
    #+ explain: ?claim
    #+ list: ?documents
    #+ example: bukamal query strikes --param site="Imam Ali base"

A query is plain SPARQL 1.1 (no extension functions), so it runs as-is on any engine. A column that
aggregates several values is written ``(GROUP_CONCAT(DISTINCT COALESCE(expr, ""); separator="|") AS
?col)`` and named in ``#+ list:``; :func:`loader.saved.run` sorts the values inside such a cell, which
engines order differently (:mod:`loader.querycheck` has the rules and checks them).

Loading is strict: a malformed header line, an unknown key or type, a parameter the query does not
use (or cannot receive: pyoxigraph binds a parameter only when the query projects it, or, for ASK and
CONSTRUCT, when its pattern binds it), a list column or function that would make the answer differ
between engines, or SPARQL the engine rejects is a :class:`RegistryError` naming the file and line. Names come from the file stem and are looked up in the registry, never used as paths.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from . import config
from .errors import NotFoundError, QueryError, RegistryError
from .namespaces import PREFIXES
from .querycheck import VAR_RE, check_stable, list_vars, strip_comments_and_strings
from .remote_sparql import prepare
from .sparqltext import analyse, inline_data
from .store import check_text

TYPES = ("iri", "string", "date", "integer", "enum")
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
HEADER_RE = re.compile(r"^#\+\s*([a-z][a-z-]*)\s*:\s*(.*?)\s*$")
PARAM_RE = re.compile(
    r"^(?P<name>\S+)\s+(?P<type>\S+)\s+(?P<req>\S+)(?P<opts>(?:\s+[a-z]+=\S+)*)\s+--\s+(?P<desc>\S.*)$"
)
OPTION_KEYS = {"default", "values", "bound", "class", "min", "max"}
# control characters (a tab is fine) and the bidirectional overrides that reorder what a terminal shows
UNSAFE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
INT_TEXT = re.compile(r"^[+-]?[0-9]{1,18}$")   # an integer as a value may be written: ASCII digits only
MAX_STRING = 200                                 # the longest string value (a default included)
KNOWN_KEYS = {"title", "description", "param", "example", "explain", "list"}


@dataclass(frozen=True)
class Param:
    """One declared parameter of a saved query."""

    name: str
    type: str                       # iri | string | date | integer | enum
    required: bool
    default: str | None
    values: tuple[str, ...]         # the allowed values of an enum, else ()
    description: str
    bound: str | None = None        # date only: "start" or "end" of the interval a YYYY/YYYY-MM names
    cls: str | None = None          # iri only: prefixed class name the thing must be an instance of
    minimum: int | None = None      # integer only
    maximum: int | None = None      # integer only

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "required": self.required,
                "default": self.default, "values": list(self.values), "description": self.description,
                "bound": self.bound, "class": self.cls, "min": self.minimum, "max": self.maximum}


@dataclass(frozen=True)
class SavedQuery:
    """A saved query: header fields plus the SPARQL text (header included; it is made of comments)."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    example: str
    text: str
    path_name: str                  # the file name (no folder), for messages
    form: str = "SELECT"            # SELECT | ASK | CONSTRUCT | DESCRIBE
    explain_vars: tuple[str, ...] = ()   # variables that carry Claim or Evidence IRIs
    ordered: bool = False           # the query has ORDER BY: its row order is part of its answer
    examples: tuple[str, ...] = field(default=())
    list_vars: tuple[str, ...] = ()      # GROUP_CONCAT columns (see loader.querycheck), sorted by run()

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description,
                "params": [p.to_dict() for p in self.params], "example": self.example,
                "examples": list(self.examples), "form": self.form,
                "explain": list(self.explain_vars), "lists": list(self.list_vars), "ordered": self.ordered}


class Registry:
    """The saved queries by name (sorted). Iterating yields :class:`SavedQuery` objects."""

    def __init__(self, queries: dict[str, SavedQuery]) -> None:
        self._queries = dict(sorted(queries.items()))

    def names(self) -> list[str]:
        return list(self._queries)

    def get(self, name: str) -> SavedQuery:
        if isinstance(name, str) and name in self._queries:
            return self._queries[name]
        shown = name if isinstance(name, str) and len(name) <= 80 and name.isprintable() else "?"
        close = difflib.get_close_matches(shown, self.names(), n=3)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise NotFoundError(f"no saved query named {shown!r}{hint}; `bukamal queries` lists them")

    def __contains__(self, name: object) -> bool:
        return name in self._queries

    def __iter__(self) -> Iterator[SavedQuery]:
        return iter(self._queries.values())

    def __len__(self) -> int:
        return len(self._queries)


def load_registry(queries_dir: Path | None = None) -> Registry:
    """Load every ``*.rq`` file of ``queries_dir`` (default: the project's ``queries/``)."""
    folder = Path(queries_dir) if queries_dir is not None else config.queries_dir()
    if not folder.is_dir():
        raise NotFoundError(f"the saved-query folder {folder.resolve()}/ does not exist")
    queries: dict[str, SavedQuery] = {}
    for path in sorted(folder.glob("*.rq")):
        q = load_file(path)
        queries[q.name] = q
    return Registry(queries)


def load_file(path: Path) -> SavedQuery:
    """Parse and check one saved-query file."""
    fname = path.name
    name = path.stem
    if not NAME_RE.match(name):
        raise RegistryError(f"bad saved-query name {name!r}: use lower-case letters, digits and '-'",
                            file=fname)
    if not path.is_file():        # a folder, a link to nothing, a pipe or a device (reading would block)
        raise RegistryError("not a regular file (a folder, a link to nothing, a pipe or a device?): fix or"
                            " remove it", file=fname)
    try:
        text = path.read_text(encoding="utf-8-sig")   # a byte order mark is dropped
    except UnicodeDecodeError as exc:
        raise RegistryError(f"not UTF-8: {exc.reason}", file=fname) from None
    except OSError as exc:
        raise RegistryError(f"cannot read the file: {exc.strerror or exc}", file=fname) from None
    return parse_text(name, text, fname)


def _err(msg: str, fname: str, line: int | None = None) -> RegistryError:
    return RegistryError(msg, file=fname, line=line)


def parse_text(name: str, text: str, fname: str) -> SavedQuery:
    fields: dict[str, str] = {}
    params: list[Param] = []
    examples: list[str] = []
    lines = text.splitlines()
    in_header = True
    for lineno, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if in_header and (stripped == "" or (stripped.startswith("#") and not stripped.startswith("#+"))):
            continue
        if stripped.startswith("#+"):
            if not in_header:
                raise _err("a '#+' header line after the query has started", fname, lineno)
            m = HEADER_RE.match(stripped)
            if not m:
                raise _err(f"malformed header line (expected '#+ key: value'): {stripped!r}", fname, lineno)
            key, value = m.group(1), m.group(2)
            if (bad := UNSAFE_RE.search(value)) is not None:
                raise _err(f"header value holds the control character U+{ord(bad.group()):04X}: titles,"
                           " descriptions and examples are printed to terminals and pages as they are",
                           fname, lineno)
            if key not in KNOWN_KEYS:
                raise _err(f"unknown header key {key!r} (known: {', '.join(sorted(KNOWN_KEYS))})",
                           fname, lineno)
            if not value:
                raise _err(f"empty header value for {key!r}", fname, lineno)
            if key == "param":
                p = _parse_param(value, fname, lineno)
                if any(q.name == p.name for q in params):
                    raise _err(f"parameter {p.name!r} declared twice", fname, lineno)
                params.append(p)
            elif key == "example":
                examples.append(value)
            elif key in fields:
                raise _err(f"header key {key!r} given twice", fname, lineno)
            else:
                fields[key] = value
            continue
        in_header = False
    for key in ("title", "description"):
        if key not in fields:
            raise _err(f"missing header line '#+ {key}: ...'", fname)
    if not examples:
        raise _err("missing header line '#+ example: ...'", fname)
    for ex in examples:
        if not re.search(r"\bquery\s+" + re.escape(name) + r"(?:\s|$)", ex):
            raise _err(f"example {ex!r} does not run this query ('bukamal query {name} ...')", fname)
    body = strip_comments_and_strings(text)
    form = _form(body, fname)
    explain_vars = _explain_vars(fields.get("explain", ""), body, fname)
    lists = list_vars(fields.get("list", ""), text, body, fname)
    check_stable(text, body, fname)
    for p in params:
        if not re.search(r"[?$]" + re.escape(p.name) + r"(?![A-Za-z0-9_])", body):
            raise _err(f"parameter {p.name!r} is declared but the query never uses ?{p.name}", fname)
    _check_sparql(text, params, form, fname)
    return SavedQuery(
        name=name, title=fields["title"], description=fields["description"], params=tuple(params),
        example=examples[0], text=text, path_name=fname, form=form, explain_vars=explain_vars,
        ordered=bool(re.search(r"\bORDER\s+BY\b", body, re.IGNORECASE)), examples=tuple(examples),
        list_vars=lists,
    )


def _parse_param(value: str, fname: str, lineno: int) -> Param:
    m = PARAM_RE.match(value)
    if not m:
        raise _err("malformed param (expected 'NAME TYPE required|optional [key=value ...] -- description'):"
                   f" {value!r}", fname, lineno)
    pname, ptype, req = m.group("name"), m.group("type"), m.group("req")
    if not VAR_RE.match(pname):
        raise _err(f"bad parameter name {pname!r} (letters, digits, '_')", fname, lineno)
    if ptype not in TYPES:
        raise _err(f"unknown parameter type {ptype!r} for {pname!r} (known: {', '.join(TYPES)})",
                   fname, lineno)
    if req not in ("required", "optional"):
        raise _err(f"parameter {pname!r}: expected 'required' or 'optional', got {req!r}", fname, lineno)
    opts: dict[str, str] = {}
    for item in m.group("opts").split():
        key, _, val = item.partition("=")
        if key not in OPTION_KEYS:
            raise _err(f"parameter {pname!r}: unknown option {key!r}", fname, lineno)
        if key in opts:
            raise _err(f"parameter {pname!r}: option {key!r} given twice", fname, lineno)
        if not val:
            raise _err(f"parameter {pname!r}: empty option {key!r}", fname, lineno)
        opts[key] = val
    allowed = {"iri": {"default", "class"}, "string": {"default"}, "date": {"default", "bound"},
               "integer": {"default", "min", "max"}, "enum": {"default", "values"}}[ptype]
    for key in opts:
        if key not in allowed:
            raise _err(f"parameter {pname!r}: option {key!r} does not apply to type {ptype}", fname, lineno)
    required = req == "required"
    default = opts.get("default")
    if required and default is not None:
        raise _err(f"parameter {pname!r} is required and so cannot have a default", fname, lineno)
    values: tuple[str, ...] = ()
    if ptype == "enum":
        if "values" not in opts:
            raise _err(f"enum parameter {pname!r} needs values=a|b|c", fname, lineno)
        values = tuple(opts["values"].split("|"))
        if any(not re.match(r"^[A-Za-z0-9_:.-]+$", v) for v in values) or len(set(values)) != len(values):
            raise _err(f"parameter {pname!r}: bad or repeated enum values {opts['values']!r}", fname, lineno)
        kinds = {_enum_is_iri(v) for v in values}
        if len(kinds) != 1:
            raise _err(f"parameter {pname!r}: enum values must be all prefixed names or all words",
                       fname, lineno)
        if default is not None and default not in values:
            raise _err(f"parameter {pname!r}: default {default!r} is not one of its values", fname, lineno)
    bound = opts.get("bound")
    if ptype == "date":
        if bound not in ("start", "end"):
            raise _err(f"date parameter {pname!r} needs bound=start or bound=end", fname, lineno)
        if default is not None and _parse_date(default, bound) is None:
            raise _err(f"parameter {pname!r}: bad default date {default!r}", fname, lineno)
    cls = opts.get("class")
    if cls is not None and not _is_project_pname(cls):
        raise _err(f"parameter {pname!r}: class must be a prefixed name like bk:Place, got {cls!r}",
                   fname, lineno)
    if ptype == "iri" and default is not None and not _is_project_pname(default):
        raise _err(f"parameter {pname!r}: an iri default must be a prefixed name, got {default!r}",
                   fname, lineno)
    minimum = maximum = None
    if ptype == "integer":
        # written as a value must be (int() would also take "1_000", other scripts' digits, any length)
        texts = {k: opts[k] for k in ("min", "max", "default") if k in opts}
        for key, text in texts.items():
            if not INT_TEXT.match(text):
                raise _err(f"parameter {pname!r}: {key} must be an integer of at most 18 ASCII digits,"
                           f" got {text[:40]!r}", fname, lineno)
        minimum = int(texts["min"]) if "min" in texts else None
        maximum = int(texts["max"]) if "max" in texts else None
        if minimum is not None and maximum is not None and minimum > maximum:
            raise _err(f"parameter {pname!r}: min {minimum} is above max {maximum}", fname, lineno)
        if default is not None:
            d = int(default)
            if (minimum is not None and d < minimum) or (maximum is not None and d > maximum):
                span = f"{'' if minimum is None else minimum}..{'' if maximum is None else maximum}"
                raise _err(f"parameter {pname!r}: default {d} is outside {span}", fname, lineno)
    if ptype == "string" and default is not None and (not default.isprintable() or len(default) > MAX_STRING):
        raise _err(f"parameter {pname!r}: a string default must be printable and at most {MAX_STRING}"
                   " characters", fname, lineno)
    return Param(name=pname, type=ptype, required=required, default=default, values=values,
                 description=m.group("desc"), bound=bound, cls=cls, minimum=minimum, maximum=maximum)


def _is_project_pname(value: str) -> bool:
    prefix, sep, local = value.partition(":")
    return bool(sep) and prefix in PREFIXES and bool(re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", local)) \
        and not local.endswith(".")


def _enum_is_iri(value: str) -> bool:
    return ":" in value


def expand_pname(value: str) -> str:
    prefix, _, local = value.partition(":")
    return PREFIXES[prefix] + local


def _parse_date(value: str, bound: str) -> _dt.date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` -> the first (bound=start) or last (bound=end) day."""
    m = re.fullmatch(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?", value.strip())
    if not m:
        return None
    try:
        year = int(m.group(1))
        if m.group(3):
            return _dt.date(year, int(m.group(2)), int(m.group(3)))
        if m.group(2):
            month = int(m.group(2))
            first = _dt.date(year, month, 1)
            if bound == "start":
                return first
            return _dt.date(year, month, calendar.monthrange(year, month)[1])
        return _dt.date(year, 1, 1) if bound == "start" else _dt.date(year, 12, 31)
    except ValueError:
        return None


def _form(body: str, fname: str) -> str:
    m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
    if not m:
        raise _err("no SELECT, ASK, CONSTRUCT or DESCRIBE in the query", fname)
    return m.group(1).upper()


def _explain_vars(value: str, body: str, fname: str) -> tuple[str, ...]:
    names: list[str] = []
    for tok in value.split():
        if not tok.startswith("?") or not VAR_RE.match(tok[1:]):
            raise _err(f"explain: expected variables like ?claim, got {tok!r}", fname)
        if not re.search(r"[?$]" + re.escape(tok[1:]) + r"(?![A-Za-z0-9_])", body):
            raise _err(f"explain names {tok} but the query never uses it", fname)
        names.append(tok[1:])
    return tuple(names)


def dummy_value(p: Param):
    """A well-typed placeholder value for ``p`` (used to check that the query can receive it)."""
    xsd = PREFIXES["xsd"]
    if p.type == "iri":
        return pyoxigraph.NamedNode("urn:bukamal:check")
    if p.type == "date":
        return pyoxigraph.Literal("2020-01-01", datatype=pyoxigraph.NamedNode(xsd + "date"))
    if p.type == "integer":
        return pyoxigraph.Literal("1", datatype=pyoxigraph.NamedNode(xsd + "integer"))
    if p.type == "enum" and _enum_is_iri(p.values[0]):
        return pyoxigraph.NamedNode(expand_pname(p.values[0]))
    return pyoxigraph.Literal(p.values[0] if p.type == "enum" else "x")


def _check_sparql(text: str, params: list[Param], form: str, fname: str) -> None:
    """Refuse what no query may hold (``SERVICE``, nesting the engine's parser cannot take: checked on
    the text, before anything runs), then parse with pyoxigraph against an empty store, once with every
    parameter bound. Without the first check a ``SERVICE`` in a saved query made this very check call
    its URL (and hang with a server that never answers)."""
    try:
        check_text(text, file=fname)
    except QueryError as exc:
        raise RegistryError(exc.message, file=fname) from None
    store = pyoxigraph.Store()
    # the engine evaluates ASK, GROUP BY and ORDER BY at once, even here: the rows of VALUES blocks are
    # checked apart, in a SELECT that is never read (lazy), and the query without them (nothing to evaluate)
    checked, blocks = inline_data(text)
    prologue = analyse(text).prologue()
    for line, block in blocks:
        try:
            store.query(f"{prologue}SELECT * WHERE {{ {block} }}")
        except SyntaxError as exc:
            message = re.sub(r"^error at \d+:\d+: ", "", str(exc))
            raise RegistryError(f"SPARQL syntax error in the VALUES block: {message}", file=fname,
                                line=line) from None
    try:
        store.query(checked, use_default_graph_as_union=True)
    except SyntaxError as exc:
        msg = str(exc)
        m = re.match(r"error at (\d+):(\d+): (.*)$", msg, re.DOTALL)
        if m:
            raise RegistryError(f"SPARQL syntax error: {m.group(3)}", file=fname, line=int(m.group(1)),
                                column=int(m.group(2))) from None
        raise _err(f"SPARQL syntax error: {msg}", fname) from None
    for p in params:
        binding = {pyoxigraph.Variable(p.name): dummy_value(p)}
        try:
            store.query(checked, use_default_graph_as_union=True, substitutions=binding)
        except (RuntimeError, SyntaxError, ValueError) as exc:
            where = "project it in SELECT" if form == "SELECT" else "bind it in the WHERE pattern"
            raise _err(f"parameter {p.name!r} cannot be bound ({exc}); the query must {where}",
                       fname) from None
        try:        # a saved query answers the same on a remote store: its rewrite must take the binding
            prepare(text, substitutions=binding, prefixes=PREFIXES)
        except QueryError as exc:
            raise _err(f"parameter {p.name!r} cannot be bound on a remote store: {exc.message}", fname) from None
