"""The build pipeline end to end on the miniature project: stages, summary, generations, no-op builds,
failures that leave the store alone, and the query / stats commands on the result."""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from loader import store as stores
from loader.build import build
from loader.errors import StoreError
from loader.namespaces import BKG
from loader.stats import compute
from loader.terms import compact

from conftest import MINI
from test_evidence import edit

ASSERTED = {"corpus": 3, "doc-000": 64, "ontology": 52, "shapes": 48, "shared": 5}
INFERRED = [
    "bkr:abu-kamal rdf:type bk:Entity", "bkr:abu-kamal bk:near bkr:imam-ali-base",
    *[f"bkr:claim-000-0{n} {p}" for n in range(1, 6) for p in ("rdf:type rdf:Statement", "bk:statedIn bkr:doc-000")],
    "bkr:doc-000 rdf:type bk:Document", "bkr:doc-000 rdf:type bk:Source",
    "bkr:iaf rdf:type bk:Actor", "bkr:iaf rdf:type bk:Entity",
    "bkr:imam-ali-base rdf:type bk:Entity", "bkr:imam-ali-base rdf:type bk:Place",
    "bkr:israel rdf:type bk:Actor", "bkr:israel rdf:type bk:Entity", "bkr:israel bk:hasPart bkr:iaf",
    "bkr:op-2021-06-01-strike rdf:type bk:Operation", "bkr:op-2021-06-01-strike bk:attributionGrade bk:Alleged",
    'bkr:op-2021-06-01-strike bk:gradeReason "Alleged: named only by hedged claims, no competing agent, '
    'no denial: bkr:iaf (Reportedly)"',
    "bk:ArmedForce rdfs:subClassOf bk:Entity", "bk:MilitaryBase rdfs:subClassOf bk:Entity",
    "bk:NewsReport rdfs:subClassOf bk:Source", "bk:State rdfs:subClassOf bk:Entity",
    "bk:hasAgent rdfs:range bk:Entity",
]
ROWS_QUERY = "SELECT ?s ?o WHERE { ?s bk:near ?o } ORDER BY ?s ?o"


def near_rows(store_dir: Path) -> list[tuple[str, str]]:
    store = stores.open_read_only(store_dir)
    return [(compact(r["s"]), compact(r["o"])) for r in stores.query(store, ROWS_QUERY, prefixes={"bk": BKG.replace("graph/", "ontology#")})]


def generations(store_dir: Path) -> list[str]:
    return [p.name for _, p in stores.generations(store_dir)]


def test_build_reports_each_stage_and_the_graph_counts(tmp_path):
    seen = []
    result = build(MINI, tmp_path / "store", progress=lambda n, name, detail, s: seen.append((n, name, detail)))
    assert seen == [
        (1, "parse", "5 files, 172 triples"),
        (2, "evidence", "3 quotes in 1 document verbatim, 69 data triples covered"),
        (3, "shacl", "10 shapes, 0 violations"),
        (4, "reason", "27 triples inferred, 1 operation graded (Alleged 1, 2 triples)"),
        (5, "load", "201 quads into gen-000001"),
    ]
    assert result.asserted == {BKG + g: n for g, n in ASSERTED.items()}
    assert (result.inferred, result.shapes, result.grades, result.generation) == (29, 10, {"Alleged": 1}, "gen-000001")
    assert list(result.timings) == ["parse", "evidence", "shacl", "reason", "load"]


def test_the_inferred_graph_holds_exactly_the_closure_and_the_grades(mini_store):
    store = stores.open_read_only(mini_store)
    got = sorted(" ".join(compact(t) for t in (q.subject, q.predicate, q.object))
                 for q in store.quads_for_pattern(None, None, None, ox.NamedNode(BKG + "inferred")))
    assert got == sorted(INFERRED)
    asserted = {(q.subject, q.predicate, q.object) for q in store if q.graph_name != ox.NamedNode(BKG + "inferred")}
    assert not any((q.subject, q.predicate, q.object) in asserted
                   for q in store.quads_for_pattern(None, None, None, ox.NamedNode(BKG + "inferred")))


