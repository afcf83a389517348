"""Options and helpers shared by the command modules."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import click

from .. import config
from ..errors import StoreError, UsageError


def store_option(f):
    """``--store DIR``: the store folder (default: store/ in the project, or $BUKAMAL_STORE)."""
    return click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Store folder (default: store/ in the project, or $BUKAMAL_STORE).")(f)


def store_dir_or_default(store_dir: Path | None) -> Path:
    return Path(store_dir) if store_dir else config.default_store_dir()


def write_output(data: bytes, output: Path | None) -> None:
    """Bytes to a file (``-o``) or to standard output."""
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
