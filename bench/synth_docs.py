"""One synthetic document: its text, and its graph of evidence, claims, facts and value nodes.

The text is built sentence by sentence; each sentence that states something becomes a bk:Evidence
whose quote is exactly ``text[start:end]`` (offsets in code points). Each fact the sentence states
becomes one bk:Claim (rdf:subject/predicate/object, evidence, stance, claimant, attributedTo,
citesReport, validDuring), and the bare triple is asserted in the document's graph unless the stance
is bk:Denies, the attribution is contested (competing agents are kept only as claims), or an agent or
target is only hedged (reportedly, blamed...): the build refuses those as bare facts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from . import synth_time as T
from .synth_world import Entity, Sentence, World
from .turtle import TurtleBuffer, en, integer, string, typed

# kind: (class, noun, active verb phrase, passive phrase, target predicate)
OPS = {
    "airstrike": ("bk:Airstrike", "airstrike", "{a} carried out an airstrike on {t}", "an airstrike hit {t}",
                  "bk:hasTarget"),
    "drone": ("bk:DroneStrike", "drone strike", "{a} struck {t} with a drone", "a drone struck {t}", "bk:hasTarget"),
    "rocket": ("bk:RocketAttack", "rocket attack", "{a} fired rockets at {t}", "rockets were fired at {t}",
               "bk:hasTarget"),
    "shelling": ("bk:Shelling", "shelling", "{a} shelled {t}", "{t} was shelled", "bk:hasTarget"),
    "capture": ("bk:Capture", "capture", "{a} captured {t}", "{t} was captured", "bk:hasObject"),
    "construction": ("bk:Construction", "construction", "{a} began building {t}", "work began on {t}",
                     "bk:hasObject"),
    "deployment": ("bk:Deployment", "deployment", "{a} deployed fighters to {t}", "fighters were deployed to {t}",
                   "bk:hasDestination"),
}
OP_WEIGHTS = [("airstrike", 30), ("drone", 15), ("rocket", 15), ("shelling", 10), ("capture", 10),
              ("construction", 10), ("deployment", 10)]
MODES = [("asserted", 28), ("reported", 14), ("according", 10), ("responsibility", 10), ("compatible", 6),
         ("contested", 10), ("denied", 8), ("denial_only", 4), ("unknown", 10)]
QUANTITIES = [("at least {n}", "bk:AtLeast", True), ("{n}", "bk:Exactly", True), ("about {n}", "bk:About", True),
              ("up to {n}", "bk:UpTo", True), ("dozens of", "bk:Vague", False)]
ROLES = {"bk:hasAgent", "bk:hasTarget"}     # bare only when some claim states them flatly
HEDGED = {"bk:Reportedly", "bk:Alleges", "bk:Blames", "bk:Suggests", "bk:Believes", "bk:Assesses"}


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


@dataclass
class Op:
    key: str
    noun: str
    target: Entity
    time: tuple
    agents: list[Entity] = field(default_factory=list)   # non-contested agents stated flatly or hedged
    contested: bool = False

    def ref(self) -> str:
        when = T.words(self.time) if self.time[0] in ("day", "month", "year") else ""
        return f"the {self.noun} on {self.target.label}" + (f" of {when}" if when else "")


class Corpus:
    """State shared by all documents: the world, defined time nodes, earlier operations."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.defined_times: set[str] = set()
        self.ops: list[Op] = []


