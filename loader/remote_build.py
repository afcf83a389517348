"""``bukamal build --remote URL``: stages 1-4 as usual, then stage 5 pushes the graphs to a remote
SPARQL service (:mod:`loader.remote_push`) instead of loading a local generation.

The remote's ``META`` graph keeps the build manifest; a build whose input hash equals the remote's
does nothing (unless ``force``), as long as the remote's graphs still hold as many triples as were
pushed (a graph dropped, or changed in its triple count, behind the project's back makes it build
again, with a warning; an edit that keeps every count is not seen: then use ``force``). There is no
local lock: two builds pushing at once each switch atomically, and the last switch wins.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph

from . import __version__, config
from .build import BuildResult, Progress, _stage, derive, export_prefixes, input_hash
from .namespaces import INFERRED_GRAPH
from .remote import RemoteStore
from .remote_push import push


def build_remote(store: RemoteStore, root: Path | None = None, *, force: bool = False,
                 progress: Progress | None = None) -> BuildResult:
    """Check, reason and push; raise a :class:`~loader.errors.BukamalError` on the first failing stage."""
    root = Path(root).resolve() if root else config.project_root()
    progress = progress or (lambda *a: None)
    digest = input_hash(root)
    current = store.manifest()
    damaged = None
    if current is not None and current.get("input_hash") == digest and not force:
        damaged = _damage(store, current)
        if damaged is None:
            return BuildResult(root, digest, up_to_date=True, generation=current.get("generation"),
                               asserted=current.get("asserted", {}), inferred=current.get("inferred", 0),
                               target=store.config.display)
    result = BuildResult(root, digest, target=store.config.display)
    parsed, inferred = derive(root, result, progress)

    def do_push():
        manifest = {
            "input_hash": digest, "version": __version__,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "asserted": result.asserted, "inferred": result.inferred, "shapes": result.shapes,
            "grades": result.grades, "prefixes": export_prefixes(parsed),
            "files": [f.source.rel for f in parsed.files],
            "timings": {k: round(v, 3) for k, v in result.timings.items()},
        }
        pushed = push(store, [*parsed.quads(), *inferred.quads()], manifest)
        result.generation, result.previous = pushed.generation, pushed.previous
        total = sum(pushed.graphs.values())
        return None, (f"{total:,} triples in {len(pushed.graphs)} graphs to {store.config.display} as"
                      f" {pushed.generation}" + (f" (replacing {pushed.previous})" if pushed.previous else ""))

    _stage(5, "push", result, progress, do_push)
    if damaged is not None:
        result.warnings.append(f"warning: the inputs are unchanged but the remote's graphs are not what was"
                               f" pushed ({damaged}): built again")
    return result


def _damage(store: RemoteStore, manifest: dict) -> str | None:
    """Why the remote's project graphs no longer hold as many triples as its manifest says were pushed
    (a graph dropped, or changed in size, by someone else), or None: an unchanged build trusts the
    manifest only if the counts hold."""
    try:
        expected = {g: int(n) for g, n in manifest.get("asserted", {}).items()}
        expected[INFERRED_GRAPH] = int(manifest.get("inferred", 0))
        values = " ".join(str(pyoxigraph.NamedNode(g)) for g in expected)
    except (AttributeError, TypeError, ValueError):
        return "its manifest's graph counts are malformed"
    rows = store.select(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
                        " GROUP BY ?g")
    found = {r["g"].value: int(r["n"].value) for r in rows if r.get("g") is not None and r.get("n") is not None}
    for g, n in sorted(expected.items()):
        if found.get(g, 0) != n:
            return f"<{g}> holds {found.get(g, 0):,} triples where {n:,} were pushed"
    return None
