"""Developer aid (not a test): show how the saved queries' answers differ from the recorded ones.

    .venv/bin/python tests/golden_diff.py            # diff only: fixture answers and golden answers
    .venv/bin/python tests/golden_diff.py --fixture  # only the tiny fixture graph (fast, no build)
    .venv/bin/python tests/golden_diff.py --write    # also rewrite the files that differ

It re-runs every case (same parameters) recorded in tests/data/queries/expected/NAME.json (fixture
graph) and tests/golden/NAME.json (the real graph, built into a temporary folder) and prints a unified
diff per file. Nothing is written without --write. A golden answer must be right, not just current:
check every changed row against the corpus texts before you keep it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queries_support import (FIXTURE_EXPECTED, GOLDEN, QUERIES_DIR, ROOT, fixture_store,  # noqa: E402
                             load_cases, query_names, result_table)

from loader.registry import load_registry  # noqa: E402
from loader.saved import run  # noqa: E402


def dump(name: str, cases: list[dict]) -> str:
    """The recorded layout: one case field per line, one row per line."""
    out = ["{", f' "query": {json.dumps(name)},', ' "cases": [']
    for i, case in enumerate(cases):
        rows = [f"    {json.dumps(r, ensure_ascii=False)}" for r in case["rows"]]
        out += ["  {", f'   "params": {json.dumps(case["params"], ensure_ascii=False)},',
                f'   "columns": {json.dumps(case["columns"])},']
        out += ['   "rows": [', ",\n".join(rows), "   ]"] if rows else ['   "rows": []']
        out.append("  }" + ("," if i < len(cases) - 1 else ""))
    out += [" ]", "}"]
    return "\n".join(line for line in out if line) + "\n"


def current(folder: Path, store, registry) -> dict[Path, tuple[str, str]]:
    """file -> (recorded text, text the queries give now)."""
    out = {}
    for name in query_names():
        path = folder / f"{name}.json"
        if not path.is_file():
            print(f"missing: {path.relative_to(ROOT)} (add a case by hand first)")
            continue
        query = registry.get(name)
        cases = []
        for case in load_cases(path):
            columns, rows = result_table(run(query, case["params"], store))
            cases.append({"params": case["params"], "columns": columns, "rows": rows})
        out[path] = (path.read_text(encoding="utf-8"), dump(name, cases))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", action="store_true", help="only the fixture answers (no build)")
    parser.add_argument("--write", action="store_true", help="rewrite the files that differ")
    args = parser.parse_args()
    registry = load_registry(QUERIES_DIR)
    results = current(FIXTURE_EXPECTED, fixture_store(), registry)
    if not args.fixture:
        from loader.build import build
        from loader.store import open_read_only

        with tempfile.TemporaryDirectory() as tmp:
            build(ROOT, Path(tmp), force=True)
            store = open_read_only(Path(tmp))
            results.update(current(GOLDEN, store, registry))
            del store
    changed = 0
    for path, (old, new) in results.items():
        if json.loads(old) == json.loads(new) and old == new:
            continue
        changed += 1
        rel = str(path.relative_to(ROOT))
        sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                   f"a/{rel}", f"b/{rel}"))
        if args.write:
            path.write_text(new, encoding="utf-8")
    verb = "rewritten" if args.write else "differ (run with --write to rewrite them)"
    print(f"{changed} file(s) {verb}" if changed else "no differences", file=sys.stderr)
    return 1 if changed and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
