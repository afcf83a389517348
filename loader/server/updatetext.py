"""``using-graph-uri`` / ``using-named-graph-uri`` for SPARQL updates (pyoxigraph has no argument for them).

The protocol parameters set the dataset of each ``DELETE``/``INSERT ... WHERE`` operation, exactly as
``USING <g>`` / ``USING NAMED <g>`` clauses would. So they are written into the update as such
clauses, right before each operation's top-level ``WHERE`` (a ``DELETE WHERE { P }`` becomes the
equivalent ``DELETE { P } USING ... WHERE { P }``). An update that already has ``USING`` or
``WITH`` while the request also gives these parameters is refused (``400``), as the protocol requires.
The text is scanned with strings, IRIs and comments blanked out (:func:`loader.sparqltext.blank`),
so keywords inside them are never touched; positions in the blanked text are positions in the text.
"""

from __future__ import annotations

import re

from ..sparqltext import blank
from .httperrors import HttpError

_KEYWORD = r"(?<![\w?$:.\-]){}(?![\w:\-])"
_WORDS = {w: re.compile(_KEYWORD.format(w), re.IGNORECASE)
          for w in ("USING", "WITH", "WHERE", "INSERT", "DELETE", "DATA")}


def _top_level(blanked: str) -> str:
    """Only what is at brace depth 0 (deeper characters become spaces; braces are kept)."""
    out, depth = [], 0
    for c in blanked:
        if c == "{":
            out.append(c)
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
            out.append(c)
        else:
            out.append(c if depth == 0 else " ")
    return "".join(out)


def _matching_brace(blanked: str, start: int) -> int:
    depth = 0
    for i in range(start, len(blanked)):
        if blanked[i] == "{":
            depth += 1
        elif blanked[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise HttpError(400, "bad_update", "the update has an unbalanced '{'")


def _operations(top: str) -> list[tuple[int, int]]:
    """(start, end) of each ';'-separated operation in the top-level text."""
    spans, start = [], 0
    for i, c in enumerate(top):
        if c == ";":
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(top)))
    return spans


def apply_using(update: str, using: tuple[str, ...], using_named: tuple[str, ...]) -> str:
    """``update`` with the protocol's dataset written in as USING clauses (unchanged if none given)."""
    if not using and not using_named:
        return update
    for iri in using + using_named:
        if re.search(r"[<>\"{}|^`\\\x00-\x20]", iri):
            raise HttpError(400, "bad_request", f"{iri[:200]!r} is not a valid graph IRI")
    blanked = blank(update)
    top = _top_level(blanked)
    clause = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    edits: list[tuple[int, int, str]] = []      # (start, end, replacement) on the original text
    for start, end in _operations(top):
        segment = top[start:end]
        if _WORDS["USING"].search(segment) or _WORDS["WITH"].search(segment):
            raise HttpError(400, "bad_request", "the update has USING or WITH and the request also gives"
                            " using-graph-uri / using-named-graph-uri; give the dataset one way")
        verb = _WORDS["DELETE"].search(segment) or _WORDS["INSERT"].search(segment)
        if verb is None:
            continue
        after = segment[verb.end():].lstrip()
        if _WORDS["DATA"].match(after):
            continue
        where = _WORDS["WHERE"].search(segment, verb.end())
        if where is None:
            continue
        w_start = start + where.start()
        if _WORDS["DELETE"].match(segment, verb.start()) and not segment[verb.end():where.start()].strip():
            brace = blanked.index("{", start + where.end())
            close = _matching_brace(blanked, brace)
            pattern = update[brace:close + 1]
            edits.append((start + verb.start(), close + 1, f"DELETE {pattern} {clause}WHERE {pattern}"))
        else:
            edits.append((w_start, w_start, clause))
    for s, e, text in sorted(edits, reverse=True):
        update = update[:s] + text + update[e:]
    return update
