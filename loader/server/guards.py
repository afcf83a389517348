"""Checks a request passes before any query engine sees it.

* the body is read with a hard cap (``413`` past it, whether or not ``Content-Length`` was sent);
* text must be valid UTF-8 (a leading byte-order mark is dropped), else ``400``;
* the nesting depth of ``( { [`` and ``<< >>`` is computed on the text with strings and comments
  blanked out (not IRIs: ``?a<((1))>0`` may be read either way), and a query deeper than the cap is
  refused (``400``): pyoxigraph's recursive parser overflows
  its stack (and takes the process with it) a few thousand levels down; a chain of ``!`` operators
  (``!!!x``, spaces and ``(`` allowed between them) recurses the same way, so the longest chain is held
  to the same cap;
* a query stringing together more than :data:`loader.store.MAX_QUERY_ELEMENTS` operators, ``UNION``/
  ``OPTIONAL``/``MINUS``/``BIND``/``FILTER`` or triple separators is refused (``400 too_complex``): the
  engine's tree is as deep as such a chain is long (``1+1+...`` a few hundred thousand long overflows
  even a worker's large stack);
* ``SERVICE`` (federated query) is refused (``400``): the engine would fetch any URL, loopback
  included; ``LOAD`` in an update is refused for the same reason.

The scanner here is lexical, not a parser: it only has to find where strings, IRIs and comments are.
It is :func:`loader.sparqltext.blank`, with a shortcut for the common text that has no string, no
comment and no backslash (checked after taking the IRIs out): then the IRIs alone are blanked, found by the same
expression from left to right, which are the ones the scanner finds.
"""

from __future__ import annotations

import re

from ..sparqltext import IRIREF as _IRIREF  # the fast path must find the IRIs the scanner finds
from ..sparqltext import (blank, element_count, literal_free_views, longest_bang_chain, nesting_depth, uses_load,
                          uses_service)
from ..store import MAX_QUERY_ELEMENTS
from .httperrors import HttpError

BOM = "\ufeff"


class BodyTooLarge(HttpError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "body_too_large",
                         f"the request body is larger than the limit of {limit} bytes")


async def read_body(receive, limit: int, content_length: str | None) -> bytes:
    """The whole request body, or :class:`BodyTooLarge` as soon as it passes ``limit`` bytes."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise HttpError(400, "bad_request", "the Content-Length header is not a number") from None
        if declared > limit:
            raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class ClientDisconnected(Exception):
    """The client went away before its answer was ready."""


def decode_utf8(data: bytes, what: str) -> str:
    """``data`` as text; ``400`` if it is not UTF-8. A leading byte-order mark is dropped."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, "bad_encoding",
                        f"the {what} is not valid UTF-8 (bad byte at offset {exc.start})") from None
    return strip_bom(text)


def strip_bom(text: str) -> str:
    return text[1:] if text.startswith(BOM) else text


def _spaces(m: re.Match) -> str:
    return " " * (m.end() - m.start())


def blanked(text: str) -> str:
    """``loader.sparqltext.blank(text)``: strings, IRIs and comments replaced by spaces."""
    without_iris = _IRIREF.sub(_spaces, text)
    if '"' in without_iris or "'" in without_iris or "#" in without_iris or "\\" in without_iris:
        return blank(text)
    return without_iris


def check_sparql(text: str, max_depth: int, *, update: bool = False) -> None:
    """Refuse over-deep nesting, ``SERVICE`` and (for updates) ``LOAD``; all ``400``.

    Each check first counts in the raw text what it looks for (brackets, ``!``, the keyword in any
    case): the depth cannot exceed the number of opening brackets, a chain the number of ``!``, and a
    keyword absent from the raw text is absent from every reading of it. Most queries stop there."""
    what = "update" if update else "query"
    views = None
    if text.count("(") + text.count("{") + text.count("[") + text.count("<<") > max_depth:
        views = literal_free_views(text)
        depth = max(nesting_depth(v) for v in views)
        if depth > max_depth:
            raise HttpError(400, "too_deep", f"the {what} nests {depth} levels deep;"
                                             f" this endpoint accepts at most {max_depth}")
    if text.count("!") > max_depth:
        views = views or literal_free_views(text)
        chain = max(longest_bang_chain(v) for v in views)
        if chain > max_depth:
            raise HttpError(400, "too_deep", f"the {what} chains {chain} '!' operators;"
                                             f" this endpoint accepts at most {max_depth}")
    if len(text) > MAX_QUERY_ELEMENTS:
        count = element_count(text)
        if count > MAX_QUERY_ELEMENTS:
            raise HttpError(400, "too_complex", f"the {what} strings together {count:,} operators, group"
                            f" patterns or triples; this endpoint accepts at most {MAX_QUERY_ELEMENTS:,}")
    lowered = text.lower()
    has_service, has_load = "service" in lowered, update and "load" in lowered
    code = blanked(text) if has_service or has_load else ""
    if has_service and uses_service(code, text):
        raise HttpError(400, "service_not_allowed",
                        "SERVICE (federated query) is not allowed on this endpoint")
    if has_load and uses_load(code, text):
        raise HttpError(400, "load_not_allowed", "LOAD (fetching a URL) is not allowed on this endpoint")
