"""Turn a query the embedded store would run into text any SPARQL 1.1 engine runs the same way.

:func:`prepare` applies, in order:

1. **Parameters** (pyoxigraph ``substitutions``, SEP-0007 semantics: the value replaces the variable
   in the query and in every subquery that projects it). Each value is written with pyoxigraph's own
   term serialisation (``str(term)``, which escapes quotes, backslashes and line breaks), and that text
   is parsed back by pyoxigraph and compared with the value before it is used: what reaches the remote
   is exactly one IRI or literal, equal to the validated value. Where SPARQL needs a variable, the
   value is written as an expression: ``SELECT ?site`` becomes ``SELECT (<iri> AS ?site)`` (in a
   subquery a fresh variable takes the projection), ``GROUP BY ?site`` and ``ORDER BY ?site`` become
   ``GROUP BY (<iri>)``; ``BOUND(?site)`` becomes ``true``. A parameter the query assigns (``AS ?x``,
   ``VALUES ?x``) is refused, and so is ``SELECT *`` with parameters.
2. **bkf:list** (the project's aggregate, :mod:`loader.functions`): it becomes
   ``GROUP_CONCAT(DISTINCT ...; SEPARATOR="\\u001F")`` over the values tagged ``i``/``l`` (IRI, literal)
   and percent-encoded (``ENCODE_FOR_URI``: no value can then hold the separator);
   the remote store splits, names, deduplicates and sorts them (:func:`canonical_list`), which gives
   the same value bkf:list gives. The aggregate must be written ``(bkf:list(...) AS ?v)``, and ``?v`` may
   only be projected, grouped on or ordered by (anything else would see the unsorted text).
3. **Order**: when a list column is used, the remote's ORDER BY sorted the unsorted text, so the
   answer is sorted again here, by pyoxigraph, with the query's own ``ORDER BY`` (and ``LIMIT`` /
   ``OFFSET`` / ``DISTINCT`` are applied here too).
4. **Prologue and dataset**: predeclared prefixes that the query does not declare, a ``BASE``, and
   ``FROM`` / ``FROM NAMED`` for every project graph (the default graph as the union of the named
   graphs, in any engine), unless the query has its own dataset clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import pyoxigraph

from .errors import QueryError
from .sparqltext import Query, analyse, dataset_position, matching, render, resolve, significant

LIST = "https://w3id.org/bukamal-kg/function#list"     # loader.functions' bkf:list, when registered
SEPARATOR = "\x1f"
_FRESH = "_bkparam_"
_CHECK = pyoxigraph.Store()


@dataclass
class Prepared:
    text: str
    form: str
    list_columns: frozenset[str] = frozenset()
    distinct: bool = False
    prologue: str = ""
    order_by: str | None = None           # the top-level ORDER BY, to sort the answer again here
    order_vars: frozenset[str] = frozenset()
    limit: int | None = None
    offset: int = 0
    projected: tuple[str, ...] = field(default_factory=tuple)


def term_text(term) -> str:
    """``term`` as SPARQL text, proven to parse back to exactly ``term`` (IRIs and literals only)."""
    if not isinstance(term, (pyoxigraph.NamedNode, pyoxigraph.Literal)):
        raise QueryError(f"a remote store can bind only IRIs and literals, not {type(term).__name__}")
    text = str(term)
    try:
        rows = list(_CHECK.query("SELECT ?x WHERE { BIND(%s AS ?x) }" % text))
    except SyntaxError:
        rows = []
    if len(rows) != 1 or rows[0]["x"] != term:
        raise QueryError("a parameter value cannot be written safely into the remote query")
    return text


def prepare(text: str, *, substitutions=None, prefixes=None, base_iri: str | None = None,
            lists: bool = False, graphs: list[str] | None = None) -> Prepared:
    """The text to send and what to do with the answer (see the module docstring)."""
    q = analyse(text)
    known = dict(prefixes or {})
    known.update(q.prefixes)
    subs = {v.value: term_text(t) for v, t in (substitutions or {}).items()}
    if subs:
        _substitute(q, subs)
    columns = frozenset(_rewrite_lists(q, known)) if lists else frozenset()
    prepared = Prepared(text="", form=q.form, list_columns=columns)
    top = q.scopes[0] if q.form == "SELECT" and q.scopes else None
    if top is not None:
        prepared.projected = tuple(top.names)
    if columns and top is not None:
        _modifiers(q, top, prepared)
    if graphs is not None:
        pos = dataset_position(q)
        if pos is not None:
            iris = [str(pyoxigraph.NamedNode(g)) for g in graphs]      # validated: no '>' or spaces inside
            clause = "".join(f"FROM {g} " for g in iris) + "".join(f"FROM NAMED {g} " for g in iris)
            if pos < len(q.tokens):
                q.tokens[pos].text = clause + q.tokens[pos].text
            else:
                q.tokens[-1].text += " " + clause
    head = "".join(f"PREFIX {p}: {pyoxigraph.NamedNode(iri)}\n" for p, iri in (prefixes or {}).items()
                   if p not in q.prefixes and re.fullmatch(r"[A-Za-z][\w.-]*|", p))
    if base_iri:            # e.g. the endpoint's own URL, made from the request's Host header: validated
        head = f"BASE {term_text(pyoxigraph.NamedNode(base_iri))}\n" + head
    prepared.prologue = head + q.prologue()
    prepared.text = head + render(q.tokens)
    return prepared


# ------------------------------------------------------------------------------------------ parameters

def _substituted(q: Query, n: int | None, name: str, memo: dict) -> bool:
    if n is None:
        return True
    if n not in memo:
        s = q.scopes[n]
        if n == 0 and q.form == "SELECT" and s.start == q.form_index:
            memo[n] = True
        else:
            memo[n] = _substituted(q, s.parent, name, memo) and (name in s.projected or s.star)
    return memo[n]


def _values_vars(q: Query) -> set[int]:
    out: set[int] = set()
    t = q.tokens
    for i, tok in enumerate(t):
        if tok.upper != "VALUES":
            continue
        j = significant(t, i, 1)
        if j is not None and t[j].kind == "var":
            out.add(j)
        elif j is not None and t[j].text == "(":
            out.update(k for k in range(j, matching(t, j)) if t[k].kind == "var")
    return out


def _minus_spans(q: Query) -> list[tuple[int, int]]:
    """The token spans of the groups after MINUS (braces included)."""
    t = q.tokens
    out = []
    for i, tok in enumerate(t):
        if tok.upper == "MINUS" and (j := significant(t, i, 1)) is not None and t[j].text == "{":
            out.append((j, matching(t, j)))
    return out


def _depth_in(q: Query, start: int, i: int) -> int:
    t = q.tokens
    depth = 0
    for k in range(start, i):
        if t[k].kind == "punct" and t[k].text == "(":
            depth += 1
        elif t[k].kind == "punct" and t[k].text == ")":
            depth -= 1
    return depth


def _set(tok, text: str) -> None:
    tok.text, tok.kind = text, "sub"


def _bind_targets(q: Query) -> dict[int, int]:
    """``BIND(expr AS ?v)``: index of ``?v`` -> index of the BIND's closing parenthesis."""
    t = q.tokens
    out: dict[int, int] = {}
    for i, tok in enumerate(t):
        if tok.upper == "BIND" and (j := significant(t, i, 1)) is not None and t[j].text == "(":
            close = matching(t, j)
            var = significant(t, close, -1)
            if var is not None and t[var].kind == "var":
                out[var] = close
    return out


