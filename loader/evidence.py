"""Stage 2: check the evidence against the corpus, and check that every fact is covered by a claim.

Quotes: for every ``bk:Evidence`` (anything typed so, or carrying a ``bk:quote``) the corpus file of its
``bk:inDocument`` is read as UTF-8 and ``text[startOffset:endOffset]`` (0-based code points, end
exclusive) must equal ``bk:quote``. An error names the evidence, the claims that use it (with their
triple), the document and its file, and where the quote does occur in the document if it does. Each
document's ``bk:sha256`` must match its file's bytes.

Coverage (the contract's rule), for every triple ``s p o`` of a ``triples/*.ttl`` graph:

* ``s`` a bk:Claim, bk:Evidence, bk:Source (or subclass), bk:TimeSpec, bk:Quantity or geo:Geometry:
  a provenance or value node, skipped -- but a TimeSpec, Quantity or Geometry must be the object of
  some triple of the data (``triples/`` and ``corpus/metadata.ttl``), i.e. hang from a fact;
* ``p`` one of rdf:type, rdfs:label, skos:altLabel, skos:definition, rdfs:comment: ``s`` must be
  ``bk:mentions``-ed by an evidence or be the rdf:subject / rdf:object of a claim, and every
  skos:altLabel must occur (case-insensitively) in the quote of an evidence that mentions ``s``;
* otherwise a claim with exactly that rdf:subject, rdf:predicate and rdf:object and at least one
  bk:evidence must exist; and competing sources stay claims: no claim may deny the triple, and an
  agent or target (bk:hasAgent, bk:hasTarget or a sub-property) needs a claim that states it flatly
  (Asserts, ClaimsResponsibility, Confirms), not only hedged ones (blames, alleges, reportedly...), and
  any other triple but an event's time, place, figures, equipment, outcome or aim needs a claim that does
  more than allege or blame.

All problems are collected and reported together (one :class:`EvidenceError`), each with ``file:line``
(for a fact, its own line when one of its subject's statements names its object on a line; else the
line where the subject's first statement starts), in file order.

The checks run as SPARQL over a store holding the ontology, corpus and data graphs (the build's work
store, or one made here): Oxigraph finds the uncovered facts with hash anti-joins (``MINUS``), so the
stage stays linear in the data; Python only reads the corpus texts and compares the quotes. Graph
names are ignored except to tell which file a data triple comes from.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from pyoxigraph import Literal, NamedNode, Variable

from .errors import EvidenceError
from .grades import FLAT
from .namespaces import BK, PREFIXES, RDF_TYPE
from .parse import Parsed, ParsedFile
from .terms import compact

_PROLOGUE = ("".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("rdf", "rdfs", "skos", "geo"))
             + f"PREFIX bk: <{BK}>\n")
_LABELS = "rdf:type rdfs:label skos:altLabel skos:definition rdfs:comment"
_VALUE_CLASSES = "bk:TimeSpec bk:Quantity geo:Geometry"
_ACCUSING = "bk:Alleges bk:Blames"          # stances without proof: never enough for a bare fact
# an event's account: what an alleged event is told with, which the allegation does not make a fact
_ACCOUNT = "bk:hasTime bk:startTime bk:endTime bk:hasPlace bk:hasQuantity bk:usedEquipment bk:outcome bk:purpose"


@dataclass(frozen=True)
class _Kinds:
    """Graph patterns for "is evidence", "is a claim", "is a provenance or value node", over the
    classes and their subclasses (``rdfs:subClassOf*``, in any graph) listed once: matching a list
    of classes is a hash join, where a property path per typed node would walk the hierarchy again
    for each of them. A blank node among the subclasses cannot be listed (``VALUES`` holds no blank
    nodes): the pattern then keeps the path."""

    evidence: str                  # binds ?ev
    claim: str                     # binds ?c
    provenance: str                # binds ?s
    value: str                     # binds ?s

    @classmethod
    def of(cls, store) -> _Kinds:
        def typed(node: str, var: str, roots: str) -> str:
            found = {r["c"] for root in roots.split() for r in _q(
                store, f"SELECT DISTINCT ?c WHERE {{ ?c rdfs:subClassOf* {root} }}")}
            if all(isinstance(c, NamedNode) for c in found):
                return f"{node} a {var} VALUES {var} {{ {' '.join(sorted(str(c) for c in found))} }}"
            return f"{node} a {var} . {var} rdfs:subClassOf* {var}_root VALUES {var}_root {{ {roots} }}"

        return cls(evidence=f"{{ ?ev bk:quote ?_q }} UNION {{ {typed('?ev', '?_et', 'bk:Evidence')} }}",
                   claim=typed("?c", "?_ct", "bk:Claim"),
                   provenance=f"{{ {typed('?s', '?_c', 'bk:Claim bk:Evidence bk:Source ' + _VALUE_CLASSES)} }}",
                   value=typed("?s", "?_vc", _VALUE_CLASSES))


@dataclass(frozen=True)
class EvidenceSummary:
    evidence: int           # evidence records checked against the corpus
    documents: int          # documents whose checksum was checked
    facts: int              # triples/*.ttl triples checked by the coverage rule


def work_store(parsed: Parsed) -> pyoxigraph.Store:
    """An in-memory store with the ontology, corpus and data graphs (what stages 2 to 4 read)."""
    store = pyoxigraph.Store()
    store.bulk_extend(parsed.quads({"ontology", "corpus", "data"}))
    return store


def _q(store, text: str, **subs) -> list:
    return list(store.query(_PROLOGUE + text, use_default_graph_as_union=True,
                            substitutions={Variable(k): v for k, v in subs.items()} or None))


def _values(store, s, p: str) -> list:
    return sorted({r["o"] for r in _q(store, f"SELECT ?s ?o WHERE {{ ?s {p} ?o }}", s=s)}, key=str)


class _Locator:
    """``file:line`` where a subject is described (best effort, from the text: pyoxigraph's parser
    gives no positions for the triples it reads)."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self._lines: dict[str, list[str]] = {}
        self._starts: dict[str, list[int]] = {}
        self._names: dict[str, dict | None] = {}

    def where(self, term, rel: str | None = None, obj=None, pred=None) -> str:
        """``file:line`` of ``term``'s block; with ``obj`` (and ``pred``), of the line in one of its
        blocks that names ``obj`` (and ``pred``, if such a line exists): a fact's own line."""
        files = [rel] if rel else self.parsed.files_with_subject(term)
        if not files:
            return ""
        rel = files[0]
        pf = self.parsed.file_for(rel)
        lines = self._read(rel, pf)
        tokens = _tokens(term, pf)
        if obj is not None and isinstance(obj, NamedNode):
            found = [n for n in self._naming(rel, lines, _tokens(obj, pf))
                     if any(_starts_with(lines[self._starts[rel][n - 1] - 1].lstrip(), tok) for tok in tokens)]
            if found and pred is not None:
                names = set(_tokens(pred, pf)) | ({"a"} if pred.value == RDF_TYPE else set())
                found = [n for n in found if names & set(_NAME.findall(lines[n - 1]) + lines[n - 1].split())] or found
            if found:
                return f"{rel}:{found[0]}"
        for n, line in enumerate(lines, start=1):
            if any(_starts_with(line.lstrip(), tok) for tok in tokens):
                return f"{rel}:{n}"
        return rel

    def _read(self, rel: str, pf: ParsedFile) -> list[str]:
        if rel not in self._lines:
            lines = pf.source.path.read_text(encoding="utf-8", errors="replace").splitlines()
            starts, start = [], 1          # for each line, the line its statement starts on
            for n, line in enumerate(lines, start=1):
                if line[:1] not in ("", " ", "\t", "#"):
                    start = n
                starts.append(start)
            self._lines[rel], self._starts[rel], self._names[rel] = lines, starts, None
        return self._lines[rel]

    def _naming(self, rel: str, lines: list[str], tokens: list[str]) -> list[int]:
        """Lines naming one of ``tokens`` (an index of every name on every line, built once per file)."""
        if self._names[rel] is None:
            index: dict[str, list[int]] = defaultdict(list)
            for n, line in enumerate(lines, start=1):
                for name in set(_NAME.findall(line)):
                    index[name].append(n)
            self._names[rel] = index
        return sorted({n for tok in tokens for n in self._names[rel].get(tok, ())})


