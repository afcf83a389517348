"""Glue shared by the route handlers: error mapping, deadlines, body reading, running a job."""

from __future__ import annotations

import asyncio
import functools
import logging

from starlette.requests import Request
from starlette.responses import Response

from ..errors import BukamalError
from .guards import ClientDisconnected, read_body
from .httperrors import HttpError, error_response, from_project_error
from .protocol import parse_pairs

log = logging.getLogger("bukamal.server")


def handler(func):
    """Wrap a route handler: set its deadline; turn refusals and project errors into JSON answers."""

    @functools.wraps(func)
    async def wrapped(request: Request) -> Response:
        settings = request.app.state.settings
        request.state.deadline = asyncio.get_running_loop().time() + settings.timeout_s
        try:
            return await func(request)
        except HttpError as err:
            return error_response(err)
        except BukamalError as exc:
            return error_response(from_project_error(exc))
        except ClientDisconnected:
            return Response(status_code=499)   # nobody is listening; never sent in practice

    return wrapped


def url_pairs(request: Request) -> list[tuple[str, str]]:
    """The URL's query parameters, decoded strictly (invalid UTF-8 -> 400)."""
    return parse_pairs(request.scope.get("query_string", b""), "URL")


async def body(request: Request) -> bytes:
    """The request body, capped; the time it takes to arrive counts against the deadline (408). A body
    sent with a ``Content-Encoding`` (gzip, ...) is refused (415): it would be read as the text itself."""
    settings = request.app.state.settings
    remaining = request.state.deadline - asyncio.get_running_loop().time()
    try:
        data = await asyncio.wait_for(
            read_body(request.receive, settings.max_body_bytes, request.headers.get("content-length")),
            max(0.0, remaining))
    except asyncio.TimeoutError:
        raise HttpError(408, "request_timeout", "the request body did not arrive in time") from None
    encodings = [e.strip().lower() for e in ",".join(request.headers.getlist("content-encoding")).split(",")]
    coded = [e for e in encodings if e not in ("", "identity")]
    if data and coded:
        raise HttpError(415, "unsupported_media_type",
                        f"the body is sent with Content-Encoding {', '.join(coded)[:100]}; send it uncompressed")
    return data


async def _wait_disconnect(receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def run_job(request: Request, job: dict, *, extra_headers: dict | None = None) -> Response:
    """Send ``job`` to a worker (deadline and disconnect watched) and return its answer as is.

    The body must have been read already: from then on the only message left is the disconnect.
    """
    pool = request.app.state.pool
    disconnected = asyncio.ensure_future(_wait_disconnect(request.receive))
    try:
        header, payload = await pool.run(job, request.state.deadline, disconnected)
    finally:
        disconnected.cancel()
    return reply_response(header, payload, extra_headers)


def reply_response(header: dict, payload: bytes, extra_headers: dict | None = None) -> Response:
    """The HTTP answer for a job's reply (a worker's, or one computed in this process)."""
    headers = dict(header.get("headers") or {})
    headers.update(extra_headers or {})
    headers.setdefault("Vary", "Accept")
    return Response(payload, status_code=header["status"], media_type=header["media_type"],
                    headers=headers)
