"""Server settings: one frozen value built by the CLI (or a test) and handed to :func:`create_app`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import UsageError

TOKEN_ENV = "BUKAMAL_UPDATE_TOKEN"
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class Settings:
    store_dir: Path
    timeout_s: float = 30.0
    workers: int = 2
    max_queue: int = 16
    max_body_bytes: int = 1 << 20
    max_depth: int = 128
    max_result_bytes: int = 64 << 20
    worker_stack_mb: int = 256
    worker_memory_mb: int = 4096             # address-space limit of each worker (0: none)
    fronts: int = 1                          # front processes on the listening socket (run.serve)
    inline_max_matches: int = 1000           # cheap queries over at most this many quads run in the
                                             # server process (loader.server.cheap); 0: never
    allow_update: bool = False
    update_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    queries_dir: Path | None = None          # default: the project's queries/
    web_assets_dir: Path | None = None       # default: the project's node_modules/
    reload_interval_s: float = 0.5
    remote: object | None = None             # a loader.remote.RemoteConfig: serve that SPARQL service

    def __post_init__(self) -> None:
        if self.allow_update and self.remote is not None:
            raise UsageError("--allow-update cannot be combined with --remote: update the remote service"
                             " itself, or run `bukamal build --remote URL`")
        if self.allow_update and not self.update_token:
            raise UsageError(f"--allow-update needs a bearer token: set ${TOKEN_ENV} or give --token-file")
        if self.update_token is not None and len(self.update_token) < MIN_TOKEN_LENGTH:
            raise UsageError(f"the update token must be at least {MIN_TOKEN_LENGTH} characters long")
        if self.timeout_s <= 0 or self.workers < 1 or self.max_body_bytes < 1 or self.max_depth < 1:
            raise UsageError("timeout, workers, body limit and depth limit must be positive")
        if self.inline_max_matches < 0 or self.fronts < 1:
            raise UsageError("the inline match limit cannot be negative, and there is at least one front")
        if self.fronts > 1 and self.allow_update:
            raise UsageError("--allow-update needs a single front process (--fronts 1): a write must be"
                             " visible to the next query, whichever front answers it")
        for origin in self.cors_origins:
            if origin == "*" or not origin.startswith(("http://", "https://")):
                raise UsageError(f"--cors takes an origin like https://example.org, not {origin!r}")

    def remote_for_workers(self):
        """The remote config the workers use: the request deadline bounds each HTTP call."""
        if self.remote is None:
            return None
        import dataclasses

        return dataclasses.replace(self.remote, timeout_s=self.timeout_s + 1.0,
                                   max_response_bytes=4 * self.max_result_bytes)

    def queries_path(self) -> Path:
        return self.queries_dir if self.queries_dir is not None else config.queries_dir()

    def assets_path(self) -> Path:
        return self.web_assets_dir if self.web_assets_dir is not None else config.project_root() / "node_modules"


def read_token(token_file: Path | None) -> str | None:
    """The update token: from ``token_file`` if given, else ``$BUKAMAL_UPDATE_TOKEN``; None if neither."""
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise UsageError("cannot read the token file") from None
        return token or None
    token = os.environ.get(TOKEN_ENV) or None
    if token is not None:
        try:
            token.encode("utf-8")               # bytes that are not UTF-8 come as lone surrogates
        except UnicodeEncodeError:
            raise UsageError(f"${TOKEN_ENV} is not valid UTF-8 text") from None
    return token
