"""nlp/rules/not_names.py: what names none of ours goes."""

from __future__ import annotations

import pytest
from helpers_rules import context, triples, with_ents

from nlp.resources import DATA_DIR, load_not_names
from nlp.rules import not_names
from nlp.rules.base import NOT_NAMES


def test_not_names_are_read_with_their_case_and_a_lowercase_line_is_named(tmp_path):
    words = load_not_names(DATA_DIR / "not_names.txt")
    assert {"AG", "État"} <= words and "ag" not in words
    bad = tmp_path / "not_names.txt"
    bad.write_text("AG\nville\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not_names.txt, line 2"):
        load_not_names(bad)


def test_a_not_name_goes_unless_staff_data_gave_it():
    doc = with_ents("L'AG de Sorvane a voté. L'État paie.", [("AG", "ORG"), ("Sorvane", "ORG")])
    spans = [(e, e.label_, e.text) for e in doc.ents]
    state = doc.char_span(doc.text.index("État"), doc.text.index("État") + 4, span_id="watch:État")
    out = not_names.apply(context(doc), [*spans, (state, "ORG", "État")])
    assert triples(out) == [("Sorvane", "ORG", "Sorvane"), ("État", "ORG", "État")]


def test_every_mention_of_a_name_a_phrase_set_aside_goes():
    doc = with_ents("La tempête Ormelle arrive. Ormelle a fait des dégâts.", [])
    first = doc.text.index("Ormelle")
    doc.spans[NOT_NAMES] = [doc.char_span(first, first + 7)]
    second = doc.text.index("Ormelle", first + 1)
    spans = [(doc.char_span(second, second + 7), "PER", "Ormelle")]
    assert not_names.apply(context(doc), spans) == []
