"""Scalable SHACL validation: the shapes compiled to SPARQL and run inside Oxigraph.

pyshacl (:mod:`loader.shacl`) stays the oracle and the small-graph path; it walks the data in Python
and needs about 80 s at 100 k triples. Here each shape becomes a handful of SPARQL queries that
Oxigraph answers from its indexes, with results equal to pyshacl's: the same focus node, path, value,
source shape, constraint component, severity and messages (``tests/test_shacl_equivalence.py`` checks
it on the real graph, on a synthetic one and on a fixture that breaks every constraint).

Supported, as ``ontology/shapes.ttl`` uses them: targets ``sh:targetClass`` (instances of the class
or of its subclasses in the data graph), ``sh:targetNode``, ``sh:targetSubjectsOf``,
``sh:targetObjectsOf``; node shapes and their ``sh:property`` shapes; paths (IRIs, inverse, sequence,
alternative, ``*`` ``+`` ``?``); ``sh:minCount``, ``sh:maxCount``, ``sh:class``, ``sh:datatype``,
``sh:nodeKind``, ``sh:in``, ``sh:pattern`` (with ``sh:flags``), ``sh:minLength``, ``sh:maxLength``,
``sh:minInclusive`` / ``maxInclusive`` / ``minExclusive`` / ``maxExclusive``, ``sh:lessThan``,
``sh:lessThanOrEquals``, ``sh:or`` / ``sh:and`` / ``sh:not`` / ``sh:xone`` of shapes made of those value
constraints, ``sh:sparql`` SELECT constraints on node shapes, ``sh:severity``, ``sh:deactivated``,
``sh:message``. Anything else in the shapes (``sh:node``, ``sh:qualifiedValueShape``, ``sh:closed``, a
shape without ``sh:message``, ...) raises :class:`UnsupportedShapes`: validate with pyshacl then.

pyshacl's own semantics are followed where they differ from the letter of the standard:
``sh:datatype`` treats a literal as ill-typed exactly when rdflib does (Python checks the distinct
literals of that datatype; e.g. any ``xsd:gYear`` lexical form passes, ``"1e3"^^xsd:decimal`` passes);
``sh:lessThan`` gives one result per failing pair of values and compares IRIs and strings as text;
``sh:sparql`` constraints see ``$this`` joined with the focus nodes (equal to pre-binding when the
query binds ``$this`` in a triple pattern, as these shapes do), and a ``{?var}`` in the message is
replaced by the binding's text.
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH, XSD

from .errors import DataError

_KNOWN = {SH[n] for n in (
    "targetClass targetNode targetSubjectsOf targetObjectsOf property path message severity deactivated name "
    "description order group defaultValue class datatype nodeKind in pattern flags minLength maxLength "
    "minInclusive maxInclusive minExclusive maxExclusive or and not xone minCount maxCount lessThan "
    "lessThanOrEquals sparql").split()}
_VALUE = ("class", "datatype", "nodeKind", "in", "pattern", "minLength", "maxLength", "minInclusive",
          "maxInclusive", "minExclusive", "maxExclusive", "or", "and", "not", "xone")
_MEMBER_KNOWN = {SH[n] for n in _VALUE} | {SH.flags, SH.message, SH.name, SH.description}
_COMPARE = {"minInclusive": "{m} <= {v}", "maxInclusive": "{m} >= {v}", "minExclusive": "{m} < {v}",
            "maxExclusive": "{m} > {v}"}
_KINDS = {SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
          SH.BlankNodeOrIRI: "(isIRI({v}) || isBlank({v}))", SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
          SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))"}
# pyshacl's DatatypeConstraintComponent._assert_actual_datatype: the Python type rdflib must produce
_PYTHON_TYPE = {XSD.integer: int, XSD.float: float, XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date,
                XSD.time: time, XSD.dateTime: datetime}
_STRINGY = "(isIRI({x}) || (isLiteral({x}) && (datatype({x}) = <%s> || LANG({x}) != \"\")))" % XSD.string
_PREFIX_DECL = re.compile(r"^\s*((?:(?:PREFIX\s+[A-Za-z0-9_.-]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*)", re.I)


class UnsupportedShapes(DataError):
    """The shapes use SHACL features this module does not compile (validate with pyshacl)."""


@dataclass(frozen=True)
class Finding:
    """One validation result, as pyshacl reports it (rdflib terms; shape and path are shapes-graph nodes)."""

    severity: rdflib.URIRef
    focus: rdflib.term.Node
    path: rdflib.term.Node | None
    value: rdflib.term.Node | None
    shape: rdflib.term.Node
    component: rdflib.URIRef
    messages: tuple[str, ...]


@dataclass
class _Check:
    kind: str                      # "values", "count", "pair", "sparql"
    shape: rdflib.term.Node
    path: rdflib.term.Node | None
    query: str
    severity: rdflib.URIRef
    messages: tuple[str, ...]
    components: list = None        # values: [(column, component IRI)]; count: (min, max); pair: component
    extra: tuple = ()              # sparql: the constraint's own messages


def _sparql_term(t: rdflib.term.Node) -> str:
    if isinstance(t, rdflib.URIRef):
        return f"<{t}>"
    if isinstance(t, rdflib.Literal):
        return str(to_ox(t))
    raise UnsupportedShapes(f"a blank node ({t.n3()}) where the shapes need an IRI or a literal")


def to_ox(t):
    if isinstance(t, rdflib.URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, rdflib.BNode):
        return ox.BlankNode(str(t))
    if t.language:
        return ox.Literal(str(t), language=t.language)
    return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype or XSD.string)))


def to_rdflib(t):
    if isinstance(t, ox.NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return rdflib.BNode(t.value)
    if t.language:
        return rdflib.Literal(t.value, lang=t.language)
    dt = t.datatype.value
    return rdflib.Literal(t.value, datatype=None if dt == str(XSD.string) else rdflib.URIRef(dt))


class _Compiler:
    def __init__(self, shapes: rdflib.Graph, run) -> None:
        self.g = shapes
        self.run = run                 # run(query) -> list of QuerySolution
        self.n = 0
        supers = defaultdict(set)
        for row in run(f"SELECT DISTINCT ?s ?o WHERE {{ ?s <{RDFS.subClassOf}> ?o }}"):
            supers[row["o"]].add(row["s"])
        self.subs = supers              # class -> direct subclasses (pyoxigraph terms)

    def var(self, stem: str) -> str:
        self.n += 1
        return f"?_{stem}{self.n}"

    def subclasses(self, c: rdflib.URIRef) -> list[str]:
        seen, todo = set(), [ox.NamedNode(str(c))]
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo.extend(self.subs.get(x, ()))
        return sorted(x.value for x in seen)

    # ------------------------------------------------------------------ shapes
    def checks(self) -> list[_Check]:
        g, out = self.g, []
        nodes = set(g.subjects(RDF.type, SH.NodeShape)) | {s for p in (SH.targetClass, SH.targetNode,
                    SH.targetSubjectsOf, SH.targetObjectsOf) for s in g.subjects(p, None)}
        for shape in sorted(nodes, key=str):
            if self.off(shape):
                continue
            self.known(shape, _KNOWN)
            if (shape, RDF.type, RDFS.Class) in g or (shape, RDF.type, rdflib.OWL.Class) in g:
                raise UnsupportedShapes(f"{shape} is a class and a shape (implicit target)")
            targets = self.targets(shape)
            if targets is None:
                continue
            if g.value(shape, SH.path) is not None:
                raise UnsupportedShapes(f"{shape} is a property shape with targets of its own")
            out += self.shape_checks(shape, None, targets)
            for sparql in sorted(g.objects(shape, SH.sparql), key=str):
                out.append(self.sparql(shape, sparql, targets))
            for prop in sorted(g.objects(shape, SH.property), key=str):
                if self.off(prop):
                    continue
                self.known(prop, _KNOWN - {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf})
                if (prop, SH.property, None) in g or (prop, SH.sparql, None) in g:
                    raise UnsupportedShapes(f"nested sh:property or sh:sparql under a property shape of {shape}")
                out += self.shape_checks(prop, g.value(prop, SH.path), targets)
        return out

    def off(self, shape) -> bool:
        value = self.g.value(shape, SH.deactivated)
        return value is not None and value.toPython() is True

    def known(self, node, allowed) -> None:
        for p in set(self.g.predicates(node, None)):
            if str(p).startswith(str(SH)) and p not in allowed:
                raise UnsupportedShapes(f"{p.n3()} (on {node.n3()}) is not compiled to SPARQL; validate with pyshacl")

    def messages(self, shape) -> tuple[str, ...]:
        return tuple(sorted(str(m) for m in self.g.objects(shape, SH.message)))

    def targets(self, shape) -> str | None:
        g, parts = self.g, []
        classes = sorted({c for tc in g.objects(shape, SH.targetClass) for c in self.subclasses(tc)})
        if classes:
            parts.append(f"VALUES ?_tc {{ {' '.join(f'<{c}>' for c in classes)} }} ?this <{RDF.type}> ?_tc")
        nodes = sorted(g.objects(shape, SH.targetNode), key=str)
        if nodes:
            parts.append(f"VALUES ?this {{ {' '.join(_sparql_term(n) for n in nodes)} }}")
        parts += [f"?this <{p}> ?_to" for p in sorted(g.objects(shape, SH.targetSubjectsOf))]
        parts += [f"?_ts <{p}> ?this" for p in sorted(g.objects(shape, SH.targetObjectsOf))]
        if not parts:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(f"{{ {p} }}" for p in parts) + " } }"

    def path(self, node) -> str:
        g = self.g
        if isinstance(node, rdflib.URIRef):
            return f"<{node}>"
        for pred, fmt in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"), (SH.oneOrMorePath, "({})+"),
                          (SH.zeroOrOnePath, "({})?")):
            inner = g.value(node, pred)
            if inner is not None:
                return fmt.format(self.path(inner))
        alt = g.value(node, SH.alternativePath)
        if alt is not None:
            return "(" + "|".join(self.path(m) for m in rdflib.collection.Collection(g, alt)) + ")"
        if g.value(node, RDF.first) is not None:
            return "(" + "/".join(self.path(m) for m in rdflib.collection.Collection(g, node)) + ")"
        raise UnsupportedShapes(f"cannot read the path {node.n3()}")

    def shape_checks(self, shape, path_node, targets: str) -> list[_Check]:
        g = self.g
        messages = self.messages(shape)
        present = {p for p in g.predicates(shape, None)}
        validating = present & ({SH[n] for n in _VALUE} | {SH.minCount, SH.maxCount, SH.lessThan, SH.lessThanOrEquals})
        if not validating:
            return []
        if not messages:
            raise UnsupportedShapes(f"{shape.n3()} has no sh:message (pyshacl's generated messages are not reproduced)")
        severity = g.value(shape, SH.severity) or SH.Violation
        step = f"?this {self.path(path_node)} ?v ." if path_node is not None else "BIND(?this AS ?v)"
        out = []
        columns = []
        for name in _VALUE:
            for param in sorted(g.objects(shape, SH[name]), key=str):
                expr = self.value_test(name, param, shape, targets, step)
                col = self.var("ok")
                columns.append((col, expr, SH[name[0].upper() + name[1:] + "ConstraintComponent"]))
        if columns:
            binds = " ".join(f"BIND(COALESCE({e}, false) AS {c})" for c, e, _ in columns)
            failing = " || ".join(f"!{c}" for c, _, _ in columns)
            q = f"SELECT DISTINCT ?this ?v {' '.join(c for c, _, _ in columns)} WHERE {{ {targets} {step} {binds} FILTER({failing}) }}"
            out.append(_Check("values", shape, path_node, q, severity, messages, [(c[1:], k) for c, _, k in columns]))
        lo, hi = g.value(shape, SH.minCount), g.value(shape, SH.maxCount)
        if lo is not None or hi is not None:
            lo_n, hi_n = (int(lo) if lo is not None else None), (int(hi) if hi is not None else None)
            n = "COUNT(DISTINCT ?v)"              # HAVING cannot use the projected alias
            conds = ([f"{n} < {lo_n}"] if lo_n is not None else []) + ([f"{n} > {hi_n}"] if hi_n is not None else [])
            inner = f"OPTIONAL {{ {step} }}" if path_node is not None else step
            q = (f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {targets} {inner} }} GROUP BY ?this "
                 f"HAVING({' || '.join(conds)})")
            out.append(_Check("count", shape, path_node, q, severity, messages, (lo_n, hi_n)))
        for name, op in (("lessThan", "<"), ("lessThanOrEquals", "<=")):
            for other in sorted(g.objects(shape, SH[name]), key=str):
                if not isinstance(other, rdflib.URIRef):
                    raise UnsupportedShapes(f"sh:{name} must name a property")
                a, b = (f"IF({_STRINGY.format(x=x)}, STR({x}), {x})" for x in ("?v", "?w"))
                q = (f"SELECT ?this ?v ?w WHERE {{ {{ SELECT DISTINCT ?this ?v ?w WHERE {{ {targets} {step} "
                     f"?this <{other}> ?w }} }} FILTER(!COALESCE({a} {op} {b}, false)) }}")
                component = SH[name[0].upper() + name[1:] + "ConstraintComponent"]
                out.append(_Check("pair", shape, path_node, q, severity, messages, component))
        return out

    # ------------------------------------------------------------------ value tests (SPARQL expressions on v)
    def value_test(self, name: str, param, shape, targets: str, step: str, v: str = "?v") -> str:
        g = self.g
        if name == "class":
            t = self.var("c")
            classes = " ".join(f"<{c}>" for c in self.subclasses(param))
            return f"EXISTS {{ VALUES {t} {{ {classes} }} {v} <{RDF.type}> {t} }}"
        if name == "datatype":
            return self.datatype_test(param, targets, step, v)
        if name == "nodeKind":
            if param not in _KINDS:
                raise UnsupportedShapes(f"unknown sh:nodeKind {param.n3()}")
            return _KINDS[param].format(v=v)
        if name == "in":
            items = list(rdflib.collection.Collection(g, param))
            return "(" + " || ".join(f"sameTerm({v}, {_sparql_term(i)})" for i in items) + ")" if items else "false"
        if name == "pattern":
            flags = g.value(shape, SH.flags)
            args = f", {_sparql_term(rdflib.Literal(str(flags)))}" if flags is not None else ""
            return f"(!isBlank({v}) && REGEX(STR({v}), {_sparql_term(rdflib.Literal(str(param)))}{args}))"
        if name in ("minLength", "maxLength"):
            op = ">=" if name == "minLength" else "<="
            return f"(!isBlank({v}) && STRLEN(STR({v})) {op} {int(param)})"
        if name in _COMPARE:
            return "(" + _COMPARE[name].format(m=_sparql_term(param), v=v) + ")"
        members = list(rdflib.collection.Collection(g, param)) if name != "not" else [param]
        tests = [self.member_test(m, targets, step, v) for m in members]
        if name == "not":
            return f"!{tests[0]}"
        if name == "xone":
            return "(" + " + ".join(f"IF({t}, 1, 0)" for t in tests) + ") = 1"
        return "(" + f" {'||' if name == 'or' else '&&'} ".join(tests) + ")" if tests else ("false" if name == "or" else "true")

    def member_test(self, member, targets: str, step: str, v: str) -> str:
        self.known(member, _MEMBER_KNOWN)
        parts = [self.value_test(name, param, member, targets, step, v)
                 for name in _VALUE for param in sorted(self.g.objects(member, SH[name]), key=str)]
        return "(" + " && ".join(f"COALESCE({p}, false)" for p in parts) + ")" if parts else "true"

    def datatype_test(self, dt, targets: str, step: str, v: str) -> str:
        if dt == RDFS.Literal:
            return f"isLiteral({v})"
        if dt == RDFS.Datatype:
            raise UnsupportedShapes("sh:datatype rdfs:Datatype is not compiled")
        test = f"(isLiteral({v}) && datatype({v}) = <{dt}>)"
        if rdflib.term.XSDToPython.get(dt) is None:      # rdflib does not check the lexical form: any passes
            return test
        rows = self.run(f"SELECT DISTINCT ?v WHERE {{ {targets} {step} FILTER(isLiteral(?v) && datatype(?v) = <{dt}>) }}")
        bad = [r["v"] for r in rows if _ill_typed(r["v"].value, dt)]
        if bad:
            test = test[:-1] + " && !(" + " || ".join(f"sameTerm({v}, {b})" for b in bad) + "))"
        return test

    def sparql(self, shape, node, targets: str) -> _Check:
        g = self.g
        if self.off(node):
            return _Check("values", shape, None, "", SH.Violation, ())   # nothing to run
        self.known(node, {SH.select, SH.message, SH.prefixes, SH.deactivated, SH.name, SH.description})
        select = g.value(node, SH.select)
        if select is None:
            raise UnsupportedShapes(f"sh:sparql on {shape.n3()} without sh:select")
        text = str(select)
        head = _PREFIX_DECL.match(text).group(1)
        body = text[len(head):]
        declared = "".join(f"PREFIX {g.value(d, SH.prefix)}: <{g.value(d, SH.namespace)}>\n"
                           for p in g.objects(node, SH.prefixes) for d in g.objects(p, SH.declare))
        projection = re.match(r"\s*SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\s*WHERE", body, re.I | re.S)
        if projection is None or not re.search(r"[?$]this\b|\*", projection.group(1)):
            raise UnsupportedShapes(f"the sh:sparql query of {shape.n3()} must be a SELECT that projects $this")
        query = f"{declared}{head}SELECT * WHERE {{ {{ {body} }} {targets} }}"
        severity = g.value(shape, SH.severity) or SH.Violation
        return _Check("sparql", shape, None, query, severity, self.messages(shape), None,
                      tuple(str(m) for m in g.objects(node, SH.message)))


def _ill_typed(lexical: str, dt) -> bool:
    """pyshacl's test: rdflib finds the lexical form ill-typed, or gives a value of the wrong Python type."""
    lit = rdflib.Literal(lexical, datatype=dt)
    if lit.ill_typed is True:
        return True
    expected = _PYTHON_TYPE.get(dt)
    return expected is not None and not isinstance(lit.value, expected)


