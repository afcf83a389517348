"""SPARQL 1.1 Protocol request parsing: which operation a request carries, and with what dataset.

* ``GET  ?query=...``                       query (``default-graph-uri``, ``named-graph-uri``)
* ``GET``  without ``query``                 service description
* ``POST application/x-www-form-urlencoded`` ``query=`` or ``update=`` in the body
* ``POST application/sparql-query``          the body is the query
* ``POST application/sparql-update``         the body is the update

Form and URL parameters are decoded strictly: invalid percent-encoded UTF-8 is a ``400``, never
silently replaced. A charset other than UTF-8 is a ``415``; a missing or other media type a ``415``;
two ``query`` (or ``update``) parameters, or both, a ``400``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from .guards import decode_utf8, strip_bom
from .httperrors import HttpError
from .negotiation import media_type_of

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"


@dataclass(frozen=True)
class QueryOp:
    query: str
    default_graphs: tuple[str, ...] | None = None   # None: the protocol names no dataset
    named_graphs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class UpdateOp:
    update: str
    using_graphs: tuple[str, ...] = field(default=())
    using_named_graphs: tuple[str, ...] = field(default=())


def parse_pairs(raw: bytes, what: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` (bytes, ``+`` for space, percent-encoded UTF-8) -> pairs, strictly."""
    pairs: list[tuple[str, str]] = []
    if not raw:
        return pairs
    for item in raw.split(b"&"):
        if not item:
            continue
        key, _, value = item.partition(b"=")
        key_text = decode_utf8(percent_decode(key.replace(b"+", b" ")), what)
        value_text = decode_utf8(percent_decode(value.replace(b"+", b" ")), what)
        pairs.append((key_text, value_text))
    return pairs


def percent_decode(data: bytes) -> bytes:
    """``urllib.parse.unquote_to_bytes(data)``, in C for the usual case: every ``%XX`` becomes the
    escape ``\\xXX`` (backslashes doubled first, so no other escape can appear) and the
    ``unicode_escape`` codec decodes them; a ``%`` not followed by two hex digits (kept as it is by
    ``unquote_to_bytes``) makes the codec fail, and then ``unquote_to_bytes`` decodes the text."""
    if b"%" not in data:
        return data
    try:
        return data.replace(b"\\", b"\\\\").replace(b"%", b"\\x").decode("unicode_escape").encode("latin-1")
    except UnicodeDecodeError:
        return unquote_to_bytes(data)


def values(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in pairs if k == name]


def single(pairs: list[tuple[str, str]], name: str) -> str | None:
    found = values(pairs, name)
    if len(found) > 1:
        raise HttpError(400, "bad_request", f"the request gives {len(found)} '{name}' parameters; give one")
    return found[0] if found else None


def _check_charset(params: dict[str, str], mtype: str) -> None:
    charset = params.get("charset")
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise HttpError(415, "unsupported_media_type",
                        f"{mtype} must be sent as UTF-8 (got charset={charset})")


def parse_operation(method: str, content_type: str | None, url_pairs: list[tuple[str, str]],
                    body: bytes, authorize_update: Callable[[], None]) -> QueryOp | UpdateOp | None:
    """The operation a ``/sparql`` request carries; None for a GET without a query.

    ``authorize_update`` is called as soon as the request is known to be an update, before its body
    is looked at any further: a client without the right to update learns nothing more.
    """
    if method in ("GET", "HEAD"):
        if values(url_pairs, "update"):
            raise HttpError(400, "bad_request", "a SPARQL update must be sent with POST, not GET")
        query = single(url_pairs, "query")
        if query is None:
            return None
        return _query_op(strip_bom(query), url_pairs)
    mtype, params = media_type_of(content_type)
    if mtype == FORM:
        _check_charset(params, mtype)
        form = parse_pairs(body, "form body")
        pairs = url_pairs + form
        if values(pairs, "update"):
            authorize_update()
        query, update = single(pairs, "query"), single(pairs, "update")
        if query is not None and update is not None:
            raise HttpError(400, "bad_request", "the request gives both 'query' and 'update'; give one")
        if update is not None:
            return _update_op(strip_bom(update), pairs)
        if query is not None:
            return _query_op(strip_bom(query), pairs)
        raise HttpError(400, "bad_request", "the form has no 'query' or 'update' parameter")
    if mtype in (QUERY_TYPE, UPDATE_TYPE):
        if mtype == UPDATE_TYPE:
            authorize_update()
        _check_charset(params, mtype)
        clash = "query" if mtype == QUERY_TYPE else "update"
        if values(url_pairs, "query") or values(url_pairs, "update"):
            raise HttpError(400, "bad_request",
                            f"a direct POST carries the {clash} in its body; the URL must not give one too")
        text = decode_utf8(body, clash)
        if mtype == QUERY_TYPE:
            return _query_op(text, url_pairs)
        return _update_op(text, url_pairs)
    if not mtype:
        raise HttpError(415, "unsupported_media_type",
                        f"a POST needs a Content-Type: {QUERY_TYPE}, {UPDATE_TYPE} or {FORM}")
    raise HttpError(415, "unsupported_media_type",
                    f"unsupported Content-Type {mtype!r}: use {QUERY_TYPE}, {UPDATE_TYPE} or {FORM}")


def _query_op(query: str, pairs: list[tuple[str, str]]) -> QueryOp:
    if values(pairs, "using-graph-uri") or values(pairs, "using-named-graph-uri"):
        raise HttpError(400, "bad_request", "using-graph-uri / using-named-graph-uri apply to updates only")
    default = values(pairs, "default-graph-uri")
    named = values(pairs, "named-graph-uri")
    if not default and not named:
        return QueryOp(query)
    return QueryOp(query, tuple(default), tuple(named))


def _update_op(update: str, pairs: list[tuple[str, str]]) -> UpdateOp:
    if values(pairs, "default-graph-uri") or values(pairs, "named-graph-uri"):
        raise HttpError(400, "bad_request", "default-graph-uri / named-graph-uri apply to queries only")
    return UpdateOp(update, tuple(values(pairs, "using-graph-uri")),
                    tuple(values(pairs, "using-named-graph-uri")))
