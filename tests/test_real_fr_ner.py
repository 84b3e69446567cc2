"""The real-text NER set: gold lines turned into offsets, and the committed file's shape."""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "bench" / "data"
_spec = importlib.util.spec_from_file_location("build_real_fr_ner", DATA / "build_real_fr_ner.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


def marked(text: str, entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    lines = [(label, surface, n) for n, (label, surface) in enumerate(entries, 1)]
    return [(text[a:b], label) for a, b, label in build.spans(text, lines, "gold")]


def test_every_occurrence_longest_first_without_overlap():
    text = "L'Université de Paris est à Paris ; Paris vote."
    assert marked(text, [("LOC", "Paris"), ("ORG", "Université de Paris")]) == [
        ("Université de Paris", "ORG"),
        ("Paris", "LOC"),
        ("Paris", "LOC"),
    ]


def test_whole_words_and_case_only():
    text = "Parisiens et paris : un Paris."
    assert marked(text, [("LOC", "Paris")]) == [("Paris", "LOC")]


def test_none_claims_its_text():
    text = "Nike vend la Nike Tech Fleece."
    assert marked(text, [("ORG", "Nike"), ("NONE", "Nike Tech Fleece")]) == [("Nike", "ORG")]


def test_names_glued_by_extraction_are_found():
    text = "que donnait Jacques Chirac àJean-Paul Delevoye.\nNardi22J. DelaplaceT. Fontaine"
    entries = [("PER", "Jean-Paul Delevoye"), ("PER", "J. Delaplace"), ("PER", "T. Fontaine")]
    assert marked(text, entries) == [
        ("Jean-Paul Delevoye", "PER"),
        ("J. Delaplace", "PER"),
        ("T. Fontaine", "PER"),
    ]


def test_decomposed_accents_match():
    text = unicodedata.normalize("NFD", "le ministère de l’Intérieur a dit")
    found = marked(text, [("ORG", "ministère de l’Intérieur")])
    assert [unicodedata.normalize("NFC", t) for t, _ in found] == ["ministère de l’Intérieur"]


def test_a_surface_missing_from_the_page_names_its_line():
    with pytest.raises(build.GoldError, match=r"gold:2: 'Lyon' is not in the text"):
        marked("À Paris.", [("LOC", "Paris"), ("LOC", "Lyon")])


def test_split_rule_is_fixed_by_the_ids_alone():
    ids = [f"page-{i}" for i in range(53)]
    split = build.split_of(ids)
    assert split == build.split_of(list(reversed(ids)))
    assert sorted(split.values()).count("test") == 27


def test_committed_set_matches_its_gold_and_split():
    records = [json.loads(line) for line in (DATA / "real_fr_ner.jsonl").open(encoding="utf-8")]
    gold = build.read_gold(DATA / "real_fr_ner_gold.txt")
    assert len(records) == 53
    assert build.split_of([r["id"] for r in records]) == {r["id"]: r["split"] for r in records}
    for record in records:
        surfaces = {(label, s) for label, s, _ in gold[record["id"]]}
        for start, end, label in record["entities"]:
            text = unicodedata.normalize("NFC", record["text"][start:end])
            assert (label, text) in surfaces, (record["id"], text)
        assert len(record["text"]) <= build.MAX_CHARS
