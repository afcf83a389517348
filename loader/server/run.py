"""Run the server with uvicorn on a socket bound here (so the real port is known, even for port 0).

The event loop is uvloop and the HTTP/1.1 parser httptools (both C): the Python front process handles
every request, so its per-request cost bounds the endpoint's throughput.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path

import uvicorn
import uvloop

from ..errors import BukamalError, UsageError
from .connection import HttpProtocol
from .settings import Settings


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


def make_server(settings: Settings, *, log_level: str = "warning") -> uvicorn.Server:
    from .app import create_app

    config = uvicorn.Config(create_app(settings), log_level=log_level, access_log=log_level == "info",
                            lifespan="on", timeout_graceful_shutdown=5, server_header=False,
                            loop="uvloop", http=HttpProtocol, ws="none")
    return uvicorn.Server(config)


def run_server(server: uvicorn.Server, sock: socket.socket, before=None) -> None:
    """Serve on ``sock`` until the server exits, on a uvloop event loop; ``before()`` runs on the
    loop first."""

    async def main() -> None:
        if before is not None:
            before()
        await server.serve(sockets=[sock])

    uvloop.run(main())


def install_sighup(server_app) -> None:
    """SIGHUP -> look at ``store/CURRENT`` now (main thread only; the watcher polls anyway)."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task] = set()

    def reload() -> None:
        from .app import reload_store

        if getattr(server_app.state, "pool", None) is not None:
            task = asyncio.ensure_future(reload_store(server_app))
            pending.add(task)
            task.add_done_callback(done)

    def done(task: asyncio.Task) -> None:
        pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logging.getLogger("bukamal.server").warning("reload on SIGHUP failed: %s", task.exception())

    try:
        loop.add_signal_handler(signal.SIGHUP, reload)
    except (NotImplementedError, RuntimeError, ValueError):
        pass


def serve(settings: Settings, host: str, port: int, *, log_level: str = "warning",
          announce=print) -> None:
    """Serve until interrupted; ``announce`` gets the page URL once the socket is bound."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if threading.current_thread() is threading.main_thread():   # a reload request before the server is up
        if settings.fronts == 1:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)             # until the front's handler replaces this
        else:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})  # the supervisor waits for it
    try:
        socks = bind_fronts(host, port, settings.fronts)
    except OSError as exc:
        shown = f"[{host}]" if ":" in host else host
        raise UsageError(f"cannot listen on {shown}:{port}: {exc.strerror or exc}") from None
    url = base_url(socks[0])

    def front(index: int = 0) -> None:
        for other in socks:
            if other is not socks[index]:
                other.close()             # this front's copies of the others' sockets
        server = make_server(settings, log_level=log_level)
        run_server(server, socks[index], before=lambda: install_sighup(server.config.app))

    if settings.fronts == 1:
        announce(f"bukamal: serving the query page at {url}/ (SPARQL endpoint {url}/sparql)")
        front()
        return
    from . import app  # noqa: F401  (imported before forking: the fronts share its pages)
    from .fronts import INTERRUPTED, supervise

    announce(f"bukamal: serving the query page at {url}/ (SPARQL endpoint {url}/sparql;"
             f" {settings.fronts} front processes)")
    status = supervise(settings.fronts, front, socks)
    if status == INTERRUPTED:
        raise KeyboardInterrupt
    if status != 0:
        raise BukamalError("the front processes could not be kept running (see the messages above)")
