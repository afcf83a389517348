"""Every saved query against the real graph (the session's `real_store`, a full build; tests/conftest.py).

Golden answers live in tests/golden/NAME.json: exact columns and rows, in order (every saved query
orders its rows). A query without a golden answer fails here. Each row was checked against the corpus
texts when it was recorded; a change in the triples that changes an answer must be checked the same way.
"""

from __future__ import annotations

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
