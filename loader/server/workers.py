"""The query worker pool: processes that can be killed at a deadline, a bounded queue, live reload.

* ``size`` worker processes (:mod:`loader.server.worker_main`), each with the current store
  generation open read-only. A job goes to an idle worker, or waits in a queue of at most
  ``max_queue`` requests (beyond that: ``503`` with ``Retry-After``).
* The deadline covers the wait in the queue and the run. At the deadline, or when the client goes
  away, the worker is killed (SIGKILL: pyoxigraph has no cancellation, and a thread cannot be stopped)
  and a fresh one is started in the background. Nothing keeps running for a request nobody waits for.
* A worker that dies by itself (an engine crash) gives ``500`` and is replaced.
* Reload: when ``store/CURRENT`` names a new generation, a full set of workers is started on it;
  only when all of them have opened it does the pool switch. New jobs then go to the new workers;
  jobs already running finish on the old generation, whose workers are retired as they come back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections import deque
from pathlib import Path

from ..errors import StoreError
from ..store import current_path
from . import wire
from .guards import ClientDisconnected
from .httperrors import HttpError

log = logging.getLogger("bukamal.server")
SPAWN_TIMEOUT_S = 30.0
RETRY_S = 10.0          # how soon a generation that could not be opened is tried again
REMOTE = Path("remote")  # the "generation" of a pool on a remote SPARQL service (it switches by itself)


class WorkerCrashed(Exception):
    pass


def worker_env() -> dict[str, str]:
    """The environment for a worker: the same ``loader`` package first on the path."""
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = package_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class Worker:
    def __init__(self, proc: asyncio.subprocess.Process, generation: Path) -> None:
        self.proc = proc
        self.generation = generation
        self.dead = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def call(self, job: dict) -> tuple[dict, bytes]:
        try:
            self.proc.stdin.write(wire.encode(job))
            await self.proc.stdin.drain()
            return await wire.read_async(self.proc.stdout)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            self.dead = True
            raise WorkerCrashed() from None

    def kill(self) -> None:
        self.dead = True
        if self.proc.returncode is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass

    async def close(self, grace_s: float = 2.0) -> None:
        """Let the worker exit (its stdin closes); kill it if it does not within ``grace_s``."""
        self.dead = True
        try:
            self.proc.stdin.close()
        except (OSError, RuntimeError):
            pass
        try:
            await asyncio.wait_for(self.proc.wait(), grace_s)
        except asyncio.TimeoutError:
            self.kill()
            await self.proc.wait()


async def spawn(generation: Path, max_bytes: int, stack_mb: int, memory_mb: int = 0, remote=None) -> Worker:
    """Start a worker on ``generation`` (or on the ``remote`` SPARQL service); wait until it has opened it."""
    env = worker_env()
    extra = []
    if remote is not None:           # the config (with its secrets) goes by the environment, not argv
        from ..remote import WORKER_ENV
        env[WORKER_ENV], extra = remote.to_json(), ["--remote"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loader.server.worker_main", str(generation), *extra,
        "--max-bytes", str(max_bytes), "--stack-mb", str(stack_mb), "--memory-mb", str(memory_mb),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
        start_new_session=True)
    worker = Worker(proc, generation)
    try:
        header, _ = await asyncio.wait_for(wire.read_async(proc.stdout), SPAWN_TIMEOUT_S)
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
        worker.kill()
        await proc.wait()
        raise StoreError("a query worker could not be started") from None
    except asyncio.CancelledError:
        worker.kill()
        raise
    if not header.get("ready"):
        await worker.close()
        raise StoreError(header.get("message") or "the store generation could not be opened")
    return worker


class WorkerPool:
    def __init__(self, store_dir: Path, *, size: int = 2, max_queue: int = 16,
                 max_bytes: int = 64 << 20, stack_mb: int = 256, memory_mb: int = 0,
                 remote=None) -> None:
        self.store_dir = Path(store_dir)
        self.size = max(1, size)
        self.max_queue = max(0, max_queue)
        self.max_bytes = max_bytes
        self.stack_mb = stack_mb
        self.memory_mb = memory_mb
        self.remote = remote                # a RemoteConfig: workers query that service instead
        self.generation: Path | None = None
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._starting = 0
        self._waiters: deque[asyncio.Future] = deque()
        self._reload_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._store_error = "no store has been built yet: run `bukamal build` first"
        self._failed: tuple[Path, float] | None = None     # a generation that could not be opened, when
        self._closed = False

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.check_reload()

    async def close(self) -> None:
        self._closed = True
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(StoreError("the server is shutting down"))
        workers = self._idle + list(self._busy)
        self._idle, self._busy = [], set()
        for w in workers:
            w.kill()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*(w.proc.wait() for w in workers), *self._tasks, return_exceptions=True)

    def stats(self) -> dict:
        current = self.generation
        return {"generation": current.name if current else None, "size": self.size,
                "idle": len(self._idle), "busy": len(self._busy), "starting": self._starting,
                "waiting": len(self._waiters),
                "pids": sorted(w.pid for w in self._idle + list(self._busy))}

    def generations_in_use(self) -> set[str]:
        """Names of the generations some worker (idle, busy) still has open."""
        return {w.generation.name for w in self._idle + list(self._busy)} | (
            {self.generation.name} if self.generation else set())

    def _background(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- generations -----------------------------------------------------------------------------

    async def check_reload(self) -> bool:
        """Switch to the generation ``CURRENT`` names, if it changed; True if the pool switched."""
        try:
            path = REMOTE if self.remote is not None else current_path(self.store_dir)
        except StoreError as exc:
            if self.generation is None:
                self._store_error = exc.message
            return False
        if path == self.generation or self._closed:
            return False
        loop = asyncio.get_running_loop()
        if self._failed is not None and self._failed[0] == path and loop.time() - self._failed[1] < RETRY_S:
            return False          # it failed a moment ago: do not start processes at every watch tick
        async with self._reload_lock:
            if path == self.generation or self._closed:
                return False
            try:
                fresh = await self._spawn_many(path, self.size)
            except StoreError as exc:
                log.warning("store generation %s cannot be served: %s", path.name, exc.message)
                self._failed = (path, loop.time())
                if self.generation is None:
                    self._store_error = exc.message
                return False
            self._failed = None
            old_idle, self._idle = self._idle, []
            self.generation = path
            for w in fresh:
                self._give(w)
            for w in old_idle:
                self._background(w.close())
            log.info("serving store generation %s", path.name)
            return True

    async def _spawn_many(self, path: Path, n: int) -> list[Worker]:
        results = await asyncio.gather(
            *(spawn(path, self.max_bytes, self.stack_mb, self.memory_mb, self.remote) for _ in range(n)),
            return_exceptions=True)
        workers = [r for r in results if isinstance(r, Worker)]
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            for w in workers:
                await w.close()
            first = errors[0]
            raise first if isinstance(first, StoreError) else StoreError("a query worker could not be started")
        return workers

    def replenish(self) -> None:
        """Start workers until the current generation has ``size`` of them (live or starting)."""
        gen = self.generation
        if gen is None or self._closed:
            return
        live = len(self._idle) + sum(1 for w in self._busy if w.generation == gen) + self._starting
        for _ in range(self.size - live):
            self._starting += 1
            self._background(self._spawn_one(gen))

    async def _spawn_one(self, gen: Path) -> None:
        try:
            worker = await spawn(gen, self.max_bytes, self.stack_mb, self.memory_mb, self.remote)
        except StoreError as exc:
            log.warning("could not start a replacement worker: %s", exc.message)
            return
        finally:
            self._starting -= 1
        if gen != self.generation or self._closed:
            await worker.close()
        else:
            self._give(worker)

    # ---- handing out workers ---------------------------------------------------------------------

    def _give(self, worker: Worker) -> None:
        """An idle worker of the current generation: to the first live waiter, else to the idle list."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                self._busy.add(worker)
                fut.set_result(worker)
                return
        self._idle.append(worker)

    def _release(self, worker: Worker) -> None:
        self._busy.discard(worker)
        if worker.dead or worker.generation != self.generation or self._closed:
            if not worker.dead:
                self._background(worker.close())
            self.replenish()
            return
        self._give(worker)

    def _discard(self, worker: Worker) -> None:
        """Kill a worker whose job is abandoned, and start its replacement."""
        self._busy.discard(worker)
        worker.kill()
        self._background(worker.proc.wait())
        self.replenish()

    def _abandon(self, fut: asyncio.Future) -> None:
        try:
            self._waiters.remove(fut)
        except ValueError:
            pass
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            self._release(fut.result())
        else:
            fut.cancel()

    async def _acquire(self, deadline: float, disconnected: asyncio.Future | None) -> Worker:
        if self._closed:
            raise StoreError("the server is shutting down")
        if self.generation is None:
            await self.check_reload()
            if self.generation is None:
                raise StoreError(self._store_error)
        if self._idle:
            worker = self._idle.pop()
            self._busy.add(worker)
            return worker
        if len(self._waiters) >= self.max_queue:
            raise HttpError(503, "busy", f"all {self.size} query workers are busy and {len(self._waiters)}"
                            " requests are waiting; try again shortly", headers={"Retry-After": "1"})
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._waiters.append(fut)
        waits = {fut} | ({disconnected} if disconnected is not None else set())
        try:
            await asyncio.wait(waits, timeout=max(0.0, deadline - loop.time()),
                               return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self._abandon(fut)
            raise
        if fut.done() and not fut.cancelled():
            if disconnected is not None and disconnected.done():
                self._abandon(fut)
                raise ClientDisconnected()
            return fut.result()
        self._abandon(fut)
        if disconnected is not None and disconnected.done():
            raise ClientDisconnected()
        raise _timeout()

    # ---- running a job ---------------------------------------------------------------------------

    async def run(self, job: dict, deadline: float,
                  disconnected: asyncio.Future | None = None) -> tuple[dict, bytes]:
        """The worker's reply to ``job``; :class:`HttpError` 503 past ``deadline`` (loop time)."""
        worker = await self._acquire(deadline, disconnected)
        loop = asyncio.get_running_loop()
        call = asyncio.ensure_future(worker.call(job))
        waits = {call} | ({disconnected} if disconnected is not None else set())
        try:
            await asyncio.wait(waits, timeout=max(0.0, deadline - loop.time()),
                               return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            call.cancel()
            self._discard(worker)
            raise
        if call.done():
            try:
                result = call.result()
            except WorkerCrashed:
                self._discard(worker)
                raise HttpError(500, "engine_crashed",
                                "the query engine stopped on this request (it crashed or ran out of its"
                                " memory limit); the server has replaced it")
            self._release(worker)
            return result
        call.cancel()
        self._discard(worker)
        if disconnected is not None and disconnected.done():
            raise ClientDisconnected()
        raise _timeout()


def _timeout() -> HttpError:
    return HttpError(503, "timeout", "the query did not finish within this endpoint's time limit;"
                     " it was stopped (narrow it down or add a LIMIT)")
