"""Media types the endpoint speaks, and ``Accept`` negotiation (RFC 9110 section 12.5.1).

``negotiate(accept, offers)`` picks the offer with the highest quality; for each offer the most specific
matching range decides its quality (``type/subtype`` over ``type/*`` over ``*/*``); ``q=0`` excludes.
Ties go to the earlier offer, so the first offer is the default (also when there is no ``Accept``).
"""

from __future__ import annotations

import functools
import re

# media type -> format name understood by the executor (pyoxigraph format attribute names)
RESULTS: dict[str, str] = {
    "application/sparql-results+json": "JSON",
    "application/sparql-results+xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
    "application/json": "JSON",
    "application/xml": "XML",
}
RDF: dict[str, str] = {
    "text/turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "application/n-quads": "N_QUADS",
    "application/trig": "TRIG",
    "application/ld+json": "JSON_LD",
    "application/rdf+xml": "RDF_XML",
}
RESULT_OFFERS = tuple(RESULTS)
RDF_OFFERS = tuple(RDF)

# file-name suffixes a saved query URL may carry instead of an Accept header
SUFFIXES: dict[str, str] = {
    ".json": "application/sparql-results+json",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".xml": "application/sparql-results+xml",
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
}


def media_type_of(header: str | None) -> tuple[str, dict[str, str]]:
    """``Content-Type`` -> (lower-case media type, parameters with lower-case names); ``("", {})``."""
    if not header:
        return "", {}
    parts = header.split(";")
    params: dict[str, str] = {}
    for part in parts[1:]:
        name, sep, value = part.partition("=")
        if sep:
            params[name.strip().lower()] = value.strip().strip('"')
    return parts[0].strip().lower(), params


def parse_accept(header: str) -> list[tuple[str, str, float]]:
    """``Accept`` -> [(type, subtype, q)]; malformed ranges are skipped."""
    ranges = []
    for item in header.split(","):
        mtype, params = media_type_of(item)
        if "/" not in mtype:
            if mtype == "*":
                mtype = "*/*"
            else:
                continue
        main, _, sub = mtype.partition("/")
        weight = params.get("q", "1").strip()
        if not _QVALUE.fullmatch(weight):       # "q=abc", "q=2", "q=-1", "q=nan": a malformed range
            continue
        ranges.append((main, sub, float(weight)))
    return ranges


_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")      # RFC 9110, section 12.4.2


def _quality(offer: str, ranges: list[tuple[str, str, float]]) -> float:
    main, _, sub = offer.partition("/")
    best_rank, best_q = -1, 0.0
    for rmain, rsub, q in ranges:
        if rmain == main and rsub == sub:
            rank = 2
        elif rmain == main and rsub == "*":
            rank = 1
        elif rmain == "*" and rsub == "*":
            rank = 0
        else:
            continue
        if rank > best_rank:
            best_rank, best_q = rank, q
    return best_q


CACHED_ACCEPT = 256         # Accept headers up to this length have their choice remembered


def negotiate(accept: str | None, offers: tuple[str, ...] | list[str]) -> str | None:
    """The offer to send, or None when none is acceptable (-> 406)."""
    if accept is not None and len(accept) <= CACHED_ACCEPT:
        return _negotiate_cached(accept, tuple(offers))
    return _negotiate(accept, offers)


@functools.lru_cache(maxsize=256)
def _negotiate_cached(accept: str, offers: tuple[str, ...]) -> str | None:
    return _negotiate(accept, offers)


def _negotiate(accept: str | None, offers: tuple[str, ...] | list[str]) -> str | None:
    if accept is None or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best, best_q = None, 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best
