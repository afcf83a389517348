"""The corpus is byte-identical to the source documents: SHA-256 per file against corpus/SHA256SUMS."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
MANIFEST = CORPUS / "SHA256SUMS"

EXPECTED_FILES = [
    "000_a23e1b7812808d56.txt",
    "001_f39273630a07a425.txt",
    "002_33d9d5e8f80cfe07.txt",
    "003_73e86b5ca7b4960a.txt",
    "004_0711b703f8997cf1.txt",
]


def manifest() -> dict[str, str]:
    entries = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        entries[name.lstrip("*")] = digest
    return entries


def test_manifest_lists_exactly_the_five_documents():
    assert sorted(manifest()) == EXPECTED_FILES
    assert sorted(p.name for p in CORPUS.glob("*.txt")) == EXPECTED_FILES


@pytest.mark.parametrize("name", EXPECTED_FILES)
def test_document_checksum(name):
    assert hashlib.sha256((CORPUS / name).read_bytes()).hexdigest() == manifest()[name]


@pytest.mark.parametrize("name", EXPECTED_FILES)
def test_document_is_utf8(name):
    (CORPUS / name).read_bytes().decode("utf-8")
