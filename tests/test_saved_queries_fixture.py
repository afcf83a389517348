"""Every saved query against the tiny fixture graph: exact columns and rows (in order where it orders).

Expected answers live in tests/data/queries/expected/NAME.json; a query without one fails here.
"""

from __future__ import annotations

import pytest
from queries_support import (FIXTURE_EXPECTED, QUERIES_DIR, fixture_store, load_cases, query_names,
                             result_table)

from loader.registry import load_registry
from loader.saved import explain, run


@pytest.fixture(scope="module")
def store():
    return fixture_store()


@pytest.fixture(scope="module")
def registry():
    return load_registry(QUERIES_DIR)


@pytest.mark.parametrize("name", query_names())
def test_fixture_answer(name, store, registry):
    path = FIXTURE_EXPECTED / f"{name}.json"
    assert path.is_file(), f"queries/{name}.rq has no expected fixture answer ({path.name})"
    query = registry.get(name)
    cases = load_cases(path)
    assert cases, f"{path.name} has no cases"
    for case in cases:
        columns, rows = result_table(run(query, case["params"], store))
        assert columns == case["columns"], case["params"]
        if query.ordered:
            assert rows == case["rows"], case["params"]
        else:
            key = lambda r: [("" if c is None else c) for c in r]  # noqa: E731
            assert sorted(rows, key=key) == sorted(case["rows"], key=key), case["params"]


def test_no_expected_answer_without_query():
    orphans = sorted({p.stem for p in FIXTURE_EXPECTED.glob("*.json")} - set(query_names()))
    assert orphans == []


def test_every_query_has_a_case_without_optional_parameters_or_with_each(registry):
    # each declared parameter is exercised by at least one fixture case
    for query in registry:
        used = {k for case in load_cases(FIXTURE_EXPECTED / f"{query.name}.json") for k in case["params"]}
        assert used == {p.name for p in query.params}, query.name


def test_explain_claim_row(store, registry):
    query = registry.get("casualties")
    rows = [r for r in run(query, {"operation": "bkr:op-1"}, store)
            if r["claims"].value == "bkr:claim-a4"]
    assert len(rows) == 1
    evidence = [e.to_dict() for e in explain(query, rows[0], store)]
    assert evidence == [{
        "variable": "claims", "claim": "https://w3id.org/bukamal-kg/id/claim-a4",
        "evidence": "https://w3id.org/bukamal-kg/id/ev-a2", "document": "https://w3id.org/bukamal-kg/id/doc-a",
        "file": "a.txt", "quote": "up to 18 were killed, according to Watchers", "start": 62, "end": 106,
        "stance": "Asserts", "claimant": [], "attributedTo": ["https://w3id.org/bukamal-kg/id/watchers"],
        "citesReport": ["https://w3id.org/bukamal-kg/id/ref-1"], "notes": []}]


def test_explain_two_claim_variables(store, registry):
    query = registry.get("strikes")
    row = next(r for r in run(query, {"site": "Townsville"}, store) if r["stance"].value.endswith("Denies"))
    got = [(e.variable, e.claim.rsplit("/", 1)[1], e.evidence.rsplit("/", 1)[1], e.stance,
            [c.rsplit("/", 1)[1] for c in e.claimant]) for e in explain(query, row, store)]
    assert got == [("agentClaims", "claim-b4", "ev-b2", "Denies", ["usa"]),
                   ("siteClaims", "claim-b2", "ev-b2", "Asserts", [])]


def test_explain_claim_lists(store, registry):
    query = registry.get("strikes")
    row = next(iter(run(query, {"actor": "bkr:us-af"}, store)))
    got = [(e.variable, e.claim.rsplit("/", 1)[1], e.file_name, e.quote) for e in explain(query, row, store)]
    assert sorted(got) == [
        ("agentClaims", "claim-a6", "a.txt",
         "US Air Force struck the base on 25 February 2021 in retaliation for rocket attacks"),
        ("siteClaims", "claim-a5", "a.txt",
         "US Air Force struck the base on 25 February 2021 in retaliation for rocket attacks"),
        ("siteClaims", "claim-b11", "b.txt", "the base was hit again in February 2021"),
    ]