def test_cli_build_prints_progress_and_summary(tmp_path, cli):
    result = cli("build", "--root", MINI, "--store", tmp_path / "store")
    assert result.exit_code == 0
    assert [line.rsplit("   ", 1)[0] for line in result.stderr.splitlines()] == [
        "[1/5] parse     5 files, 172 triples",
        "[2/5] evidence  3 quotes in 1 document verbatim, 69 data triples covered",
        "[3/5] shacl     10 shapes, 0 violations",
        "[4/5] reason    27 triples inferred, 1 operation graded (Alleged 1, 2 triples)",
        "[5/5] load      201 quads into gen-000001",
    ]
    lines = result.stdout.splitlines()
    assert lines[:11] == [
        "graph         asserted  inferred",
        "------------  --------  --------",
        "bkg:corpus    3",
        "bkg:doc-000   64",
        "bkg:ontology  52",
        "bkg:shapes    48",
        "bkg:shared    5",
        "bkg:inferred            29",
        "total         172       29",
        "shapes checked: 10 (0 violations)",
        "attribution grades: Alleged 1",
    ]
    assert lines[11].startswith("time: parse ")
    assert lines[12] == f"published gen-000001 in {tmp_path / 'store'}"


def test_second_build_with_unchanged_inputs_does_nothing(tmp_path, cli):
    store_dir = tmp_path / "store"
    assert cli("build", "--root", MINI, "--store", store_dir).exit_code == 0
    before = {p.name: p.stat().st_mtime_ns for p in store_dir.iterdir()}
    result = cli("build", "--root", MINI, "--store", store_dir)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == (f"store is up to date (gen-000001 in {store_dir}, inputs unchanged: 172 asserted and "
                             "29 inferred triples); use --force to rebuild\n")
    assert {p.name: p.stat().st_mtime_ns for p in store_dir.iterdir()} == before


def test_force_rebuilds_and_generations_are_pruned_to_current_and_previous(tmp_path):
    store_dir = tmp_path / "store"
    assert build(MINI, store_dir).generation == "gen-000001"
    second = build(MINI, store_dir, force=True)
    assert (second.generation, second.previous, second.pruned) == ("gen-000002", "gen-000001", [])
    third = build(MINI, store_dir, force=True)
    assert (third.generation, third.previous, third.pruned) == ("gen-000003", "gen-000002", ["gen-000001"])
    assert generations(store_dir) == ["gen-000002", "gen-000003"]
    assert (store_dir / "CURRENT").read_text(encoding="utf-8") == "gen-000003\n"


@pytest.mark.parametrize("damage,message", [
    (lambda p: p.write_bytes(b"\xff\xfe\x00"), "the store pointer CURRENT is corrupt (not UTF-8 text)"),
    (lambda p: p.write_text("", encoding="utf-8"), "the store pointer CURRENT is corrupt ('')"),
    (lambda p: p.write_text("../elsewhere\n", encoding="utf-8"), "the store pointer CURRENT is corrupt ('../elsewhere')"),
    (lambda p: (p.unlink(), p.mkdir()), "cannot read the store pointer CURRENT: Is a directory"),
], ids=["not-utf8", "empty", "path", "folder"])
def test_a_damaged_pointer_is_a_store_error_and_a_build_keeps_every_generation(tmp_path, cli, damage, message):
    store_dir = tmp_path / "store"
    build(MINI, store_dir)
    build(MINI, store_dir, force=True)
    damage(store_dir / "CURRENT")
    with pytest.raises(StoreError) as err:
        stores.current_path(store_dir)
    assert err.value.message.startswith(message)
    for args in (["query", "--store", store_dir, "strikes"], ["stats", "--store", store_dir],
                 ["export", "--store", store_dir]):
        result = cli(*args)
        assert (result.exit_code, result.stdout) == (3, "")
        assert message in result.stderr and "Traceback" not in result.stderr
    if (store_dir / "CURRENT").is_dir():
        with pytest.raises(StoreError) as err:     # it could never be replaced: refused before anything
            build(MINI, store_dir, force=True)
        assert err.value.message.startswith("the store pointer CURRENT is not a file (a folder?); remove it")
        assert generations(store_dir) == ["gen-000001", "gen-000002"]
        (store_dir / "CURRENT").rmdir()
    third = build(MINI, store_dir, force=True)     # publishes, and deletes nothing it cannot vouch for
    assert (third.generation, third.previous, third.pruned) == ("gen-000003", None, [])
    assert generations(store_dir) == ["gen-000001", "gen-000002", "gen-000003"]


def test_a_build_over_a_server_write_says_the_writes_are_not_in_it(tmp_path, cli):
    import json

    store_dir = tmp_path / "store"
    build(MINI, store_dir)
    manifest_path = store_dir / "gen-000001" / "bukamal-manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.pop("input_hash")                      # as a generation a server write made
    manifest["made_by"] = stores.WRITE_MADE_BY
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = cli("build", "--root", MINI, "--store", store_dir, "-q")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: gen-000001 held writes made through the server (SPARQL Update, Graph Store); this build is"
        " made from the project's files and does not hold them (gen-000001 keeps them until the next build;"
        " `bukamal export --graph all` saves them)\n")
    assert generations(store_dir) == ["gen-000001", "gen-000002"]


