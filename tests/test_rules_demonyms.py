"""nlp/rules/demonyms.py: a demonym is never a place (issue 10, class 7)."""

from __future__ import annotations

import pytest
from helpers_rules import context, triples, with_ents

from nlp.resources import DATA_DIR, demonym_forms, load_demonyms
from nlp.rules import demonyms


def test_demonym_forms():
    assert demonym_forms("rennais") == {"rennais", "rennaise", "rennaises"}
    assert demonym_forms("bisontin") == {"bisontin", "bisontins", "bisontine", "bisontines"}
    assert "francs-comtoises" in demonym_forms("franc-comtois")
    assert "vendéenne" in demonym_forms("vendéen")


def test_shipped_demonyms_read_and_a_bad_line_is_named(tmp_path):
    forms = load_demonyms(DATA_DIR / "demonyms.txt")
    assert {"picard", "picarde", "francs-comtois", "rennaises"} <= forms
    bad = tmp_path / "demonyms.txt"
    bad.write_text("rennais\nSaint Malo\n", encoding="utf-8")
    with pytest.raises(ValueError, match="demonyms.txt, line 2"):
        load_demonyms(bad)


@pytest.mark.parametrize(
    "text, surface, kept",
    [
        ("Les Picards ont voté.", "Picards", False),
        ("Des entrepreneurs francs-comtois investissent.", "francs-comtois", False),
        # After a preposition of place, a region's old name.
        ("Il est revenu au Lorrain.", "Lorrain", True),
        # A place the gazetteer knows stays.
        ("Il vit en Franche-Comté.", "Franche-Comté", True),
    ],
)
def test_a_demonym_is_no_place(text, surface, kept):
    doc = with_ents(text, [(surface, "LOC")])
    spans = [(e, "LOC", e.text) for e in doc.ents]
    out = demonyms.apply(context(doc), spans)
    assert triples(out) == ([(surface, "LOC", surface)] if kept else [])
