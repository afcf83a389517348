"""Validate saved-query parameters and turn them into pyoxigraph substitutions (binding, never splicing).

``bind(query, raw, store)`` checks every raw value against its declared type and returns a
``{Variable: term}`` mapping for ``Store.query(..., substitutions=...)``. No value is ever formatted
into SPARQL text.

Types:
  iri      an absolute IRI (optionally inside ``<...>``), a prefixed name with a project prefix
           (``bkr:imam-ali-base``), or a label: matched case-insensitively and exactly against
           ``rdfs:label`` and ``skos:altLabel`` in the store. Unknown -> error with close candidates;
           a label naming several things -> error listing all of them with their IRIs. With
           ``class=bk:X`` the thing must be an instance of that class (asserted or inferred). Labels
           are looked up in the store's label index (:mod:`loader.labels`); an IRI or a class is
           checked with one ``ASK`` each.
  string   any text up to 200 characters without control characters (NUL included).
  date     ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` -> ``xsd:date``: the first day of the interval it
           names when the parameter is declared ``bound=start``, the last day when ``bound=end``.
  integer  optional sign and up to 18 digits -> ``xsd:integer``, within the declared min/max.
  enum     one of the declared values (exact); bound as an IRI if the values are prefixed names, else
           as an ``xsd:string``.

An empty value counts as "not given" (HTML forms send empty fields). Unknown names and missing
required parameters are errors. Optional parameters left out (and without default) stay unbound.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping

import pyoxigraph

from .errors import ParameterError
from .labels import label_index, loose_key, name_key
from .namespaces import PREFIXES
from .registry import (INT_TEXT, MAX_STRING, Param, SavedQuery, _enum_is_iri, _is_project_pname, _parse_date,
                       expand_pname)

MAX_IRI = 2000
XSD = PREFIXES["xsd"]
_IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]+$")
_PNAME_HEAD = re.compile(r"^([A-Za-z][A-Za-z0-9_\-]*):(.*)$")


def bind(query: SavedQuery, raw: Mapping[str, str], store) -> dict[pyoxigraph.Variable, object]:
    """Validated substitutions for ``query`` from the raw (text) parameter values."""
    declared = {p.name: p for p in query.params}
    for name in raw:
        if name not in declared:
            shown = _show(name)
            known = ", ".join(declared) or "none"
            raise ParameterError(f"{query.name}: unknown parameter {shown!r} (parameters: {known})")
    out: dict[pyoxigraph.Variable, object] = {}
    for p in query.params:
        value = raw.get(p.name)
        if value is not None and not isinstance(value, str):
            raise ParameterError(f"{query.name}: parameter {p.name!r} must be text")
        # nothing, or (but for a string, where spaces may be what is looked for) only spaces: not given
        if value is None or value == "" or (p.type != "string" and value.strip() == ""):
            if p.default is not None:
                value = p.default
            elif p.required:
                raise ParameterError(f"{query.name}: missing required parameter {p.name!r} ({p.type}):"
                                     f" {p.description}")
            else:
                continue
        out[pyoxigraph.Variable(p.name)] = convert(p, value, store, query.name)
    _check_range(query, out)
    return out


def add_value(values: dict[str, str], name: str, value: str) -> bool:
    """Record one raw ``name=value`` of a request or command line; False when ``name`` already has a
    non-empty value (the caller reports it in its own terms). An empty value counts as not given."""
    if values.get(name, "") != "":
        return value == ""
    values[name] = value
    return True


def _check_range(query: SavedQuery, values: Mapping[pyoxigraph.Variable, object]) -> None:
    """A start date after an end date is an error, not an empty answer."""
    starts = [p for p in query.params if p.type == "date" and p.bound == "start"]
    ends = [p for p in query.params if p.type == "date" and p.bound == "end"]
    for start in starts:
        for end in ends:
            a, b = values.get(pyoxigraph.Variable(start.name)), values.get(pyoxigraph.Variable(end.name))
            if a is not None and b is not None and a.value > b.value:
                raise ParameterError(f"{query.name}: {start.name} ({a.value}) is after {end.name} ({b.value})")


def convert(p: Param, value: str, store, qname: str = "") -> object:
    """One raw value -> an RDF term, or :class:`ParameterError`."""
    where = f"{qname}: parameter {p.name!r}" if qname else f"parameter {p.name!r}"
    if "\x00" in value:
        raise ParameterError(f"{where}: the value contains a NUL character")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ParameterError(f"{where}: the value contains control characters")
    if any(unicodedata.category(ch) == "Cs" for ch in value):     # bytes that were not UTF-8 (surrogate-escaped)
        raise ParameterError(f"{where}: the value is not valid UTF-8 text")
    if p.type == "string":
        if len(value) > MAX_STRING:
            raise ParameterError(f"{where}: longer than {MAX_STRING} characters")
        return pyoxigraph.Literal(value)
    if p.type == "integer":
        value = value.strip()            # as dates and enums are read: "50 " is 50
        if not INT_TEXT.match(value):
            raise ParameterError(f"{where}: expected an integer, got {_show(value)!r}")
        n = int(value)
        if (p.minimum is not None and n < p.minimum) or (p.maximum is not None and n > p.maximum):
            raise ParameterError(f"{where}: {n} is outside {p.minimum}..{p.maximum}")
        return pyoxigraph.Literal(str(n), datatype=pyoxigraph.NamedNode(XSD + "integer"))
    if p.type == "date":
        day = _parse_date(value, p.bound or "start")
        if day is None:
            raise ParameterError(f"{where}: expected a date YYYY, YYYY-MM or YYYY-MM-DD,"
                                 f" got {_show(value)!r}")
        return pyoxigraph.Literal(day.isoformat(), datatype=pyoxigraph.NamedNode(XSD + "date"))
    if p.type == "enum":
        allowed = _enum_value(p, value)
        if allowed is None:
            raise ParameterError(f"{where}: {_show(value)!r} is not one of {', '.join(p.values)}",
                                 candidates=p.values)
        value = allowed
        if _enum_is_iri(value):
            return pyoxigraph.NamedNode(expand_pname(value))
        return pyoxigraph.Literal(value)
    if p.type == "iri":
        return _resolve_iri(p, value, store, where)
    raise ParameterError(f"{where}: unknown type {p.type!r}")  # the registry rejects these earlier


def _enum_value(p: Param, value: str) -> str | None:
    """The allowed value ``value`` stands for: itself, or the one value equal to it ignoring case, or
    whose local name (after ``prefix:``) it is (``killed`` for ``bk:Killed``); None if none or several."""
    if value in p.values:
        return value
    key = value.strip().casefold()
    found = [v for v in p.values if v.casefold() == key or (":" in v and v.split(":", 1)[1].casefold() == key)]
    return found[0] if len(found) == 1 else None


def _show(value: str, limit: int = 60) -> str:
    """A value safe and short enough to echo in a message."""
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(value))
    return text if len(text) <= limit else text[:limit] + "\u2026"


def _resolve_iri(p: Param, value: str, store, where: str) -> pyoxigraph.NamedNode:
    value = value.strip()
    if len(value) > MAX_IRI:
        raise ParameterError(f"{where}: longer than {MAX_IRI} characters")
    iri: str | None = None
    if value.startswith("<"):
        inner = value[1:-1] if value.endswith(">") else None
        if inner is None or not _IRI_RE.match(inner):
            raise ParameterError(f"{where}: {_show(value)!r} is not a valid absolute IRI")
        iri = inner
    else:
        m = _PNAME_HEAD.match(value)
        if m and m.group(1) in PREFIXES:
            if not _is_project_pname(value):
                raise ParameterError(f"{where}: {_show(value)!r} is not a valid prefixed name")
            iri = expand_pname(value)
        elif _IRI_RE.match(value):
            iri = value
    if iri is not None:
        try:
            node = pyoxigraph.NamedNode(iri)
        except ValueError:
            raise ParameterError(f"{where}: {_show(value)!r} is not a valid IRI") from None
        _check_known(node, p, store, where)
        return node
    if len(value) > MAX_STRING:
        raise ParameterError(f"{where}: a name longer than {MAX_STRING} characters")
    return _resolve_label(value, p, store, where)


_IS_KNOWN_Q = "ASK { { ?x ?p ?o } UNION { ?s ?p ?x } }"
_LOCAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def _by_local_name(value: str, store) -> tuple[str, ...]:
    """``(bkr:VALUE,)`` when ``value`` is the local name of a resource the store knows (``doc-002`` for
    ``bkr:doc-002``), else ``()``: tried when no label matches."""
    if not _LOCAL_NAME.match(value):
        return ()
    iri = PREFIXES["bkr"] + value
    return (iri,) if _ask(store, _IS_KNOWN_Q, {pyoxigraph.Variable("x"): pyoxigraph.NamedNode(iri)}) else ()
_IS_A_Q = "ASK { ?x a/<%ssubClassOf>* ?c }" % PREFIXES["rdfs"]


def _ask(store, text: str, substitutions) -> bool:
    return bool(store.query(text, use_default_graph_as_union=True, substitutions=substitutions))


def _is_a(store, iri: str, cls: str) -> bool:
    """Whether ``iri`` is an instance of the class ``cls`` (a prefixed name), asserted or inferred."""
    return _ask(store, _IS_A_Q, {pyoxigraph.Variable("x"): pyoxigraph.NamedNode(iri),
                                 pyoxigraph.Variable("c"): pyoxigraph.NamedNode(expand_pname(cls))})


def _check_known(node: pyoxigraph.NamedNode, p: Param, store, where: str) -> None:
    if not _ask(store, _IS_KNOWN_Q, {pyoxigraph.Variable("x"): node}):
        close = _close_iris(node.value, store, p)
        raise ParameterError(f"{where}: unknown IRI <{_show(node.value, 200)}>"
                             + (f"; did you mean: {', '.join(close)}" if close else ""),
                             candidates=tuple(close))
    if p.cls is not None and not _is_a(store, node.value, p.cls):
        raise ParameterError(f"{where}: <{_show(node.value, 200)}> is not a {p.cls}")


def _close_iris(iri: str, store, p: Param) -> list[str]:
    index = label_index(store)
    members = index.instances(p.cls) if p.cls else None
    iris = sorted({s for s, _ in index.pairs if members is None or s in members})
    return difflib.get_close_matches(iri, iris, n=3, cutoff=0.8)


_LINKING_WORDS = {"a", "an", "the", "of", "in", "at", "on", "and", "near", "al", "el"}


def _resolve_label(value: str, p: Param, store, where: str) -> pyoxigraph.NamedNode:
    index = label_index(store)
    wanted = name_key(value)
    named = index.named(value) or _by_local_name(value, store)
    hits = [s for s in named if p.cls is None or _is_a(store, s, p.cls)]
    if len(hits) == 1:
        return pyoxigraph.NamedNode(hits[0])
    if hits:
        listing = "; ".join(f"<{s}> ({index.first_label(s)})" for s in hits)
        raise ParameterError(f"{where}: {_show(value)!r} names several things: {listing};"
                             " give the IRI instead", candidates=tuple(hits))
    if named:
        listing = "; ".join(f"<{s}>" for s in named)
        raise ParameterError(f"{where}: {_show(value)!r} names {listing}, not a {p.cls}",
                             candidates=named)
    members = index.instances(p.cls) if p.cls else None
    by_label: dict[str, set[str]] = {}
    for s, lab in index.pairs:
        if members is None or s in members:
            by_label.setdefault(name_key(lab), set()).add(s)
    # labels holding what was typed (a short form such as "Sikak" for "al-Sikak crossing") or each word
    # typed ("June 2018 airstrike"), shortest first, then labels spelled alike
    words = [w for w in loose_key(value).split() if w not in _LINKING_WORDS]
    def holds(k: str) -> bool:
        if len(wanted) >= 3 and wanted in k:
            return True
        loose = loose_key(k) if len(words) > 1 else ""
        return bool(loose) and all(w in loose for w in words)

    holding = sorted(filter(holds, by_label), key=lambda k: (len(k), k))[:5]
    close = list(dict.fromkeys(holding + difflib.get_close_matches(wanted, list(by_label), n=5, cutoff=0.6)))
    if not close:
        close = sorted(k for k in by_label if k in wanted)[:5]
    iris = list(dict.fromkeys(s for k in close for s in sorted(by_label[k])))
    cands = [f"{index.first_label(s)} <{s}>" for s in iris]
    kind = f" {p.cls}" if p.cls else ""
    raise ParameterError(f"{where}: nothing{kind and ' of class' + kind} is labelled {_show(value)!r}"
                         + (f"; close: {'; '.join(cands)}" if cands else ""),
                         candidates=tuple(cands))
