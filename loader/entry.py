"""The ``bukamal`` console command's entry point: :func:`loader.cli.main`, with Ctrl-C during start-up
(while the command's modules load) ending it as Ctrl-C does later: "interrupted", exit 130, no traceback."""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from .cli import INTERRUPTED, main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    try:
        main()
    except KeyboardInterrupt:          # outside a command (while click reads the arguments)
        sys.stderr.write("interrupted\n")
        sys.exit(INTERRUPTED)
