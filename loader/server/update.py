"""Writes: bearer-token authorisation, SPARQL Update, and running a write as a new generation.

Writes are off unless the server runs with ``--allow-update`` (then ``403`` for every write route).
With it, every write needs ``Authorization: Bearer <token>``, compared in constant time; without
it the answer is ``401`` with ``WWW-Authenticate``. A cross-site HTML form cannot send that header,
so a form-encoded update from another site is refused; CORS never covers writes.

A write never modifies a published generation: a one-shot writer process
(:mod:`loader.server.writer_main`) checkpoints the current generation into a new folder, applies the
change there, and the server publishes that folder as the next generation with
:func:`loader.store.publish` (``CURRENT`` replaced atomically; old generations pruned as a build
prunes them, except those queries still use) and switches its workers to it before answering, so the
next query sees the change.
Writes run one at a time, under the same deadline as queries (killed past it; nothing published).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from .. import store
from ..errors import StoreBusy
from . import wire
from .guards import ClientDisconnected, check_sparql
from .httperrors import HttpError
from .protocol import UpdateOp
from .updatetext import apply_using

CHALLENGE = 'Bearer realm="bukamal-kg"'


def authorize(request: Request) -> None:
    """Return if the request may write; else raise 403 (read-only server) or 401 (no/bad token)."""
    request.scope["bukamal.update"] = True
    settings = request.app.state.settings
    if not settings.allow_update:
        raise HttpError(403, "read_only", "this endpoint is read-only (the server was not started with"
                        " --allow-update)")
    header = request.headers.get("authorization")
    if not header:
        raise HttpError(401, "unauthorized", "updates need an 'Authorization: Bearer <token>' header",
                        headers={"WWW-Authenticate": CHALLENGE})
    scheme, _, token = header.partition(" ")
    expected = settings.update_token.encode("utf-8")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode("utf-8"), expected):
        raise HttpError(401, "unauthorized", "the bearer token is not valid",
                        headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'})


async def run_update(request: Request, op: UpdateOp, *, base_iri: str) -> Response:
    settings = request.app.state.settings
    check_sparql(op.update, settings.max_depth, update=True)
    text = apply_using(op.update, op.using_graphs, op.using_named_graphs)
    return await write(request, {"op": "update", "update": text, "base_iri": base_iri})


async def _wait_disconnect(receive) -> None:
    while True:
        if (await receive())["type"] == "http.disconnect":
            return


def _manifest(source: Path, job: dict) -> dict:
    """What the new generation records about itself (no input hash: a build never takes it as its own)."""
    what = "SPARQL Update" if job["op"] == "update" else f"Graph Store {job['method']} <{job['graph']}>"
    return {"made_by": store.WRITE_MADE_BY, "source_generation": source.name, "operation": what,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _publish(store_dir: Path, work: Path, manifest: dict, in_use: set[str]) -> str:
    """Publish ``work`` as the next generation, then prune as a build does (keeping those in use)."""
    name, previous = store.publish(store_dir, work, manifest)
    if previous:                     # with CURRENT unreadable before, nothing is deleted
        store.prune(store_dir, {name, previous} | in_use)
    return name


async def write(request: Request, job: dict, payload: bytes = b"") -> Response:
    """Run one write in a writer process and publish its result as the next generation.

    Writes take the store's build lock, so a write and a ``bukamal build`` never overlap (a write
    while a build runs is ``503`` with ``Retry-After``).
    """
    state = request.app.state
    store_dir = Path(state.settings.store_dir)
    loop = asyncio.get_running_loop()
    async with state.write_lock:
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(store.build_lock(store_dir))
            except StoreBusy:
                raise HttpError(503, "busy", "the store is locked by a running build; try again when it"
                                " has finished", headers={"Retry-After": "5"}) from None
            source = store.current_path(store_dir)   # StoreError (503) when nothing is built yet
            work = store_dir / f"{store.BUILD_PREFIX}server-{os.getpid()}-{time.time_ns()}"
            try:
                header, body = await _run_writer(request, source, work, job, payload)
                if header["status"] < 300:
                    await loop.run_in_executor(None, _publish, store_dir, work, _manifest(source, job),
                                               state.pool.generations_in_use())
                    await state.pool.check_reload()
            finally:
                if work.exists():
                    await loop.run_in_executor(None, shutil.rmtree, work, True)
    return Response(body or None, status_code=header["status"],
                    media_type=header["media_type"] if body else None, headers=header.get("headers") or {})


async def _run_writer(request: Request, source: Path, work: Path, job: dict,
                      payload: bytes) -> tuple[dict, bytes]:
    """The writer's reply; killed (and 503) past the deadline or when the client leaves."""
    loop = asyncio.get_running_loop()
    memory_mb = request.app.state.settings.worker_memory_mb     # the query workers' limit, for one write too
    proc = await asyncio.create_subprocess_exec(
        *store.child_argv("loader.server.writer_main", str(source), str(work), "--memory-mb", str(memory_mb)),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=store.child_env(limited=True),
        start_new_session=True)
    disconnected = asyncio.ensure_future(_wait_disconnect(request.receive))
    call = asyncio.ensure_future(_exchange(proc, job, payload))
    try:
        await asyncio.wait({call, disconnected}, return_when=asyncio.FIRST_COMPLETED,
                           timeout=max(0.0, request.state.deadline - loop.time()))
        if not call.done():
            call.cancel()
            if disconnected.done() and not disconnected.cancelled():
                raise ClientDisconnected()
            raise HttpError(503, "timeout", "the update did not finish within this endpoint's time"
                            " limit; it was stopped and nothing was changed")
        return call.result()
    finally:
        disconnected.cancel()
        if proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
        await proc.wait()


async def _exchange(proc, job: dict, payload: bytes) -> tuple[dict, bytes]:
    try:
        proc.stdin.write(wire.encode(job, payload))
        await proc.stdin.drain()
        proc.stdin.close()
        return await wire.read_async(proc.stdout)
    except (asyncio.IncompleteReadError, ConnectionError):
        raise HttpError(500, "writer_crashed", "the update could not be applied (the writer stopped: it crashed"
                        " or ran out of its memory limit); nothing was changed") from None