class DocBuilder:
    def __init__(self, corpus: Corpus, num: str, n_refs: int) -> None:
        self.c = corpus
        self.rng = corpus.rng
        self.num = num
        self.doc = f"bkr:doc-{num}"
        self.parts: list[str] = []
        self.pos = 0
        self.ttl = TurtleBuffer(f"Synthetic document {num}: evidence, claims, facts and value nodes.")
        self.bare: set[tuple[str, str, str]] = set()
        self.n_ev = self.n_claim = self.n_op = self.n_qty = 0
        self.n_refs = n_refs
        self.last_day: tuple[str, dt.date] | None = None   # (TimeSpec IRI, date) of the last dated event
        self._para: list[str] = []

    # ------------------------------------------------------------------ text and evidence
    def _write(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def heading(self, title: str) -> None:
        self._write(f"= {title} =\n\n")

    def sentence(self, words: str, mentions: list[str], cite: bool = False) -> tuple[str, str | None]:
        """Add a sentence to the current paragraph; return its Evidence IRI and the cited report."""
        if self._para:
            self._write(" ")
        self._para.append(words)
        start = self.pos
        self._write(words)
        ref = None
        if cite and self.n_refs:
            n = self.rng.randint(1, self.n_refs)
            ref = f"bkr:ref-{self.num}-{n:02d}"
            self._write(f"[{n}]")
        return self.evidence(words, start, mentions), ref

    def evidence(self, quote: str, start: int, mentions: list[str]) -> str:
        self.n_ev += 1
        ev = f"bkr:ev-{self.num}-{self.n_ev:04d}"
        pairs = [("a", "bk:Evidence"), ("bk:inDocument", self.doc), ("bk:quote", string(quote)),
                 ("bk:startOffset", integer(start)), ("bk:endOffset", integer(start + len(quote)))]
        seen: list[str] = []
        for m in mentions:
            if m not in seen:
                seen.append(m)
        pairs += [("bk:mentions", m) for m in seen]
        self.ttl.block(ev, pairs)
        return ev

    def end_paragraph(self) -> None:
        if self._para:
            self._write("\n\n")
            self._para = []

    # ------------------------------------------------------------------ claims and facts
    def claim(self, s: str, p: str, o: str, ev: str, stance: str = "bk:Asserts", *, claimant: str | None = None,
              attributed: str | None = None, cites: str | None = None, valid: str | None = None,
              bare: bool = True) -> None:
        self.n_claim += 1
        pairs = [("a", "bk:Claim"), ("rdf:subject", s), ("rdf:predicate", p), ("rdf:object", o),
                 ("bk:evidence", ev), ("bk:stance", stance)]
        if claimant:
            pairs.append(("bk:claimant", claimant))
        if attributed:
            pairs.append(("bk:attributedTo", attributed))
        if cites:
            pairs.append(("bk:citesReport", cites))
        if valid:
            pairs.append(("bk:validDuring", valid))
        self.ttl.block(f"bkr:claim-{self.num}-{self.n_claim:04d}", pairs)
        if stance in HEDGED and p in ROLES:
            bare = False
        if bare and stance != "bk:Denies" and (s, p, o) not in self.bare:
            self.bare.add((s, p, o))
            self.ttl.triple(s, p, o)

    def time(self, key: tuple) -> str:
        node = T.iri(key)
        if node != T.UNKNOWN and node not in self.c.defined_times:
            self.c.defined_times.add(node)
            self.ttl.block(node, T.pairs(key))
        return node

    def stated(self, st: Sentence, cite: bool = False) -> None:
        """An entity sentence from the world: evidence, then a claim per fact."""
        ev, ref = self.sentence(st.words, st.mentions, cite)
        for f in st.facts:
            valid = self.time(f.valid) if f.valid else None
            if f.value_node and f.value_node[0] == "geometry":
                self.ttl.block(f.o, [("a", "geo:Geometry"), ("geo:asWKT", typed(f.value_node[1], "geo:wktLiteral"))])
            self.claim(f.s, f.p, f.o, ev, f.stance, cites=ref, valid=valid)

    # ------------------------------------------------------------------ operations
    def _when(self) -> tuple:
        rng = self.rng
        r = rng.random()
        d = dt.date(2017, 1, 1) + dt.timedelta(days=rng.randrange(8 * 365))
        if r < 0.06:
            return ("unknown",)
        if r < 0.14 and self.last_day is not None:
            anchor, base = self.last_day
            n = rng.randint(1, 5)
            words = ["One", "Two", "Three", "Four", "Five"][n - 1] + (" day later" if n == 1 else " days later")
            node = f"bkr:time-{self.num}-rel-{self.n_op + 1:03d}"     # the operation about to be numbered
            return ("rel", node, base + dt.timedelta(days=n), anchor, words,
                    f"{n} day{'s' if n > 1 else ''} after {T.day_words(base)}, "
                    "the date of the previous event in the text")
        if r < 0.62:
            return ("day", d)
        if r < 0.76:
            return ("month", d.year, d.month)
        if r < 0.84:
            return ("year", d.year)
        if r < 0.92:
            return ("part", d.year, rng.choice(list(T.PARTS)))
        return ("interval", d, d + dt.timedelta(days=rng.randint(3, 60)))

    def operation(self) -> None:
        rng, w = self.rng, self.c.world
        kind = _pick(rng, OP_WEIGHTS)
        cls, noun, active, passive, tpred = OPS[kind]
        target = rng.choice(w.facilities)
        place = target.parent
        when = self._when()
        self.n_op += 1
        op = Op(f"bkr:op-{self.num}-{self.n_op:03d}", noun, target, when)
        mode = _pick(rng, MODES)
        agent = rng.choice(w.units + w.militias + w.forces[:2])
        outlet = rng.choice(w.outlets)
        t_words = f"{target.label} in {place.label}"
        head = T.phrase(when)
        mentions = [op.key, target.key, place.key]
        stance, attributed, agents = "bk:Asserts", None, []
        if mode in ("asserted", "reported", "according", "denied"):
            a_words = f"the {agent.label}" + (" reportedly" if mode in ("reported", "denied") else "")
            clause = active.format(a=a_words, t=t_words)
            agents = [agent]
            if mode in ("reported", "denied"):
                stance = "bk:Reportedly"
            if mode == "according":
                stance, attributed = "bk:Reportedly", outlet.key
                mentions.append(outlet.key)
        elif mode == "compatible" and agent.parent is not None and agent.parent.kind not in ("state",):
            clause = active.format(a=f"the {agent.label} of the {agent.parent.label}", t=t_words)
            agents = [agent, agent.parent]
        else:
            clause = passive.format(t=t_words)
            if mode == "compatible":
                mode = "unknown"
        mentions += [a.key for a in agents]
        extra, qty = "", None
        if kind in ("drone", "rocket") and rng.random() < 0.5:
            eq = rng.choice(w.equipment)
            extra += f" using the {eq.label}"
            mentions.append(eq.key)
            qty_eq = eq
        else:
            qty_eq = None
        if kind in ("airstrike", "drone", "rocket", "shelling") and rng.random() < 0.6:
            fmt, qual, has_value = rng.choice(QUANTITIES)
            n = rng.randint(2, 60)
            qtext = fmt.format(n=n)
            extra += f", killing {qtext} fighters"
            self.n_qty += 1
            qty = (f"bkr:qty-{self.num}-{self.n_qty:04d}", qtext, qual, n if has_value else None)
        source = f", according to {outlet.label}" if mode == "according" else ""
        ev, ref = self.sentence(f"{head}, {clause}{extra}{source}.", mentions, cite=rng.random() < 0.2)
        date = T.day_words(when[2]) if when[0] == "rel" else (T.words(when) or "date unknown")
        self.ttl.block(op.key, [("a", cls), ("rdfs:label", en(f"{noun} on {target.label} ({date})"))])
        tnode = self.time(when)
        if when[0] == "day":
            self.last_day = (tnode, when[1])
        elif when[0] == "rel":
            self.last_day = (tnode, when[2])
        c = dict(cites=ref, attributed=attributed)
        self.claim(op.key, "bk:hasTime", tnode, ev, stance, **c)
        self.claim(op.key, tpred, target.key, ev, stance, **c)
        self.claim(op.key, "bk:hasPlace", place.key, ev, stance, **c)
        for a in agents:
            self.claim(op.key, "bk:hasAgent", a.key, ev, stance, **c)
        if qty_eq is not None:
            self.claim(op.key, "bk:usedEquipment", qty_eq.key, ev, stance, **c)
        if qty is not None:
            q, qtext, qual, value = qty
            pairs = [("a", "bk:Quantity"), ("bk:quantityKind", "bk:Killed"), ("bk:quantityText", string(qtext)),
                     ("bk:qualifier", qual)]
            if value is not None:
                pairs.append(("bk:value", integer(value)))
            self.ttl.block(q, pairs)
            self.claim(op.key, "bk:hasQuantity", q, ev, stance, **c)
        op.agents = [] if mode == "denied" else agents
        self._attribution(op, mode, agent, outlet)
        self._links(op)
        self.c.ops.append(op)
        self.end_paragraph()

    def _attribution(self, op: Op, mode: str, agent: Entity, outlet: Entity) -> None:
        rng, w = self.rng, self.c.world
        if mode == "responsibility":
            ev, _ = self.sentence(f"The {agent.label} claimed responsibility for the {op.noun}.", [agent.key, op.key])
            self.claim(op.key, "bk:hasAgent", agent.key, ev, "bk:ClaimsResponsibility", claimant=agent.key)
            op.agents = [agent]
        elif mode == "contested":
            other = rng.choice(w.units + w.militias)
            if w.compatible(agent, other):
                other = next(x for x in w.militias + w.units if not w.compatible(agent, x))
            monitor = rng.choice(w.outlets)
            ev, _ = self.sentence(f"{outlet.label} blamed the {agent.label} for the {op.noun}, "
                                  f"but {monitor.label} said the {other.label} was responsible.",
                                  [outlet.key, agent.key, op.key, monitor.key, other.key])
            self.claim(op.key, "bk:hasAgent", agent.key, ev, "bk:Blames", claimant=outlet.key, bare=False)
            self.claim(op.key, "bk:hasAgent", other.key, ev, "bk:Asserts", claimant=monitor.key, bare=False)
            op.contested = True
        elif mode in ("denied", "denial_only"):
            who = agent if mode == "denied" else rng.choice(w.units + w.militias)
            words = (f"The {who.label} denied carrying out the {op.noun}." if mode == "denied"
                     else f"The {who.label} denied any role in the {op.noun}.")
            ev, _ = self.sentence(words, [who.key, op.key])
            self.claim(op.key, "bk:hasAgent", who.key, ev, "bk:Denies", claimant=who.key)

    def _links(self, op: Op) -> None:
        rng, c = self.rng, self.c
        earlier = c.ops
        if earlier and rng.random() < 0.10:
            prev = rng.choice(earlier)
            if prev.agents and not prev.contested:
                a = prev.agents[0]
                o = rng.choice(c.world.outlets)
                ev, _ = self.sentence(f"{o.label} later confirmed that the {a.label} carried out {prev.ref()}.",
                                      [o.key, a.key, prev.key])
                self.claim(prev.key, "bk:hasAgent", a.key, ev, "bk:Confirms", claimant=o.key)
        if earlier and rng.random() < 0.12:
            prev = rng.choice(earlier)
            if rng.random() < 0.5:
                ev, _ = self.sentence(f"The {op.noun} was retaliation for {prev.ref()}.", [op.key, prev.key])
                self.claim(op.key, "bk:retaliationFor", prev.key, ev)
            else:
                o = rng.choice(c.world.outlets)
                ev, _ = self.sentence(f"{o.label} believes the {op.noun} was retaliation for {prev.ref()}.",
                                      [o.key, op.key, prev.key])
                self.claim(op.key, "bk:retaliationFor", prev.key, ev, "bk:Believes", claimant=o.key)
        if earlier and rng.random() < 0.06:
            prev = rng.choice(earlier)
            ev, _ = self.sentence(f"It resembled {prev.ref()}.", [op.key, prev.key])
            self.claim(op.key, "bk:similarTo", prev.key, ev, "bk:Suggests")
        if rng.random() < 0.2:
            conflict = rng.choice(c.world.conflicts)
            ev, _ = self.sentence(f"The {op.noun} was part of the {conflict.label}.", [op.key, conflict.key])
            self.claim(op.key, "bk:partOf", conflict.key, ev)

    # ------------------------------------------------------------------ references
    def references(self) -> None:
        if not self.n_refs:
            return
        self._write("==References==\n")
        for n in range(1, self.n_refs + 1):
            o = self.rng.choice(self.c.world.outlets)
            d = dt.date(2018, 1, 1) + dt.timedelta(days=self.rng.randrange(6 * 365))
            title = f"Report {n} on the {self.rng.choice(self.c.world.conflicts).label}"
            line = f"[{n}] {title}. {o.label}. Retrieved {T.day_words(d)}."
            start = self.pos
            self._write(line + "\n")
            ev = self.evidence(line, start, [o.key])
            tnode = self.time(("day", d))
            self.ttl.block(f"bkr:ref-{self.num}-{n:02d}", [
                ("a", "bk:CitedReport"), ("dcterms:title", en(title)), ("bk:referenceNumber", integer(n)),
                ("bk:citedBy", self.doc), ("bk:metadataEvidence", ev), ("bk:outlet", o.key),
                ("bk:retrievedTime", tnode)])

    def text(self) -> str:
        return "".join(self.parts)
