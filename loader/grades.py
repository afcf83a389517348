"""Attribution grades of operations, derived from the claims (the contract's rule), never written by hand.

For every ``?op a bk:Operation`` (after reasoning, so subclasses count), from the claims with
``rdf:subject ?op`` and ``rdf:predicate bk:hasAgent``:

* A = the agents (``rdf:object``) of those claims whose stance is not ``bk:Denies``; D = the denials;
* a claim is *flat* when its stance is Asserts, ClaimsResponsibility or Confirms, *hedged* otherwise;
* two agents are compatible when equal or one is ``bk:partOf`` the other (transitively);
* ``bk:Unknown``   if A is empty;
* ``bk:Contested`` if A and D are both non-empty, or A holds two incompatible agents at least one of
  which is named only by hedged claims (competing attributions);
* a flat claim is *second-hand* when its stance is Asserts and it is credited (``bk:claimant``,
  ``bk:attributedTo``) to someone other than the agent (or an actor compatible with it), the document
  and its related-article sections: "according to Syrian state media"; *first-hand* otherwise (the
  document's own voice, the agent's own word, a claim of responsibility, a confirmation);
* ``bk:Confirmed`` if otherwise some claim in A is flat and first-hand (incompatible agents that are all
  stated flatly are read as acting jointly, e.g. the Syrian army with Iraqi Shi'ite paramilitary groups);
* ``bk:SecondHand`` if otherwise some claim in A is flat: stated flatly, but only on others' word;
* ``bk:Alleged``   otherwise (only hedged claims).

The rules are written down, with the same wording, in ontology/README.md.

Each graded operation gets ``bk:attributionGrade`` and a ``bk:gradeReason`` sentence naming the rule,
the agents and the stances seen. The triples go to ``bkg:inferred``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph
from pyoxigraph import Literal, NamedNode, Triple

from .namespaces import BK, sparql_prefixes
from .terms import compact

FLAT = {BK + "Asserts", BK + "ClaimsResponsibility", BK + "Confirms"}
DENIES = BK + "Denies"
GRADE, REASON = NamedNode(BK + "attributionGrade"), NamedNode(BK + "gradeReason")

_OPERATIONS = "SELECT DISTINCT ?op WHERE { ?op a bk:Operation }"
_CLAIMS = """
SELECT ?op ?claim ?agent ?stance ?by WHERE {
  ?claim a bk:Claim ; rdf:subject ?op ; rdf:predicate bk:hasAgent ; rdf:object ?agent .
  OPTIONAL { ?claim bk:stance ?stance }
  OPTIONAL { ?claim bk:claimant|bk:attributedTo ?by }
}"""
# the documents and their related-article sections: crediting a claim to them is the document's own voice
_OWN_VOICE = """
SELECT DISTINCT ?s WHERE { VALUES ?root { bk:Document bk:RelatedArticle } ?c rdfs:subClassOf* ?root . ?s a ?c }"""
_PART_OF = "SELECT ?a ?b WHERE { ?a bk:partOf ?b }"


@dataclass(frozen=True)
class Grade:
    operation: str      # IRI
    grade: str          # local name: Confirmed, Contested, SecondHand, Alleged, Unknown
    reason: str

    def triples(self) -> list[Triple]:
        op = NamedNode(self.operation)
        return [Triple(op, GRADE, NamedNode(BK + self.grade)), Triple(op, REASON, Literal(self.reason))]


def _select(store: pyoxigraph.Store, query: str):
    return store.query(sparql_prefixes() + query, use_default_graph_as_union=True)


def _part_of(store: pyoxigraph.Store) -> dict:
    """``a -> every b with a bk:partOf+ b`` (computed here, whether or not the ontology says transitive)."""
    edges: dict = defaultdict(set)
    for row in _select(store, _PART_OF):
        edges[row["a"]].add(row["b"])
    reach: dict = {}
    for start in list(edges):
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        reach[start] = seen
    return reach


@dataclass(frozen=True)
class Said:
    """How a non-denying claim names its agent: its stance, and for a second-hand flat claim whom it is
    credited to (empty otherwise)."""

    stance: NamedNode | None
    per: tuple = ()

    @property
    def flat(self) -> bool:
        return self.stance is not None and self.stance.value in FLAT

    def __str__(self) -> str:
        name = compact(self.stance).removeprefix("bk:") if self.stance is not None else "no stance"
        return f"{name} per {' and '.join(compact(b) for b in self.per)}" if self.per else name


def said(stance, credited: set, own: set) -> Said:
    """``stance`` as a :class:`Said`: second-hand when an Asserts claim is credited only to others than
    ``own`` (the agent and the actors compatible with it; an empty ``credited``: the document's own voice)."""
    if stance is None or stance.value != BK + "Asserts" or not credited or credited & own:
        return Said(stance)
    return Said(stance, tuple(sorted(credited, key=str)))


def _compatible(part_of: dict):
    """``agent -> {agent} | what it is part of | what is part of it`` (computed once per agent)."""
    below: dict = defaultdict(set)
    for a, ups in part_of.items():
        for b in ups:
            below[b].add(a)
    cache: dict = {}

    def of(agent) -> set:
        if agent not in cache:
            cache[agent] = {agent} | part_of.get(agent, set()) | below.get(agent, set())
        return cache[agent]
    return of


def grade(agents: dict, denials: list, part_of: dict) -> tuple[str, str]:
    """The grade and its reason, from ``agents`` (agent -> :class:`Said` of its non-denying claims, or
    bare stances: first-hand) and ``denials`` (agents named by denying claims)."""
    agents = {a: {x if isinstance(x, Said) else Said(x) for x in st} for a, st in agents.items()}

    def names(group: dict) -> str:
        return ", ".join(f"{compact(a)} ({', '.join(sorted(str(s) for s in st))})"
                         for a, st in sorted(group.items(), key=lambda kv: str(kv[0])))

    denied = ", ".join(sorted(compact(a) for a in denials))
    if not agents:
        extra = f"; denied: {denied}" if denials else ""
        return "Unknown", f"Unknown: no claim names an agent{extra}"
    def flat(agent) -> bool:
        return any(s.flat for s in agents[agent])

    listed = sorted(agents, key=str)
    clashes = [(a, b) for i, a in enumerate(listed) for b in listed[i + 1:]
               if b not in part_of.get(a, ()) and a not in part_of.get(b, ())]
    competing = [(a, b) for a, b in clashes if not (flat(a) and flat(b))]
    if competing or denials:
        why = []
        if competing:
            why.append(f"competing agents named: {names(agents)}")
        else:
            why.append(f"agents named: {names(agents)}")
        if denials:
            why.append(f"denied: {denied}")
        return "Contested", "Contested: " + "; ".join(why)
    said_flat = [s for st in agents.values() for s in st if s.flat]
    if said_flat and all(s.per for s in said_flat):
        return "SecondHand", (f"SecondHand: stated flatly only on others' word, no competing agent, no denial:"
                              f" {names(agents)}")
    if clashes:
        return "Confirmed", f"Confirmed: several agents, all stated flatly (acting jointly), no denial: {names(agents)}"
    if said_flat:
        return "Confirmed", f"Confirmed: stated flatly or claimed, no competing agent, no denial: {names(agents)}"
    return "Alleged", f"Alleged: named only by hedged claims, no competing agent, no denial: {names(agents)}"


def compute(store: pyoxigraph.Store) -> list[Grade]:
    """Grades of every operation in ``store`` (union of all graphs), sorted by operation IRI."""
    ops = {row["op"] for row in _select(store, _OPERATIONS) if isinstance(row["op"], NamedNode)}
    own_voice = {row["s"] for row in _select(store, _OWN_VOICE)}
    claims: dict = {}                       # claim -> (op, agent, stance, credited)
    for row in _select(store, _CLAIMS):
        op, agent, stance = row["op"], row["agent"], row["stance"]
        claims.setdefault((row["claim"], op, agent, stance), set())
        if row["by"] is not None and row["by"] not in own_voice:
            claims[(row["claim"], op, agent, stance)].add(row["by"])
    part_of = _part_of(store)
    compatible = _compatible(part_of)
    agents: dict = defaultdict(lambda: defaultdict(set))
    denials: dict = defaultdict(list)
    for (_, op, agent, stance), credited in claims.items():
        if stance is not None and stance.value == DENIES:
            denials[op].append(agent)
        else:
            agents[op][agent].add(said(stance, credited, compatible(agent)))
    out = []
    for op in sorted(ops, key=str):
        g, reason = grade(dict(agents.get(op, {})), sorted(set(denials.get(op, [])), key=str), part_of)
        out.append(Grade(op.value, g, reason))
    return out