def test_explain_evidence_variable_and_unbound(store, registry):
    query = registry.get("find-quotes")
    row = next(iter(run(query, {"text": "Sunday"}, store)))
    got = [(e.claim, e.evidence.rsplit("/", 1)[1], e.file_name, e.quote, e.start, e.end)
           for e in explain(query, row, store)]
    assert got == [(None, "ev-b4", "b.txt", "the strike on Sunday 27 June", 162, 200)]
    strikes = registry.get("strikes")
    unknown = next(r for r in run(strikes, {}, store) if r["attack"].value.endswith("/op-3"))
    assert [(e.variable, e.claim.rsplit("/", 1)[1]) for e in explain(strikes, unknown, store)] == [
        ("siteClaims", "claim-a9")]


# ---------------------------------------------------------------- the CLI on the fixture graph

@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    """A store folder laid out as the build leaves it (gen-000001 + CURRENT) holding the fixture."""
    import pyoxigraph
    from queries_support import FIXTURE

    root = tmp_path_factory.mktemp("store")
    gen = pyoxigraph.Store(str(root / "gen-000001"))
    gen.load(path=str(FIXTURE), format=pyoxigraph.RdfFormat.TRIG)
    gen.flush()
    del gen
    (root / "CURRENT").write_text("gen-000001\n", encoding="utf-8")
    return root


def cli(*args):
    from click.testing import CliRunner

    from loader.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_queries_lists_every_query():
    result = cli("queries")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    titles = [line for line in lines if not line.startswith(" ")]
    registry = load_registry(QUERIES_DIR)
    assert titles == [f"{q.name}  {q.title}" for q in registry]
    assert ("    --param site=IRI|LABEL  (optional) the struck facility, place or group, or where it happened"
            " (or a place that contains it, a group it belongs to, or a group that controls the struck facility)") in lines
    assert "    --param from=YYYY[-MM[-DD]]  (optional, from the first day) only attacks that may have happened" \
           " on or after this date" in lines
    assert "    --param radius=N  (optional, default 50, 0..20000) search radius in km for coordinates and" \
           " stated distances" in lines
    assert "    --param kind=bk:Killed|bk:Injured|bk:Troops|bk:Vehicles|bk:Rockets|bk:Attacks|bk:Units" \
           "  (optional) only figures of this kind" in lines


def test_cli_queries_json():
    import json

    result = cli("queries", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [q["name"] for q in data] == query_names()
    strikes = next(q for q in data if q["name"] == "strikes")
    assert strikes["params"][1] == {"name": "actor", "type": "iri", "required": False, "default": None,
                                    "values": [], "description": "the attacker, or a larger body it is part of",
                                    "bound": None, "class": "bk:Actor", "min": None, "max": None}


def test_cli_saved_query_table(store_dir):
    result = cli("query", "casualties", "--param", "operation=February 2021 strike", "--store", str(store_dir))
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "operation  operationLabel        kind        value  maxValue  qualifier   text             countOf"
        "      stance      claimants  attributedTo  documents  disagrees  sharedWith  within  claims",
        "---------  --------------------  ----------  -----  --------  ----------  ---------------"
        "  -----------  ----------  ---------  ------------  ---------  ---------  ----------  ------  -------------",
        "bkr:op-2   February 2021 strike  bk:Injured  3                bk:Exactly  3 militiamen   "
        "  bkr:militia  bk:Asserts                           b.txt      false                          bkr:claim-b93",
        "bkr:op-2   February 2021 strike  bk:Injured  3                bk:Exactly  three          "
        "  bkr:militia  bk:Asserts                           a.txt      false                          bkr:claim-a25",
        "bkr:op-2   February 2021 strike  bk:Injured  3                bk:Exactly  three US airmen"
        "  bkr:us-af    bk:Asserts                           b.txt      false                          bkr:claim-b94",
        "(3 rows)",
    ]


