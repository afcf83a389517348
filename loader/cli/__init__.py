"""The ``bukamal`` command: a thin layer over the :mod:`loader` library (click).

Errors: every :class:`~loader.errors.BukamalError` is printed as one message for people on stderr and
ends the command with its exit code (0 ok, 1 invalid data or query, 2 usage or not found, 3 store
error, 4 timeout; 130 when interrupted by Ctrl-C). ``--debug`` (or ``BUKAMAL_DEBUG=1``) also prints the traceback. Any other exception
is a bug and shows its traceback.
"""

from __future__ import annotations

import traceback

import click

from ..errors import BukamalError
from ..results import visible

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
INTERRUPTED = 130                   # as a shell reports a command stopped by Ctrl-C (128 + SIGINT)


class BukamalGroup(click.Group):
    """A click group that turns project errors into messages and exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BukamalError as exc:
            if (ctx.obj or {}).get("debug"):
                traceback.print_exc()
            click.echo(f"error: {terminal_safe(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:            # Ctrl-C: the command has cleaned up what it started
            click.echo("interrupted", err=True)
            ctx.exit(INTERRUPTED)


def terminal_safe(text: str) -> str:
    """``text`` with control characters (ESC, NUL, ...; not line breaks or tabs) shown as escapes: a
    message may quote bytes from a data file, which must not drive the terminal."""
    return visible(text, keep="\n\t")


@click.group(cls=BukamalGroup, context_settings=CONTEXT_SETTINGS,
             epilog="\b\nExit codes:\n  0  ok\n  1  invalid data or query\n  2  usage or not found\n"
                    "  3  store error\n  4  timeout\n  130 interrupted (Ctrl-C)")
@click.option("--debug", is_flag=True, envvar="BUKAMAL_DEBUG",
              help="Show the traceback with an error message (also BUKAMAL_DEBUG=1).")
@click.version_option(package_name="bukamal-kg", prog_name="bukamal")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """bukamal-kg: build, check, query and export the evidence-grounded knowledge graph.

    \b
    Example:
      bukamal build                      # parse, check, reason, load a new store
      bukamal query my-query.rq          # run SPARQL on it
      bukamal export -o graph.ttl        # the asserted graphs as sorted Turtle
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


# ---------------------------------------------------------------------------------------------------
# Command modules. Each defines one click command; register it here with ONE import line + add_command.
# ---------------------------------------------------------------------------------------------------
from .build import build as _build  # noqa: E402  (build pipeline)
from .query import query as _query  # noqa: E402  (run a SPARQL file; saved queries extend it)
from .export import export as _export  # noqa: E402
from .stats import stats as _stats  # noqa: E402
from .serve import serve as _serve  # noqa: E402  (HTTP server)
from .queries import queries as _queries  # noqa: E402  (saved-query list)

for _command in (_build, _query, _export, _stats, _serve, _queries):
    main.add_command(_command)
