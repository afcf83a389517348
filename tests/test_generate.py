"""The synthetic-graph generator (bench/generate.py): deterministic, the requested size, quotes verbatim
at their offsets, and accepted by the real build."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # the bench package lives at the top of the checkout, not installed
    sys.path.insert(0, str(ROOT))

from bench.generate import generate, main  # noqa: E402
from loader.namespaces import BK, BKG  # noqa: E402

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def data_store(root: Path) -> ox.Store:
    """corpus/metadata.ttl and triples/*.ttl, each in its contract graph (the ontology copies left out)."""
    store = ox.Store()
    store.load(path=str(root / "corpus" / "metadata.ttl"), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode(BKG + "corpus"))
    for f in sorted((root / "triples").glob("*.ttl")):
        store.load(path=str(f), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(BKG + f.stem))
    return store


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen") / "synth"
    return out, generate(3000, 5, out)


def test_same_seed_same_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(5000, 11, a)
    generate(5000, 11, b)
    generate(5000, 12, c)
    fa, fb, fc = files_of(a), files_of(b), files_of(c)
    assert list(fa) == list(fb)
    assert [k for k in fa if fa[k] != fb[k]] == []
    differing = {k for k in fa.keys() & fc.keys() if fa[k] != fc[k]}
    assert "triples/shared.ttl" in differing and "corpus/metadata.ttl" in differing


@pytest.mark.parametrize("target", [3000, 10_000, 100_000])
def test_size_within_ten_percent(tmp_path, target):
    stats = generate(target, 1, tmp_path / "synth")
    store = data_store(tmp_path / "synth")
    assert stats["triples"] == len(store)          # the generator counts exactly what it writes
    assert abs(len(store) - target) <= target // 10


def test_every_quote_is_at_its_offsets(small):
    root, stats = small
    store = data_store(root)
    texts = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(BK + "fileName"), None, None):
        data = (root / "corpus" / q.object.value).read_bytes()
        sha = next(store.quads_for_pattern(q.subject, ox.NamedNode(BK + "sha256"), None, None)).object.value
        assert hashlib.sha256(data).hexdigest() == sha
        texts[q.subject] = data.decode("utf-8")
    assert len(texts) == stats["documents"]
    evidence = {q.subject for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(BK + "Evidence"), None)}
    value = lambda s, p: next(store.quads_for_pattern(s, ox.NamedNode(BK + p), None, None)).object  # noqa: E731
    wrong = []
    for ev in sorted(evidence, key=str):
        text, quote = texts[value(ev, "inDocument")], value(ev, "quote").value
        start, end = int(value(ev, "startOffset").value), int(value(ev, "endOffset").value)
        if text[start:end] != quote:
            wrong.append((ev.value, start, end, quote, text[start:end]))
    assert wrong == []
    # code points, not bytes, are exercised: this seed writes 33 quotes with characters outside ASCII
    assert sum(any(ord(ch) > 127 for ch in value(ev, "quote").value) for ev in evidence) == 33


def test_every_fact_has_a_claim(small):
    """The contract's coverage rule, for the generator's own output (the build checks it too)."""
    root, _ = small
    store = data_store(root)
    uncovered = list(store.query("""
        PREFIX bk: <https://w3id.org/bukamal-kg/ontology#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX geo: <http://www.opengis.net/ont/geosparql#>
        SELECT ?s ?p ?o WHERE {
          GRAPH ?g { ?s ?p ?o } FILTER(?g != <https://w3id.org/bukamal-kg/graph/corpus>)
          FILTER(?p NOT IN (rdf:type, rdfs:label, skos:altLabel, skos:definition, rdfs:comment))
          FILTER NOT EXISTS { ?s a ?k
                              VALUES ?k { bk:Claim bk:Evidence bk:CitedReport bk:TimeSpec bk:Quantity geo:Geometry } }
          FILTER NOT EXISTS { ?c rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; bk:evidence ?e }
        }""", use_default_graph_as_union=True))
    assert uncovered == []


def test_the_build_accepts_it(small, tmp_path):
    from loader.build import build

    root, stats = small
    result = build(root, tmp_path / "store")
    data = {g: n for g, n in result.asserted.items() if g not in (BKG + "ontology", BKG + "shapes")}
    assert sum(data.values()) == stats["triples"]
    assert set(result.grades) == {"Alleged", "Confirmed", "Contested", "Unknown"}


def test_command_line(tmp_path, capsys):
    assert main(["--triples", "2000", "--seed", "2", "--out", str(tmp_path / "cli")]) == 0
    first = capsys.readouterr().out
    assert first.startswith(f"{len(data_store(tmp_path / 'cli'))} triples in 2 documents")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(SystemExit) as err:
        main(["--triples", "2000", "--out", str(tmp_path / "other")])
    assert str(err.value) == (f"{tmp_path / 'other'} exists and is not a generated project (no SYNTHETIC file); "
                              "choose another --out")
    assert main(["--triples", "1000", "--out", str(tmp_path / "cli")]) == 2
    assert capsys.readouterr().err == "error: --triples must be at least 2000\n"
