"""Page furniture blanked before the NER (nlp/furniture.py), and texts the analyser cuts
into pieces or finds empty (issue 17, points 12 and 13)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from nlp.analyse import split_text
from nlp.furniture import furniture_lines, is_furniture, load_furniture, mask_furniture
from nlp.resources import DATA_DIR, ResourceError

SHIPPED = load_furniture(DATA_DIR / "furniture.toml")


@pytest.mark.parametrize(
    "line",
    [
        "Accueil > Actualités > Territoires",
        "Montbéliard | Industrie",
        "Lons / Jura / Économie",
        "INNOVATION & NUMÉRIQUE",
        "brevan-ouvre-une-agence-a-lons",
        "https://www.exemple.fr/eco/brevan-ouvre-une-agence.html",
        "Je m'abonne",
        "Paramétrer les cookies | Tout accepter",
        "En bref",
        "À lire aussi",
        "Lire aussi : Brevan ouvre une agence à Lons",
        "À LIRE AUSSI - La jeune pousse Tapestri lève deux millions d'euros.",
    ],
)
def test_furniture_lines_are_recognised(line):
    assert is_furniture(line, SHIPPED)


@pytest.mark.parametrize(
    "line",
    [
        "La société Brevan ouvre une agence à Lons-le-Saunier.",
        "Brevan, Tapestri et Ondula recrutent",
        "Par Juliette Marchand",
        "Kalistène – la jeune pousse de Dole – double ses effectifs",
        "SNCF",
        "",
        "Lire aussi le rapport de la Région, qui recommande trois mesures.",
        "En bref : Brevan ouvre une agence à Lons.",
    ],
)
def test_prose_and_titles_are_not_furniture(line):
    assert not is_furniture(line, SHIPPED)


def test_a_run_of_short_lines_is_a_menu_but_a_byline_is_not():
    text = "Économie\nSport\n\nCulture\nMétéo\nLa coopérative Brenne Bois s'agrandit.\n"
    menu_end = text.index("\nLa coopérative")
    assert furniture_lines(text, SHIPPED) == [(0, 8), (9, 14), (16, 23), (24, menu_end)]
    byline = "Par Juliette Marchand\nLe 3 mars\nLa coopérative Brenne Bois s'agrandit."
    assert furniture_lines(byline, SHIPPED) == []


def test_mask_keeps_length_and_every_other_character():
    text = "Accueil > Territoires\nLa start-up Ondula lève des fonds.\nTout refuser"
    masked = mask_furniture(text, SHIPPED)
    assert len(masked) == len(text)
    assert masked == " " * 21 + "\nLa start-up Ondula lève des fonds.\n" + " " * 12


def test_a_bad_furniture_file_names_itself(tmp_path):
    path = tmp_path / "furniture.toml"
    path.write_text("phrases = [1, 2]\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="furniture.toml: `phrases`"):
        load_furniture(path)
    assert load_furniture(tmp_path / "absent.toml").phrases == frozenset()


def test_split_text_cuts_at_paragraphs_then_lines_then_spaces():
    text = "aaaa bbbb\n\ncccc\ndddd eeee"
    assert split_text(text, limit=12) == [(0, 11), (11, 16), (16, 25)]
    pieces = split_text(text, limit=12)
    assert "".join(text[a:b] for a, b in pieces) == text
    assert all(b - a <= 12 for a, b in pieces)
    assert split_text("x" * 30, limit=12) == [(0, 12), (12, 24), (24, 30)]
    assert split_text("", limit=12) == [(0, 0)]


@pytest.mark.model
@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n  \n"])
def test_entities_of_an_empty_file_prints_nothing_and_succeeds(tmp_path, content):
    from pipeline import cli

    path = tmp_path / "vide.txt"
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["entities", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    result = CliRunner().invoke(cli, ["entities", "-"], input=content)
    assert result.exit_code == 0, result.output
    assert result.output == ""


@pytest.mark.model
def test_a_long_text_is_analysed_in_pieces_with_offsets_kept(monkeypatch):
    import nlp.analyse
    from nlp.analyse import get_analyzer

    # Pieces of 300 characters stand for the million-character limit: same code path.
    monkeypatch.setattr(nlp.analyse, "MAX_PIECE", 300)
    paragraph = "La coopérative Brenne Bois s'installe à Dijon avec Margaux Lefranc.\n\n"
    text = "Accueil > Territoires\n" + paragraph * 12
    analysis = next(get_analyzer().analyse([text]))
    found = [(m.start, m.end, m.label) for m in analysis.mentions]
    starts = [22 + k * len(paragraph) for k in range(12)]
    expected = []
    for s in starts:
        expected += [(s + 15, s + 26, "ORG"), (s + 40, s + 45, "LOC"), (s + 51, s + 66, "PER")]
    assert found == expected
    for m in analysis.mentions:
        assert text[m.start : m.end] == m.text
