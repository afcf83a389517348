"""The ASGI application: routes, lifespan (worker pool, store watcher), error pages.

``create_app(settings)`` returns a Starlette app; run it with uvicorn (``bukamal serve``) or drive it
in-process (``httpx.ASGITransport`` / ``starlette.testclient.TestClient``, lifespan included).

Routes::

    GET|POST /sparql, /query     SPARQL 1.1 Protocol (service description on GET without a query)
    POST     /sparql, /update    SPARQL Update (with --allow-update and the bearer token)
    GET      /store?graph=IRI    Graph Store Protocol (PUT/POST/DELETE: writes, as above)
    GET      /queries            saved queries;  GET /queries/NAME[.csv|.json]  run one
    GET      /openapi.json       OpenAPI description of the saved-query routes
    GET      /                   the web query page (YASGUI)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from ..errors import BukamalError
from . import endpoint, gsp, openapi, saved, web
from .httperrors import HttpError, error_response
from .middleware import DirectRoutes, HeadersMiddleware
from .settings import Settings
from .workers import WorkerPool

log = logging.getLogger("bukamal.server")
QUERY_ROUTES = {"/sparql": endpoint.sparql, "/query": endpoint.query_only}


def _load_registry(settings: Settings, previous=None):
    """The saved queries; when the folder holds a broken file: the ``previous`` set if there is one
    (a bad edit does not take down queries that worked), else the error, which /queries reports."""
    from ..errors import NotFoundError, RegistryError
    from ..registry import Registry, load_registry

    try:
        return load_registry(settings.queries_path())
    except BukamalError as caught:       # the server still answers SPARQL
        # a missing folder is the server's misconfiguration (500), not an unknown URL (404)
        exc = RegistryError(caught.message) if isinstance(caught, NotFoundError) else caught
        if isinstance(previous, Registry):
            log.warning("saved queries not reloaded, the previous ones stay in use: %s", exc)
            return previous
        log.warning("saved queries unavailable: %s", exc)
        return exc


def queries_fingerprint(settings: Settings) -> tuple:
    """What tells a changed saved-query folder: each ``*.rq`` entry's name, size and modification time."""
    folder = settings.queries_path()
    try:
        entries = sorted(folder.glob("*.rq"))
    except OSError:
        return ()
    out = []
    for path in entries:
        try:
            st = path.stat()
            out.append((path.name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((path.name, None, None))
    return tuple(out)


async def reload_store(app: Starlette) -> bool:
    """Switch to the generation ``store/CURRENT`` names, if new; re-read the saved queries when the
    generation or the query folder changed (a new build may bring new ones; an edited file is picked up
    without one). Called by the watcher and on SIGHUP."""
    switched = await app.state.pool.check_reload()
    settings = app.state.settings
    fingerprint = queries_fingerprint(settings)
    if switched or fingerprint != app.state.queries_fingerprint:
        app.state.queries_fingerprint = fingerprint
        app.state.registry = _load_registry(settings, app.state.registry)
    return switched


async def _watch_store(app: Starlette, interval: float) -> None:
    """Follow ``store/CURRENT`` every ``interval`` seconds; keep the pool full."""
    while True:
        await asyncio.sleep(interval)
        try:
            await reload_store(app)
            app.state.pool.replenish()
        except (OSError, BukamalError) as exc:
            log.warning("store watch: %s", exc)
        except Exception:           # a supervisor loop: a bug here must not stop reloads for good
            log.exception("store watch failed; trying again in %s s", interval)


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        pool = WorkerPool(settings.store_dir, size=settings.workers, max_queue=settings.max_queue,
                          max_bytes=settings.max_result_bytes, stack_mb=settings.worker_stack_mb,
                          memory_mb=settings.worker_memory_mb, remote=settings.remote_for_workers(),
                          inline=settings.inline_max_matches > 0)
        app.state.pool = pool
        app.state.write_lock = asyncio.Lock()
        app.state.queries_fingerprint = queries_fingerprint(settings)
        app.state.registry = _load_registry(settings)
        await pool.start()
        watcher = asyncio.ensure_future(_watch_store(app, settings.reload_interval_s))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await pool.close()

    async def http_error(request: Request, exc: HTTPException):
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        message = {404: "no such resource", 405: f"{request.method} is not allowed here"}.get(
            exc.status_code, exc.detail)
        return error_response(HttpError(exc.status_code, kind, message, headers=dict(exc.headers or {})))

    async def internal_error(request: Request, exc: Exception):
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(HttpError(500, "internal_error", "the server failed on this request"))

    routes = [
        *(Route(path, func, methods=endpoint.SPARQL_METHODS) for path, func in QUERY_ROUTES.items()),
        Route("/update", endpoint.update_only, methods=endpoint.UPDATE_METHODS),
        Route("/store", gsp.graph_store, methods=gsp.METHODS),
        Route("/queries", saved.list_queries, methods=["GET"]),
        Route("/queries/{name:path}", saved.run_saved, methods=["GET"]),
        Route("/openapi.json", openapi.openapi, methods=["GET"]),
        Route("/", web.page, methods=["GET"]),
        Route("/static/yasgui/{name}", web.yasgui_file, methods=["GET"]),
        Route("/static/{name}", web.static_file, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error, Exception: internal_error})
    app.state.settings = settings
    # no redirect from "/sparql/" to "/sparql": Starlette builds it from the Host header (any host a
    # client names), and a 307 would carry an update's body there
    app.router.redirect_slashes = False
    app.add_middleware(DirectRoutes, routes=QUERY_ROUTES, methods=endpoint.SPARQL_METHODS,
                       shortcut=endpoint.cheap_get)
    app.add_middleware(HeadersMiddleware, cors_origins=settings.cors_origins)   # outermost of the two
    return app