def test_a_changed_input_rebuilds(mini, tmp_path):
    store_dir = tmp_path / "store"
    build(mini, store_dir)
    assert near_rows(store_dir) == [("bkr:abu-kamal", "bkr:imam-ali-base"), ("bkr:imam-ali-base", "bkr:abu-kamal")]
    with open(mini / "triples" / "doc-000.ttl", "a", encoding="utf-8") as fh:
        fh.write("# a comment changes the bytes, so the inputs changed\n")
    assert build(mini, store_dir).generation == "gen-000002"


@pytest.mark.parametrize("breakage", ["syntax", "evidence", "shacl", "reasoning", "broken-link", "link-loop"])
def test_a_failed_build_leaves_the_current_store_untouched(mini, tmp_path, cli, breakage, monkeypatch):
    store_dir = tmp_path / "store"
    build(mini, store_dir)
    rows = near_rows(store_dir)
    doc = mini / "triples" / "doc-000.ttl"
    if breakage == "reasoning":
        monkeypatch.setenv("BUKAMAL_MAX_DERIVATIONS", "1")
        edit(doc, "bkr:iaf bk:partOf bkr:israel .", "bkr:iaf bk:partOf bkr:israel . # changed")
    elif breakage == "syntax":
        edit(doc, "bkr:iaf bk:partOf bkr:israel .", "bkr:iaf bk:partOf bkr:israel")
    elif breakage == "evidence":
        edit(doc, "bk:startOffset 17 ;", "bk:startOffset 16 ;")
    elif breakage == "shacl":
        edit(doc, '    rdfs:label "Airstrike on the Imam Ali base, 1 June 2021"@en ;\n', "")
    else:
        link = mini / "triples" / "extra.ttl"
        link.symlink_to(link if breakage == "link-loop" else tmp_path / "nothing-here.ttl")
    result = cli("build", "--root", mini, "--store", store_dir)
    assert result.exit_code == 1
    if breakage in ("broken-link", "link-loop"):
        assert result.stderr == ("error: triples/extra.ttl: this is not a readable file (a link to nothing, or to"
                                 " itself?); fix or remove it\n")
    if breakage == "reasoning":
        *progress, message = result.stderr.splitlines()
        assert [line[:12] for line in progress] == ["[1/5] parse ", "[2/5] eviden", "[3/5] shacl "]
        assert message.startswith("error: the OWL 2 RL closure passes 1 derivations while applying the axioms"
                                  " of <https://w3id.org/bukamal-kg/ontology#")
    assert (store_dir / "CURRENT").read_text(encoding="utf-8") == "gen-000001\n"
    assert generations(store_dir) == ["gen-000001"]
    assert sorted(p.name for p in store_dir.iterdir()) == ["CURRENT", "LOCK", "gen-000001"]
    assert near_rows(store_dir) == rows


def test_a_reasoning_limit_is_reported_after_the_earlier_stages_errors(mini, tmp_path, monkeypatch):
    """The closure is computed before stages 2 and 3 run; its error still comes after theirs."""
    from loader.errors import EvidenceError
    from loader.rules import ClosureTooLarge
    monkeypatch.setenv("BUKAMAL_MAX_DERIVATIONS", "1")
    with pytest.raises(ClosureTooLarge):
        build(mini, tmp_path / "store")
    edit(mini / "triples" / "doc-000.ttl", "bk:startOffset 17 ;", "bk:startOffset 16 ;")
    with pytest.raises(EvidenceError):
        build(mini, tmp_path / "store")
    assert not (tmp_path / "store" / "CURRENT").exists()


def test_leftovers_of_a_killed_build_are_removed(tmp_path):
    store_dir = tmp_path / "store"
    build(MINI, store_dir)
    (store_dir / ".build-123-456").mkdir()
    (store_dir / ".build-123-456" / "000001.sst").write_bytes(b"half")
    (store_dir / ".build-server-123-789").mkdir()           # a server write killed half-way
    (store_dir / ".build-server-123-789" / "000001.sst").write_bytes(b"half")
    (store_dir / ".build-notes").mkdir()                     # not a name the build gives: left alone
    (store_dir / "CURRENT.tmp").write_text("gen-000009\n", encoding="utf-8")
    build(MINI, store_dir, force=True)
    assert sorted(p.name for p in store_dir.iterdir()) == [".build-notes", "CURRENT", "LOCK", "gen-000001", "gen-000002"]


