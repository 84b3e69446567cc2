"""nlp/rules/one_label.py: one label per name within an article."""

from __future__ import annotations

from helpers_rules import context, with_ents

from nlp.rules import one_label
from nlp.rules.base import ENUM_ID


def labels(out):
    return [label for _, label, _ in out]


def spans_of(doc, labels, ids=None):
    ids = ids or [""] * len(labels)
    tokens = [t for t in doc if t.text == "Orvel"]
    return [
        (doc.char_span(t.idx, t.idx + 5, span_id=i), label, "Orvel")
        for t, label, i in zip(tokens, labels, ids, strict=True)
    ]


DOC = "Orvel ouvre. Orvel recrute. Orvel signe."


def test_the_most_frequent_label_wins_ties_to_the_first():
    doc = with_ents(DOC, [])
    assert (
        labels(one_label.apply(context(doc), spans_of(doc, ["PER", "ORG", "ORG"]))) == ["ORG"] * 3
    )
    two = spans_of(doc, ["LOC", "PER", "ORG"])[:2]
    assert labels(one_label.apply(context(doc), two)) == ["LOC", "LOC"]


def test_staff_data_phrases_and_enumerations_win_over_votes():
    doc = with_ents(DOC, [])
    for mark in ("watch:Orvel", "veille:phrase", ENUM_ID):
        spans = spans_of(doc, ["PER", "PER", "ORG"], ["", "", mark])
        assert labels(one_label.apply(context(doc), spans)) == ["ORG"] * 3
