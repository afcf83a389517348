"""The synthetic world: actors in part-of hierarchies, places in located-in chains, facilities,
outlets, persons, conflicts and equipment, all with invented names.

Every entity carries the sentence that introduces it in a document (its *intro*: the words, the
entities it mentions and the facts it states) and possibly further fact sentences (*extras*). The
document builder (:mod:`bench.synth_docs`) places them in documents and writes claims and evidence;
:func:`shared_turtle` writes the entities' types, labels and alternative labels (``triples/shared.ttl``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .turtle import TurtleBuffer, en

_SYL = ["kar", "sun", "tam", "rit", "da", "sha", "mel", "lor", "vek", "zan", "bur", "qas", "hal", "nor",
        "fel", "dur", "ish", "om", "rah", "tel", "ven", "mar", "sol", "dir", "at", "ub", "ken", "zor"]
_ACCENTED = ["ā", "ī", "ū", "é", "ş"]


@dataclass
class Fact:
    """One triple stated by a sentence: ``s p o`` with terms written as Turtle."""

    s: str
    p: str
    o: str
    stance: str = "bk:Asserts"
    valid: str | None = None          # a TimeSpec key (see synth_docs.TimeSpec) for bk:validDuring
    value_node: tuple | None = None   # ("geometry", wkt) when o is a geometry node to define


@dataclass
class Sentence:
    words: str
    mentions: list[str]
    facts: list[Fact] = field(default_factory=list)


@dataclass
class Entity:
    key: str                  # Turtle term, e.g. "bkr:actor-0012"
    kind: str
    types: list[str]
    label: str
    alt: list[str]
    parent: "Entity | None" = None
    intro: Sentence | None = None
    extras: list[Sentence] = field(default_factory=list)

    def ancestors(self) -> list["Entity"]:
        out, e = [], self.parent
        while e is not None:
            out.append(e)
            e = e.parent
        return out


class Names:
    """Unique invented names from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def word(self, syllables: tuple[int, int] = (2, 3)) -> str:
        while True:
            n = self.rng.randint(*syllables)
            w = "".join(self.rng.choice(_SYL) for _ in range(n))
            if self.rng.random() < 0.08:   # some names outside ASCII, to exercise code-point offsets
                i = self.rng.randrange(len(w))
                w = w[:i] + self.rng.choice(_ACCENTED) + w[i + 1:]
            if self.rng.random() < 0.04:
                w = w[:2] + "’" + w[2:]
            w = w.capitalize()
            if w not in self.used and len(w) > 3:
                self.used.add(w)
                return w


