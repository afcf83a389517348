"""Every saved query against the real graph (the session's `real_store`, a full build; tests/conftest.py).

Golden answers live in tests/golden/NAME.json: exact columns and rows, in order (every saved query
orders its rows). A query without a golden answer fails here. Each row was checked against the corpus
texts when it was recorded; a change in the triples that changes an answer must be checked the same way.
"""

from __future__ import annotations

import re

import pytest
from queries_support import GOLDEN, QUERIES_DIR, load_cases, query_names, result_table

from loader.registry import load_registry
from loader.saved import run


@pytest.mark.parametrize("name", query_names())
def test_golden_answer(name, real_store):
    path = GOLDEN / f"{name}.json"
    assert path.is_file(), f"queries/{name}.rq has no golden answer (tests/golden/{path.name})"
    query = load_registry(QUERIES_DIR).get(name)
    assert query.ordered, f"{name}: a saved query orders its rows, so its golden answer is exact"
    cases = load_cases(path)
    assert cases, f"{path.name} has no cases"
    for case in cases:
        columns, rows = result_table(run(query, case["params"], real_store))
        assert columns == case["columns"], case["params"]
        assert rows == case["rows"], case["params"]


def test_no_golden_answer_without_query():
    assert sorted({p.stem for p in GOLDEN.glob("*.json")} - set(query_names())) == []


_LABEL_COLUMN = re.compile(r"\s*\(MIN\(STR\(\?_(\w+)Label\)\) AS \?\1Label\)")
_LABEL_PATTERN = re.compile(r"\s*OPTIONAL \{ \?\w+ rdfs:label \?_\w+Label \}")


@pytest.mark.parametrize("name", query_names())
def test_label_columns_add_no_rows(name, real_store, tmp_path):
    """A label column only names what its row already holds: without the label columns (and their
    OPTIONAL patterns) every case gives the same rows, in the same order (an OPTIONAL over a variable
    left unbound would bind it to every labelled thing and add rows)."""
    text = (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")
    labels = _LABEL_COLUMN.findall(text)
    bare = _LABEL_PATTERN.sub("", _LABEL_COLUMN.sub("", text))
    patterned = {m.split("?_")[1].removesuffix("Label }") for m in _LABEL_PATTERN.findall(text)}
    assert patterned == set(labels) and "Label" not in bare.split("\nPREFIX", 1)[1]
    (tmp_path / f"{name}.rq").write_text(bare, encoding="utf-8")
    query, stripped = load_registry(QUERIES_DIR).get(name), load_registry(tmp_path).get(name)
    cases = [c["params"] for c in load_cases(GOLDEN / f"{name}.json")]
    if all(not p.required for p in query.params):
        cases.append({})
    for params in cases:
        columns, rows = result_table(run(query, params, real_store))
        keep = [i for i, c in enumerate(columns) if c not in {f"{x}Label" for x in labels}]
        assert len(keep) == len(columns) - len(labels), params
        assert (columns, rows) != ([], []) and result_table(run(stripped, params, real_store)) == (
            [columns[i] for i in keep], [[r[i] for i in keep] for r in rows]), params
