"""Stage 3: validate the data with the SHACL shapes of ``ontology/shapes.ttl`` (pyshacl).

Data graph: every ``triples/*.ttl`` graph, ``corpus/metadata.ttl`` and the ontology -- all asserted
graphs but the shapes, as queries see them. The ontology is merged in full (not as pyshacl's
``ont_graph``, which copies only the class hierarchy and ``owl:NamedIndividual`` nodes) so that
``sh:targetClass`` / ``sh:class`` follow ``rdfs:subClassOf`` (SHACL's "instance of") and individuals
the ontology defines (``bkr:time-unknown a bk:TimeSpec``) have their types.

Inference is ``none``, on purpose: with ``rdfs`` inference a ``bk:hasAgent`` value would become a
``bk:Actor`` merely through the property's ``rdfs:range``, so ``sh:class bk:Actor`` could never fail
and a forgotten type would pass unnoticed. The shapes check what the authors wrote; reasoning comes
after validation (stage 4).

Violations fail the build (:class:`ShapeError`) with a readable report: for each result the source file
(the ``triples/*.ttl`` or ``corpus/metadata.ttl`` file in which the focus node is a subject), the focus
node, the path, the message and the shape. Warnings and infos are reported but do not fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph
import pyshacl
import rdflib
from rdflib.namespace import RDF, SH

from .errors import DataError, ShapeError
from .namespaces import PREFIXES
from .parse import Parsed
from .terms import compact_iri


@dataclass(frozen=True)
class Result:
    severity: str       # "Violation", "Warning" or "Info"
    file: str           # where the focus node is described ("?" if nowhere)
    focus: str
    path: str
    message: str
    shape: str
    value: str
    check: str = ""     # the constraint that failed (sh:datatype, sh:minCount, ...): one shape may fail several

    def lines(self) -> list[str]:
        out = [f"  {self.file}: {self.focus}", f"      path:    {self.path}", f"      message: {self.message}",
               f"      shape:   {self.shape}"]
        if self.check:
            out.append(f"      check:   {self.check}")
        if self.value:
            out.append(f"      value:   {self.value}")
        return out


@dataclass(frozen=True)
class ShaclSummary:
    shapes: int
    warnings: tuple[Result, ...]      # sh:Warning and sh:Info results (they do not fail the build)


def _graph(quads) -> rdflib.Graph:
    g = rdflib.Graph()
    data = pyoxigraph.serialize((pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads),
                                format=pyoxigraph.RdfFormat.N_TRIPLES)
    g.parse(data=data.decode("utf-8"), format="nt")
    return g


def _prefixes(parsed: Parsed) -> dict[str, str]:
    return {**parsed.prefixes(), **PREFIXES}


def _show(term, prefixes: dict[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, rdflib.URIRef):
        return compact_iri(str(term), prefixes)
    if isinstance(term, rdflib.Literal):
        return term.n3()
    return f"_:{term}"


def _path(g: rdflib.Graph, node, prefixes: dict[str, str]) -> str:
    """A SHACL property path in SPARQL syntax (``a/b``, ``^a``, ``a|b``, ``a*``)."""
    if node is None:
        return "(none)"
    if isinstance(node, rdflib.URIRef):
        return _show(node, prefixes)
    for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                      (SH.zeroOrOnePath, "{}?")):
        inner = g.value(node, pred)
        if inner is not None:
            return fmt.format(_path(g, inner, prefixes))
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        return "(" + "|".join(_path(g, m, prefixes) for m in rdflib.collection.Collection(g, alt)) + ")"
    if g.value(node, RDF.first) is not None:
        return "/".join(_path(g, m, prefixes) for m in rdflib.collection.Collection(g, node))
    return _show(node, prefixes)


def count_shapes(shapes: rdflib.Graph) -> int:
    nodes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    nodes |= set(shapes.objects(None, SH.property)) | set(shapes.subjects(SH.path, None))
    return len(nodes)


_PATTERN = "http://www.w3.org/ns/shacl#pattern"
_REGEX_Q = 'SELECT ?p (REGEX("", ?p) AS ?valid) WHERE {}'


def check_patterns(parsed: Parsed) -> None:
    """:class:`DataError` (file, line) for an ``sh:pattern`` that is not a valid regular expression for
    both validators: the query engine's ``REGEX`` (XPath syntax, used by the compiled shapes) and
    Python's ``re`` (used by pyshacl, the fallback)."""
    engine = pyoxigraph.Store()
    for f in parsed.files:
        if f.source.role != "shapes":
            continue
        for q in f.quads:
            if q.predicate.value != _PATTERN or not isinstance(q.object, pyoxigraph.Literal):
                continue
            pattern = q.object.value
            (row,) = engine.query(_REGEX_Q, substitutions={pyoxigraph.Variable("p"): pyoxigraph.Literal(pattern)})
            problem = "" if row["valid"] is not None else "the query engine cannot read it"
            if not problem:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    problem = f"Python's re, which pyshacl uses, cannot read it: {exc.msg}"
            if problem:
                text = f.source.path.read_text(encoding="utf-8", errors="replace").splitlines()
                line = next((i for i, t in enumerate(text, 1) if "pattern" in t and pattern in t), None)
                raise DataError(f"sh:pattern {pattern!r} is not a valid regular expression ({problem})",
                                file=f.source.rel, line=line)


