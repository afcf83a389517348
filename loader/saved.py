"""Run saved queries and explain their rows with the evidence behind them.

``run(query, raw_params, store)`` validates and binds the parameters (:mod:`loader.params`), runs
the query (plain SPARQL 1.1) with the default graph as the union of all graphs, and normalises its
list columns (:func:`normalise`): the values of a ``GROUP_CONCAT`` cell come back in an order that
differs between engines and runs, so they are split on the separator, de-duplicated, sorted and joined
again, and an empty list becomes unbound. The answer is then the same on any store (local or remote).
``explain(query, row, store)`` returns, for the Claim or Evidence IRIs in the row's ``#+ explain:``
variables, the evidence records: document, file name, quote, offsets, and for a claim its stance,
claimant, attributedTo and cited report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph

from .errors import QueryError, StoreError
from .namespaces import BK, PREFIXES
from .params import bind
from .querycheck import LIST_SEPARATOR
from .registry import SavedQuery
from .sparqltext import has_dataset_clause


def run(query: SavedQuery, raw_params: Mapping[str, str], store, *, substitutions=None):
    """Validate ``raw_params``, bind them and run ``query``: pyoxigraph solutions, boolean or triples.

    Solutions come back with their list columns normalised (:func:`normalise`)."""
    subs = bind(query, raw_params, store) if substitutions is None else substitutions
    try:
        result = store.query(query.text, use_default_graph_as_union=not has_dataset_clause(query.text),
                             substitutions=subs or None)
        return normalise(query, result)
    except SyntaxError as exc:  # the registry parsed it; only a changed engine gets here
        raise QueryError(f"{query.name}: {exc}") from None
    except OSError as exc:
        raise StoreError(f"the store failed while running {query.name}: {exc}") from None


def normalise(query: SavedQuery, result):
    """``result`` with each ``#+ list:`` column of each row normalised by :func:`normalise_list`.

    Other results (booleans, graphs) and queries without list columns come back unchanged; solutions
    come back as a new ``pyoxigraph.QuerySolutions`` in the same row order (read back from the SPARQL
    results TSV form of the rows, in which every term is written in full)."""
    variables = getattr(result, "variables", None)
    if not query.list_vars or variables is None:
        return result
    names = [v.value for v in variables]
    wanted = set(query.list_vars)
    lists = [i for i, name in enumerate(names) if name in wanted]
    lines = ["\t".join("?" + name for name in names)]
    for row in result:
        cells = [_term_tsv(term) for term in row]
        for i in lists:
            cells[i] = _term_tsv(normalise_list(row[i]))
        lines.append("\t".join(cells))
    lines.append("")
    return pyoxigraph.parse_query_results("\n".join(lines).encode("utf-8"), pyoxigraph.QueryResultsFormat.TSV)


def normalise_list(term):
    """A ``GROUP_CONCAT(DISTINCT ...; separator="|")`` value -> its distinct values sorted (by code
    point) and joined by ``|``, as an ``xsd:string``; None (unbound) when it lists nothing. A cell that
    is not a literal (a list column also bound to a plain IRI in some rows) is left as it is."""
    if not isinstance(term, pyoxigraph.Literal):
        return term
    items = sorted({item for item in term.value.split(LIST_SEPARATOR) if item})
    return pyoxigraph.Literal(LIST_SEPARATOR.join(items)) if items else None


def _term_tsv(term) -> str:
    """One RDF term as a cell of the SPARQL results TSV format ("" for unbound): its N-Triples form,
    a triple term as ``<<( s p o )>>``."""
    if term is None:
        return ""
    if isinstance(term, pyoxigraph.Triple):
        return f"<<( {_term_tsv(term.subject)} {_term_tsv(term.predicate)} {_term_tsv(term.object)} )>>"
    return str(term)


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence behind a row: where the words are, and how the claim uses them."""

    variable: str                    # the row variable that led here
    claim: str | None                # the Claim IRI (None when the variable held an Evidence)
    evidence: str                    # the Evidence IRI
    document: str | None             # the Document IRI
    file_name: str | None            # corpus file name
    quote: str | None
    start: int | None
    end: int | None
    stance: str | None = None        # local name, e.g. "Reportedly"
    claimant: tuple[str, ...] = ()
    attributed_to: tuple[str, ...] = ()
    cites_report: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()      # the claim's rdfs:comment: how the graph reads the words

    def to_dict(self) -> dict:
        return {"variable": self.variable, "claim": self.claim, "evidence": self.evidence,
                "document": self.document, "file": self.file_name, "quote": self.quote,
                "start": self.start, "end": self.end, "stance": self.stance,
                "claimant": list(self.claimant), "attributedTo": list(self.attributed_to),
                "citesReport": list(self.cites_report), "notes": list(self.notes)}


