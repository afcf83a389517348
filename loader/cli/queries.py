"""``bukamal queries``: list the saved queries; and the saved-query half of ``bukamal query NAME``."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pyoxigraph

from .. import store as stores
from ..errors import UsageError
from ..params import add_value
from ..registry import Param, SavedQuery, load_registry
from ..results import cell, format_result, one_line, table
from ..saved import Evidence, explain, run
from ..terms import compact_iri
from .common import store_dir_or_default, write_output


def describe_param(p: Param) -> str:
    """``--param site=IRI|LABEL  optional  the struck site`` style one-liner."""
    value = {"iri": "IRI|LABEL", "string": "TEXT", "date": "YYYY[-MM[-DD]]", "integer": "N",
             "enum": "|".join(p.values)}[p.type]
    notes = ["required" if p.required else "optional"]
    if p.default is not None:
        notes.append(f"default {p.default}")
    if p.cls:
        notes.append(f"a {p.cls}")
    if p.bound:
        notes.append("from the first day" if p.bound == "start" else "to the last day")
    if p.minimum is not None or p.maximum is not None:
        notes.append(f"{'' if p.minimum is None else p.minimum}..{'' if p.maximum is None else p.maximum}")
    return f"--param {p.name}={value}  ({', '.join(notes)}) {p.description}"


def listing(queries: list[SavedQuery]) -> str:
    lines: list[str] = []
    for q in queries:
        lines.append(f"{q.name}  {q.title}")
        for p in q.params:
            lines.append(f"    {describe_param(p)}")
        lines.append(f"    e.g. {q.example}")
    return "\n".join(lines)


@click.command("queries")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for programs (every header field of every query).")
@click.option("--queries-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Folder of saved queries (default: queries/ in the project).")
def queries(fmt: str, queries_dir: Path | None) -> None:
    """List the saved queries: name, title, parameters and an example.

    Run one with `bukamal query NAME --param k=v ...`; add --explain to see the quotes behind each row.

    \b
    Example:
      bukamal queries
      bukamal query strikes --param site="Imam Ali base" --explain
    """
    registry = load_registry(queries_dir)
    if fmt == "json":
        text = json.dumps([q.to_dict() for q in registry], ensure_ascii=False, indent=1)
    else:
        text = listing(list(registry))
    write_output((text + "\n").encode("utf-8"), None)


# ---------------------------------------------------------------- `bukamal query NAME` (called by query.py)

def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("site=Imam Ali base", "from=2021")`` -> a dict; no ``=`` or a repeated name is an error."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param expects NAME=VALUE, got {pair!r}")
        name = name.strip()
        if not add_value(out, name, value):
            raise UsageError(f"--param {name} given twice")
    return out


def evidence_lines(evidence: list[Evidence]) -> list[str]:
    """The lines printed under a row by --explain."""
    lines: list[str] = []
    for e in evidence:
        where = f"{e.file_name or compact_iri(e.document or '')}"
        if e.start is not None and e.end is not None:
            where += f" [{e.start}:{e.end}]"
        who = []
        if e.claimant:
            who.append("claimant " + ", ".join(compact_iri(c) for c in e.claimant))
        if e.attributed_to:
            who.append("attributed to " + ", ".join(compact_iri(a) for a in e.attributed_to))
        if e.cites_report:
            who.append("cites " + ", ".join(compact_iri(r) for r in e.cites_report))
        head = compact_iri(e.claim) if e.claim else compact_iri(e.evidence)
        stance = f" {e.stance}" if e.stance else ""
        lines.append(one_line(f"    > {head}{stance} in {where}" + (f" ({'; '.join(who)})" if who else "")))
        lines.append(f"      \"{one_line(e.quote)}\"")
        lines.extend(f"      note: {one_line(note)}" for note in e.notes)
    return lines


def explained_table(query: SavedQuery, result, store) -> bytes:
    """The table format with each row's evidence printed under it."""
    if not isinstance(result, pyoxigraph.QuerySolutions):
        raise UsageError("--explain needs a SELECT query")
    names = [v.value for v in result.variables]
    solutions = list(result)
    rendered = table(names, [[cell(s[i]) for i in range(len(names))] for s in solutions]).splitlines()
    out = rendered[:2]
    for line, solution in zip(rendered[2:], solutions):
        out.append(line)
        out.extend(evidence_lines(explain(query, solution, store)))
    out.extend(rendered[2 + len(solutions):])
    return ("\n".join(out) + "\n").encode("utf-8")


def run_saved_command(name: str, pairs: tuple[str, ...], fmt: str, explain_rows: bool,
                      store_dir: Path | None, queries_dir: Path | None = None, remote=None) -> bytes:
    """Run the saved query ``name`` and format its result (``--explain``: table with evidence)."""
    query = load_registry(queries_dir).get(name)
    if explain_rows and fmt != "table":
        raise UsageError("--explain prints evidence under table rows: use it with --format table")
    if remote is not None:                  # a remote SPARQL service (loader.remote)
        from .remote import open_store
        store = open_store(None, remote)
    else:
        store = stores.open_read_only(store_dir_or_default(store_dir))
    result = run(query, parse_params(pairs), store)
    if explain_rows:
        return explained_table(query, result, store)
    return format_result(result, fmt)