def test_the_build_child_never_runs_a_loader_package_of_the_working_directory(tmp_path, monkeypatch):
    """Children start with ``python -P``: a ``loader`` folder where the command is run is not imported."""
    fake = tmp_path / "cwd" / "loader"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(f"open({str(tmp_path / 'MARKER')!r}, 'a').write('ran')\n", encoding="utf-8")
    monkeypatch.chdir(fake.parent)
    result = build(MINI, tmp_path / "store")
    assert result.generation == "gen-000001" and not (tmp_path / "MARKER").exists()
    assert stores.child_argv("loader.bulkload", "x")[1:] == ["-P", "-m", "loader.bulkload", "x"]


def test_only_one_build_at_a_time(tmp_path, cli):
    store_dir = tmp_path / "store"
    with stores.build_lock(store_dir):
        with pytest.raises(StoreError) as err:
            build(MINI, store_dir)
        result = cli("build", "--root", MINI, "--store", store_dir)
    assert str(err.value) == f"another build, or a write through the server, is running on {store_dir} (it holds LOCK); try again when it is done"
    assert (result.exit_code, result.stderr) == (3, f"error: another build, or a write through the server, is running on {store_dir} (it holds LOCK); try again when it is done\n")


def test_store_dir_defaults_to_root_store(tmp_path, monkeypatch):
    monkeypatch.delenv("BUKAMAL_STORE", raising=False)
    import shutil
    shutil.copytree(MINI, tmp_path / "p")
    assert build(tmp_path / "p").store_dir == tmp_path / "p" / "store"
    assert (tmp_path / "p" / "store" / "CURRENT").is_file()


# ------------------------------------------------------------------ query and stats on the built store

@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "byte-order-mark"])
def test_query_prints_a_table(mini_store, tmp_path, cli, bom):
    (tmp_path / "q.rq").write_bytes(bom + ROWS_QUERY.encode("utf-8"))
    result = cli("query", tmp_path / "q.rq", "--store", mini_store)
    assert (result.exit_code, result.stdout) == (0, (
        "s                  o\n"
        "-----------------  -----------------\n"
        "bkr:abu-kamal      bkr:imam-ali-base\n"
        "bkr:imam-ali-base  bkr:abu-kamal\n"
        "(2 rows)\n"))


def test_table_keeps_a_value_with_line_breaks_on_one_line(mini_store, tmp_path, cli):
    """Line breaks, tabs and terminal escapes inside a value are shown as escapes."""
    (tmp_path / "q.rq").write_text('SELECT ?x ?y WHERE { BIND("a\\nb\\tc\\r\\u001B[31m" AS ?x) BIND("z" AS ?y) }',
                                   encoding="utf-8")
    result = cli("query", tmp_path / "q.rq", "--store", mini_store)
    assert (result.exit_code, result.stdout) == (0, (
        "x                  y\n"
        "-----------------  -\n"
        "a\\nb\\tc\\r\\x1b[31m  z\n"
        "(1 row)\n"))


@pytest.mark.parametrize("fmt,expected", [
    ("csv", "s,o\nhttps://w3id.org/bukamal-kg/id/abu-kamal,https://w3id.org/bukamal-kg/id/imam-ali-base\n"
            "https://w3id.org/bukamal-kg/id/imam-ali-base,https://w3id.org/bukamal-kg/id/abu-kamal\n"),
    ("tsv", "?s\t?o\n<https://w3id.org/bukamal-kg/id/abu-kamal>\t<https://w3id.org/bukamal-kg/id/imam-ali-base>\n"
            "<https://w3id.org/bukamal-kg/id/imam-ali-base>\t<https://w3id.org/bukamal-kg/id/abu-kamal>\n"),
])
def test_query_formats(mini_store, tmp_path, cli, fmt, expected):
    (tmp_path / "q.rq").write_text(ROWS_QUERY, encoding="utf-8")
    result = cli("query", tmp_path / "q.rq", "--store", mini_store, "--format", fmt)
    assert (result.exit_code, result.stdout) == (0, expected)


def test_construct_as_ntriples_and_ask_as_table(mini_store, tmp_path, cli):
    (tmp_path / "c.rq").write_text("CONSTRUCT { ?s bk:near ?o } WHERE { GRAPH bkg:doc-000 { ?s bk:near ?o } }",
                                   encoding="utf-8")
    (tmp_path / "a.rq").write_text("ASK { bkr:israel bk:hasPart bkr:iaf }", encoding="utf-8")
    c = cli("query", tmp_path / "c.rq", "--store", mini_store, "--format", "ntriples")
    a = cli("query", tmp_path / "a.rq", "--store", mini_store)
    assert (c.exit_code, c.stdout) == (0, "<https://w3id.org/bukamal-kg/id/imam-ali-base> "
                                          "<https://w3id.org/bukamal-kg/ontology#near> "
                                          "<https://w3id.org/bukamal-kg/id/abu-kamal> .\n")
    assert (a.exit_code, a.stdout) == (0, "true\n")


