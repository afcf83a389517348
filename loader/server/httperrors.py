"""HTTP errors: one exception for protocol-level refusals, one JSON body shape for every error.

Every error answer is ``{"error": <kind>, "message": <text for people>}`` (plus ``candidates`` for an
ambiguous parameter), never a stack trace or a filesystem path. Project errors
(:mod:`loader.errors`) map to a status by their class (``status`` attribute).
"""

from __future__ import annotations

import json
import re

from ..errors import (BukamalError, NotFoundError, ParameterError, QueryError, QueryTimeout,
                      RegistryError, StoreError, UsageError)

JSON = "application/json"


class HttpError(Exception):
    """A refusal with an exact status, a short machine-readable kind and a message for people."""

    def __init__(self, status: int, kind: str, message: str, *, headers: dict[str, str] | None = None,
                 extra: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}


# most specific class first: ParameterError is a UsageError, RegistryError a QueryError, ...
_KINDS: tuple[tuple[type[BukamalError], str], ...] = (
    (ParameterError, "bad_parameter"),
    (UsageError, "bad_request"),
    (RegistryError, "bad_saved_query"),
    (QueryError, "bad_query"),
    (NotFoundError, "not_found"),
    (StoreError, "store_unavailable"),
    (QueryTimeout, "timeout"),
)


# an absolute filesystem path (not the path of an IRI: those follow "//" or a host name)
_PATH = re.compile(r"(?<![\w<:/.\-])/(?:[^\s/'\"<>]+/)*[^\s/'\"<>:;,)]+")


def scrub_paths(message: str) -> str:
    """``message`` with absolute filesystem paths replaced by ``<path>``."""
    return _PATH.sub("<path>", message)


def from_project_error(exc: BukamalError) -> HttpError:
    """The HTTP form of a project error: its class decides status and kind; the message is kept
    (without filesystem paths, except in a parameter error, which only echoes the caller's value; and
    without the file:line location some errors carry, except a broken saved-query file's name, which
    tells the operator what to fix)."""
    kind = next((k for cls, k in _KINDS if isinstance(exc, cls)), "error")
    extra = {}
    if isinstance(exc, ParameterError) and exc.candidates:
        extra["candidates"] = list(exc.candidates)
    headers = {"Retry-After": "5"} if isinstance(exc, StoreError) else None
    # a parameter error echoes the caller's own value and names no file of the server: kept as it is
    message = exc.message if isinstance(exc, ParameterError) else scrub_paths(exc.message)
    if isinstance(exc, RegistryError) and exc.file:
        message = f"{exc.file}: {message}"
    return HttpError(exc.status, kind, message, extra=extra, headers=headers)


def error_body(kind: str, message: str, extra: dict | None = None) -> bytes:
    payload = {"error": kind, "message": message}
    payload.update(extra or {})
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def error_response(err: HttpError):
    """A starlette ``Response`` for ``err`` (imported here: worker processes never load starlette)."""
    from starlette.responses import Response

    return Response(error_body(err.kind, err.message, err.extra), status_code=err.status,
                    media_type=JSON, headers=err.headers)
