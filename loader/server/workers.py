"""The query worker pool: processes that can be killed at a deadline, a bounded queue, live reload.

* ``size`` worker processes (:mod:`loader.server.worker_main`), each with the current store
  generation open read-only. A job goes to an idle worker, or waits in a queue of at most
  ``max_queue`` requests (beyond that: ``503`` with ``Retry-After``). A worker that comes back gets
  the next waiting job written to it at once, before the answer it brought is sent on, so that it
  never waits for the server process to get round to it.
* The deadline covers the wait in the queue and the run. At the deadline, or when the client goes
  away, the worker is killed (SIGKILL: pyoxigraph has no cancellation, and a thread cannot be stopped)
  and a fresh one is started in the background. Nothing keeps running for a request nobody waits for.
* A worker that dies by itself (an engine crash) gives ``500`` and is replaced; one that dies while
  idle (killed from outside) is dropped and replaced at once, and no job is sent to it.
* Reload: when ``store/CURRENT`` names a new generation, a full set of workers is started on it
  (and, with ``inline``, the server's own read-only view of it is opened: :mod:`loader.server.local`);
  only when all of them have opened it does the pool switch. New jobs then go to the new workers;
  jobs already running finish on the old generation, whose workers are retired as they come back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from pathlib import Path

from ..errors import StoreError
from ..store import child_argv, child_env, current_path
from . import wire
from .cheap import Pattern
from .executor import Reply
from .guards import ClientDisconnected
from .httperrors import HttpError
from .local import LocalStore

log = logging.getLogger("bukamal.server")
SPAWN_TIMEOUT_S = 30.0
RETRY_S = 10.0          # how soon a generation that could not be opened is tried again
REMOTE = Path("remote")  # the "generation" of a pool on a remote SPARQL service (it switches by itself)


class WorkerCrashed(Exception):
    pass


class Worker:
    def __init__(self, proc: asyncio.subprocess.Process, generation: Path) -> None:
        self.proc = proc
        self.generation = generation
        self.dead = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, job: dict) -> bool:
        """Write ``job`` to the worker (the pipe's transport buffers what does not fit at once); False
        if the worker has died (its pipe is closed): it is then marked dead."""
        if self.dead or self.proc.returncode is not None:
            self.dead = True
            return False
        try:
            self.proc.stdin.write(wire.encode(job))
        except (RuntimeError, ConnectionError, OSError):     # the transport closed with the process
            self.dead = True
            return False
        return True

    async def receive(self) -> tuple[dict, bytes]:
        """The reply to the job sent; :class:`WorkerCrashed` if the worker died instead."""
        try:
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
    env = child_env(limited=True)
    extra = []
    if remote is not None:           # the config (with its secrets) goes by the environment, not argv
        from ..remote import WORKER_ENV
        env[WORKER_ENV], extra = remote.to_json(), ["--remote"]
    proc = await asyncio.create_subprocess_exec(
        *child_argv("loader.server.worker_main", str(generation), *extra,
                    "--max-bytes", str(max_bytes), "--stack-mb", str(stack_mb), "--memory-mb", str(memory_mb)),
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
                 remote=None, inline: bool = False) -> None:
        self.store_dir = Path(store_dir)
        self.size = max(1, size)
        self.max_queue = max(0, max_queue)
        self.max_bytes = max_bytes
        self.stack_mb = stack_mb
        self.memory_mb = memory_mb
        self.remote = remote                # a RemoteConfig: workers query that service instead
        self.inline = inline and remote is None   # open a LocalStore on each generation too
        self.generation: Path | None = None
        self.local: LocalStore | None = None
        self.local_answers = 0              # queries answered by run_local (see stats())
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._starting = 0
        self._waiters: deque[tuple[asyncio.Future, dict]] = deque()    # (gets the worker, its job)
        self._reload_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._store_error = "no store has been built yet: run `bukamal build` first"
        self._failed: tuple[Path, float] | None = None     # a generation that could not be opened, when
        self._no_worker: tuple[Path, float, str] | None = None   # a replacement that failed: when, why
        self._retry: asyncio.TimerHandle | None = None          # the next try after it
        self._closed = False

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.check_reload()

    async def close(self) -> None:
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
        self._fail_waiters("the server is shutting down")
        workers = self._idle + list(self._busy)
        self._idle, self._busy, self.local = [], set(), None
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
                "pids": sorted(w.pid for w in self._idle + list(self._busy)),
                "local": self.local.generation.name if self.local is not None else None,
                "local_answers": self.local_answers}

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
                fresh, local = await self._open_generation(path)
            except StoreError as exc:
                log.warning("store generation %s cannot be served: %s", path.name, exc.message)
                self._failed = (path, loop.time())
                if self.generation is None:
                    self._store_error = exc.message
                return False
            self._failed = None
            old_idle, self._idle = self._idle, []
            self.generation, self.local = path, local
            for w in fresh:
                self._watch(w)
                self._give(w)
            for w in old_idle:
                self._background(w.close())
            log.info("serving store generation %s", path.name)
            return True

    async def _open_generation(self, path: Path) -> tuple[list[Worker], LocalStore | None]:
        """A full set of workers on ``path`` and, with ``inline``, the local view of it; all or nothing."""
        if not self.inline:
            return await self._spawn_many(path, self.size), None
        workers, local = await asyncio.gather(self._spawn_many(path, self.size), LocalStore.open(path),
                                              return_exceptions=True)
        if isinstance(workers, BaseException) or isinstance(local, BaseException):
            if isinstance(workers, list):
                for w in workers:
                    await w.close()
            raise workers if isinstance(workers, BaseException) else local
        return workers, local

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

    def _live(self, gen: Path) -> int:
        return len(self._idle) + sum(1 for w in self._busy if w.generation == gen) + self._starting

    def _backoff(self, gen: Path) -> float:
        """Seconds until a replacement worker for ``gen`` may be tried again (0: now)."""
        failed = self._no_worker
        if failed is None or failed[0] != gen:
            return 0.0
        return max(0.0, failed[1] + RETRY_S - asyncio.get_running_loop().time())

    def _cannot_start(self) -> str | None:
        """Why no worker can be had now: a replacement failed less than :data:`RETRY_S` ago (its files
        damaged since, say) and none is left; None otherwise."""
        gen = self.generation
        if gen is None or self._live(gen) or not self._backoff(gen):
            return None
        return self._no_worker[2]

    def _fail_waiters(self, message: str) -> None:
        """Nothing will come for the waiting requests: tell them why now, not at their deadline."""
        while self._waiters:
            fut, _ = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(StoreError(message))

    def _retry_now(self) -> None:
        self._retry = None
        self.replenish()

    def replenish(self) -> None:
        """Start workers until the current generation has ``size`` of them (live or starting). Within
        :data:`RETRY_S` of a replacement that could not start, none is started: the next try is
        scheduled for the end of that time (and waiting requests fail at once if no worker is left)."""
        gen = self.generation
        if gen is None or self._closed:
            return
        if wait := self._backoff(gen):
            if not self._live(gen):
                self._fail_waiters(self._no_worker[2])
            if self._retry is None:
                self._retry = asyncio.get_running_loop().call_later(wait, self._retry_now)
            return
        for _ in range(self.size - self._live(gen)):
            self._starting += 1
            self._background(self._spawn_one(gen))

    async def _spawn_one(self, gen: Path) -> None:
        failure = None
        try:
            worker = await spawn(gen, self.max_bytes, self.stack_mb, self.memory_mb, self.remote)
        except StoreError as exc:
            failure = exc.message
        except OSError as exc:                 # the process itself could not be started
            failure = f"a query worker could not be started ({exc.strerror or exc})"
        finally:
            self._starting -= 1
        if failure is not None:
            log.warning("could not start a replacement worker (next try in %g s): %s", RETRY_S, failure)
            if gen == self.generation:
                self._no_worker = (gen, asyncio.get_running_loop().time(), failure)
                self.replenish()               # schedules the next try; fails the waiters if none is left
            return
        if self._no_worker is not None and self._no_worker[0] == gen:
            self._no_worker = None
        if gen != self.generation or self._closed:
            await worker.close()
        else:
            self._watch(worker)
            self._give(worker)

    def _watch(self, worker: Worker) -> None:
        """When ``worker`` exits while idle (killed from outside, or it crashed between jobs), drop it
        and start its replacement; a busy worker's death is seen by the job waiting for it."""
        async def watch() -> None:
            await worker.proc.wait()
            worker.dead = True
            if worker in self._idle:
                self._idle.remove(worker)
                log.warning("query worker %s exited while idle; starting a new one", worker.pid)
                self.replenish()
        self._background(watch())

    # ---- handing out workers ---------------------------------------------------------------------

    def _give(self, worker: Worker) -> None:
        """An idle worker of the current generation: to the first live waiter (its job is sent to the
        worker now), else to the idle list."""
        while self._waiters:
            fut, job = self._waiters.popleft()
            if not fut.done():
                if not self._hand(worker, job):
                    self._waiters.appendleft((fut, job))      # it waits for the replacement
                    return
                fut.set_result(worker)
                return
        self._idle.append(worker)

    def _hand(self, worker: Worker, job: dict) -> bool:
        """Make ``worker`` busy with ``job``; False (and a replacement started) if it has died."""
        self._busy.add(worker)
        if worker.send(job):
            return True
        self._discard(worker)
        return False

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
        """A waiter gives up; if a worker was handed to it meanwhile, that worker is running its job."""
        self._waiters = deque(w for w in self._waiters if w[0] is not fut)
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            self._discard(fut.result())
        else:
            fut.cancel()

    async def _acquire(self, job: dict, deadline: float, disconnected: asyncio.Future | None) -> Worker:
        """A worker running ``job`` (sent to it as it is handed over)."""
        if self._closed:
            raise StoreError("the server is shutting down")
        if self.generation is None:
            await self.check_reload()
            if self.generation is None:
                raise StoreError(self._store_error)
        while self._idle:
            worker = self._idle.pop()
            if self._hand(worker, job):
                return worker
        if (why := self._cannot_start()) is not None:
            raise StoreError(why)
        if len(self._waiters) >= self.max_queue:
            raise HttpError(503, "busy", f"all {self.size} query workers are busy and {len(self._waiters)}"
                            " requests are waiting; try again shortly", headers={"Retry-After": "1"})
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((fut, job))
        try:
            return await _within(fut, deadline, disconnected)
        except _Stopped as stopped:
            self._abandon(fut)
            raise ClientDisconnected() if stopped.client_left else _timeout() from None
        except asyncio.CancelledError:
            self._abandon(fut)
            raise

    # ---- running a job ---------------------------------------------------------------------------

    def run_local(self, job: dict, pattern: Pattern, max_matches: int) -> Reply | None:
        """The answer to a cheap query (:mod:`loader.server.cheap`) from the server's own view of the
        current generation, at once; None when there is no such view (no store yet, a remote, inline
        off) or the pattern's range holds more than ``max_matches`` quads: then it goes to a worker."""
        if self.local is None or self._closed:
            return None
        reply = self.local.run(job, pattern, max_matches, self.max_bytes)
        if reply is not None:
            self.local_answers += 1
        return reply

    async def run(self, job: dict, deadline: float,
                  disconnected: asyncio.Future | None = None) -> tuple[dict, bytes]:
        """The worker's reply to ``job``; :class:`HttpError` 503 past ``deadline`` (loop time)."""
        worker = await self._acquire(job, deadline, disconnected)
        try:
            result = await _within(worker.receive(), deadline, disconnected)
        except _Stopped as stopped:
            self._discard(worker)
            raise ClientDisconnected() if stopped.client_left else _timeout() from None
        except WorkerCrashed:
            self._discard(worker)
            raise HttpError(500, "engine_crashed",
                            "the query engine stopped on this request (it crashed or ran out of its"
                            " memory limit); the server has replaced it") from None
        except asyncio.CancelledError:
            self._discard(worker)
            raise
        self._release(worker)
        return result


class _Stopped(Exception):
    """:func:`_within` stopped the wait: the client left, or (``client_left`` false) the deadline."""

    def __init__(self, client_left: bool) -> None:
        super().__init__()
        self.client_left = client_left


async def _within(awaitable, deadline: float, disconnected: asyncio.Future | None):
    """``await awaitable`` in the current task, stopped (:class:`_Stopped`) at ``deadline`` (loop
    time) or as soon as ``disconnected`` completes. Unlike ``asyncio.wait`` it needs no task of its
    own (every request waits this way): a timer and a callback cancel this task, and the cancellation
    is turned into :class:`_Stopped`; a cancellation from elsewhere still propagates."""
    task = asyncio.current_task()
    why: list[bool] = []

    def stop(client_left: bool) -> None:
        if not why:
            why.append(client_left)
            task.cancel()

    def on_disconnect(_fut) -> None:
        stop(True)

    if disconnected is not None and disconnected.done():
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise _Stopped(True)
    timer = asyncio.get_running_loop().call_at(deadline, stop, False)
    if disconnected is not None:
        disconnected.add_done_callback(on_disconnect)
    try:
        return await awaitable
    except asyncio.CancelledError:
        if not why or task.uncancel() > 0:
            raise
        raise _Stopped(why[0]) from None
    finally:
        timer.cancel()
        if disconnected is not None:
            disconnected.remove_done_callback(on_disconnect)


def _timeout() -> HttpError:
    return HttpError(503, "timeout", "the query did not finish within this endpoint's time limit;"
                     " it was stopped (narrow it down or add a LIMIT)")
