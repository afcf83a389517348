"""Response headers for every answer, and CORS for query routes only (plain ASGI, no body buffering).

CORS is off unless origins are configured (``--cors ORIGIN``). Then a request from such an origin to
a read route gets ``Access-Control-Allow-Origin`` on its answer, and preflights are answered for
``GET``/``POST`` with ``Accept`` and ``Content-Type`` only: ``Authorization`` is never allowed, so a
script on another site can never send the update token, and an answer to an update (``/update``,
``/store`` writes, or an update sent to ``/sparql``) never carries CORS headers.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers, MutableHeaders

from .httperrors import error_body

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY"}
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
        origin = Headers(scope=scope).get("origin")
        cors = bool(origin) and origin in self.cors_origins and _is_read_route(scope["path"])
        if cors and scope["method"] == "OPTIONS" and Headers(scope=scope).get("access-control-request-method"):
            await self._preflight(scope, origin, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    if key not in headers:
                        headers[key] = value
                writes = scope.get("bukamal.update") or scope["method"] in ("PUT", "DELETE", "PATCH")
                if cors and not writes:
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
