"""The HTTP/1.1 connection protocol: uvicorn's httptools protocol, with each answer sent in one write.

uvicorn writes an answer's status line and headers as soon as the application starts the answer, and
its body when the application sends it: two ``send`` system calls, two TCP segments, and the client
woken twice. Here the connection's transport holds what is written during one turn of the event loop
and sends it in a single write at the end of that turn (an application sends the start and the whole
body of an answer back to back, without waiting in between). Nothing is held longer than that turn;
``close`` and ``write_eof`` send what is held first.

A client must also finish sending a request's headers within :data:`HEADER_TIMEOUT_S` of opening
the connection or of starting the request; otherwise the connection is closed. uvicorn times out an
idle keep-alive connection and the application a slow body, but not a request whose headers never
end, which would hold a connection (and a file descriptor) for ever.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .httperrors import error_body
from .middleware import SECURITY_HEADERS

LARGE = 256 << 10        # held parts larger than this are not copied into one buffer
HEADER_TIMEOUT_S = 10.0  # seconds a client has to send a request line and headers


class CoalescingTransport:
    """A transport proxy that gathers the writes of one event-loop turn into one."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(data)
        self._size += len(data)

    def flush(self) -> None:
        held, size = self._held, self._size
        if not held:
            return
        self._held, self._size = [], 0
        if self._transport.is_closing():
            return
        if len(held) == 1:
            self._transport.write(held[0])
        elif size <= LARGE:
            self._transport.write(b"".join(held))
        else:
            self._transport.writelines(held)

    def writelines(self, parts) -> None:
        for part in parts:
            self.write(part)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held, self._size = [], 0
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._size + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a :class:`CoalescingTransport`, with a deadline for headers."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """What uvicorn sends for bytes that are not an HTTP request (or a request line or header too
        long for the parser): the project's JSON error body and headers instead of plain text."""
        body = error_body("bad_request", "the request is not valid HTTP/1.1, or its request line or a header"
                                         " is too long (send a long query with POST)")
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [k.lower().encode("latin-1") + b": " + v.encode("latin-1") + b"\r\n" for k, v in SECURITY_HEADERS.items()]
        head += [b"content-type: application/json\r\n", b"content-length: %d\r\n" % len(body),
                 b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()
