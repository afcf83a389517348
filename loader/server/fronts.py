"""Several front processes on one port: ``bukamal serve --fronts N``.

One Python process parses HTTP and answers cheap queries on one CPU core at most. With ``--fronts N``
the ``bukamal serve`` process binds N sockets to the port (``SO_REUSEPORT``, see
:func:`loader.server.sockets.bind_fronts`), then forks N front processes; each runs the whole application
(uvicorn, its own worker pool and view of the store, its own watch of ``store/CURRENT``) and accepts
connections from its own socket: the kernel spreads new connections evenly over the sockets, and a
connection stays with its front. A front that is replaced takes over its predecessor's socket (the
parent keeps them all open), so connections that arrive meanwhile wait instead of being refused. The
parent only supervises:

* SIGHUP is passed on to every front (each re-reads ``CURRENT`` at once; a front that is still
  starting ignores it, so a reload request never stops one);
* SIGTERM or SIGINT stops every front (each finishes its answers in progress, as a single server does)
  and the parent exits when they have (after SIGINT with ``interrupted``, status 130, as a single
  server does); a front that has not stopped 15 s later is killed;
* a front that ends is replaced, unless it exited by itself (not killed by a signal) within
  ``MIN_LIFETIME_S`` of its start: then the server cannot run, every front is stopped and ``serve``
  exits with status 1. Fronts killed by a signal as soon as they start, ``MAX_KILLED_AT_ONCE`` times
  in a row, stop the server too (rather than restarting them for ever).

Every front keeps every guard of a single server (its workers, deadline and kill, queue). Each front
switches to a new generation on its own, so during a switch (at most the watch interval, 0.5 s) two
connections may be answered from different generations; a single connection never goes back.
Writes (``--allow-update``) need one front, so that a write is visible to the next query on any
connection (checked by :class:`loader.server.settings.Settings`).

Fronts start with fork (before any thread or event loop exists), die with the parent (Linux
``PR_SET_PDEATHSIG``) and take their worker processes with them.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable

log = logging.getLogger("bukamal.server")
MIN_LIFETIME_S = 5.0
MAX_KILLED_AT_ONCE = 5
INTERRUPTED = 130           # supervise's status after SIGINT (the CLI's "interrupted")
STOP_GRACE_S = 15.0
_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD}


def _die_with_parent(parent: int) -> None:
    """SIGTERM this front when the supervising process dies (best effort)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:          # it died before prctl took effect
        os._exit(0)


def _start(run_front: Callable[[int], None], index: int) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)          # uvicorn installs its own handlers
        signal.signal(signal.SIGHUP, signal.SIG_IGN)    # until the front's reload handler is installed
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        _die_with_parent(parent)
        run_front(index)
        status = 0
    except SystemExit as exc:        # uvicorn exits this way when the application cannot start
        status = exc.code if isinstance(exc.code, int) else 1
    finally:
        # this process is a copy of the parent: it must never return into the parent's code
        if sys.exc_info()[0] is not None and not isinstance(sys.exc_info()[1], SystemExit):
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _reap() -> list[tuple[int, int]]:
    """Every child that has exited: (pid, wait status)."""
    done = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done.append((pid, status))


def _stop(fronts: dict[int, tuple[int, float]]) -> None:
    for pid in fronts:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE_S
    while fronts and time.monotonic() < deadline:
        for pid, _ in _reap():
            fronts.pop(pid, None)
        if fronts:
            signal.sigtimedwait({signal.SIGCHLD}, 0.2)
    for pid in fronts:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in list(fronts):
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"


def supervise(count: int, run_front: Callable[[int], None], socks: list[socket.socket]) -> int:
    """Fork ``count`` fronts, front ``i`` calling ``run_front(i)`` (which serves on ``socks[i]``);
    supervise them until SIGTERM/SIGINT. Returns the exit status for ``serve``."""
    sys.stdout.flush()
    sys.stderr.flush()
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        fronts = {_start(run_front, i): (i, time.monotonic()) for i in range(count)}
        killed_at_once = 0         # fronts in a row killed by a signal within MIN_LIFETIME_S of starting
        while True:
            info = signal.sigtimedwait(_SIGNALS, 1.0)
            if info is None:
                continue
            if info.si_signo == signal.SIGHUP:
                for pid in fronts:
                    os.kill(pid, signal.SIGHUP)
            elif info.si_signo in (signal.SIGTERM, signal.SIGINT):
                _stop(fronts)
                return INTERRUPTED if info.si_signo == signal.SIGINT else 0
            else:
                for (index, started), status in [(fronts.pop(pid), st) for pid, st in _reap() if pid in fronts]:
                    at_once = time.monotonic() - started < MIN_LIFETIME_S
                    if at_once and not os.WIFSIGNALED(status):
                        log.error("a front process could not start (exit status %d); stopping the server",
                                  os.waitstatus_to_exitcode(status))
                        _stop(fronts)
                        return 1
                    killed_at_once = killed_at_once + 1 if at_once else 0
                    if killed_at_once >= MAX_KILLED_AT_ONCE:
                        log.error("front processes keep dying as soon as they start; stopping the server")
                        _stop(fronts)
                        return 1
                    log.warning("a front process %s; starting a new one", _ended(status))
                    fronts[_start(run_front, index)] = (index, time.monotonic())
    finally:
        for sock in socks:
            sock.close()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
