"""Streaming Turtle output with plain string formatting, counting the triples it writes.

Terms are passed already written as Turtle (``"bkr:op-001-002"``, ``"bk:Airstrike"``); the helpers
below write literals. A :class:`TurtleBuffer` collects the statements of one file in a list of strings.
"""

from __future__ import annotations

from loader.namespaces import BK, BKR

PREFIXES = {
    "bk": BK,
    "bkr": BKR,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "geo": "http://www.opengis.net/ont/geosparql#",
}
HEADER = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def string(value: str) -> str:
    """An ``xsd:string`` literal."""
    return '"' + value.translate(_ESCAPES) + '"'


def en(value: str) -> str:
    """An English language-tagged literal."""
    return '"' + value.translate(_ESCAPES) + '"@en'


def typed(value: str, datatype: str) -> str:
    """A literal with a datatype written as a prefixed name (``xsd:date``)."""
    return '"' + value.translate(_ESCAPES) + '"^^' + datatype


def integer(value: int) -> str:
    """An ``xsd:integer`` literal (Turtle's bare integer form)."""
    return str(int(value))


class TurtleBuffer:
    """The statements of one Turtle file; ``count`` is the number of triples written so far."""

    def __init__(self, comment: str = "") -> None:
        self.parts: list[str] = [HEADER]
        if comment:
            self.parts.append(f"\n# {comment}\n")
        self.count = 0

    def block(self, subject: str, pairs: list[tuple[str, str]]) -> None:
        """``subject p1 o1 ; p2 o2 .`` — one triple per (predicate, object) pair."""
        body = " ;\n    ".join(f"{p} {o}" for p, o in pairs)
        self.parts.append(f"\n{subject} {body} .\n")
        self.count += len(pairs)

    def triple(self, subject: str, predicate: str, obj: str) -> None:
        self.parts.append(f"{subject} {predicate} {obj} .\n")
        self.count += 1

    def text(self) -> str:
        return "".join(self.parts)