def _acronym(label: str) -> str:
    return "".join(part[0] for part in label.replace("-", " ").split() if part[0].isalpha()).upper()


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class World:
    """All entities, built deterministically from ``rng`` at a scale fitting ``target`` triples."""

    def __init__(self, rng: random.Random, target: int) -> None:
        self.rng = rng
        self.names = Names(rng)
        self.entities: list[Entity] = []
        self._n = {"actor": 0, "place": 0, "conflict": 0, "equip": 0, "geom": 0}
        scale = max(1.0, target / 10_000)
        self._build(scale)

    # ------------------------------------------------------------------ construction
    def _new(self, prefix: str, kind: str, types: list[str], label: str, alt: list[str],
             parent: Entity | None = None) -> Entity:
        self._n[prefix] += 1
        e = Entity(f"bkr:{prefix}-{self._n[prefix]:05d}", kind, types, label, alt, parent)
        self.entities.append(e)
        return e

    def _build(self, scale: float) -> None:
        rng, nm = self.rng, self.names
        n_states = min(9, 3 + int(scale ** 0.5 / 3))
        self.states, self.forces, self.units, self.militias = [], [], [], []
        self.outlets, self.persons, self.places, self.settlements = [], [], [], []
        self.facilities, self.rivers, self.conflicts, self.equipment = [], [], [], []
        for _ in range(n_states):
            base = nm.word()
            st = self._new("actor", "state", ["bk:Country", "bk:State"], f"{base}ia",
                           [f"{base}ia", f"Republic of {base}ia"])
            st.intro = Sentence(f"{base}ia, officially the Republic of {base}ia, is a state of the region.", [st.key])
            self.states.append(st)
            gov = self._new("actor", "gov", ["bk:Government"], f"{base}ian government", [f"{base}ian government"], st)
            gov.intro = Sentence(f"The {gov.label} rules {st.label}.", [gov.key, st.key],
                                 [Fact(gov.key, "bk:partOf", st.key)])
            force = self._new("actor", "force", ["bk:ArmedForce"], f"{base}ian Armed Forces",
                              [f"{base}ian Armed Forces", _acronym(f"{base}ian Armed Forces")], st)
            force.intro = Sentence(f"The {force.label} ({force.alt[1]}) are the military of {st.label}.",
                                   [force.key, st.key], [Fact(force.key, "bk:partOf", st.key)])
            self.forces.append(force)
            for branch in ("Air Force", "Guard Corps")[: 1 + int(scale > 3)]:
                svc = self._new("actor", "service", ["bk:MilitaryService"], f"{base}ian {branch}",
                                [f"{base}ian {branch}"], force)
                svc.intro = Sentence(f"The {svc.label} is a branch of the {force.label}.", [svc.key, force.key],
                                     [Fact(svc.key, "bk:partOf", force.key)])
                self.forces.append(svc)
                for _ in range(max(1, int(2 * scale ** 0.9 / n_states))):
                    self._unit(svc)
        for _ in range(max(3, int(2 * scale ** 0.7))):
            name = f"{nm.word()} Brigades"
            st = rng.choice(self.states)
            mil = self._new("actor", "militia", ["bk:Militia"], name, [name, _acronym(name) + "B"])
            mil.intro = Sentence(f"The {name} ({mil.alt[1]}) is a militia backed by {st.label}.", [mil.key, st.key],
                                 [Fact(mil.key, "bk:supportedBy", st.key)])
            self.militias.append(mil)
            for _ in range(rng.randint(1, 3)):
                self._unit(mil, militia=True)
        for kind, cls, fmt in (("outlet", "bk:MediaOutlet", "{} Daily"), ("outlet", "bk:MediaOutlet", "{} News"),
                               ("monitor", "bk:Monitor", "{} Observatory"), ("firm", "bk:ImageryFirm", "{} Imaging"),
                               ("research", "bk:ResearchOrganization", "{} Institute")):
            for _ in range(max(1, int(scale ** 0.5))):
                label = fmt.format(nm.word())
                o = self._new("actor", kind, [cls], label, [label])
                o.intro = Sentence(f"{label} is one of the sources that report on the region.", [o.key])
                self.outlets.append(o)
        leadable = self.forces + self.militias
        for org in rng.sample(leadable, max(1, len(leadable) // 3)):
            label = f"{nm.word()} {nm.word()}"
            p = self._new("actor", "person", ["bk:Person"], label, [label, label.split()[1]])
            p.intro = Sentence(f"{label} commands the {org.label}; {p.alt[1]} rarely appears in public.",
                               [p.key, org.key], [Fact(org.key, "bk:ledBy", p.key)])
            self.persons.append(p)
        self._places(scale)
        self._relations(scale)

    def _unit(self, parent: Entity, militia: bool = False) -> Entity:
        n = self.rng.randint(1, 99)
        word = self.names.word((2, 2))
        label = f"{_ordinal(n)} {word} {'Battalion' if militia else 'Brigade'}"
        short = f"{word} {'Battalion' if militia else 'Brigade'}"
        u = self._new("actor", "unit", ["bk:MilitaryUnit"], label, [label, short], parent)
        u.intro = Sentence(f"The {label}, often called the {u.alt[1]}, is a unit of the {parent.label}.",
                           [u.key, parent.key], [Fact(u.key, "bk:partOf", parent.key)])
        self.units.append(u)
        return u

    def _geometry(self, place: Entity) -> None:
        rng = self.rng
        lat, lon = round(rng.uniform(32.0, 37.0), 4), round(rng.uniform(38.0, 44.0), 4)
        self._n["geom"] += 1
        g = f"bkr:geom-{self._n['geom']:05d}"
        place.extras.append(Sentence(f"{place.label} lies at {lat} N, {lon} E.", [place.key],
                                     [Fact(place.key, "geo:hasGeometry", g,
                                           value_node=("geometry", f"POINT({lon} {lat})"))]))

    def _places(self, scale: float) -> None:
        rng, nm = self.rng, self.names
        for st in self.states:                       # the state resources are also the countries
            st.kind = "state"
            for _ in range(max(1, int(scale ** 0.75 / 2))):
                w = nm.word()
                gov = self._new("place", "governorate", ["bk:Governorate"], f"{w} Governorate",
                                [f"{w} Governorate", f"{w} province"], st)
                gov.intro = Sentence(f"{gov.label}, also called {w} province, is a governorate of {st.label}.",
                                     [gov.key, st.key], [Fact(gov.key, "bk:locatedIn", st.key)])
                self.places.append(gov)
                for _ in range(rng.randint(1, 3)):
                    w = nm.word()
                    dist = self._new("place", "district", ["bk:District"], f"{w} District", [f"{w} District"], gov)
                    dist.intro = Sentence(f"{dist.label} is a district of {gov.label}.", [dist.key, gov.key],
                                          [Fact(dist.key, "bk:locatedIn", gov.key)])
                    self.places.append(dist)
                    for _ in range(rng.randint(1, 4)):
                        w = nm.word()
                        cls, what = ("bk:City", "town") if rng.random() < 0.5 else ("bk:Village", "village")
                        s = self._new("place", "settlement", [cls], w, [w], dist)
                        s.intro = Sentence(f"{w} is a {what} in {dist.label}.", [s.key, dist.key],
                                           [Fact(s.key, "bk:locatedIn", dist.key)])
                        self.places.append(s)
                        self.settlements.append(s)
                        self._geometry(s)
                        for _ in range(rng.randint(0, 2)):
                            self._facility(s)
        for _ in range(max(1, len(self.states) - 1)):
            w = nm.word()
            r = self._new("place", "river", ["bk:River"], f"{w} River", [f"{w} River", w])
            r.intro = Sentence(f"The {r.label} crosses the region; locals call it the {w}.", [r.key])
            self.rivers.append(r)
        c0 = self._new("conflict", "conflict", ["bk:Conflict"], f"{nm.word()} war", [])
        c0.alt = [c0.label]
        c0.intro = Sentence(f"The {c0.label} has lasted for years.", [c0.key])
        self.conflicts.append(c0)
        for _ in range(max(2, int(scale ** 0.5))):
            c = self._new("conflict", "conflict", ["bk:Conflict"], f"{nm.word()} campaign", [], c0)
            c.alt = [c.label]
            c.intro = Sentence(f"The {c.label} was part of the {c0.label}.", [c.key, c0.key],
                               [Fact(c.key, "bk:partOf", c0.key)])
            self.conflicts.append(c)
        for what in ("drone", "rocket", "missile", "jet", "truck"):
            for _ in range(max(1, int(scale ** 0.3))):
                label = f"{nm.word()}-{rng.randint(1, 9)} {what}"
                e = self._new("equip", "equipment", ["bk:Equipment"], label, [label])
                e.intro = Sentence(f"The {label} is a kind of {what}.", [e.key])
                self.equipment.append(e)

    def _facility(self, s: Entity) -> None:
        rng, nm = self.rng, self.names
        cls, fmt, what = rng.choice([("bk:MilitaryBase", "Base {}", "military base"),
                                     ("bk:AirBase", "{} Air Base", "air base"),
                                     ("bk:BorderCrossing", "{} crossing", "border crossing"),
                                     ("bk:WeaponsStorage", "{} depot", "weapons depot"),
                                     ("bk:MilitaryPosition", "{} outpost", "military position"),
                                     ("bk:CommandCenter", "{} command post", "command centre")])
        label = fmt.format(nm.word())
        f = self._new("place", "facility", [cls], label, [label], s)
        article = "an" if what[0] in "aeiou" else "a"
        f.intro = Sentence(f"{label} is {article} {what} in {s.label}.", [f.key, s.key],
                           [Fact(f.key, "bk:locatedIn", s.key)])
        self.places.append(f)
        self.facilities.append(f)

    def _relations(self, scale: float) -> None:
        rng = self.rng
        sets = self.settlements
        for s in sets:
            if rng.random() < 0.4 and len(sets) > 1:
                o = rng.choice(sets)
                if o is not s:
                    s.extras.append(Sentence(f"{s.label} is close to {o.label}.", [s.key, o.key],
                                             [Fact(s.key, "bk:near", o.key)]))
            if rng.random() < 0.15 and len(sets) > 1:
                o = rng.choice(sets)
                if o is not s:
                    s.extras.append(Sentence(f"{s.label} borders {o.label}.", [s.key, o.key],
                                             [Fact(s.key, "bk:adjacentTo", o.key)]))
            if self.rivers and rng.random() < 0.3:
                r = rng.choice(self.rivers)
                s.extras.append(Sentence(f"{s.label} lies on the {r.label}.", [s.key, r.key],
                                         [Fact(s.key, "bk:on", r.key)]))
        armed = self.units + self.militias
        for f in self.facilities:
            a = rng.choice(armed)
            year = rng.randint(2015, 2022)
            f.extras.append(Sentence(f"Since {year}, the {a.label} has controlled {f.label}.", [a.key, f.key],
                                     [Fact(a.key, "bk:controls", f.key, valid=("year", year))]))
            if rng.random() < 0.3:
                b = rng.choice(armed)
                f.extras.append(Sentence(f"The {b.label} is reportedly stationed at {f.label}.", [b.key, f.key],
                                         [Fact(b.key, "bk:stationedAt", f.key, stance="bk:Reportedly")]))
        for m in self.militias:
            o = rng.choice(self.militias + self.forces)
            if o is not m:
                m.extras.append(Sentence(f"The {m.label} opposes the {o.label}.", [m.key, o.key],
                                         [Fact(m.key, "bk:opposes", o.key)]))
            if rng.random() < 0.5:
                o = rng.choice(self.militias)
                if o is not m:
                    m.extras.append(Sentence(f"The {m.label} is aligned with the {o.label}.", [m.key, o.key],
                                             [Fact(m.key, "bk:affiliatedWith", o.key)]))

    # ------------------------------------------------------------------ queries used by the documents
    def compatible(self, a: Entity, b: Entity) -> bool:
        return a is b or a in b.ancestors() or b in a.ancestors()


def shared_turtle(world: World) -> TurtleBuffer:
    """``triples/shared.ttl``: every entity's types, label and alternative labels."""
    out = TurtleBuffer("Synthetic entities named in the generated documents (types, labels, alternative labels).")
    for e in world.entities:
        pairs = [("a", t) for t in e.types] + [("rdfs:label", en(e.label))]
        pairs += [("skos:altLabel", en(a)) for a in e.alt]
        out.block(e.key, pairs)
    return out
