"""SPARQL extension functions the project registers with pyoxigraph (``Store.query(custom_functions=...)``).

pyoxigraph 0.5 has no GeoSPARQL functions, so ``geof:distance`` is provided here for what the
graph holds: WKT ``POINT(lon lat)`` literals (``geo:wktLiteral``, WGS 84 / CRS84 axis order, the
GeoSPARQL default). The distance is the great-circle (haversine) distance on a sphere of radius
6371.0088 km (the IUGG mean Earth radius); its error against the WGS 84 ellipsoid is below 0.5%, plenty
for "places near a place". Units: ``uom:metre`` or ``uom:kilometre`` (OGC units IRIs)
(``http://www.opengis.net/def/uom/OGC/1.0/``). Anything else (other geometry types, other units, a
malformed literal) makes the call an expression error, so the row is filtered out or the value is
unbound, as with any SPARQL function error.

``bkf:list`` (``https://w3id.org/bukamal-kg/function#list``) is an aggregate: the distinct values of
its argument in the group, sorted, joined by single spaces; IRIs are written as project prefixed names
(``bkr:claim-000-01``) when they have one. Unlike ``GROUP_CONCAT(DISTINCT ...)``, whose order pyoxigraph
does not fix (it changes from run to run), its result is deterministic. As with pyoxigraph's own
aggregates, the whole value is unbound when the argument is unbound in any row of the group (wrap it in
``COALESCE(?x, "")`` to skip such rows). Values containing spaces would be ambiguous in the list.

These are conveniences for ad-hoc queries on the embedded store (``bukamal query FILE.rq`` and the
endpoint offer them). Saved queries do not use them: they are plain SPARQL 1.1 so that any engine,
including a remote one, gives the same rows (see :mod:`loader.querycheck`).
"""

from __future__ import annotations

import math
import re

import pyoxigraph

from .namespaces import PREFIXES

BKF = "https://w3id.org/bukamal-kg/function#"
LIST = BKF + "list"
GEOF = "http://www.opengis.net/def/function/geosparql/"
UOM = "http://www.opengis.net/def/uom/OGC/1.0/"
DISTANCE = GEOF + "distance"
EARTH_RADIUS_KM = 6371.0088
_UNITS = {UOM + "metre": 1000.0, UOM + "kilometre": 1.0, UOM + "kilometer": 1.0, UOM + "meter": 1000.0}
_POINT = re.compile(
    r"^\s*(?:<http://www\.opengis\.net/def/crs/OGC/1\.3/CRS84>\s*)?POINT\s*\(\s*"
    r"([-+]?\d+(?:\.\d+)?)\s+([-+]?\d+(?:\.\d+)?)\s*\)\s*$", re.IGNORECASE)
_XSD_DOUBLE = pyoxigraph.NamedNode("http://www.w3.org/2001/XMLSchema#double")


def parse_point(value: str) -> tuple[float, float] | None:
    """``POINT(lon lat)`` -> ``(lon, lat)``, or None if it is not a valid WGS 84 point."""
    m = _POINT.match(value)
    if not m:
        return None
    lon, lat = float(m.group(1)), float(m.group(2))
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return None
    return lon, lat


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance(g1, g2, units=None):
    """``geof:distance(wkt1, wkt2, units)`` for WKT points; None (an expression error) otherwise."""
    if not isinstance(g1, pyoxigraph.Literal) or not isinstance(g2, pyoxigraph.Literal):
        return None
    if not isinstance(units, pyoxigraph.NamedNode) or units.value not in _UNITS:
        return None
    a, b = parse_point(g1.value), parse_point(g2.value)
    if a is None or b is None:
        return None
    return pyoxigraph.Literal(repr(haversine_km(a, b) * _UNITS[units.value]), datatype=_XSD_DOUBLE)


def custom_functions() -> dict:
    """The ``custom_functions`` argument for ``pyoxigraph.Store.query``."""
    return {pyoxigraph.NamedNode(DISTANCE): distance}


def unknown_function(exc: RuntimeError) -> bool:
    """Whether pyoxigraph raised ``exc`` because the query calls a function it was not given (an error in
    the query, not in the engine)."""
    return str(exc).startswith("The custom function ")


def short_name(iri: str) -> str:
    """``bkr:x`` for an IRI in a project namespace (local part without ``/`` or ``#``), else the IRI."""
    for prefix, ns in PREFIXES.items():
        local = iri[len(ns):]
        if iri.startswith(ns) and local and "/" not in local and "#" not in local:
            return f"{prefix}:{local}"
    return iri


class SortedList:
    """Accumulator of ``bkf:list``: distinct values, sorted, space-separated."""

    def __init__(self) -> None:
        self.items: set[str] = set()

    def accumulate(self, term) -> None:
        if isinstance(term, pyoxigraph.NamedNode):
            self.items.add(short_name(term.value))
        elif isinstance(term, pyoxigraph.Literal):
            self.items.add(term.value)

    def finish(self):
        return pyoxigraph.Literal(" ".join(sorted(self.items))) if self.items else None


def custom_aggregate_functions() -> dict:
    """The ``custom_aggregate_functions`` argument for ``pyoxigraph.Store.query``."""
    return {pyoxigraph.NamedNode(LIST): SortedList}