_CLAIM_Q = """
SELECT ?claim ?ev ?stance ?claimant ?attr ?report ?note WHERE {
  ?claim <%(bk)sevidence> ?ev .
  OPTIONAL { ?claim <%(bk)sstance> ?stance }
  OPTIONAL { ?claim <%(bk)sclaimant> ?claimant }
  OPTIONAL { ?claim <%(bk)sattributedTo> ?attr }
  OPTIONAL { ?claim <%(bk)scitesReport> ?report }
  OPTIONAL { ?claim <%(rdfs)scomment> ?note }
}""" % {"bk": BK, "rdfs": PREFIXES["rdfs"]}

_EVIDENCE_Q = """
SELECT ?ev ?doc ?file ?quote ?start ?end WHERE {
  ?ev <%(bk)squote> ?quote .
  OPTIONAL { ?ev <%(bk)sinDocument> ?doc . OPTIONAL { ?doc <%(bk)sfileName> ?file } }
  OPTIONAL { ?ev <%(bk)sstartOffset> ?start }
  OPTIONAL { ?ev <%(bk)sendOffset> ?end }
}""" % {"bk": BK}


def _q(store, text: str, **subs):
    return list(store.query(text, use_default_graph_as_union=True,
                            substitutions={pyoxigraph.Variable(k): v for k, v in subs.items()}))


def _local(node) -> str | None:
    if node is None:
        return None
    v = node.value
    return v[len(BK):] if v.startswith(BK) else v


def _evidence_record(store, var: str, claim: str | None, ev: pyoxigraph.NamedNode,
                     info: dict) -> list[Evidence]:
    rows = _q(store, _EVIDENCE_Q, ev=ev)
    out = []
    for r in rows:
        out.append(Evidence(
            variable=var, claim=claim, evidence=ev.value,
            document=r["doc"].value if r["doc"] is not None else None,
            file_name=r["file"].value if r["file"] is not None else None,
            quote=r["quote"].value,
            start=int(r["start"].value) if r["start"] is not None else None,
            end=int(r["end"].value) if r["end"] is not None else None,
            **info))
    return out


def explain_term(store, var: str, term) -> list[Evidence]:
    """Evidence behind one Claim or Evidence IRI (other terms have none)."""
    if not isinstance(term, pyoxigraph.NamedNode):
        return []
    claim_rows = _q(store, _CLAIM_Q, claim=term)
    if claim_rows:
        evs: dict[str, dict] = {}
        for r in claim_rows:
            info = evs.setdefault(r["ev"].value, {"stance": set(), "claimant": set(), "attr": set(),
                                                  "report": set(), "note": set(), "node": r["ev"]})
            for key in ("stance", "claimant", "attr", "report", "note"):
                if r[key] is not None:
                    info[key].add(r[key].value)
        out: list[Evidence] = []
        for ev_iri in sorted(evs):
            info = evs[ev_iri]
            stance = sorted(info["stance"])
            out += _evidence_record(store, var, term.value, info["node"], {
                "stance": _local(pyoxigraph.NamedNode(stance[0])) if stance else None,
                "claimant": tuple(sorted(info["claimant"])),
                "attributed_to": tuple(sorted(info["attr"])),
                "cites_report": tuple(sorted(info["report"])),
                "notes": tuple(sorted(info["note"]))})
        return out
    return _evidence_record(store, var, None, term, {})


def _iris(term) -> list[pyoxigraph.NamedNode]:
    """The IRIs a cell carries: an IRI, or a literal listing IRIs / project prefixed names (a list
    column: values joined by ``|``)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return [term]
    if not isinstance(term, pyoxigraph.Literal):
        return []
    out = []
    for token in term.value.split(LIST_SEPARATOR):
        token = token.strip()
        prefix, sep, local = token.partition(":")
        if sep and prefix in PREFIXES and not local.startswith("//"):
            token = PREFIXES[prefix] + local
        try:
            out.append(pyoxigraph.NamedNode(token))
        except ValueError:
            continue
    return out


def explain(query: SavedQuery, row, store) -> list[Evidence]:
    """Evidence behind one result row (a pyoxigraph QuerySolution or a mapping of variable -> term).

    An explain variable holds a Claim or Evidence IRI, or a ``|``-separated list of them (IRIs or
    ``bkr:`` names, as the queries' GROUP_CONCAT columns produce).
    """
    out: list[Evidence] = []
    for var in query.explain_vars:
        try:
            term = row[var]
        except (KeyError, IndexError):
            term = None
        for iri in _iris(term):
            out += explain_term(store, var, iri)
    return out
