"""Checks that a saved query is plain, engine-independent SPARQL 1.1 (used by :mod:`loader.registry`).

* No extension function: a call by IRI or prefixed name is refused unless it is an XML Schema cast
  (``xsd:double(...)``); the engines the project runs on (pyoxigraph, a remote SPARQL service) need
  nothing registered.
* No function whose value changes from one run or engine to the next (``SAMPLE``, ``RAND``, ``NOW``,
  ``UUID``, ``STRUUID``, ``BNODE``).
* List columns: every ``GROUP_CONCAT`` is written ``(GROUP_CONCAT(DISTINCT COALESCE(expr, "");
  separator="|") AS ?v)`` and ``?v`` is named in the ``#+ list:`` header; no list column is used in
  ``ORDER BY``. Engines order the values inside a GROUP_CONCAT differently, so
  :func:`loader.saved.normalise` sorts them after the query has run; the ``COALESCE`` keeps one unbound
  value from making the whole list unbound (SPARQL 1.1 lets an engine treat it as an error, and
  pyoxigraph does).

Every failure is a :class:`~loader.errors.RegistryError` naming the file.
"""

from __future__ import annotations

import re

from .errors import RegistryError
from .namespaces import PREFIXES
from .sparqltext import without_comments

LIST_SEPARATOR = "|"        # the GROUP_CONCAT separator of every list column
# functions whose value is not the same from one run or engine to the next
UNSTABLE_FUNCTIONS = ("SAMPLE", "RAND", "NOW", "UUID", "STRUUID", "BNODE")
VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def strip_comments_and_strings(text: str, keep_strings: bool = False, keep_iris: bool = False) -> str:
    """The query text with comments removed and string/IRI contents blanked (to look for variables);
    with ``keep_strings``, strings and IRIs are kept as written (only comments go); with ``keep_iris``,
    IRIs are kept."""
    return without_comments(text, strings=keep_strings, iris=keep_strings or keep_iris)


def _err(msg: str, fname: str) -> RegistryError:
    return RegistryError(msg, file=fname)


def list_vars(value: str, text: str, body: str, fname: str) -> tuple[str, ...]:
    """The variables of a ``#+ list:`` header (``value``), checked against the query ``text`` (``body``:
    the text without comments and strings): every GROUP_CONCAT is ``GROUP_CONCAT(DISTINCT
    COALESCE(expr, ""); separator="|") AS ?v`` with ``?v`` listed, every listed variable is such a
    column, and none is in ORDER BY."""
    names: list[str] = []
    for tok in value.split():
        if not tok.startswith("?") or not VAR_RE.match(tok[1:]):
            raise _err(f"list: expected variables like ?claims, got {tok!r}", fname)
        if tok[1:] in names:
            raise _err(f"list names {tok} twice", fname)
        names.append(tok[1:])
    code = strip_comments_and_strings(text, keep_strings=True)
    produced: list[str] = []
    for m in re.finditer(r"(?<![\w:?$])GROUP_CONCAT\s*\(", code, re.IGNORECASE):
        close = _closing_paren(code, m.end() - 1)
        inner = code[m.end():close]
        alias = re.match(r"\s*AS\s+[?$]([A-Za-z_][A-Za-z0-9_]*)", code[close + 1:], re.IGNORECASE)
        form = re.fullmatch(r"\s*DISTINCT\s+COALESCE\s*\(.*,\s*(\"\"|'')\s*\)\s*;\s*SEPARATOR\s*=\s*"
                            r"(\"\|\"|'\|')\s*", inner, re.IGNORECASE | re.DOTALL)
        if close < 0 or form is None or alias is None:
            shown = " ".join(code[m.start():close + 1 if close >= 0 else len(code)].split())[:120]
            raise _err(f'write list columns as (GROUP_CONCAT(DISTINCT COALESCE(expr, ""); separator="|")'
                       f" AS ?name): {shown!r}", fname)
        produced.append(alias.group(1))
        if alias.group(1) not in names:
            raise _err(f"?{alias.group(1)} is a GROUP_CONCAT column: name it in '#+ list:' (its values are"
                       " sorted after the query runs)", fname)
    for name in names:
        if name not in produced:
            raise _err(f"list names ?{name} but no (GROUP_CONCAT(...) AS ?{name}) produces it", fname)
    for m in re.finditer(r"\bORDER\s+BY\b([^{}]*?)(?=\bLIMIT\b|\bOFFSET\b|[{}]|$)", body,
                         re.IGNORECASE | re.DOTALL):
        for name in names:
            if re.search(r"[?$]" + name + r"(?![A-Za-z0-9_])", m.group(1)):
                raise _err(f"list column ?{name} in ORDER BY: the order of the values inside it differs"
                           " between engines", fname)
    return tuple(names)


def check_stable(text: str, body: str, fname: str) -> None:
    """Plain SPARQL 1.1 only: no extension function (a call by IRI or prefixed name, other than an XML
    Schema cast like ``xsd:double(...)``), and no function whose value changes from one run or engine
    to the next (SAMPLE, RAND, NOW, ...)."""
    for func in UNSTABLE_FUNCTIONS:
        if re.search(r"(?<![\w:?$])" + func + r"\s*\(", body, re.IGNORECASE):
            raise _err(f"{func}() gives different values from one run or engine to the next; saved queries"
                       " must answer the same everywhere", fname)
    code = strip_comments_and_strings(text, keep_iris=True)
    declared = dict(re.findall(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", code, re.IGNORECASE))
    call = r"(<[^<>\"{}|^`\\\s]*>|(?<![\w?$:])[A-Za-z][\w.-]*:[\w.-]*|(?<![\w?$:]):[\w.-]*)\("
    for m in re.finditer(call, code):
        name = m.group(1)
        if name.startswith("<"):
            iri = name[1:-1]
        else:
            prefix, _, local = name.partition(":")
            iri = declared.get(prefix, PREFIXES.get(prefix, prefix + ":")) + local
        if not iri.startswith(PREFIXES["xsd"]):
            raise _err(f"{name}(...) is an extension function; saved queries are plain SPARQL 1.1", fname)


def _closing_paren(code: str, start: int) -> int:
    """Index of the ``)`` matching the ``(`` at ``start`` (strings skipped), or -1."""
    depth, i, n = 0, start, len(code)
    while i < n:
        c = code[i]
        if c in "\"'":
            quote = c * 3 if code.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not code.startswith(quote, j):
                j += 2 if code[j] == "\\" else 1
            i = j + len(quote)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1
