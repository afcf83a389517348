"""The HTTP/1.1 connection protocol: uvicorn's httptools protocol, with each answer sent in one write.

uvicorn writes an answer's status line and headers as soon as the application starts the answer, and
its body when the application sends it: two ``send`` system calls, two TCP segments, and the client
woken twice. Here the connection's transport holds what is written during one turn of the event loop
and sends it in a single write at the end of that turn (an application sends the start and the whole
body of an answer back to back, without waiting in between). Nothing is held longer than that turn;
``close`` and ``write_eof`` send what is held first.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

LARGE = 256 << 10        # held parts larger than this are not copied into one buffer


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
    """uvicorn's httptools protocol on a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))
