"""Run the server with uvicorn on sockets bound beforehand (:mod:`loader.server.sockets`).

The event loop is uvloop and the HTTP/1.1 parser httptools (both C): the Python front process handles
every request, so its per-request cost bounds the endpoint's throughput.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading

import uvicorn
import uvloop

from ..errors import BukamalError, UsageError
from .connection import HttpProtocol
from .settings import Settings
from .sockets import base_url, bind_fronts


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
