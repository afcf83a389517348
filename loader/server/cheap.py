"""Which queries are cheap enough to answer in the server process itself (no worker, no pipe).

A query qualifies only if its whole text matches this grammar (one regular expression, anchored at
both ends), and nothing else::

    (PREFIX p: <absolute-iri>)*
    SELECT [DISTINCT|REDUCED] (?v ... | *) [WHERE] { S P O [.] } [LIMIT n [OFFSET n] | OFFSET n [LIMIT n]]
    ASK [WHERE] { S P O [.] }

* ``S``, the subject, is a constant: ``<absolute-iri>`` or ``p:local`` with ``p:`` declared above;
* ``P``, the predicate, is such a constant, ``a``, or a variable (never a property path: no ``/ | ^
  * + ? !`` or parentheses);
* ``O``, the object, is a variable or such a constant (no literal, no blank node);
* keywords in any case; tokens separated by spaces, tabs and line breaks only; variables in ASCII
  letters, digits and ``_``; prefixes also ``-``; local names also ``-`` and ``.`` (not at their end);
  ``n`` decimal digits.

Anything else, however close, is not matched and goes to a worker: ``BASE``, ``FROM``, ``GRAPH``,
``FILTER``, ``OPTIONAL``, ``BIND``, ``VALUES``, ``ORDER/GROUP BY``, expressions in the projection, a
second pattern (``;`` ``,`` or ``.`` followed by more), a subquery, ``SERVICE``, a blank node, a
literal, a comment (``#`` outside an IRI), a backslash (SPARQL unescapes ``\\uXXXX`` before parsing,
so text with one may not mean what it shows), a relative IRI. Each name must end where SPARQL's own
tokenizer ends it (``ex:a:b`` is one name there, so it matches nothing here). Queries sent with
``default-graph-uri`` / ``named-graph-uri`` never qualify (the caller checks).

Such a query reads one index range: the quads with that subject (and predicate). The server counts
that range before running the query (:meth:`loader.server.local.LocalStore.run`) and still sends the
query to a worker when it holds more than the configured number of quads, so what runs in the server
process is bounded by that number as well as by the answer-size cap. It also passes the request
guards by construction (one level of braces, no ``SERVICE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..namespaces import RDF_TYPE

_WS = r"[ \t\r\n]*"
_NAMECHAR = "A-Za-z0-9_\\-\u00b7\u00c0-\U000effff"
# a name ends here only if SPARQL's tokenizer would end it here too
_END_NAME = rf"(?![{_NAMECHAR}:%\\]|\.[{_NAMECHAR}:%\\.])"
_END_WORD = rf"(?![{_NAMECHAR}:])"
_IRI = r"<[A-Za-z][A-Za-z0-9+.\-]*:[^<>\"{}|^`\\\x00-\x20]*>"
_PREFIX = r"(?:[A-Za-z][A-Za-z0-9_\-]*)?:"
_PNAME = rf"{_PREFIX}[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?{_END_NAME}"
_VAR = rf"[?$][A-Za-z0-9_]+{_END_WORD}"
_INT = rf"[0-9]+{_END_WORD}"


def _kw(word: str) -> str:
    return rf"(?i:{word}){_END_WORD}"


_CONST = rf"(?:{_IRI}|{_PNAME})"
_PATTERN = (rf"(?:{_kw('WHERE')}{_WS})?\{{{_WS}(?P<s>{_CONST}){_WS}"
            rf"(?P<p>{_CONST}|{_VAR}|a(?=[ \t\r\n<?$])){_WS}(?:{_CONST}|{_VAR}){_WS}\.?{_WS}\}}{_WS}")
_LIMIT = rf"{_kw('LIMIT')}{_WS}{_INT}{_WS}"
_OFFSET = rf"{_kw('OFFSET')}{_WS}{_INT}{_WS}"
_DECLARATION = rf"{_kw('PREFIX')}{_WS}({_PREFIX}){_WS}({_IRI}){_WS}"
_QUERY = re.compile(
    rf"{_WS}(?P<prologue>(?:{_DECLARATION})*)"
    rf"(?:(?P<select>{_kw('SELECT')}){_WS}(?:(?:{_kw('DISTINCT')}|{_kw('REDUCED')}){_WS})?"
    rf"(?:\*|(?:{_VAR}{_WS})+)|{_kw('ASK')}){_WS}"
    rf"{_PATTERN}(?(select)(?:{_LIMIT}(?:{_OFFSET})?|{_OFFSET}(?:{_LIMIT})?)?)")
_DECLARATIONS = re.compile(_DECLARATION)


@dataclass(frozen=True)
class Pattern:
    """The constant parts of the one triple pattern of a cheap query (IRIs as text)."""

    subject: str
    predicate: str | None        # None: a variable


def _resolve(term: str, prefixes: dict[str, str]) -> str | None:
    if term.startswith("<"):
        return term[1:-1]
    prefix, _, local = term.partition(":")
    base = prefixes.get(prefix + ":")
    return None if base is None else base + local


def cheap_pattern(text: str) -> Pattern | None:
    """The triple pattern of ``text`` if the query has the cheap shape above, else None."""
    m = _QUERY.fullmatch(text)
    if m is None:
        return None
    prefixes = {name: iri[1:-1] for name, iri in _DECLARATIONS.findall(m.group("prologue"))}
    subject = _resolve(m.group("s"), prefixes)
    p = m.group("p")
    predicate = None if p[0] in "?$" else RDF_TYPE if p == "a" else _resolve(p, prefixes)
    if subject is None or (predicate is None and p[0] not in "?$"):
        return None                   # an undeclared prefix: the engine reports it (from a worker)
    return Pattern(subject, predicate)