def _format(message: str, bindings: dict) -> str:
    for var, val in bindings.items():
        message = re.sub("{{[?$]{}}}".format(var), str(val), message)
    return message


def findings(store: ox.Store, shapes: rdflib.Graph, graphs: list[ox.NamedNode] | None = None,
             threads: int | None = None) -> list[Finding]:
    """Validate the union of ``graphs`` of ``store`` (default: every graph) against ``shapes``.

    The queries run on ``threads`` threads (default: one per CPU, at most 4); Oxigraph releases the GIL
    while it evaluates, so two cores validate about twice as fast as one.
    """
    options = {"default_graph": graphs} if graphs is not None else {"use_default_graph_as_union": True}

    def run(q: str):
        return list(store.query(q, **options))

    def answer(q: str):
        solutions = store.query(q, **options)
        return solutions.variables, list(solutions)

    rdflib_log = logging.getLogger("rdflib.term")
    was, rdflib_log.disabled = rdflib_log.disabled, True      # rdflib logs a traceback per ill-typed literal
    try:
        checks = [c for c in _Compiler(shapes, run).checks() if c.query]
        with ThreadPoolExecutor(threads or min(4, os.cpu_count() or 1)) as pool:
            answers = list(pool.map(lambda c: answer(c.query), checks))
        return [f for c, (variables, rows) in zip(checks, answers) for f in _evaluate(c, variables, rows)]
    finally:
        rdflib_log.disabled = was