def test_a_query_naming_its_dataset_runs_on_it(mini_store, tmp_path, cli):
    path = tmp_path / "from.rq"
    for dataset, n in (("", 201), ("FROM bkg:doc-000", 64), ("FROM bkg:doc-000 FROM bkg:shared", 69),
                       ("FROM <urn:nothing>", 0), ("FROM NAMED bkg:doc-000", 0)):
        path.write_text(f"SELECT (COUNT(*) AS ?n) {dataset} WHERE {{ ?s ?p ?o }}", encoding="utf-8")
        assert cli("query", path, "--store", mini_store, "--format", "csv").stdout == f"n\n{n}\n", dataset
    path.write_text("SELECT ?g (COUNT(*) AS ?n) FROM NAMED bkg:shared { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                    encoding="utf-8")
    assert cli("query", path, "--store", mini_store, "--format", "csv").stdout == \
        "g,n\nhttps://w3id.org/bukamal-kg/graph/shared,5\n"


def test_query_errors_have_exit_codes(mini_store, tmp_path, cli):
    (tmp_path / "bad.rq").write_text("SELECT * WHERE {\n  ?s ?p }", encoding="utf-8")
    (tmp_path / "q.rq").write_text(ROWS_QUERY, encoding="utf-8")
    bad = cli("query", tmp_path / "bad.rq", "--store", mini_store)
    assert bad.exit_code == 1
    assert bad.stderr == f"error: {tmp_path / 'bad.rq'}:2:10: invalid SPARQL: expected one of LATERAL, SERVICE, [_]\n"
    missing = cli("query", tmp_path / "nope.rq", "--store", mini_store)
    assert (missing.exit_code, missing.stderr) == (2, f"error: no such query file: {tmp_path / 'nope.rq'}\n")
    wrong = cli("query", tmp_path / "q.rq", "--store", mini_store, "--format", "turtle")
    assert (wrong.exit_code, wrong.stderr) == (2, "error: --format turtle is for CONSTRUCT and DESCRIBE results; "
                                                  "this query gives rows: use table, csv, tsv, json or xml\n")
    nostore = cli("query", tmp_path / "q.rq", "--store", tmp_path / "empty")
    assert (nostore.exit_code, nostore.stderr) == (
        3, f"error: {tmp_path / 'empty'}: no store has been built yet: run `bukamal build` first\n")
    service = tmp_path / "service.rq"
    service.write_text("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", encoding="utf-8")
    federated = cli("query", service, "--store", mini_store)
    assert (federated.exit_code, federated.stderr) == (
        1, f"error: {service}: SERVICE (federated query) is not allowed: queries run on the project's own store\n")
    # text the engine's recursive parser would overflow its stack on (a crash) is refused first
    for name, text, depth in [("deep", "SELECT * WHERE " + "{" * 50000 + "?s ?p ?o" + "}" * 50000, 50000),
                              ("bangs", "ASK { FILTER(" + "! " * 257 + "true) }", 257)]:
        path = tmp_path / f"{name}.rq"
        path.write_text(text, encoding="utf-8")
        refused = cli("query", path, "--store", mini_store)
        assert (refused.exit_code, refused.stderr) == (
            1, f"error: {path}: the query nests (or chains '!') {depth} levels deep; at most 256 are accepted\n")
    undeclared = tmp_path / "undeclared.rq"
    undeclared.write_text("SELECT * WHERE {\n  ?s a foo:Bar ; bk:partOf ?o }", encoding="utf-8")
    unknown = cli("query", undeclared, "--store", mini_store)
    assert (unknown.exit_code, unknown.stderr) == (1, f"error: {undeclared}:2:8: invalid SPARQL: undeclared prefix "
                                                      "foo:; declare it first, e.g. PREFIX foo: <http://example.org/>\n")
    unknown_fn = tmp_path / "function.rq"
    unknown_fn.write_text("SELECT ?x WHERE { BIND(<http://example.org/f>(1) AS ?x) }", encoding="utf-8")
    refused = cli("query", unknown_fn, "--store", mini_store)
    assert (refused.exit_code, refused.stderr) == (1, f"error: {unknown_fn}: the query calls a function the project "
                                                      "does not offer: The custom function <http://example.org/f> "
                                                      "is not supported\n")
    at_limit = tmp_path / "at-limit.rq"
    at_limit.write_text("ASK { FILTER(" + "!" * 256 + "true) }", encoding="utf-8")
    assert cli("query", at_limit, "--store", mini_store, "--format", "json").stdout == '{"head":{},"boolean":true}'
    for name, text, count in [("plus", "SELECT (" + "+".join(["1"] * 10002) + " AS ?x) {}", 10001),
                              ("union", "ASK { " + " UNION ".join(["{}"] * 10002) + " }", 10001),
                              ("path", "ASK { ?s " + "/".join(["bk:p"] * 20000) + " ?o }", 19999)]:
        path = tmp_path / f"{name}.rq"
        path.write_text(text, encoding="utf-8")
        refused = cli("query", path, "--store", mini_store)
        assert (refused.exit_code, refused.stderr) == (
            1, f"error: {path}: the query strings together {count:,} operators, group patterns or triples;"
               " at most 10,000 are accepted\n")


def test_a_query_comes_from_standard_input_or_a_pipe(mini_store, tmp_path, cli):
    import os

    from click.testing import CliRunner

    from loader.cli import main
    from loader.cli.query import MAX_QUERY_BYTES
    expected = "s,o\nhttps://w3id.org/bukamal-kg/id/abu-kamal,https://w3id.org/bukamal-kg/id/imam-ali-base\n"
    piped = CliRunner().invoke(main, ["query", "-", "--store", str(mini_store), "--format", "csv"],
                               input="\ufeff" + ROWS_QUERY.replace("}", "FILTER(?s = bkr:abu-kamal) }"),
                               catch_exceptions=False)
    assert (piped.exit_code, piped.stdout) == (0, expected)
    fifo = tmp_path / "query-pipe"
    os.mkfifo(fifo)
    pid = os.fork()
    if pid == 0:                                  # the writer end of the pipe
        with open(fifo, "w", encoding="utf-8") as fh:
            fh.write(ROWS_QUERY.replace("}", "FILTER(?s = bkr:abu-kamal) }"))
        os._exit(0)
    result = cli("query", fifo, "--store", mini_store, "--format", "csv")
    os.waitpid(pid, 0)
    assert (result.exit_code, result.stdout) == (0, expected)
    folder = cli("query", tmp_path, "--store", mini_store)
    assert (folder.exit_code, folder.stderr) == (2, f"error: {tmp_path} is a folder, not a query file\n")
    huge = tmp_path / "huge.rq"
    huge.write_bytes(b"#" * (MAX_QUERY_BYTES + 1))
    too_big = cli("query", huge, "--store", mini_store)
    assert (too_big.exit_code, too_big.stderr) == (2, f"error: {huge} is larger than 16 MiB: not a query file\n")
    binary = tmp_path / "latin1.rq"
    binary.write_bytes("SELECT * WHERE { ?s ?p \"caf\xe9\" }".encode("latin-1"))
    not_text = cli("query", binary, "--store", mini_store)
    assert (not_text.exit_code, not_text.stderr) == (2, f"error: {binary} is not UTF-8 text\n")


def test_a_long_chain_within_the_limit_runs_on_a_large_stack(mini_store, tmp_path):
    """9,000 UNIONs overflow the default 8 MiB stack of a main thread (the process dies without a
    message); the command runs the engine on a thread with a large stack (a subprocess here, so that a
    regression fails this test instead of ending the test run)."""
    import subprocess
    import sys

    path = tmp_path / "union.rq"
    path.write_text("ASK { " + " UNION ".join(["{}"] * 9000) + " }", encoding="utf-8")
    done = subprocess.run([str(Path(sys.executable).parent / "bukamal"), "query", str(path), "--store",
                           str(mini_store), "--format", "json"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, '{"head":{},"boolean":true}', "")


def test_answers_a_format_cannot_hold_are_refused(mini_store, tmp_path, cli):
    cases = (("CONSTRUCT { <urn:s> <urn:p> <<( <urn:a> <urn:b> <urn:c> )>> } WHERE {}", "json",
              "error: JSON-LD cannot hold this graph (JSON-LD does not support RDF 1.2 yet); use turtle or ntriples\n"),
             ('SELECT ?x WHERE { BIND("a\\u0000b" AS ?x) }', "xml",
              "error: the answer holds characters XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF), so"
              " --format xml would write a broken document; use json, csv or tsv\n"),
             ('CONSTRUCT { <urn:s> <urn:p> ?x } WHERE { BIND("a\\uFFFFb" AS ?x) }', "xml",
              "error: the answer holds characters XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF), so"
              " --format xml would write a broken document; use turtle or ntriples\n"),
             *(('CONSTRUCT { <urn:s> <%s> "x" } WHERE {}' % p, "xml",
                "error: the answer has a predicate RDF/XML cannot write (its IRI must end in a name, such as"
                " http://x/name, not http://x/ or http://x/1), so --format xml would write a broken document;"
                " use turtle or ntriples\n") for p in ("http://x/", "http://x/1", "urn:x:", "http://x#")))
    for text, fmt, message in cases:
        path = tmp_path / "q.rq"
        path.write_text(text, encoding="utf-8")
        refused = cli("query", path, "--store", mini_store, "--format", fmt)
        assert (refused.exit_code, refused.stdout, refused.stderr) == (2, "", message)


def test_debug_shows_the_traceback(tmp_path, cli):
    (tmp_path / "q.rq").write_text(ROWS_QUERY, encoding="utf-8")
    result = cli("--debug", "query", tmp_path / "q.rq", "--store", tmp_path / "empty")
    assert result.exit_code == 3
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.endswith("empty: no store has been built yet: run `bukamal build` first\n")


def test_stats(mini_store, cli):
    stats = compute(stores.open_read_only(mini_store))
    assert stats.graphs == [(BKG + g, n) for g, n in
                            [("corpus", 3), ("doc-000", 64), ("inferred", 29), ("ontology", 52), ("shapes", 48), ("shared", 5)]]
    assert [(compact(ox.NamedNode(c)), n) for c, n in stats.classes] == [
        ("bk:Claim", 5), ("bk:Entity", 4), ("bk:Evidence", 3), ("bk:Stance", 3), ("bk:Actor", 2), ("bk:Place", 2),
        ("bk:Airstrike", 1), ("bk:ArmedForce", 1), ("bk:Document", 1), ("bk:MilitaryBase", 1), ("bk:NewsReport", 1),
        ("bk:Operation", 1), ("bk:Source", 1), ("bk:State", 1), ("bk:TimeSpec", 1)]
    # 3 evidence, 5 claims, and 4 of the 5 triples they reify are asserted (the agent is only reported)
    assert stats.documents == [("https://w3id.org/bukamal-kg/id/doc-000", "000_mini.txt", 3, 5, 4)]
    result = cli("stats", "--store", mini_store)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-4:] == [
        "document     file          evidence  claims  facts",
        "-----------  ------------  --------  ------  -----",
        "bkr:doc-000  000_mini.txt  3         5       4",
        "(1 row)",
    ]


def test_a_build_leaves_folders_it_did_not_make_alone(tmp_path):
    store_dir = tmp_path / "store"
    (store_dir / "gen-000050").mkdir(parents=True)
    (store_dir / "gen-000050" / "mydata.txt").write_text("mine", encoding="utf-8")
    (store_dir / ".build-old").mkdir()
    result = build(MINI, store_dir)
    assert result.generation == "gen-000051" and result.pruned == []
    assert (store_dir / "gen-000050" / "mydata.txt").read_text(encoding="utf-8") == "mine"
    assert (store_dir / ".build-old").is_dir()
    again = build(MINI, store_dir, force=True)
    assert (again.generation, again.pruned) == ("gen-000052", [])
    assert (store_dir / "gen-000050" / "mydata.txt").is_file()


def test_ctrl_c_during_a_build_exits_130_and_leaves_the_store(mini, tmp_path, cli, monkeypatch):
    """Ctrl-C is not "invalid data" (click's own exit 1): it is reported as an interruption, and a build
    stopped while it evaluates publishes nothing."""
    store_dir = tmp_path / "store"
    assert cli("build", "--root", mini, "--store", store_dir, "-q").exit_code == 0
    before = (store_dir / "CURRENT").read_text(encoding="utf-8")

    def interrupted(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr("loader.evidence.check", interrupted)
    result = cli("build", "--root", mini, "--store", store_dir, "--force")
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (130, "interrupted")
    assert (store_dir / "CURRENT").read_text(encoding="utf-8") == before
    assert sorted(p.name for p in store_dir.iterdir() if p.name.startswith("gen-")) == [before.strip()]


def test_a_generation_or_an_oxigraph_folder_is_refused_as_a_store_folder(tmp_path, cli):
    """Their own CURRENT and LOCK files are RocksDB's: a build there would overwrite them."""
    store_dir = tmp_path / "store"
    build(MINI, store_dir)
    generation = store_dir / "gen-000001"
    before = {p.name: p.read_bytes() for p in generation.iterdir() if p.is_file()}
    (tmp_path / "q.rq").write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    for args in (("build", "--root", MINI), ("query", tmp_path / "q.rq"), ("serve", "--port", "0")):
        result = cli(*args, "--store", generation)
        assert (result.exit_code, result.stderr) == (
            3, f"error: {generation} is a store generation, not a store folder: pass the folder that holds it"
               f" ({store_dir})\n")
    assert {p.name: p.read_bytes() for p in generation.iterdir() if p.is_file()} == before
    plain = tmp_path / "oxigraph-data"
    ox.Store(str(plain)).flush()
    result = cli("build", "--root", MINI, "--store", plain)
    assert (result.exit_code, result.stderr) == (
        3, f"error: {plain} is an Oxigraph (RocksDB) data folder, not a bukamal store folder; choose an empty or"
           " new folder (a bukamal store folder holds gen-N generations and a CURRENT pointer)\n")
    assert cli("query", tmp_path / "q.rq", "--store", store_dir).stdout == "true\n"


def test_a_query_past_its_timeout_stops_with_exit_4(mini_store, tmp_path):
    """In its own process: the engine cannot be stopped, the command ends instead."""
    import subprocess
    import sys

    (tmp_path / "slow.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
                                      encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", "from loader.entry import run; run()", "query",
                           str(tmp_path / "slow.rq"), "--store", str(mini_store), "--timeout", "0.5"],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (
        4, "", "error: the query did not finish within 0.5 s (--timeout); narrow it down or add a LIMIT\n")
    assert time.monotonic() - started < 20
    (tmp_path / "quick.rq").write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", "from loader.entry import run; run()", "query",
                           str(tmp_path / "quick.rq"), "--store", str(mini_store), "--timeout", "30"],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "true\n")


