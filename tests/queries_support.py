"""Helpers shared by the saved-query tests: the fixture store and a stable text form of results."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph

from loader.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = ROOT / "queries"
DATA = Path(__file__).resolve().parent / "data" / "queries"
FIXTURE = DATA / "fixture.trig"
FIXTURE_EXPECTED = DATA / "expected"
GOLDEN = Path(__file__).resolve().parent / "golden"
XSD_STRING = PREFIXES["xsd"] + "string"


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))


def fixture_store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(path=str(FIXTURE), format=pyoxigraph.RdfFormat.TRIG)
    return store


def iri_text(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and iri[len(ns):] and "/" not in iri[len(ns):] and "#" not in iri[len(ns):]:
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def term_text(term) -> str | None:
    """``bkr:x`` for project IRIs, the lexical form for xsd:string, ``value^^xsd:type`` or ``value@lang``."""
    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return iri_text(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return f"{term.value}@{term.language}"
        if term.datatype.value == XSD_STRING:
            return term.value
        return f"{term.value}^^{iri_text(term.datatype.value)}"
    return str(term)


def result_table(result) -> tuple[list[str], list[list[str | None]]]:
    columns = [v.value for v in result.variables]
    return columns, [[term_text(row[c]) for c in columns] for row in result]


def load_cases(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cases"]