def test_cli_saved_query_explain(store_dir):
    result = cli("query", "casualties", "--param", "operation=bkr:op-1", "--param", "kind=bk:Killed",
                 "--explain", "--store", str(store_dir))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[2].startswith("bkr:op-1   September 2019 strike  bk:Killed  5 ")
    assert lines[2].split()[-2:] == ["25", "bkr:claim-b23"]       # within the figure "25"
    assert lines[3:7] == [
        "    > bkr:claim-b23 Asserts in b.txt [0:30]",
        '      "25 people died in the September strike"',
        '      note: Children: "five of them"\\nin the next line.',      # the claim's comments, on one line each
        "      note: Five of the 25, not five more.",
    ]
    assert lines[7].startswith("bkr:op-1   September 2019 strike  bk:Killed  18")
    assert lines[8:10] == [
        "    > bkr:claim-a4 Asserts in a.txt [62:106] (attributed to bkr:watchers; cites bkr:ref-1)",
        '      "up to 18 were killed, according to Watchers"',
    ]
    assert lines[10].startswith("bkr:op-1   September 2019 strike  bk:Killed  25")
    assert lines[11:13] == [
        "    > bkr:claim-b1 Asserts in b.txt [0:30]",
        '      "25 people died in the September strike"',
    ]
    assert lines[13] == "(3 rows)"


@pytest.mark.parametrize("fmt,start", [
    ("csv", "operation,operationLabel,kind,value,maxValue,qualifier,text,countOf,stance,claimants,attributedTo,"
            "documents,disagrees,sharedWith,within,claims\r\nhttps://w3id.org/bukamal-kg/id/op-2,February 2021 strike,"),
    ("tsv", "?operation\t?operationLabel\t?kind\t?value"),
    ("json", '{"head":{"vars":["operation","operationLabel","kind","value"'),
    ("xml", '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'),
])
def test_cli_saved_query_formats(store_dir, fmt, start):
    result = cli("query", "casualties", "--param", "operation=bkr:op-2", "--format", fmt,
                 "--store", str(store_dir))
    assert result.exit_code == 0
    assert result.stdout_bytes.decode("utf-8").startswith(start)


@pytest.mark.parametrize("args,code,message", [
    (["query", "nope"], 2, "error: no saved query named 'nope'; `bukamal queries` lists them"),
    (["query", "strike"], 2,
     "error: no saved query named 'strike' (did you mean: strikes?); `bukamal queries` lists them"),
    (["query", "timeline"], 2, "error: timeline: missing required parameter 'place' (iri): the facility or place,"
                               " by IRI or label"),
    (["query", "timeline", "--param", "place"], 2, "error: --param expects NAME=VALUE, got 'place'"),
    (["query", "timeline", "--param", "place=x", "--param", "place=y"], 2, "error: --param place given twice"),
    (["query", "timeline", "--param", "place=", "--param", "place=x", "--param", "place="], 2,
     "error: timeline: parameter 'place': nothing of class bk:Place is labelled 'x'"),   # empty: not given
    (["query", "timeline", "--param", "place=Town"], 2,
     "error: timeline: parameter 'place': 'Town' names several things: <https://w3id.org/bukamal-kg/id/town>"
     " (Townsville); <https://w3id.org/bukamal-kg/id/town-district> (Town District); give the IRI instead"),
    (["query", "strikes", "--explain", "--format", "csv"], 2,
     "error: --explain prints evidence under table rows: use it with --format table"),
    (["query", "strikes", "--format", "turtle"], 2,
     "error: --format turtle is for CONSTRUCT and DESCRIBE results; this query gives rows: use table, csv, tsv,"
     " json or xml"),
    (["query", "x.rq", "--param", "a=b"], 2,
     "error: --param and --explain are for saved queries (bukamal query NAME); see `bukamal queries`"),
])
def test_cli_saved_query_errors(store_dir, args, code, message):
    result = cli(*args, "--store", str(store_dir))
    assert result.exit_code == code
    assert result.output.strip() == message
