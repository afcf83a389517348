"""Format query results: SELECT rows, ASK booleans and CONSTRUCT/DESCRIBE graphs, as bytes.

=========  ==============================  ========================================================
format     SELECT / ASK                    CONSTRUCT / DESCRIBE
=========  ==============================  ========================================================
table      aligned text for people         aligned subject / predicate / object text
csv, tsv   SPARQL 1.1 CSV / TSV results    --
json       SPARQL 1.1 JSON results         JSON-LD
xml        SPARQL 1.1 XML results          RDF/XML
turtle     --                              Turtle with the project's prefixes
ntriples   --                              N-Triples
=========  ==============================  ========================================================

The standard formats are pyoxigraph's serializers. Graph results are sorted (stable output); rows keep
the query's order (use ORDER BY). A format that does not fit the result kind is a :class:`UsageError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import pyoxigraph

from .errors import UsageError
from .export import serialize_rdf
from .namespaces import PREFIXES
from .terms import compact, triple_key

FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "ntriples")
_ROWS = {"csv": pyoxigraph.QueryResultsFormat.CSV, "tsv": pyoxigraph.QueryResultsFormat.TSV,
         "json": pyoxigraph.QueryResultsFormat.JSON, "xml": pyoxigraph.QueryResultsFormat.XML}
_GRAPH = {"turtle": pyoxigraph.RdfFormat.TURTLE, "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
          "json": pyoxigraph.RdfFormat.JSON_LD, "xml": pyoxigraph.RdfFormat.RDF_XML}


def kind(result) -> str:
    """``rows``, ``boolean`` or ``graph``."""
    if isinstance(result, pyoxigraph.QuerySolutions):
        return "rows"
    if isinstance(result, pyoxigraph.QueryBoolean):
        return "boolean"
    return "graph"


def cell(term, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """One value for a table: prefixed IRI, literal's lexical form, ``_:id``, or empty when unbound."""
    if term is None:
        return ""
    if isinstance(term, pyoxigraph.Literal):
        return term.value
    return compact(term, prefixes)


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str, keep: str = "") -> str:
    """``text`` for people on a terminal: characters that are not printable (control characters such as
    ESC, which would drive the terminal, invisible format characters such as bidi overrides; line breaks
    and tabs unless in ``keep``; spaces of any width stay) shown as escapes:
    ``\\n``, ``\\r``, ``\\t``, ``\\x1b``, ``\\u2028``, ``\\U0010ffff``."""
    return "".join(ch if ch in keep or ch.isprintable() or unicodedata.category(ch) == "Zs"   # spaces stay
                   else _NAMED.get(ch) or _escape(ord(ch)) for ch in text)


def _escape(code: int) -> str:
    """``\\x1b``, ``\\u2028``, ``\\U0010ffff``: a code point past U+FFFF needs the long form (``\\u10ffff``
    reads as U+10FF followed by ``ff``)."""
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: str) -> str:
    """``text`` on one line: line breaks, tabs and other control characters shown as escapes."""
    return visible(text)


def table(header: list[str], rows: list[list[str]]) -> str:
    """Aligned columns, a rule under the header, and a row count; line breaks, tabs and other control
    characters inside a value are shown as escapes (:func:`one_line`), so each row stays one line."""
    rows = [[one_line(c) for c in row] for row in rows]
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


# UTF-8 of what XML 1.0 forbids: C0 controls but tab and line breaks, and U+FFFE, U+FFFF
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


# an element whose name is a prefix with nothing after the colon: RDF/XML can only name a predicate
# whose IRI ends in an XML name ("http://x/1", "urn:x:" do not), and the serialiser writes "<p:>"
_EMPTY_LOCAL_NAME = re.compile(rb"</?[^\s<>/!?\"':]*:[\s/>]")


def xml_problem(data: bytes) -> str | None:
    """Why serialised XML is not a well-formed document, or None. The serialisers write what they are
    given: characters XML 1.0 cannot carry go out raw, and a predicate RDF/XML cannot name becomes a
    broken element."""
    if _NOT_XML.search(data) is not None:
        return "the answer holds characters XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF)"
    if _EMPTY_LOCAL_NAME.search(data) is not None:
        return ("the answer has a predicate RDF/XML cannot write (its IRI must end in a name, such as"
                " http://x/name, not http://x/ or http://x/1)")
    return None


def format_result(result, fmt: str = "table", *, prefixes: Mapping[str, str] = PREFIXES) -> bytes:
    """Serialise a pyoxigraph query result in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    k = kind(result)
    if k == "graph":
        triples = sorted(result, key=triple_key)
        if fmt == "table":
            rows = [[cell(t.subject, prefixes), cell(t.predicate, prefixes), cell(t.object, prefixes)]
                    for t in triples]
            return table(["subject", "predicate", "object"], rows).encode("utf-8")
        if fmt not in _GRAPH:
            raise UsageError(f"--format {fmt} is for SELECT and ASK results; this query gives a graph: "
                             "use turtle, ntriples, json (JSON-LD), xml (RDF/XML) or table")
        return _checked(serialize_rdf(triples, _GRAPH[fmt], dict(prefixes)), fmt, "use turtle or ntriples")
    if fmt in ("turtle", "ntriples"):
        raise UsageError(f"--format {fmt} is for CONSTRUCT and DESCRIBE results; this query gives "
                         f"{'rows' if k == 'rows' else 'a boolean'}: use table, csv, tsv, json or xml")
    if fmt == "table":
        if k == "boolean":
            return b"true\n" if bool(result) else b"false\n"
        names = [v.value for v in result.variables]
        rows = [[cell(sol[i], prefixes) for i in range(len(names))] for sol in result]
        return table(names, rows).encode("utf-8")
    return _checked(result.serialize(format=_ROWS[fmt]), fmt, "use json, csv or tsv")


def _checked(data: bytes, fmt: str, instead: str) -> bytes:
    problem = xml_problem(data) if fmt == "xml" else None
    if problem is not None:
        raise UsageError(f"{problem}, so --format xml would write a broken document; {instead}")
    return data
