"""Run the server with uvicorn on a socket bound here (so the real port is known, even for port 0)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading

import uvicorn

from ..errors import UsageError
from .settings import Settings


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def make_server(settings: Settings, *, log_level: str = "warning") -> uvicorn.Server:
    from .app import create_app

    config = uvicorn.Config(create_app(settings), log_level=log_level, access_log=log_level == "info",
                            lifespan="on", timeout_graceful_shutdown=5, server_header=False)
    return uvicorn.Server(config)


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
            task.add_done_callback(pending.discard)

    try:
        loop.add_signal_handler(signal.SIGHUP, reload)
    except (NotImplementedError, RuntimeError, ValueError):
        pass


def serve(settings: Settings, host: str, port: int, *, log_level: str = "warning",
          announce=print) -> None:
    """Serve until interrupted; ``announce`` gets the page URL once the socket is bound."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server = make_server(settings, log_level=log_level)
    url = base_url(sock)
    announce(f"bukamal: serving the query page at {url}/ (SPARQL endpoint {url}/sparql)")

    async def main() -> None:
        install_sighup(server.config.app)
        await server.serve(sockets=[sock])

    asyncio.run(main())
