"""Deterministic, seeded generator of synthetic bukamal-kg projects.

    python -m bench.generate --triples 100000 --seed 1 --out bench/out/synth-100k

writes, in the project's ontology and following the team contract::

    OUT/ontology/*.ttl          copies of this checkout's ontology and shapes (so OUT is a complete project)
    OUT/corpus/NNN_<sha16>.txt  synthetic documents (UTF-8; some names outside ASCII)
    OUT/corpus/metadata.ttl     the documents: type, bk:fileName, bk:sha256, dcterms:title, bk:publicationTime
    OUT/triples/shared.ttl      the entities: types, rdfs:label, skos:altLabel
    OUT/triples/doc-NNN.ttl     per document: evidence (quotes at their offsets), claims, bare facts, times,
                                quantities, geometries, cited reports

The size counts the triples of corpus/metadata.ttl and triples/*.ttl (not the ontology copies); it lands
within a few percent of ``--triples``. The same seed and size give byte-identical files. Facts covered:
actors in part-of hierarchies (units < services < armed forces < states, battalions < militias),
places in located-in chains (facilities < settlements < districts < governorates < countries), near /
adjacent / on / controls (with bk:validDuring) / stationedAt / opposes / affiliatedWith / ledBy /
supportedBy, operations with time (day, month, year, part of year, interval, relative with
bk:derivedFrom, unknown), target/object/destination, place, agents (flat, hedged, attributed,
claimed responsibility, compatible pairs, contested, denied), quantities, equipment, retaliation,
similarity, part of a conflict, cited reports with [n] markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import shutil
import sys
import time
from pathlib import Path

from . import synth_time as T
from .synth_docs import Corpus, DocBuilder
from .synth_world import World, shared_turtle
from .turtle import TurtleBuffer, en, string

TRIPLES_PER_DOC = 2000
METADATA_PER_DOC = 6
MARKER = "SYNTHETIC"
DOC_CLASSES = ["bk:NewsReport", "bk:AnalysisArticle", "bk:EncyclopediaArticle"]


def marker_line(target: int, seed: int) -> str:
    """The first line of a generated project's marker: its arguments and the generator's code hash, so
    that a project written by an older generator is written again."""
    here = Path(__file__).resolve().parent
    code = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(here.glob("synth_*.py"))
                                   + [here / "generate.py", here / "turtle.py"])).hexdigest()[:16]
    return f"bench.generate --triples {target} --seed {seed} --code {code}\n"


def _repo_ontology() -> Path:
    return Path(__file__).resolve().parent.parent / "ontology"


def _prepare(out: Path) -> None:
    """Create OUT, or clear a previous generator output in it; refuse to touch anything else."""
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SystemExit(f"{out} exists and is not a generated project (no {MARKER} file); choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("incomplete\n", encoding="utf-8")
    for sub in ("corpus", "triples", "ontology"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir()


def generate(target: int, seed: int, out: Path) -> dict:
    """Write a synthetic project of about ``target`` triples into ``out``; return counts."""
    if target < 2000:
        raise ValueError("--triples must be at least 2000")
    out = Path(out)
    _prepare(out)
    rng = random.Random(seed)
    world = World(rng, target)
    shared = shared_turtle(world)
    n_docs = max(2, round(target / TRIPLES_PER_DOC))
    width = max(3, len(str(n_docs - 1)))
    groups: list[list] = [[] for _ in range(n_docs)]
    for i, e in enumerate(world.entities):
        groups[i % n_docs].append(e)
    budget = target - shared.count - METADATA_PER_DOC * n_docs
    corpus = Corpus(world, rng)
    written, docs = 0, []
    for i in range(n_docs):
        num = f"{i:0{width}d}"
        b = DocBuilder(corpus, num, n_refs=rng.randint(0, 3))
        title = f"Report {num}: events around {rng.choice(world.settlements).label}"
        b.heading(title)
        for j, e in enumerate(groups[i]):
            for st in [e.intro] + e.extras:
                b.stated(st, cite=rng.random() < 0.1)
            if j % 4 == 3:
                b.end_paragraph()
        b.end_paragraph()
        goal = (budget - written) / (n_docs - i)
        while b.ttl.count < goal:
            b.operation()
        b.references()
        written += b.ttl.count
        data = b.text().encode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        name = f"{num}_{sha[:16]}.txt"
        (out / "corpus" / name).write_bytes(data)
        (out / "triples" / f"doc-{num}.ttl").write_text(b.ttl.text(), encoding="utf-8")
        docs.append((num, name, sha, title, dt_pub(rng)))
    meta = TurtleBuffer("Synthetic corpus documents.")
    for num, name, sha, title, d in docs:
        key = ("day", d)
        node = T.iri(key)
        if node not in corpus.defined_times:
            corpus.defined_times.add(node)
            meta.block(node, T.pairs(key))
        meta.block(f"bkr:doc-{num}", [("a", rng.choice(DOC_CLASSES)), ("bk:fileName", string(name)),
                                      ("bk:sha256", string(sha)), ("dcterms:title", en(title)),
                                      ("bk:publicationTime", node), ("bk:outlet", rng.choice(world.outlets).key)])
    (out / "corpus" / "metadata.ttl").write_text(meta.text(), encoding="utf-8")
    (out / "triples" / "shared.ttl").write_text(shared.text(), encoding="utf-8")
    for src in sorted(_repo_ontology().glob("*.ttl")):
        shutil.copyfile(src, out / "ontology" / src.name)
    total = written + shared.count + meta.count
    (out / MARKER).write_text(f"{marker_line(target, seed)}triples {total}\n", encoding="utf-8")
    return {"triples": total, "documents": n_docs, "entities": len(world.entities), "operations": len(corpus.ops)}


def dt_pub(rng: random.Random) -> dt.date:
    return dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--triples", type=int, required=True, help="target number of data triples (>= 2000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (same seed and size: same bytes)")
    ap.add_argument("--out", type=Path, required=True, help="output folder (created; a previous output is replaced)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        stats = generate(args.triples, args.seed, args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dt_s = time.perf_counter() - t0
    print(f"{stats['triples']} triples in {stats['documents']} documents ({stats['entities']} entities, "
          f"{stats['operations']} operations) written to {args.out} in {dt_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