def test_unchanged_inputs_over_a_damaged_generation_build_again(tmp_path, cli):
    store_dir = tmp_path / "store"
    build(MINI, store_dir)
    for sst in (store_dir / "gen-000001").glob("*.sst"):
        sst.write_bytes(b"not a table")
    result = cli("build", "--root", MINI, "--store", store_dir, "--quiet")
    assert result.exit_code == 0
    assert result.stderr == ("warning: the inputs are unchanged but the current store could not be read (cannot open"
                             " the store generation gen-000001: its files are damaged (Corruption)): built again\n")
    assert stores.current_path(store_dir).name == "gen-000002"
    (tmp_path / "q.rq").write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    assert cli("query", tmp_path / "q.rq", "--store", store_dir).stdout == "true\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_report_that_cannot_be_written_is_an_error_not_a_traceback(mini, tmp_path):
    """The build is published before its report is printed: an output that fails says so (exit 3 for a
    full disk), without a traceback, and the new store stands."""
    import subprocess
    import sys
    bukamal = str(Path(sys.executable).parent / "bukamal")
    store_dir = tmp_path / "store"
    for args in (["build", "--root", str(mini), "--store", str(store_dir)],
                 ["build", "--root", str(mini), "--store", str(store_dir)],      # up to date
                 ["queries"]):
        with open("/dev/full", "wb") as full:
            done = subprocess.run([bukamal, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        assert (done.returncode, done.stderr.splitlines()[-1]) == (
            3, "error: cannot write to standard output: No space left on device"), done.stderr
        assert "Traceback" not in done.stderr
    assert (store_dir / "CURRENT").read_text(encoding="utf-8") == "gen-000001\n"


@pytest.mark.parametrize("args", [("build", "--store", ""), ("query", "strikes", "--store", " "),
                                  ("stats", "--store", ""), ("build", "--root", "")])
def test_an_empty_folder_option_is_refused_not_the_working_directory(cli, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = cli(*args)
    option = args[-2]
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '{option}': an empty path names no folder."
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value,message", [("nan", "'nan' is not a finite number."),
                                           ("inf", "inf is not in the range 0<x<=9223372036.0.")])
def test_a_query_timeout_must_be_a_finite_number_of_seconds(mini_store, cli, value, message):
    result = cli("query", "strikes", "--store", mini_store, "--timeout", value)
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (2, f"Error: Invalid value for '--timeout': {message}")


def test_a_folder_that_is_no_project_gets_no_store_folder(tmp_path):
    """A build run in the wrong folder says so and leaves nothing behind (not even store/LOCK)."""
    from loader.errors import DataError

    with pytest.raises(DataError) as err:
        build(tmp_path)
    assert str(err.value) == f"no ontology found: {tmp_path / 'ontology'} holds no *.ttl file"
    assert list(tmp_path.iterdir()) == []
