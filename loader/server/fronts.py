"""Several front processes on one port: ``bukamal serve --fronts N``.

One Python process parses HTTP and answers cheap queries on one CPU core at most. With ``--fronts N``
the ``bukamal serve`` process binds N sockets to the port (``SO_REUSEPORT``, see
:func:`loader.server.run.bind_fronts`), then forks N front processes; each runs the whole application
(uvicorn, its own worker pool and view of the store, its own watch of ``store/CURRENT``) and accepts
connections from its own socket: the kernel spreads new connections evenly over the sockets, and a
connection stays with its front. A front that is replaced takes over its predecessor's socket (the
parent keeps them all open), so connections that arrive meanwhile wait instead of being refused. The
parent only supervises:

* SIGHUP is passed on to every front (each re-reads ``CURRENT`` at once);
* SIGTERM or SIGINT stops every front (each finishes its answers in progress, as a single server does)
  and the parent exits when they have; a front that has not stopped 15 s later is killed;
* a front that exits by itself is replaced, unless it ran for less than ``MIN_LIFETIME_S`` (then the
  server cannot run: every front is stopped and ``serve`` exits with status 1).

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
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        for sig in _SIGNALS - {signal.SIGCHLD}:
            signal.signal(sig, signal.SIG_DFL)
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


def supervise(count: int, run_front: Callable[[int], None], socks: list[socket.socket]) -> int:
    """Fork ``count`` fronts, front ``i`` calling ``run_front(i)`` (which serves on ``socks[i]``);
    supervise them until SIGTERM/SIGINT. Returns the exit status for ``serve``."""
    sys.stdout.flush()
    sys.stderr.flush()
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        fronts = {_start(run_front, i): (i, time.monotonic()) for i in range(count)}
        while True:
            info = signal.sigtimedwait(_SIGNALS, 1.0)
            if info is None:
                continue
            if info.si_signo == signal.SIGHUP:
                for pid in fronts:
                    os.kill(pid, signal.SIGHUP)
            elif info.si_signo in (signal.SIGTERM, signal.SIGINT):
                _stop(fronts)
                return 0
            else:
                exited = [fronts.pop(pid) for pid, _status in _reap() if pid in fronts]
                if any(time.monotonic() - started < MIN_LIFETIME_S for _, started in exited):
                    log.error("a front process exited at once; stopping the server")
                    _stop(fronts)
                    return 1
                for index, _ in exited:
                    log.warning("a front process exited; starting a new one")
                    fronts[_start(run_front, index)] = (index, time.monotonic())
    finally:
        for sock in socks:
            sock.close()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
