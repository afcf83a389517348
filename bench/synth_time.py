"""Time specifications for the synthetic documents, in the contract's canonical form.

A key names a time: ``("day", date)``, ``("month", y, m)``, ``("year", y)``, ``("part", y, "early")``,
``("interval", d1, d2)``, ``("rel", iri, date, anchor_iri, words, derivation)`` or ``("unknown",)``.
Absolute times get one canonical IRI each (``bkr:time-2019-09-04``, ``bkr:time-2019-09``,
``bkr:time-2019``, ``bkr:time-2019-early``, ``bkr:time-2019-07-19--2019-08-25``); a relative date
("two days later") gets an IRI of its document, since its derivation belongs to that document.
"""

from __future__ import annotations

import calendar
import datetime as dt

from .turtle import string, typed

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
PARTS = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}
UNKNOWN = "bkr:time-unknown"


def day_words(d: dt.date, year: bool = True) -> str:
    return f"{d.day} {MONTHS[d.month - 1]}" + (f" {d.year}" if year else "")


def iri(key: tuple) -> str:
    kind = key[0]
    if kind == "day":
        return f"bkr:time-{key[1].isoformat()}"
    if kind == "month":
        return f"bkr:time-{key[1]:04d}-{key[2]:02d}"
    if kind == "year":
        return f"bkr:time-{key[1]:04d}"
    if kind == "part":
        return f"bkr:time-{key[1]:04d}-{key[2]}"
    if kind == "interval":
        return f"bkr:time-{key[1].isoformat()}--{key[2].isoformat()}"
    if kind == "rel":
        return key[1]
    return UNKNOWN


def words(key: tuple) -> str:
    """The words a sentence uses for the time (also its bk:dateText)."""
    kind = key[0]
    if kind == "day":
        return day_words(key[1])
    if kind == "month":
        return f"{MONTHS[key[2] - 1]} {key[1]}"
    if kind == "year":
        return str(key[1])
    if kind == "part":
        return f"{key[2]} {key[1]}"
    if kind == "interval":
        d1, d2 = key[1], key[2]
        return f"between {day_words(d1, d1.year != d2.year)} and {day_words(d2)}"
    if kind == "rel":
        return key[4]
    return ""


def phrase(key: tuple) -> str:
    """How a sentence opens with the time."""
    kind = key[0]
    if kind == "day":
        return f"On {words(key)}"
    if kind in ("month", "year", "part"):
        return f"In {words(key)}"
    if kind == "interval":
        return words(key)[0].upper() + words(key)[1:]
    if kind == "rel":
        return key[4]
    return "At a date the sources do not give"


def _d(v: dt.date) -> str:
    return typed(v.isoformat(), "xsd:date")


def pairs(key: tuple) -> list[tuple[str, str]]:
    """The TimeSpec's triples (predicate, object) — never called for the unknown time."""
    kind = key[0]
    p = [("a", "bk:TimeSpec")]
    if kind == "day":
        d = key[1]
        return p + [("bk:precision", "bk:DayPrecision"), ("bk:earliest", _d(d)), ("bk:latest", _d(d)),
                    ("bk:exactDate", _d(d)), ("bk:dateText", string(words(key)))]
    if kind == "month":
        y, m = key[1], key[2]
        last = calendar.monthrange(y, m)[1]
        return p + [("bk:precision", "bk:MonthPrecision"), ("bk:earliest", _d(dt.date(y, m, 1))),
                    ("bk:latest", _d(dt.date(y, m, last))),
                    ("bk:exactDate", typed(f"{y:04d}-{m:02d}", "xsd:gYearMonth")),
                    ("bk:dateText", string(words(key)))]
    if kind == "year":
        y = key[1]
        return p + [("bk:precision", "bk:YearPrecision"), ("bk:earliest", _d(dt.date(y, 1, 1))),
                    ("bk:latest", _d(dt.date(y, 12, 31))), ("bk:exactDate", typed(f"{y:04d}", "xsd:gYear")),
                    ("bk:dateText", string(words(key)))]
    if kind == "part":
        y, (m1, m2) = key[1], PARTS[key[2]]
        return p + [("bk:precision", "bk:PartOfYearPrecision"), ("bk:earliest", _d(dt.date(y, m1, 1))),
                    ("bk:latest", _d(dt.date(y, m2, calendar.monthrange(y, m2)[1]))),
                    ("bk:dateText", string(words(key)))]
    if kind == "interval":
        return p + [("bk:precision", "bk:IntervalPrecision"), ("bk:earliest", _d(key[1])), ("bk:latest", _d(key[2])),
                    ("bk:dateText", string(words(key)))]
    if kind == "rel":
        d = key[2]
        return p + [("bk:precision", "bk:DayPrecision"), ("bk:earliest", _d(d)), ("bk:latest", _d(d)),
                    ("bk:exactDate", _d(d)), ("bk:dateText", string(words(key))), ("bk:derivedFrom", key[3]),
                    ("bk:derivation", string(key[5]))]
    raise ValueError(f"no triples for time {key!r}")