def _evaluate(c: _Check, variables, rows) -> Iterable[Finding]:
    def make(focus, value, component, path=c.path, messages=c.messages):
        return Finding(c.severity, to_rdflib(focus), path, None if value is None else to_rdflib(value), c.shape,
                       component, messages)

    if c.kind == "values":
        for r in rows:
            for col, component in c.components:
                if r[col].value != "true":
                    yield make(r["this"], r["v"], component)
    elif c.kind == "count":
        lo, hi = c.components
        for r in rows:
            n = int(r["n"].value)
            if lo is not None and n < lo:
                yield make(r["this"], None, SH.MinCountConstraintComponent)
            if hi is not None and n > hi:
                yield make(r["this"], None, SH.MaxCountConstraintComponent)
    elif c.kind == "pair":
        for r in rows:
            yield make(r["this"], r["v"], c.components)
    else:
        seen = set()
        for r in rows:
            bound = {str(v)[1:]: to_rdflib(r[v]) for v in variables if r[v] is not None and not str(v).startswith("?_")}
            focus = bound.pop("this")
            if "failure" in bound:
                key = (focus, True)
                value, path = focus, None
            else:
                path, value = bound.pop("path", None), bound.pop("value", None) or focus
                key = (focus, path, value, tuple(sorted(bound.items())))
            if key in seen:
                continue
            seen.add(key)
            fmt = {**bound, "this": focus, **({"path": path} if path is not None else {}), "value": value}
            msgs = [_format(m, fmt) for m in c.messages] + [_format(m, fmt) for m in c.extra if m not in c.messages]
            yield Finding(c.severity, focus, path, value, c.shape, SH.SPARQLConstraintComponent, tuple(sorted(msgs)))


