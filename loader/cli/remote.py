"""``--remote URL`` and its companions, shared by build, query, export, stats and serve.

Each option can also come from the environment (``BUKAMAL_REMOTE``, ``BUKAMAL_REMOTE_UPDATE``,
``BUKAMAL_REMOTE_STORE``, ``BUKAMAL_REMOTE_USER``, ``BUKAMAL_REMOTE_UNION``); secrets only from the
environment (``BUKAMAL_REMOTE_TOKEN``, ``BUKAMAL_REMOTE_PASSWORD``) or a file, never from the
command line, where other users of the machine could read them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import click

from ..errors import UsageError
from ..remote import ENV, UNION_MODES, RemoteConfig

_OPTIONS = (
    click.option("--remote", "remote_url", metavar="URL", envvar=ENV["url"], default=None,
                 help="Use this SPARQL 1.1 query URL instead of the local store (or $BUKAMAL_REMOTE),"
                      " e.g. http://127.0.0.1:7878/query."),
    click.option("--remote-update", metavar="URL", envvar=ENV["update"], default=None,
                 help="The remote's SPARQL Update URL (default: .../update when the query URL ends in"
                      " /query, else the query URL)."),
    click.option("--remote-store", metavar="URL", envvar=ENV["store"], default=None,
                 help="The remote's Graph Store Protocol URL, for uploads (default: .../store when the"
                      " query URL ends in /query; without one, uploads use SPARQL Update)."),
    click.option("--remote-user", metavar="NAME", envvar=ENV["user"], default=None,
                 help="HTTP basic user; the password comes from $BUKAMAL_REMOTE_PASSWORD or"
                      " --remote-secret-file."),
    click.option("--remote-secret-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                 default=None, help="File holding the bearer token (with --remote-user: the password);"
                                    " default $BUKAMAL_REMOTE_TOKEN."),
    click.option("--remote-union", type=click.Choice(UNION_MODES), envvar=ENV["union"], default=None,
                 help="How the default graph becomes the union of the named graphs: from (FROM clauses,"
                      " any engine; default), param (Oxigraph's union-default-graph), native (the"
                      " engine's own default graph is already the union)."),
)


def remote_options(f):
    """Add the remote options to a command; it receives ``remote``: a RemoteConfig or None."""

    @functools.wraps(f)
    def wrapper(*args, remote_url, remote_update, remote_store, remote_user, remote_secret_file,
                remote_union, **kw):
        if not remote_url:
            ctx = click.get_current_context()
            given = [n for n in ("remote_update", "remote_store", "remote_user", "remote_secret_file",
                                 "remote_union")
                     if ctx.get_parameter_source(n) == click.core.ParameterSource.COMMANDLINE]
            if given:
                raise UsageError(f"--{given[0].replace('_', '-')} needs --remote URL")
            return f(*args, remote=None, **kw)
        if kw.get("store_dir") is not None:
            raise UsageError("give either --store DIR or --remote URL, not both")
        secret = None
        if remote_secret_file is not None:
            try:
                secret = remote_secret_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                raise UsageError("cannot read the remote secret file") from None
        remote = RemoteConfig.from_options(remote_url, update=remote_update, store=remote_store,
                                           user=remote_user, secret=secret, union=remote_union)
        return f(*args, remote=remote, **kw)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def open_store(store_dir: Path | None, remote: RemoteConfig | None):
    """The remote store (checked to hold the project's graphs) or the local store's current generation."""
    from ..backend import open_backend
    from .common import store_dir_or_default

    if remote is not None:
        return open_backend(None, remote)
    return open_backend(store_dir_or_default(store_dir))