def _substitute(q: Query, subs: dict[str, str]) -> None:
    t = q.tokens
    top = q.scopes[0] if q.form == "SELECT" and q.scopes else None
    if top is not None and top.star and any(tok.kind == "var" and tok.name in subs for tok in t):
        raise QueryError("a remote store cannot bind parameters in SELECT *: name the columns")
    in_values = _values_vars(q)
    in_minus = _minus_spans(q)
    binds = _bind_targets(q)
    memos: dict[str, dict] = {name: {} for name in subs}
    for i, tok in enumerate(t):
        if tok.kind != "var" or tok.name not in subs:
            continue
        name, value = tok.name, subs[tok.name]
        n = q.scope_of(i)
        if not _substituted(q, n, name, memos[name]):
            continue
        before = significant(t, i, -1)
        after = significant(t, i, 1)
        if i in binds:       # pyoxigraph keeps a row when the BIND errs or gives the value: a join
            fresh = f"?{_FRESH}{name}"
            _set(tok, fresh)
            t[binds[i]].text += f" FILTER(!BOUND({fresh}) || sameTerm({fresh}, {value}))"
            continue
        if (before is not None and t[before].upper == "AS") or i in in_values:
            raise QueryError(f"?{name} is a parameter, but the query assigns it")
        if any(a < i < b for a, b in in_minus):
            # pyoxigraph binds it on both sides of MINUS; a constant in its place shares no variable
            # with the rows, and MINUS would then remove nothing: refused rather than answered otherwise
            raise QueryError(f"?{name} is a parameter used inside MINUS; use FILTER NOT EXISTS instead")
        if (before is not None and t[before].text == "(" and after is not None and t[after].text == ")"
                and (b2 := significant(t, before, -1)) is not None and t[b2].upper == "BOUND"):
            _set(t[b2], "true")
            for k in (before, i, after):
                _set(t[k], "")
            continue
        scope = q.scopes[n] if n is not None else None
        if scope is not None and scope.projected.get(name) == i:
            alias = name if scope is top else f"{_FRESH}{name}"
            _set(tok, f"({value} AS ?{alias})")
            continue
        clause = scope.in_clause(i) if scope is not None else None
        if clause is not None and clause.keyword in ("GROUP", "ORDER") and _depth_in(q, clause.start, i) == 0:
            _set(tok, f"({value})")
            continue
        _set(tok, value)


