"""Options and helpers shared by the command modules."""

from __future__ import annotations

import errno
import math
import os
import sys
from pathlib import Path

import click

from .. import config
from ..errors import QueryTimeout, StoreError, UsageError


class FolderPath(click.Path):
    """A folder path that is not empty text (``Path("")`` is the working directory: ``--store ''``
    would put a store there unasked)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("an empty path names no folder.", param, ctx)
        return super().convert(value, param, ctx)


def store_option(f):
    """``--store DIR``: the store folder (default: store/ in the project, or $BUKAMAL_STORE)."""
    return click.option("--store", "store_dir", type=FolderPath(file_okay=False, path_type=Path), default=None,
                        help="Store folder (default: store/ in the project, or $BUKAMAL_STORE).")(f)


def store_dir_or_default(store_dir: Path | None) -> Path:
    return Path(store_dir) if store_dir else config.default_store_dir()


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange without ``nan`` (which passes every range check) or infinities."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def write_output(data: bytes, output: Path | None) -> None:
    """Bytes to a file (``-o``) or to standard output."""
    if output is None and sys.stdout is None:      # started with standard output closed (``>&-``)
        raise UsageError("cannot write to standard output: it is closed")
    try:
        if output is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            Path(output).write_bytes(data)
    except OSError as exc:
        if output is None:                  # nothing more can go there: not even Python's flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        where = "standard output" if output is None else str(output)
        # a full or failing disk is a disk error (exit 3); a bad path or a closed pipe is the caller's (2)
        kind = StoreError if exc.errno in _DISK_ERRORS else UsageError
        raise kind(f"cannot write to {where}: {exc.strerror or exc}") from None


_DISK_ERRORS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EROFS}


ENGINE_STACK_MB = 256      # as a server's query workers have: the engine recurses per level of the query


def with_engine_stack(fn, *args, timeout: float | None = None):
    """``fn(*args)`` in a thread with a large stack, its result or exception passed on. pyoxigraph
    parses and evaluates recursively; queries the guards let through (a few thousand ``OPTIONAL``\\s
    or ``BIND``\\s) can overflow the main thread's default 8 MiB, which ends the process without a
    message. With ``timeout`` (seconds), :class:`QueryTimeout` when ``fn`` has not returned by then:
    the engine cannot be stopped, so the thread is left to the end of the process, which follows."""
    import threading
    import traceback

    outcome: list = []

    def target() -> None:
        try:
            outcome.append((True, fn(*args)))
        except BaseException as exc:          # handed to the calling thread, which raises it
            # the frames' locals (engine objects, which must die on the thread that made them) go now;
            # the traceback keeps its lines for --debug
            traceback.clear_frames(exc.__traceback__)
            outcome.append((False, exc))

    previous = threading.stack_size(ENGINE_STACK_MB << 20)
    try:
        thread = threading.Thread(target=target, name="bukamal-engine", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join(timeout)
    if thread.is_alive():
        raise QueryTimeout(f"the query did not finish within {timeout:g} s (--timeout); narrow it down or add a LIMIT")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value

