"""Response headers for every answer, CORS for query routes only, and a direct path to the query
routes (plain ASGI, no body buffering).

CORS is off unless origins are configured (``--cors ORIGIN``). Then a request from such an origin to
a read route gets ``Access-Control-Allow-Origin`` on its answer, and preflights are answered for
``GET``/``POST`` with ``Accept`` and ``Content-Type`` only: ``Authorization`` is never allowed, so a
script on another site can never send the update token, and an answer to an update (``/update``,
``/store`` writes, or an update sent to ``/sparql``) never carries CORS headers.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request

from .httperrors import error_body

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY"}
_SECURITY_RAW = tuple((k.lower().encode("latin-1"), v.encode("latin-1"))
                      for k, v in SECURITY_HEADERS.items())
READ_PREFIXES = ("/sparql", "/query", "/queries", "/openapi.json", "/store")


def _utf8_path(scope) -> bool:
    raw = scope.get("raw_path")
    if raw is None:
        return True
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _send_error(send, status: int, kind: str, message: str) -> None:
    body = error_body(kind, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _is_read_route(path: str) -> bool:
    return path != "/update" and any(path == p or path.startswith(p + "/") for p in READ_PREFIXES)


class HeadersMiddleware:
    def __init__(self, app, cors_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.cors_origins = frozenset(cors_origins)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not _utf8_path(scope):
            await _send_error(send, 400, "bad_encoding", "the URL path is not valid UTF-8")
            return
        origin = Headers(scope=scope).get("origin") if self.cors_origins else None
        cors = bool(origin) and origin in self.cors_origins and _is_read_route(scope["path"])
        if cors and scope["method"] == "OPTIONS" and Headers(scope=scope).get("access-control-request-method"):
            await self._preflight(scope, origin, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(item for item in _SECURITY_RAW if item[0] not in present)
                message["headers"] = raw
                writes = scope.get("bukamal.update") or scope["method"] in ("PUT", "DELETE", "PATCH")
                if cors and not writes:
                    headers = MutableHeaders(scope=message)
                    headers["Access-Control-Allow-Origin"] = origin
                    headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _preflight(self, scope, origin: str, send) -> None:
        requested = Headers(scope=scope).get("access-control-request-method", "").upper()
        methods = "GET, POST" if scope["path"] in ("/sparql", "/query") else "GET"
        allowed = requested in [m.strip() for m in methods.split(",")]
        headers = [(b"vary", b"Origin")]
        if allowed:
            headers += [(b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"access-control-allow-methods", methods.encode()),
                        (b"access-control-allow-headers", b"Accept, Content-Type"),
                        (b"access-control-max-age", b"600")]
        headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        await send({"type": "http.response.start", "status": 204 if allowed else 403, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


class DirectRoutes:
    """Calls the handlers of the query routes (``routes``: exact path -> handler) directly, without
    Starlette's router: they carry most requests, and the router's matching and wrapping are a
    noticeable share of the time a cheap query takes. Only their own methods (``methods``, and HEAD with GET) are taken here;
    everything else, a wrong method on those paths included (405), goes on to the router. Their
    handlers turn every refusal into an answer themselves; anything else they raise reaches the
    application's error handler as before. A ``GET`` is first offered to ``shortcut(scope)``, which
    answers the requests it recognises (a response) and declines the others (None)."""

    def __init__(self, app, routes: dict, methods: list[str], shortcut=None) -> None:
        self.app = app
        self.routes = dict(routes)
        self.methods = frozenset(methods) | ({"HEAD"} if "GET" in methods else set())
        self.shortcut = shortcut

    async def __call__(self, scope, receive, send) -> None:
        handler = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if handler is None or scope["method"] not in self.methods:
            await self.app(scope, receive, send)
            return
        response = self.shortcut(scope) if scope["method"] == "GET" and self.shortcut is not None else None
        if response is None:
            response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)
