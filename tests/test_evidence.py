"""Stage 2: quotes verbatim at their offsets, document checksums, and the coverage rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loader.errors import EvidenceError
from loader.evidence import check
from loader.parse import discover, parse_all


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def problems(root: Path) -> list[str]:
    with pytest.raises(EvidenceError) as err:
        check(parse_all(discover(root)), root)
    return str(err.value).splitlines()


def test_the_fixture_passes_with_its_counts(mini):
    summary = check(parse_all(discover(mini)), mini)
    assert (summary.evidence, summary.documents, summary.facts) == (3, 1, 69)


def test_quote_at_wrong_offsets_names_evidence_claim_document_and_the_right_offsets(mini):
    edit(mini / "triples" / "doc-000.ttl", "bk:startOffset 17 ;\n    bk:endOffset 54", "bk:startOffset 18 ;\n    bk:endOffset 55")
    assert problems(mini) == [
        "1 evidence problem:",
        'triples/doc-000.ttl:16: bkr:ev-000-01 (used by bkr:claim-000-01 (bkr:imam-ali-base bk:near bkr:abu-kamal)): '
        'quote "The Imam Ali base lies near Abu Kamal" is not at 18..55 of corpus/000_mini.txt (bkr:doc-000): '
        'the text there is "he Imam Ali base lies near Abu Kamal."; the quote occurs at startOffset 17 endOffset 54',
    ]


def test_quote_missing_from_the_corpus_names_the_fact_and_the_document(mini):
    edit(mini / "triples" / "doc-000.ttl", '"The Israeli Air Force is part of the armed forces of Israel"',
         '"The Israeli Air Force is part of the air force of Israel"')
    assert problems(mini) == [
        "1 evidence problem:",
        'triples/doc-000.ttl:49: bkr:ev-000-03 (used by bkr:claim-000-05 (bkr:iaf bk:partOf bkr:israel)): '
        'quote "The Israeli Air Force is part of the air force of Israel" is not at 149..208 of corpus/000_mini.txt '
        '(bkr:doc-000): the text there is "The Israeli Air Force is part of the armed forces of Israel"; '
        "the quote occurs nowhere in the document",
    ]


def test_cli_reports_a_missing_quote_with_exit_1(mini, tmp_path, cli):
    edit(mini / "triples" / "doc-000.ttl", '"The Imam Ali base lies near Abu Kamal"', '"The Imam Ali base lies by Abu Kamal"')
    result = cli("build", "--root", mini, "--store", tmp_path / "store")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        "error: 1 evidence problem:",
        'triples/doc-000.ttl:16: bkr:ev-000-01 (used by bkr:claim-000-01 (bkr:imam-ali-base bk:near bkr:abu-kamal)): '
        'quote "The Imam Ali base lies by Abu Kamal" is not at 17..54 of corpus/000_mini.txt (bkr:doc-000): '
        'the text there is "The Imam Ali base lies near Abu Kamal"; the quote occurs nowhere in the document',
    ]


def test_offsets_outside_the_document(mini):
    edit(mini / "triples" / "doc-000.ttl", "bk:startOffset 149 ;\n    bk:endOffset 208", "bk:startOffset 500 ;\n    bk:endOffset 559")
    assert problems(mini)[1].endswith(
        "is not at 500..559 of corpus/000_mini.txt (bkr:doc-000): offsets 500..559 lie outside the document "
        "(length 210); the quote occurs at startOffset 149 endOffset 208")


def test_checksum_mismatch(mini):
    edit(mini / "corpus" / "metadata.ttl", "8cdc48026bd2", "0000048026bd2")
    assert problems(mini) == [
        "1 evidence problem:",
        "corpus/metadata.ttl:4: bkr:doc-000 declares bk:sha256 "
        "0000048026bd2f3ea8da8b4c1617bcf6c0c5b75f5f7029ca2b9a3a7ad6f3f6b69 but corpus/000_mini.txt has "
        "8cdc48026bd2f3ea8da8b4c1617bcf6c0c5b75f5f7029ca2b9a3a7ad6f3f6b69",
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_corpus_file_that_is_a_pipe_is_refused_without_reading_it(mini):
    """Reading a named pipe blocks until something writes to it: the build would hang."""
    path = mini / "corpus" / "000_mini.txt"
    path.unlink()
    os.mkfifo(path)
    assert problems(mini)[:2] == [
        "4 evidence problems:",
        "corpus/metadata.ttl:4: bkr:doc-000 names corpus/000_mini.txt, which is not a regular file (a folder,"
        " a pipe or a device?)",
    ]


def test_missing_corpus_file(mini):
    (mini / "corpus" / "000_mini.txt").unlink()
    assert problems(mini) == [
        "4 evidence problems:",
        "corpus/metadata.ttl:4: bkr:doc-000 names the file corpus/000_mini.txt, which does not exist",
        "triples/doc-000.ttl:16: bkr:ev-000-01 (used by bkr:claim-000-01 (bkr:imam-ali-base bk:near bkr:abu-kamal)): "
        "its document bkr:doc-000 has no readable corpus file",
        "triples/doc-000.ttl:28: bkr:ev-000-02 (used by bkr:claim-000-02 (bkr:op-2021-06-01-strike bk:hasAgent bkr:iaf), "
        "bkr:claim-000-03 (bkr:op-2021-06-01-strike bk:hasTarget bkr:imam-ali-base), "
        "bkr:claim-000-04 (bkr:op-2021-06-01-strike bk:hasTime bkr:time-2021-06-01)): "
        "its document bkr:doc-000 has no readable corpus file",
        "triples/doc-000.ttl:49: bkr:ev-000-03 (used by bkr:claim-000-05 (bkr:iaf bk:partOf bkr:israel)): "
        "its document bkr:doc-000 has no readable corpus file",
    ]


@pytest.mark.parametrize("name", ["/etc/hostname", "../triples/doc-000.ttl", "sub/000_mini.txt", "..", ""])
def test_a_file_name_outside_corpus_is_refused(mini, name):
    """The build hashes the files directly in corpus/; a document elsewhere could change unseen."""
    edit(mini / "corpus" / "metadata.ttl", 'bk:fileName "000_mini.txt"', f'bk:fileName "{name}"')
    assert problems(mini)[:2] == [
        "4 evidence problems:",
        f"corpus/metadata.ttl:4: bkr:doc-000 has bk:fileName {name!r}: it must be the name of a file directly"
        " in corpus/ (no folders, no '..')",
    ]


def test_a_file_name_naming_a_folder_says_it_cannot_be_read(mini):
    (mini / "corpus" / "adir").mkdir()
    edit(mini / "corpus" / "metadata.ttl", 'bk:fileName "000_mini.txt"', 'bk:fileName "adir"')
    assert problems(mini)[1] == ("corpus/metadata.ttl:4: bkr:doc-000 names corpus/adir, which is not a regular"
                                 " file (a folder, a pipe or a device?)")


def test_each_fact_without_a_claim_is_named_at_its_own_line_with_its_graph(mini):
    """Not the line where bkr:iaf's first block starts (8): each fact's own line, appended at the end."""
    append(mini / "triples" / "doc-000.ttl",
           "bkr:iaf bk:near bkr:x1 ;\n    bk:near bkr:x2 .\n# a comment\nbkr:iaf\n    bk:near bkr:x3 .\n"
           "bkr:iaf bk:hasPart bkr:x4 ;\n    bk:near bkr:x4 .\n")
    assert problems(mini) == [
        "5 evidence problems:",
        *(f"triples/doc-000.ttl:{line}: bkr:iaf {p} bkr:x{n} (graph bkg:doc-000): no claim with evidence "
          "covers this triple" for n, p, line in ((1, "bk:near", 60), (2, "bk:near", 61), (3, "bk:near", 64),
                                                  (4, "bk:hasPart", 65), (4, "bk:near", 66))),
    ]


def test_a_claim_without_evidence_does_not_cover(mini):
    edit(mini / "triples" / "doc-000.ttl", "    bk:evidence bkr:ev-000-03 ;\n", "")
    assert problems(mini) == [
        "1 evidence problem:",
        "triples/doc-000.ttl:58: bkr:iaf bk:partOf bkr:israel (graph bkg:doc-000): no claim with evidence covers this triple",
    ]


def test_names_need_a_mention_and_alt_labels_need_a_quote(mini):
    append(mini / "triples" / "shared.ttl",
           'bkr:israel skos:altLabel "State of Israel"@en .\n'
           'bkr:nowhere a bk:Place ;\n    rdfs:label "Nowhere"@en .\n')
    assert problems(mini) == [
        "3 evidence problems:",
        'triples/shared.ttl:6: bkr:israel skos:altLabel "State of Israel"@en (graph bkg:shared): the name '
        '"State of Israel" occurs in no quote of an evidence that mentions bkr:israel',
        "triples/shared.ttl:12: bkr:nowhere rdf:type bk:Place (graph bkg:shared): bkr:nowhere is neither "
        "mentioned by an evidence nor part of a claim",
        'triples/shared.ttl:12: bkr:nowhere rdfs:label "Nowhere"@en (graph bkg:shared): bkr:nowhere is neither '
        "mentioned by an evidence nor part of a claim",
    ]


def test_alt_labels_match_quotes_case_insensitively(mini):
    # shared.ttl already gives Abu Kamal the altLabel "abu kamal"; the quote says "Abu Kamal"
    assert '"abu kamal"@en' in (mini / "triples" / "shared.ttl").read_text(encoding="utf-8")
    check(parse_all(discover(mini)), mini)


def test_a_time_must_hang_from_a_fact(mini):
    append(mini / "triples" / "doc-000.ttl",
           'bkr:time-orphan a bk:TimeSpec ;\n    rdfs:label "some day" .\n')
    assert problems(mini) == [
        "1 evidence problem:",
        "triples/doc-000.ttl:60: bkr:time-orphan is a time, quantity or geometry that no fact points to "
        "(graph bkg:doc-000)",
    ]


def test_subclasses_of_claim_evidence_and_time_count_as_such_at_any_depth(mini):
    """Classes are matched with their subclasses (rdfs:subClassOf*, declared anywhere)."""
    append(mini / "ontology" / "bukamal.ttl",
           "bk:Hearsay rdfs:subClassOf bk:Claim .\nbk:Rumour rdfs:subClassOf bk:Hearsay .\n"
           "bk:Excerpt rdfs:subClassOf bk:Evidence .\nbk:Moment rdfs:subClassOf bk:TimeSpec .\n")
    edit(mini / "triples" / "doc-000.ttl", "bkr:claim-000-05 a bk:Claim ;", "bkr:claim-000-05 a bk:Rumour ;")
    append(mini / "triples" / "doc-000.ttl",
           'bkr:ev-extra a bk:Excerpt ;\n    bk:inDocument bkr:doc-000 .\n'
           'bkr:time-orphan a bk:Moment ;\n    rdfs:label "some day" .\n')
    assert problems(mini) == [
        "2 evidence problems:",
        "triples/doc-000.ttl:60: bkr:ev-extra (used by no claim): needs exactly one bk:quote, bk:inDocument, and "
        "integer bk:startOffset and bk:endOffset (has 0, 1, 0, 0)",
        "triples/doc-000.ttl:62: bkr:time-orphan is a time, quantity or geometry that no fact points to "
        "(graph bkg:doc-000)",
    ]


def test_a_subclass_of_claim_through_an_anonymous_class_still_counts(mini):
    """A blank-node class cannot be listed by name (SPARQL's VALUES holds no blank nodes): a claim
    whose class reaches bk:Claim through one still covers its fact, and nothing crashes."""
    append(mini / "ontology" / "bukamal.ttl",
           "bk:Rumour rdfs:subClassOf [ rdfs:subClassOf bk:Claim ] .\n")
    edit(mini / "triples" / "doc-000.ttl", "bkr:claim-000-05 a bk:Claim ;", "bkr:claim-000-05 a bk:Rumour ;")
    summary = check(parse_all(discover(mini)), mini)
    assert (summary.evidence, summary.documents, summary.facts) == (3, 1, 69)
    edit(mini / "triples" / "doc-000.ttl", "    bk:evidence bkr:ev-000-03 ;\n", "")
    assert problems(mini) == [
        "1 evidence problem:",
        "triples/doc-000.ttl:58: bkr:iaf bk:partOf bkr:israel (graph bkg:doc-000): no claim with evidence covers this triple",
    ]


def test_a_denied_or_only_hedged_agent_or_target_is_not_a_bare_fact(mini):
    """Competing sources are kept only as claims: a triple some claim denies, and an agent or target
    no claim states flatly (the fixture's agent is only "reportedly"), are refused as bare facts."""
    doc = mini / "triples" / "doc-000.ttl"
    edit(doc, "# only reported (a hedged stance): the agent stays a claim, never a bare bk:hasAgent triple",
         "bkr:op-2021-06-01-strike bk:hasAgent bkr:iaf .")
    append(doc, "bkr:claim-000-06 a bk:Claim ;\n"
                "    rdf:subject bkr:imam-ali-base ; rdf:predicate bk:near ; rdf:object bkr:abu-kamal ;\n"
                "    bk:evidence bkr:ev-000-03 ;\n    bk:stance bk:Denies .\n")
    assert problems(mini) == [
        "2 evidence problems:",
        "triples/doc-000.ttl:26: bkr:imam-ali-base bk:near bkr:abu-kamal (graph bkg:doc-000): a claim denies this "
        "triple (bkr:claim-000-06); competing sources are kept only as claims, not as a bare fact",
        "triples/doc-000.ttl:38: bkr:op-2021-06-01-strike bk:hasAgent bkr:iaf (graph bkg:doc-000): no claim states "
        "this agent or target flatly (bkr:claim-000-02: hedged only, such as blames, alleges, believes); keep it "
        "only as claims, not as a bare fact",
    ]


def test_a_statement_only_alleged_is_not_a_bare_fact_unless_part_of_an_event_s_account(mini):
    """A tie between actors that claims only allege (or blame) stays a claim; an event's time (or place,
    figures, equipment, outcome, aim) may be alleged: its grade says how firm the account is."""
    doc = mini / "triples" / "doc-000.ttl"
    edit(doc, "    bk:evidence bkr:ev-000-03 ;\n    bk:stance bk:Asserts .", "    bk:evidence bkr:ev-000-03 ;\n    bk:stance bk:Alleges .")
    edit(doc, "rdf:object bkr:time-2021-06-01 ;\n    bk:evidence bkr:ev-000-02 ;\n    bk:stance bk:Asserts .",
         "rdf:object bkr:time-2021-06-01 ;\n    bk:evidence bkr:ev-000-02 ;\n    bk:stance bk:Blames .")
    assert problems(mini) == [
        "1 evidence problem:",
        "triples/doc-000.ttl:59: bkr:iaf bk:partOf bkr:israel (graph bkg:doc-000): only alleged (bkr:claim-000-05: "
        "alleges or blames, no claim states it otherwise); keep it only as claims, not as a bare fact",
    ]
    append(doc, "bkr:claim-000-06 a bk:Claim ;\n"
                "    rdf:subject bkr:iaf ; rdf:predicate bk:partOf ; rdf:object bkr:israel ;\n"
                "    bk:evidence bkr:ev-000-03 ;\n    bk:stance bk:Reportedly .\n")
    assert check(parse_all(discover(mini)), mini).facts == 69 + 6        # the claim's 6 triples


def test_one_flat_claim_anywhere_lets_a_hedged_agent_be_a_bare_fact(mini):
    """The confirming claim sits in another file (graph) than the bare triple."""
    edit(mini / "triples" / "doc-000.ttl", "# only reported (a hedged stance): the agent stays a claim, never a"
         " bare bk:hasAgent triple", "bkr:op-2021-06-01-strike bk:hasAgent bkr:iaf .")
    append(mini / "triples" / "shared.ttl",
           "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\nbkr:claim-000-06 a bk:Claim ;\n"
           "    rdf:subject bkr:op-2021-06-01-strike ; rdf:predicate bk:hasAgent ; rdf:object bkr:iaf ;\n"
           "    bk:evidence bkr:ev-000-02 ;\n    bk:stance bk:Confirms .\n")
    assert check(parse_all(discover(mini)), mini).facts == 69 + 1 + 6        # the fact and the claim's 6 triples
