"""A query worker process: ``python -m loader.server.worker_main GENERATION_DIR [options]``.

It opens one store generation read-only, says ``{"ready": true}`` on stdout, then answers jobs
(frames from :mod:`loader.server.wire`) one at a time until its stdin closes. The server kills it
(SIGKILL) when a job passes its deadline or its client leaves, and starts a fresh one: pyoxigraph
cannot cancel a running query, and a process is the unit that can really be stopped.

Jobs run in a thread with a large stack (``--stack-mb``): pyoxigraph parses and evaluates
recursively, and long flat chains (``1+1+...``, ``!!!...``, long ``UNION`` chains) that the nesting
guard does not count would otherwise overflow the default 8 MiB stack. If the engine still crashes, only
this process dies; the server answers ``500`` and replaces it.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the server that started it dies (best effort)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def address_space() -> int:
    """This process's address space now, in bytes (0 where ``/proc`` does not say)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def limit_memory(megabytes: int) -> None:
    """Let this process's address space grow by at most ``megabytes`` from now (0: no cap): a job that
    would eat the machine's memory then stops only this process, which the server reports and replaces.
    The cap counts from what the process already holds (interpreter, thread stacks, the open store:
    some 0.5 GiB of address space, little of it resident), so that the option means memory for the job."""
    if megabytes > 0:
        import resource

        limit = address_space() + (megabytes << 20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(generation: str, max_bytes: int, channel_in, channel_out, remote: bool = False,
           memory_mb: int = 0) -> None:
    from ..errors import BukamalError
    from ..store import open_generation
    from . import wire
    from .executor import execute

    try:
        if remote:         # a remote SPARQL service (loader.remote); its config comes by the environment
            from ..remote import RemoteStore, worker_config

            store = RemoteStore(worker_config())
            store.check()
        else:
            store = open_generation(Path(generation))
    except (OSError, BukamalError) as exc:
        message = exc.message if isinstance(exc, BukamalError) else "the store generation could not be opened"
        channel_out.write(wire.encode({"ready": False, "kind": "store_unavailable", "message": message}))
        channel_out.flush()
        return
    limit_memory(memory_mb)          # a query past it kills only this worker (500, then replaced)
    channel_out.write(wire.encode({"ready": True}))
    channel_out.flush()
    while True:
        frame = wire.read_blocking(channel_in)
        if frame is None:
            return
        job, _ = frame
        reply = execute(store, job, max_bytes)
        channel_out.write(wire.encode(reply.header(), reply.body))
        channel_out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loader.server.worker_main")
    parser.add_argument("generation")
    parser.add_argument("--max-bytes", type=int, default=64 << 20)
    parser.add_argument("--stack-mb", type=int, default=256)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--remote", action="store_true")
    args = parser.parse_args(argv)
    _die_with_parent()
    # the protocol owns the original stdout; anything printed by accident goes to stderr
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    channel_in = os.fdopen(os.dup(0), "rb", buffering=0)
    threading.stack_size(args.stack_mb << 20)
    thread = threading.Thread(target=_serve, args=(args.generation, args.max_bytes, channel_in,
                                                   channel_out, args.remote, args.memory_mb),
                              name="bukamal-worker")
    thread.start()
    thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
