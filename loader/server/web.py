"""The web query page at ``/``: YASGUI (from the npm package in ``node_modules``, never a CDN)
pointed at ``/sparql``, with the saved queries as a list (parameters, run, open in the editor) and
the project's prefixes preset.

Only named files are served (no directory listing, no path from the URL reaches the filesystem).
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from ..namespaces import PREFIXES
from .httperrors import HttpError, error_response

STATIC = Path(__file__).resolve().parent / "static"
YASGUI_BUILD = Path("@zazuko") / "yasgui" / "build"
PACKAGE_FILES = {"app.js": "text/javascript", "app.css": "text/css"}
YASGUI_FILES = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
       " font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none';"
       " frame-ancestors 'none'; form-action 'self'")
MISSING = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bukamal-kg</title></head>
<body><h1>bukamal-kg SPARQL endpoint</h1>
<p>The query page needs YASGUI, which is not installed: run <code>make web-deps</code>
(or <code>npm install</code> in the project folder; it needs Node.js and npm).</p>
<p>The endpoint itself works: <code>/sparql</code>; saved queries: <a href="/queries">/queries</a>.</p>
</body></html>"""


def yasgui_dir(request: Request) -> Path:
    return request.app.state.settings.assets_path() / YASGUI_BUILD


def yasgui_installed(request: Request) -> bool:
    base = yasgui_dir(request)
    return all((base / name).is_file() for name in YASGUI_FILES)


async def page(request: Request) -> Response:
    headers = {"Content-Security-Policy": CSP}
    if not yasgui_installed(request):
        return HTMLResponse(MISSING, status_code=503, headers=headers)
    config = {"endpoint": "/sparql", "queries": "/queries", "prefixes": PREFIXES}
    text = (STATIC / "index.html").read_text(encoding="utf-8")
    # the config is data: JSON in a non-executed script element, with "<" escaped so that no
    # "</script>" can end the element early
    text = text.replace("{{config}}", json.dumps(config).replace("<", "\\u003c"))
    return HTMLResponse(text, headers=headers)


async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in PACKAGE_FILES:
        return error_response(HttpError(404, "not_found", "no such file"))
    return FileResponse(STATIC / name, media_type=PACKAGE_FILES[name])


async def yasgui_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in YASGUI_FILES or not yasgui_installed(request):
        return error_response(HttpError(404, "not_found", "no such file (is YASGUI installed?)"))
    return FileResponse(yasgui_dir(request) / name, media_type=YASGUI_FILES[name])