class _Lazy:
    """Text computed when first shown (locating a subject reads its file: only for problems)."""

    def __init__(self, make) -> None:
        self._make, self._text = make, None

    def __format__(self, spec: str) -> str:
        if self._text is None:
            self._text = self._make()
        return format(self._text, spec)


def _starts_with(line: str, token: str) -> bool:
    return line.startswith(token) and line[len(token):len(token) + 1] in ("", " ", "\t")


_NAME = re.compile(r"<[^<>\"{}|^`\\\s]*>|[A-Za-z][\w.\-]*:[\w\-:%]*(?:\.[\w\-:%]+)*|:[\w\-:%]+")


def _tokens(term, pf: ParsedFile) -> list[str]:
    if not isinstance(term, NamedNode):
        return [str(term)]
    out = [f"<{term.value}>"]
    for prefix, ns in pf.prefixes.items():
        if term.value.startswith(ns):
            out.append(f"{prefix}:{term.value[len(ns):]}")
    return out


def _short(text: str, n: int = 70) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= n else text[: n - 1] + "…"


def check(parsed: Parsed, root: Path, store: pyoxigraph.Store | None = None) -> EvidenceSummary:
    """Run both checks; one :class:`EvidenceError` listing every problem, or a summary.

    ``store`` holds the ontology, corpus and data graphs of ``parsed`` (see :func:`work_store`); without
    it one is made."""
    store = work_store(parsed) if store is None else store
    where = _Locator(parsed)
    problems: list[str] = []
    kinds = _Kinds.of(store)
    texts, n_docs = _check_documents(store, Path(root), where, problems)
    n_ev = _check_quotes(store, kinds, texts, where, problems)
    n_facts = _check_coverage(parsed, store, kinds, where, problems)
    if problems:
        raise EvidenceError(f"{len(problems)} evidence problem{'s' if len(problems) != 1 else ''}:\n"
                            + "\n".join(problems))
    return EvidenceSummary(n_ev, n_docs, n_facts)


