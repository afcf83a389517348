"""The listening sockets of ``bukamal serve``: :func:`bind` (one socket) and :func:`bind_fronts` (one per
front process, on one port), and the URL a socket serves at. Bound here rather than by uvicorn, so that
the real port is known even for port 0 and a port in use is reported before anything starts."""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket. It is made with ``IPPROTO_TCP`` (not protocol 0) so that the event loop
    recognises the connections it accepts as TCP and turns Nagle's algorithm off on them (and the
    listener has ``TCP_NODELAY`` itself, which Linux passes on): an answer written in two parts would
    otherwise wait for the client's delayed ACK, about 40 ms."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bind_fronts(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per front process, all on one port (``SO_REUSEPORT``): the kernel spreads
    new connections evenly over them. (With one shared socket, whichever front wakes first accepts
    every connection waiting, and a burst of clients can all land on one front while another idles.)

    The port is first bound by a plain socket, closed at once, so that a port another server holds,
    even one that also uses ``SO_REUSEPORT``, is refused as usual instead of being shared with it; it
    also picks the port when ``port`` is 0 (and if another program takes that port before the fronts
    bind it, another one is picked). Once bound, the fronts' sockets must be the only ones listening
    there (:func:`_others_listening`: two servers started at the same instant both refuse). What this
    cannot prevent (see the README's limits): a program of the same user that binds the port with
    ``SO_REUSEPORT`` after the fronts shares the port with them."""
    if count == 1 or not sys.platform.startswith("linux"):
        # elsewhere SO_REUSEPORT does not spread connections: the fronts share one socket
        return [bind(host, port)] * count
    for attempt in range(_PORT_ATTEMPTS if port == 0 else 1):
        probe = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # old connections may linger (TIME_WAIT)
            probe.bind((host, port))
            chosen = probe.getsockname()[1]
        finally:
            probe.close()
        socks: list[socket.socket] = []
        try:
            for _ in range(count):
                socks.append(bind(host, chosen, reuse_port=True))
            if _others_listening(socks, chosen):      # a server that started at the same instant
                raise OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE))
            return socks
        except OSError as exc:
            for sock in socks:
                sock.close()
            if port != 0 or exc.errno != errno.EADDRINUSE or attempt == _PORT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


_PORT_ATTEMPTS = 5
_LISTEN = "0A"                    # the TCP state in /proc/net/tcp*


def _others_listening(socks: list[socket.socket], port: int) -> bool:
    """Whether a socket not in ``socks`` listens on ``port`` at one of their addresses, or either side at
    a wildcard address (read from Linux's /proc/net/tcp and tcp6; False when they cannot be read). Two
    servers that probe the port at the same instant can both bind it with ``SO_REUSEPORT``; this sees
    the other one, and then both refuse, rather than sharing the port unawares."""
    ours = {str(os.fstat(sock.fileno()).st_ino) for sock in socks}
    listening = []                # (address as the table writes it, inode)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, _, hex_port = fields[1].rpartition(":")
            if fields[3] == _LISTEN and int(hex_port, 16) == port:
                listening.append((address, fields[9]))
    mine = {address for address, inode in listening if inode in ours}
    wildcard = any(set(address) == {"0"} for address in mine)
    return any(inode not in ours and (wildcard or set(address) == {"0"} or address in mine)
               for address, inode in listening)


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"
