"""One error hierarchy for the whole project.

    BukamalError                 base; ``exit_code`` for the CLI, ``status`` for HTTP
    ├── UsageError               bad command-line usage or bad parameter values   (exit 2, HTTP 400)
    │   └── ParameterError       a saved-query parameter failed validation       (exit 2, HTTP 400)
    ├── DataError                invalid input data                              (exit 1, HTTP 500)
    │   ├── ParseError           malformed Turtle/RDF: file, line, column
    │   ├── EvidenceError        a quote not found verbatim at its offsets
    │   └── ShapeError           SHACL violations (carries the readable report)
    ├── QueryError               a SPARQL text the engine rejects                (exit 1, HTTP 400)
    │   └── RegistryError        a malformed saved-query file                    (exit 1, HTTP 500)
    ├── NotFoundError            an unknown saved query, graph or name           (exit 2, HTTP 404)
    ├── StoreError               the store is missing, locked or corrupt         (exit 3, HTTP 503)
    │   ├── StoreBusy            another build or write holds the store's lock   (exit 3, HTTP 503)
    │   └── RemoteStoreError     a remote SPARQL service failed                  (exit 3, HTTP 502)
    └── QueryTimeout             a query passed its deadline                     (exit 4, HTTP 503)

Messages are written for people; the CLI prints them without a traceback (unless ``--debug``) and
the server sends them without stack traces or filesystem paths.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0


class BukamalError(Exception):
    """Base of every error the project raises on purpose."""

    exit_code: int = 1
    status: int = 500

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    @property
    def location(self) -> str:
        """``file:line:column`` (as much of it as is known), or an empty string."""
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class UsageError(BukamalError):
    exit_code = 2
    status = 400


class ParameterError(UsageError):
    """A parameter value failed validation; ``candidates`` lists near matches when a name is ambiguous."""

    def __init__(self, message: str, *, candidates: tuple[str, ...] = (), **kw) -> None:
        super().__init__(message, **kw)
        self.candidates = candidates


class DataError(BukamalError):
    exit_code = 1
    status = 500


class ParseError(DataError):
    pass


class EvidenceError(DataError):
    pass


class ShapeError(DataError):
    def __init__(self, message: str, *, report: str = "", **kw) -> None:
        super().__init__(message, **kw)
        self.report = report


class QueryError(BukamalError):
    exit_code = 1
    status = 400


class RegistryError(QueryError):
    status = 500


class NotFoundError(BukamalError):
    exit_code = 2
    status = 404


class StoreError(BukamalError):
    exit_code = 3
    status = 503


class StoreBusy(StoreError):
    pass


class RemoteStoreError(StoreError):
    status = 502


class QueryTimeout(BukamalError):
    exit_code = 4
    status = 503


@dataclass(frozen=True)
class ExitCodes:
    """Documented exit codes of the ``bukamal`` command."""

    ok: int = 0
    invalid_data: int = 1
    usage: int = 2
    store: int = 3
    timeout: int = 4
