"""The frame format between the server and its worker processes (over the workers' stdin/stdout).

A frame is ``[u32 header length][u64 body length][header: UTF-8 JSON object][body bytes]``.
"""

from __future__ import annotations

import json
import struct

PREFIX = struct.Struct(">IQ")
MAX_HEADER = 16 << 20


def encode(header: dict, body: bytes = b"") -> bytes:
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return PREFIX.pack(len(head), len(body)) + head + body


def read_blocking(stream) -> tuple[dict, bytes] | None:
    """One frame from a binary file object; None at end of stream."""
    prefix = _read_exactly(stream, PREFIX.size)
    if prefix is None:
        return None
    head_len, body_len = PREFIX.unpack(prefix)
    if head_len > MAX_HEADER:
        raise ValueError("frame header too large")
    head = _read_exactly(stream, head_len)
    body = _read_exactly(stream, body_len) if body_len else b""
    if head is None or body is None:
        return None
    return json.loads(head.decode("utf-8")), body


def _read_exactly(stream, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


async def read_async(reader) -> tuple[dict, bytes]:
    """One frame from an ``asyncio.StreamReader``; ``asyncio.IncompleteReadError`` at end of stream."""
    head_len, body_len = PREFIX.unpack(await reader.readexactly(PREFIX.size))
    if head_len > MAX_HEADER:
        raise ValueError("frame header too large")
    head = await reader.readexactly(head_len)
    body = await reader.readexactly(body_len) if body_len else b""
    return json.loads(head.decode("utf-8")), body