def _check_documents(store, root: Path, where: _Locator, problems: list[str]):
    """Read every document named by a ``bk:fileName``; check its checksum. Returns texts by document."""
    names: dict = defaultdict(set)
    sums: dict = defaultdict(set)
    for r in _q(store, "SELECT ?doc ?name ?sha WHERE { ?doc bk:fileName ?name OPTIONAL { ?doc bk:sha256 ?sha } }"):
        names[r["doc"]].add(r["name"])
        if r["sha"] is not None:
            sums[r["doc"]].add(r["sha"])
    texts: dict = {}
    for doc in sorted(names, key=str):
        loc = _Lazy(lambda doc=doc: where.where(doc))
        if len(names[doc]) != 1:
            problems.append(f"{loc}: {compact(doc)} has {len(names[doc])} bk:fileName values (needs exactly one)")
            continue
        name = next(iter(names[doc])).value
        rel = f"corpus/{name}"
        if not _plain_file_name(name):
            problems.append(f"{loc}: {compact(doc)} has bk:fileName {name!r}: it must be the name of a file"
                            " directly in corpus/ (no folders, no '..')")
            continue
        path = root / "corpus" / name
        if path.exists() and not path.is_file():      # a folder, a pipe, a device: reading would block or fail
            problems.append(f"{loc}: {compact(doc)} names {rel}, which is not a regular file (a folder, a pipe"
                            " or a device?)")
            continue
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            problems.append(f"{loc}: {compact(doc)} names the file {rel}, which does not exist")
            continue
        except OSError as exc:
            problems.append(f"{loc}: {compact(doc)} names {rel}, which cannot be read: {exc.strerror or exc}")
            continue
        try:
            texts[doc] = (rel, data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problems.append(f"{loc}: {rel} ({compact(doc)}) is not UTF-8: {exc}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        for declared in sorted(sums[doc], key=str):
            if declared.value.lower() != digest:
                problems.append(f"{loc}: {compact(doc)} declares bk:sha256 {declared.value} but {rel} "
                                f"has {digest}")
    return texts, len(names)


def _plain_file_name(name: str) -> bool:
    """A name of a file directly in corpus/: the build hashes exactly those files (see build.input_files)."""
    return bool(name) and name not in {".", ".."} and not any(c in name for c in "/\\\0")


def _users(store, ev) -> str:
    """The claims (with their triples) and sources that use an evidence, for messages."""
    parts = []
    for claim in sorted({r["c"] for r in _q(store, "SELECT ?c ?ev WHERE { ?c bk:evidence ?ev }", ev=ev)}, key=str):
        spo = [_values(store, claim, p) for p in ("rdf:subject", "rdf:predicate", "rdf:object")]
        triple = " ".join(compact(v[0]) if v else "?" for v in spo)
        parts.append(f"{compact(claim)} ({triple})")
    sources = {r["src"] for r in _q(store, "SELECT ?src ?ev WHERE { ?src bk:metadataEvidence ?ev }", ev=ev)}
    parts += [compact(src) for src in sorted(sources, key=str)]
    return "used by " + ", ".join(parts) if parts else "used by no claim"


def _int(values: set):
    if len(values) != 1:
        return None
    value = next(iter(values))
    if not isinstance(value, Literal):
        return None
    try:
        return int(value.value)
    except ValueError:
        return None


def _evidence_query(kinds: _Kinds) -> str:
    return f"""SELECT DISTINCT ?ev ?quote ?doc ?start ?end WHERE {{
  {{ SELECT DISTINCT ?ev WHERE {{ {kinds.evidence} }} }}
  OPTIONAL {{ ?ev bk:quote ?quote }} OPTIONAL {{ ?ev bk:inDocument ?doc }}
  OPTIONAL {{ ?ev bk:startOffset ?start }} OPTIONAL {{ ?ev bk:endOffset ?end }}
}}"""


def _check_quotes(store, kinds: _Kinds, texts: dict, where: _Locator, problems: list[str]) -> int:
    records: dict = {}
    for r in store.query(_PROLOGUE + _evidence_query(kinds), use_default_graph_as_union=True):
        rec = records.get(r["ev"])
        if rec is None:
            rec = records[r["ev"]] = (set(), set(), set(), set())
        for values, var in zip(rec, ("quote", "doc", "start", "end")):
            if r[var] is not None:
                values.add(r[var])

    def head(ev) -> str:                  # only for problems: locating a subject reads its file
        return f"{where.where(ev)}: {compact(ev)} ({_users(store, ev)})"

    found: list[tuple[str, str]] = []     # (evidence, problem), reported in evidence order
    for ev, (quotes, docs, starts, ends) in records.items():
        start, end = _int(starts), _int(ends)
        if len(quotes) != 1 or len(docs) != 1 or start is None or end is None:
            found.append((str(ev), f"{head(ev)}: needs exactly one bk:quote, bk:inDocument, and integer "
                          f"bk:startOffset and bk:endOffset (has {len(quotes)}, {len(docs)}, {len(starts)}, "
                          f"{len(ends)})"))
            continue
        doc, quote = next(iter(docs)), next(iter(quotes)).value
        if doc not in texts:
            found.append((str(ev), f"{head(ev)}: its document {compact(doc)} has no readable corpus file"))
            continue
        rel, text = texts[doc]
        if 0 <= start <= end <= len(text) and text[start:end] == quote:
            continue
        if not (0 <= start <= end <= len(text)):
            there = f"offsets {start}..{end} lie outside the document (length {len(text)})"
        else:
            there = f"the text there is \"{_short(text[start:end])}\""
        hits, pos = [], text.find(quote)
        while pos != -1 and len(hits) < 3:
            hits.append(pos)
            pos = text.find(quote, pos + 1)
        if hits:
            at = ", ".join(f"startOffset {h} endOffset {h + len(quote)}" for h in hits)
            hint = f"; the quote occurs at {at}"
        else:
            hint = "; the quote occurs nowhere in the document"
        found.append((str(ev), f"{head(ev)}: quote \"{_short(quote)}\" is not at {start}..{end} of {rel} "
                      f"({compact(doc)}): {there}{hint}"))
    problems.extend(message for _, message in sorted(found))
    return len(records)


def _data_graphs(parsed: Parsed) -> str:
    graphs = dict.fromkeys(f.source.graph for f in parsed.files if f.source.role == "data")
    return " ".join(f"<{g}>" for g in graphs)


def _check_coverage(parsed: Parsed, store, kinds: _Kinds, where: _Locator, problems: list[str]) -> int:
    n = sum(len(f.quads) for f in parsed.files if f.source.role == "data")
    graphs = _data_graphs(parsed)
    if not graphs:
        return n
    # GRAPH ?g with ?g free, then keep the data graphs: far faster than VALUES over many graphs
    data = {NamedNode(f.source.graph) for f in parsed.files if f.source.role == "data"}
    quad = "GRAPH ?g { ?s ?p ?o }"
    uncovered = [r for r in _q(store, f"""SELECT ?g ?s ?p ?o WHERE {{ {quad}
        FILTER(?p NOT IN ({_LABELS.replace(' ', ', ')}))
        MINUS {kinds.provenance}
        MINUS {{ ?c rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; bk:evidence ?_e . {kinds.claim} }} }}""")
                 if r["g"] in data]
    unnamed_keys = {(r["g"], r["s"], r["p"], r["o"]) for r in _q(store, f"""SELECT ?g ?s ?p ?o WHERE {{
        {quad} VALUES ?p {{ {_LABELS} }}
        MINUS {kinds.provenance}
        MINUS {{ ?ev bk:mentions ?s . {kinds.evidence} }}
        MINUS {{ ?c rdf:subject ?s . {kinds.claim} }}
        MINUS {{ ?c rdf:object ?s . {kinds.claim} }} }}""") if r["g"] in data}
    alt_quotes: dict = defaultdict(list)
    for r in _q(store, f"""SELECT ?g ?s ?o ?quote WHERE {{ GRAPH ?g {{ ?s skos:altLabel ?o }}
            MINUS {kinds.provenance}
            OPTIONAL {{ ?ev bk:mentions ?s ; bk:quote ?quote }} }}"""):
        if r["g"] in data:
            alt_quotes[(r["g"], r["s"], r["o"])].append(r["quote"].value if r["quote"] is not None else None)
    alt = pyoxigraph.NamedNode(PREFIXES["skos"] + "altLabel")
    unquoted = [(g, s, alt, o) for (g, s, o), quotes in alt_quotes.items()
                if (g, s, alt, o) not in unnamed_keys
                and not any(q is not None and o.value.casefold() in q.casefold() for q in quotes)]
    disputed = _disputed(store, data)
    pointing = graphs.replace(" ", ", ") + _corpus_graphs(parsed)      # graphs whose objects count
    hanging = _q(store, f"""SELECT DISTINCT ?s WHERE {{
        {kinds.value}
        FILTER NOT EXISTS {{ GRAPH ?h {{ ?_x ?_y ?s }} FILTER(?h IN ({pointing})) }} }}""")
    if not (uncovered or unnamed_keys or unquoted or hanging or disputed):
        return n
    found: list[tuple[tuple[int, int], str]] = []
    positions = _Positions(parsed)
    for kind, rows in (("uncovered", [(r["g"], r["s"], r["p"], r["o"]) for r in uncovered]),
                       ("unnamed", sorted(unnamed_keys, key=str)), ("unquoted", unquoted),
                       *((kind, sorted(keys, key=str)) for kind, keys in disputed.items())):
        for g, s, p, o in rows:
            for key, f in positions.of_triple(g, (s, p, o)):
                found.append((key, _fact_problem(kind, where, f, s, p, o, disputed.get(kind, {}).get((g, s, p, o)))))
    first_seen: dict = {}                  # a hanging value is reported once, where it first appears
    for r in hanging:
        for key, f in positions.of_subject(r["s"]):
            if r["s"] not in first_seen or key < first_seen[r["s"]][0]:
                first_seen[r["s"]] = (key, f)
    for s, (key, f) in first_seen.items():
        found.append((key, f"{where.where(s, f.source.rel)}: {compact(s)} is a time, quantity or geometry "
                           f"that no fact points to (graph {compact(NamedNode(f.source.graph))})"))
    problems.extend(message for _, message in sorted(found))
    return n


def _disputed(store, data: set) -> dict[str, dict[tuple, list]]:
    """Bare facts that only claims may hold (the contract's rule for competing sources): a triple some
    claim denies ("denied"), and an agent or target (``bk:hasAgent``, ``bk:hasTarget`` or a
    sub-property) that no claim states flatly -- Asserts, ClaimsResponsibility, Confirms -- so that it
    is only blamed, alleged, believed... ("hedged"); and any other triple but an event's account (its
    time, place, figures, equipment, outcome, aim) that claims only allege or blame, with no claim of
    another stance ("accused"). Each maps (g, s, p, o) to the claims behind it.

    The queries start from the claims (few) and look their triple up in the union of the graphs; the
    data graphs holding it are then found by one index lookup per triple (a ``GRAPH ?g`` pattern with
    ``?g`` free would probe every graph for every claim)."""
    flat = " ".join(f"<{x}>" for x in sorted(FLAT))
    roles = _subproperties(store, "bk:hasAgent bk:hasTarget")
    found = {
        "denied": _q(store, """SELECT ?s ?p ?o ?c WHERE {
            ?c bk:stance bk:Denies ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o . ?s ?p ?o }"""),
        "hedged": _q(store, f"""SELECT ?s ?p ?o ?c WHERE {{
            VALUES ?p {{ {" ".join(roles)} }}
            ?c rdf:predicate ?p ; rdf:subject ?s ; rdf:object ?o ; bk:stance ?_h .
            FILTER(?_h NOT IN ({flat.replace(" ", ", ")}, bk:Denies))
            ?s ?p ?o }}"""),
    }
    # a flat claim anywhere clears a hedged one (a set difference here: FILTER NOT EXISTS is evaluated
    # claim by claim, and took half a minute on a million triples)
    stated = {(r["s"], r["p"], r["o"]) for r in _q(store, f"""SELECT ?s ?p ?o WHERE {{
        VALUES ?p {{ {" ".join(roles)} }} VALUES ?_st {{ {flat} }}
        ?c rdf:predicate ?p ; rdf:subject ?s ; rdf:object ?o ; bk:stance ?_st }}""")}
    found["hedged"] = [r for r in found["hedged"] if (r["s"], r["p"], r["o"]) not in stated]
    # any other statement that claims only allege or blame (no proof offered) is not a fact unless some
    # claim says more (asserts, reportedly, believes...) -- except the account of an event: its time,
    # place, figures, equipment, outcome and aim are where that account puts it (its agents and targets
    # are held to the rule above, and its grade says how firm the account is)
    exempt = " ".join(roles + _subproperties(store, _ACCOUNT))
    accused = f"""VALUES ?_st {{ {_ACCUSING} }} ?c bk:stance ?_st ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
        FILTER(?p NOT IN ({exempt.replace(" ", ", ")}))"""
    found["accused"] = _q(store, f"SELECT ?s ?p ?o ?c WHERE {{ {accused} ?s ?p ?o }}")
    if found["accused"]:
        said = {(r["s"], r["p"], r["o"]) for r in _q(store, f"""SELECT DISTINCT ?s ?p ?o WHERE {{ {accused}
            ?c2 rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; bk:stance ?_other .
            FILTER(?_other NOT IN ({_ACCUSING.replace(" ", ", ")}, bk:Denies)) }}""")}
        found["accused"] = [r for r in found["accused"] if (r["s"], r["p"], r["o"]) not in said]
    out: dict[str, dict[tuple, list]] = {}
    denied: set = set()
    for kind, rows in found.items():
        for r in rows:
            triple = (r["s"], r["p"], r["o"])
            if kind != "denied" and triple in denied:
                continue                      # reported once, as denied
            if kind == "denied":
                denied.add(triple)
            for q in store.quads_for_pattern(*triple, None):
                if q.graph_name in data:
                    out.setdefault(kind, defaultdict(list))[(q.graph_name, *triple)].append(r["c"])
    return out


def _subproperties(store, names: str) -> list[str]:
    """The properties ``names`` (prefixed, space-separated) and their sub-properties, as ``<IRI>``s."""
    return sorted({str(r["p"]) for r in _q(store, f"""SELECT DISTINCT ?p WHERE {{
        VALUES ?_top {{ {names} }} ?p rdfs:subPropertyOf* ?_top }}""") if isinstance(r["p"], NamedNode)})


def _corpus_graphs(parsed: Parsed) -> str:
    """``, <g>`` for each corpus graph (to follow a list of data graphs)."""
    return "".join(f", <{g}>" for g in dict.fromkeys(f.source.graph for f in parsed.files if f.source.role == "corpus"))


class _Positions:
    """Where facts sit in the data files, for ordering problems: ((file number, quad number), file) of
    the first quad with a triple, or with a subject, in each data file. The indexes are built once, on
    first use (only a failing check needs them), so many problems cost one pass over the files."""

    def __init__(self, parsed: Parsed) -> None:
        self.files = [(i, f) for i, f in enumerate(parsed.files) if f.source.role == "data"]
        self._triples: list[dict] | None = None
        self._subjects: list[dict] | None = None

    def _index(self, key) -> list[dict]:
        out = []
        for _, f in self.files:
            first: dict = {}
            for j, q in enumerate(f.quads):
                first.setdefault(key(q), j)
            out.append(first)
        return out

    def of_triple(self, graph, triple: tuple):
        if self._triples is None:
            self._triples = self._index(lambda q: (q.subject, q.predicate, q.object))
        for (i, f), first in zip(self.files, self._triples):
            if f.source.graph == graph.value and triple in first:
                yield (i, first[triple]), f

    def of_subject(self, subject):
        if self._subjects is None:
            self._subjects = self._index(lambda q: q.subject)
        for (i, f), first in zip(self.files, self._subjects):
            if subject in first:
                yield (i, first[subject]), f


def _fact_problem(kind: str, where: _Locator, f: ParsedFile, s, p, o, claims=None) -> str:
    fact = f"{compact(s)} {compact(p)} {compact(o)}"
    named = ", ".join(compact(c) for c in sorted(set(claims or ()), key=str))
    head = f"{where.where(s, f.source.rel, o, p)}: {fact} (graph {compact(NamedNode(f.source.graph))})"
    if kind == "uncovered":
        return f"{head}: no claim with evidence covers this triple"
    if kind == "denied":
        return f"{head}: a claim denies this triple ({named}); competing sources are kept only as claims, not as a bare fact"
    if kind == "hedged":
        return (f"{head}: no claim states this agent or target flatly ({named}: hedged only, such as blames,"
                " alleges, believes);"
                " keep it only as claims, not as a bare fact")
    if kind == "accused":
        return (f"{head}: only alleged ({named}: alleges or blames, no claim states it otherwise);"
                " keep it only as claims, not as a bare fact")
    if kind == "unnamed":
        return f"{head}: {compact(s)} is neither mentioned by an evidence nor part of a claim"
    return f"{head}: the name \"{o.value}\" occurs in no quote of an evidence that mentions {compact(s)}"
