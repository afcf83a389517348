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
  bk:evidence must exist.

All problems are collected and reported together (one :class:`EvidenceError`), each with ``file:line``
(the line where the subject's block starts in that file).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from .errors import EvidenceError
from .namespaces import BK, PREFIXES
from .parse import Parsed, ParsedFile
from .terms import compact

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
GEO = PREFIXES["geo"]

TYPE = NamedNode(RDF + "type")
SUBCLASS = NamedNode(RDFS + "subClassOf")
QUOTE, START, END = NamedNode(BK + "quote"), NamedNode(BK + "startOffset"), NamedNode(BK + "endOffset")
IN_DOCUMENT, MENTIONS = NamedNode(BK + "inDocument"), NamedNode(BK + "mentions")
EVIDENCE, META_EVIDENCE = NamedNode(BK + "evidence"), NamedNode(BK + "metadataEvidence")
FILE_NAME, SHA256 = NamedNode(BK + "fileName"), NamedNode(BK + "sha256")
R_SUBJECT, R_PREDICATE, R_OBJECT = (NamedNode(RDF + n) for n in ("subject", "predicate", "object"))
ALT_LABEL = NamedNode(SKOS + "altLabel")
LABEL_PREDICATES = {TYPE, NamedNode(RDFS + "label"), ALT_LABEL, NamedNode(SKOS + "definition"),
                    NamedNode(RDFS + "comment")}
C_EVIDENCE, C_CLAIM, C_DOCUMENT = NamedNode(BK + "Evidence"), NamedNode(BK + "Claim"), NamedNode(BK + "Document")
VALUE_CLASSES = {NamedNode(BK + "TimeSpec"), NamedNode(BK + "Quantity"), NamedNode(GEO + "Geometry")}
PROVENANCE_CLASSES = {C_CLAIM, C_EVIDENCE, NamedNode(BK + "Source")} | VALUE_CLASSES


@dataclass(frozen=True)
class EvidenceSummary:
    evidence: int           # evidence records checked against the corpus
    documents: int          # documents whose checksum was checked
    facts: int              # triples/*.ttl triples checked by the coverage rule


class _Index:
    """Lookups over the asserted quads (graph names ignored)."""

    def __init__(self, parsed: Parsed) -> None:
        self.sp: dict = defaultdict(list)
        self.po: dict = defaultdict(list)
        self.objects_in_data: set = set()
        superclasses: dict = defaultdict(set)
        for q in parsed.quads({"ontology", "corpus", "data"}):
            self.sp[(q.subject, q.predicate)].append(q.object)
            self.po[(q.predicate, q.object)].append(q.subject)
            if q.predicate == SUBCLASS:
                superclasses[q.subject].add(q.object)
        for f in parsed.files:
            if f.source.role in ("data", "corpus"):
                self.objects_in_data.update(q.object for q in f.quads)
        self._super = superclasses
        self._closure: dict = {}

    def values(self, s, p) -> list:
        return self.sp.get((s, p), [])

    def subjects(self, p, o) -> list:
        return self.po.get((p, o), [])

    def ancestors(self, cls) -> set:
        if cls not in self._closure:
            seen, todo = {cls}, [cls]
            while todo:
                for sup in self._super.get(todo.pop(), ()):
                    if sup not in seen:
                        seen.add(sup)
                        todo.append(sup)
            self._closure[cls] = seen
        return self._closure[cls]

    def is_a(self, s, classes: set) -> bool:
        return any(self.ancestors(t) & classes for t in self.values(s, TYPE))

    def instances(self, cls) -> set:
        return {s for (p, o), subs in self.po.items() if p == TYPE and cls in self.ancestors(o) for s in subs}


class _Locator:
    """``file:line`` of the block where a subject is described (best effort: the first line starting with it)."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self._lines: dict[str, list[str]] = {}

    def where(self, term, rel: str | None = None) -> str:
        files = [rel] if rel else self.parsed.files_with_subject(term)
        if not files:
            return ""
        rel = files[0]
        pf = self.parsed.file_for(rel)
        if rel not in self._lines:
            self._lines[rel] = pf.source.path.read_text(encoding="utf-8", errors="replace").splitlines()
        tokens = _tokens(term, pf)
        for n, line in enumerate(self._lines[rel], start=1):
            stripped = line.lstrip()
            for tok in tokens:
                if stripped.startswith(tok) and stripped[len(tok):len(tok) + 1] in ("", " ", "\t"):
                    return f"{rel}:{n}"
        return rel


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


def check(parsed: Parsed, root: Path) -> EvidenceSummary:
    """Run both checks; one :class:`EvidenceError` listing every problem, or a summary."""
    index = _Index(parsed)
    where = _Locator(parsed)
    problems: list[str] = []
    texts, n_docs = _check_documents(index, Path(root), where, problems)
    n_ev = _check_quotes(index, texts, where, problems)
    n_facts = _check_coverage(parsed, index, where, problems)
    if problems:
        raise EvidenceError(f"{len(problems)} evidence problem{'s' if len(problems) != 1 else ''}:\n"
                            + "\n".join(problems))
    return EvidenceSummary(n_ev, n_docs, n_facts)


def _check_documents(index: _Index, root: Path, where: _Locator, problems: list[str]):
    """Read every document named by a ``bk:fileName``; check its checksum. Returns texts by document."""
    texts: dict = {}
    docs = sorted({s for (s, p) in index.sp if p == FILE_NAME}, key=str)
    for doc in docs:
        names = index.values(doc, FILE_NAME)
        loc = where.where(doc)
        if len(names) != 1:
            problems.append(f"{loc}: {compact(doc)} has {len(names)} bk:fileName values (needs exactly one)")
            continue
        rel = f"corpus/{names[0].value}"
        path = root / "corpus" / names[0].value
        try:
            data = path.read_bytes()
        except OSError:
            problems.append(f"{loc}: {compact(doc)} names the file {rel}, which does not exist")
            continue
        try:
            texts[doc] = (rel, data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problems.append(f"{loc}: {rel} ({compact(doc)}) is not UTF-8: {exc}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        for declared in index.values(doc, SHA256):
            if declared.value.lower() != digest:
                problems.append(f"{loc}: {compact(doc)} declares bk:sha256 {declared.value} but {rel} "
                                f"has {digest}")
    return texts, len(docs)


def _users(index: _Index, ev) -> str:
    """The claims (with their triples) and sources that use an evidence, for messages."""
    parts = []
    for claim in sorted(index.subjects(EVIDENCE, ev), key=str):
        spo = [index.values(claim, p) for p in (R_SUBJECT, R_PREDICATE, R_OBJECT)]
        triple = " ".join(compact(v[0]) if v else "?" for v in spo)
        parts.append(f"{compact(claim)} ({triple})")
    parts += [compact(src) for src in sorted(index.subjects(META_EVIDENCE, ev), key=str)]
    return "used by " + ", ".join(parts) if parts else "used by no claim"


def _int(values: list):
    if len(values) != 1 or not isinstance(values[0], Literal):
        return None
    try:
        return int(values[0].value)
    except ValueError:
        return None


def _check_quotes(index: _Index, texts: dict, where: _Locator, problems: list[str]) -> int:
    evidence = index.instances(C_EVIDENCE) | {s for (s, p) in index.sp if p == QUOTE}
    for ev in sorted(evidence, key=str):
        head = f"{where.where(ev)}: {compact(ev)} ({_users(index, ev)})"
        quotes, docs = index.values(ev, QUOTE), index.values(ev, IN_DOCUMENT)
        start, end = _int(index.values(ev, START)), _int(index.values(ev, END))
        if len(quotes) != 1 or len(docs) != 1 or start is None or end is None:
            problems.append(f"{head}: needs exactly one bk:quote, bk:inDocument, and integer bk:startOffset "
                            f"and bk:endOffset (has {len(quotes)}, {len(docs)}, "
                            f"{len(index.values(ev, START))}, {len(index.values(ev, END))})")
            continue
        doc, quote = docs[0], quotes[0].value
        if doc not in texts:
            problems.append(f"{head}: its document {compact(doc)} has no readable corpus file")
            continue
        rel, text = texts[doc]
        if 0 <= start <= end <= len(text) and text[start:end] == quote:
            continue
        if not (0 <= start <= end <= len(text)):
            found = f"offsets {start}..{end} lie outside the document (length {len(text)})"
        else:
            found = f"the text there is \"{_short(text[start:end])}\""
        hits, pos = [], text.find(quote)
        while pos != -1 and len(hits) < 3:
            hits.append(pos)
            pos = text.find(quote, pos + 1)
        if hits:
            at = ", ".join(f"startOffset {h} endOffset {h + len(quote)}" for h in hits)
            hint = f"; the quote occurs at {at}"
        else:
            hint = "; the quote occurs nowhere in the document"
        problems.append(f"{head}: quote \"{_short(quote)}\" is not at {start}..{end} of {rel} "
                        f"({compact(doc)}): {found}{hint}")
    return len(evidence)


def _check_coverage(parsed: Parsed, index: _Index, where: _Locator, problems: list[str]) -> int:
    claims = index.instances(C_CLAIM)
    covered = set()
    claim_parts = set()
    for c in claims:
        subjects, predicates, objects = (index.values(c, p) for p in (R_SUBJECT, R_PREDICATE, R_OBJECT))
        claim_parts.update(subjects)
        claim_parts.update(objects)
        if index.values(c, EVIDENCE):
            covered.update((s, p, o) for s in subjects for p in predicates for o in objects)
    mentioned: dict = defaultdict(list)
    for ev in index.instances(C_EVIDENCE) | {s for (s, p) in index.sp if p == QUOTE}:
        quotes = [q.value for q in index.values(ev, QUOTE)]
        for entity in index.values(ev, MENTIONS):
            mentioned[entity].extend(quotes)
    n = 0
    reported_hang: set = set()
    for f in parsed.files:
        if f.source.role != "data":
            continue
        graph = compact(NamedNode(f.source.graph))
        for q in f.quads:
            n += 1
            s, p, o = q.subject, q.predicate, q.object
            if index.is_a(s, PROVENANCE_CLASSES):
                if index.is_a(s, VALUE_CLASSES) and s not in index.objects_in_data and s not in reported_hang:
                    reported_hang.add(s)
                    problems.append(f"{where.where(s, f.source.rel)}: {compact(s)} is a time, quantity or "
                                    f"geometry that no fact points to (graph {graph})")
                continue
            fact = f"{compact(s)} {compact(p)} {compact(o)}"
            if p in LABEL_PREDICATES:
                if s not in mentioned and s not in claim_parts:
                    problems.append(f"{where.where(s, f.source.rel)}: {fact} (graph {graph}): {compact(s)} is "
                                    f"neither mentioned by an evidence nor part of a claim")
                elif p == ALT_LABEL and not any(o.value.casefold() in qt.casefold() for qt in mentioned.get(s, [])):
                    problems.append(f"{where.where(s, f.source.rel)}: {fact} (graph {graph}): the name "
                                    f"\"{o.value}\" occurs in no quote of an evidence that mentions {compact(s)}")
                continue
            if (s, p, o) not in covered:
                problems.append(f"{where.where(s, f.source.rel)}: {fact} (graph {graph}): no claim with "
                                f"evidence covers this triple")
    return n