def validate(parsed, store: ox.Store | None = None, graphs: list[ox.NamedNode] | None = None):
    """Stage 3 with compiled SPARQL: the same :class:`loader.shacl.ShaclSummary` or :class:`ShapeError`
    (same report, line for line) as :func:`loader.shacl.validate`.

    ``store`` may be a store already holding the ontology, corpus and data graphs of ``parsed`` (the build's
    reasoning store, before reasoning) with ``graphs`` naming them, or None for every graph of ``store``;
    without ``store`` one is made from ``parsed``.
    """
    from . import shacl

    shape_quads = list(parsed.quads({"shapes"}))
    if not shape_quads:
        return shacl.ShaclSummary(0, ())
    shapes = shacl._graph(shape_quads)
    if store is None:
        store = ox.Store()
        store.bulk_extend(parsed.quads({"ontology", "data", "corpus"}))
        graphs = None
    found = findings(store, shapes, graphs)
    return report(parsed, shapes, found)


def report(parsed, shapes: rdflib.Graph, found: list[Finding]):
    """:class:`loader.shacl.ShaclSummary` for ``found``, or :class:`ShapeError` with the report."""
    from . import shacl

    prefixes = shacl._prefixes(parsed)
    results = []
    for f in found:
        ox_focus = to_ox(f.focus) if not isinstance(f.focus, rdflib.Literal) else None
        files = parsed.files_with_subject(ox_focus) if ox_focus is not None else []
        data_files = [x for x in files if x.startswith(("triples/", "corpus/"))] or files
        results.append(shacl.Result(
            severity=str(f.severity).rsplit("#", 1)[-1], file=", ".join(data_files) or "?",
            focus=shacl._show(f.focus, prefixes),
            path=shacl._path(shapes, f.path, prefixes),
            message=" / ".join(f.messages) or "(no message)",
            shape=shacl._show(f.shape, prefixes) if isinstance(f.shape, rdflib.URIRef)
            else shacl._shape_name(shapes, f.shape, prefixes),
            value=shacl._show(f.value, prefixes), check=shacl.check_name(f.component)))
    return shacl.summarise(results, shapes)