def validate(parsed: Parsed) -> ShaclSummary:
    """Validate; :class:`ShapeError` with the report if any shape is violated."""
    shape_quads = list(parsed.quads({"shapes"}))
    if not shape_quads:
        return ShaclSummary(0, ())
    shapes = _graph(shape_quads)
    data = _graph(parsed.quads({"ontology", "data", "corpus"}))
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False,
        allow_warnings=True, allow_infos=True, advanced=False, meta_shacl=False)
    prefixes = _prefixes(parsed)
    results = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(r, SH.focusNode)
        ox_focus = _to_ox(focus)
        files = parsed.files_with_subject(ox_focus) if ox_focus is not None else []
        data_files = [f for f in files if f.startswith(("triples/", "corpus/"))] or files
        shape = report.value(r, SH.sourceShape)
        severity = report.value(r, SH.resultSeverity)
        results.append(Result(
            severity=str(severity).rsplit("#", 1)[-1],
            file=", ".join(data_files) or "?",
            focus=_show(focus, prefixes),
            path=_path(report, report.value(r, SH.resultPath), prefixes),
            message=" / ".join(sorted(str(m) for m in report.objects(r, SH.resultMessage))) or "(no message)",
            shape=_show(shape, prefixes) if isinstance(shape, rdflib.URIRef) else _shape_name(shapes, shape, prefixes),
            value=_show(report.value(r, SH.value), prefixes),
            check=check_name(report.value(r, SH.sourceConstraintComponent))))
    return summarise(results, shapes)


def check_name(component) -> str:
    """The parameter a constraint component is known by: ``sh:datatype`` for
    ``sh:DatatypeConstraintComponent``, ``sh:sparql`` for SPARQL-based constraints; another component (not
    in the ``sh:`` namespace) by its own IRI; "" for none."""
    iri = str(component or "")
    if not iri:
        return ""
    if not iri.startswith(str(SH)) or not iri.endswith("ConstraintComponent"):
        return compact_iri(iri, PREFIXES)
    name = iri[len(str(SH)):].removesuffix("ConstraintComponent")
    return "sh:sparql" if name == "SPARQL" else f"sh:{name[:1].lower()}{name[1:]}"


def summarise(results: list, shapes) -> "ShaclSummary":
    """Sorted results → the summary (warnings and infos), or :class:`ShapeError` listing every violation.
    Shared by this module (pyshacl) and :mod:`loader.shaclsparql`, so both report the same way."""
    results.sort(key=lambda x: (x.file, x.focus, x.path, x.message, x.value, x.check))
    violations = [x for x in results if x.severity == "Violation"]
    if violations:
        lines = [f"SHACL validation failed: {len(violations)} violation{'s' if len(violations) != 1 else ''}"]
        for v in violations:
            lines += v.lines()
        body = "\n".join(lines)
        raise ShapeError(body, report=body)
    return ShaclSummary(count_shapes(shapes), tuple(x for x in results if x.severity != "Violation"))


def _shape_name(shapes: rdflib.Graph, shape, prefixes) -> str:
    """A property shape is usually a blank node: name it by its node shape and path."""
    parent = shapes.value(None, SH.property, shape) if shape is not None else None
    if parent is not None:
        return f"{_show(parent, prefixes)} (property {_path(shapes, shapes.value(shape, SH.path), prefixes)})"
    return _show(shape, prefixes) or "?"


def _to_ox(term):
    if isinstance(term, rdflib.URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return pyoxigraph.BlankNode(str(term))
    return None