# ------------------------------------------------------------------------------------------ bkf:list

def _list_call(inner: str) -> str:
    e = inner.strip()
    if e[:8].upper() == "DISTINCT" and not e[8:9].isalnum():
        e = e[8:].strip()
    # percent-encoded (ENCODE_FOR_URI), so that no value can hold the separator
    item = (f'COALESCE(IF(isIRI({e}), CONCAT("i", ENCODE_FOR_URI(STR({e}))), '
            f'IF(isLiteral({e}), CONCAT("l", ENCODE_FOR_URI(STR({e}))), "b")), "e")')
    return f'GROUP_CONCAT(DISTINCT {item}; SEPARATOR="\\u001F")'


def _rewrite_lists(q: Query, prefixes: dict[str, str]) -> set[str]:
    t = q.tokens
    aliases: dict[str, int] = {}
    for i in range(len(t)):
        if resolve(t, i, prefixes) != LIST:
            continue
        open_ = significant(t, i, 1)
        if open_ is None or t[open_].text != "(":
            continue
        close = matching(t, open_)
        before = significant(t, i, -1)
        as_ = significant(t, close, 1)
        var = significant(t, as_, 1) if as_ is not None else None
        if (before is None or t[before].text != "(" or as_ is None or t[as_].upper != "AS"
                or var is None or t[var].kind != "var"):
            raise QueryError("on a remote store bkf:list must be used as (bkf:list(...) AS ?name)")
        _set(t[i], _list_call(render(t[open_ + 1:close])))
        for k in range(i + 1, close + 1):
            _set(t[k], "")
        aliases[t[var].name] = var
    for i, tok in enumerate(t):
        if tok.kind != "var" or tok.name not in aliases or aliases[tok.name] == i:
            continue
        n = q.scope_of(i)
        scope = q.scopes[n] if n is not None else None
        clause = scope.in_clause(i) if scope is not None else None
        if scope is not None and (scope.projected.get(tok.name) == i or (clause is not None and (
                clause.keyword == "ORDER" or (clause.keyword == "GROUP" and _depth_in(q, clause.start, i) == 0)))):
            continue
        raise QueryError(f"?{tok.name} holds a bkf:list; on a remote store it can only be projected,"
                         " grouped on or ordered by")
    return set(aliases)


def _modifiers(q: Query, top, prepared: Prepared) -> None:
    """Move DISTINCT, ORDER BY, LIMIT and OFFSET of the top-level query to this side."""
    t = q.tokens
    prepared.distinct = top.distinct
    order = top.clause("ORDER")
    if order is None:
        return
    names = frozenset(tok.name for tok in t[order.start:order.end] if tok.kind == "var")
    visible = set(top.names) if not top.star else None
    if visible is not None and not names <= visible:
        if names & prepared.list_columns:
            raise QueryError("on a remote store a query ordered by a bkf:list column may only order"
                             " by projected variables")
        return                                   # the remote's own order is the answer's order
    prepared.order_by = render(t[order.start:order.end])
    prepared.order_vars = names
    for keyword in ("LIMIT", "OFFSET"):
        clause = top.clause(keyword)
        if clause is None:
            continue
        number = next((int(tok.text) for tok in t[clause.start:clause.end] if tok.kind == "number"), None)
        if keyword == "LIMIT":
            prepared.limit = number
        else:
            prepared.offset = number or 0
        for k in range(clause.start, clause.end):
            if t[k].kind not in ("ws", "comment"):
                _set(t[k], "")


def canonical_list(text: str) -> pyoxigraph.Literal | None:
    """A GROUP_CONCAT of tagged items -> what ``bkf:list`` gives in the embedded store.

    The items go through bkf:list's own accumulator (:class:`loader.functions.SortedList`). An ``e``
    item (the value was unbound or an error in some row) makes the result unbound, as pyoxigraph makes
    a custom aggregate unbound when its argument fails in any row of the group.
    """
    from .functions import SortedList

    acc = SortedList()
    for item in text.split(SEPARATOR):
        if item == "e":
            return None
        if item.startswith("i"):
            acc.accumulate(pyoxigraph.NamedNode(unquote(item[1:], errors="strict")))
        elif item.startswith("l"):
            acc.accumulate(pyoxigraph.Literal(unquote(item[1:], errors="strict")))
        elif item == "b":
            acc.accumulate(pyoxigraph.BlankNode())
    return acc.finish()
