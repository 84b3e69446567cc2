"""nlp rules without the trained model: keys, normalisation, data files and quote forms
(plain strings; fast). The ruler, organisation phrases and clean-up are tested in
tests/test_rules_ruler.py, test_rules_org_phrases.py and test_rules_cleanup.py."""

from __future__ import annotations

import pytest
from helpers_nlp import data_dir

from nlp.keys import entity_key
from nlp.normalize import normalize
from nlp.quotes import find_quotes
from nlp.resources import (
    DATA_DIR,
    ResourceError,
    load_org_phrases,
    load_patterns,
    load_places,
    load_watchlist,
)

# --- keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("FrenchTech", "French Tech"),
        ("Bpifrance", "BPI France"),
        ("Besançon", "BESANCON"),
        ("Jean-Pierre Brenas", "jean pierre brenas"),
        ("Côte-d’Or", "Cote d'Or"),
        ("Œuvre", "oeuvre"),
        ("S.N.C.F.", "SNCF"),
    ],
)
def test_entity_key_ignores_accents_case_hyphens_spaces_apostrophes(a, b):
    assert entity_key(a) == entity_key(b)
    assert entity_key(a)


def test_entity_key_keeps_different_names_apart():
    assert entity_key("Dijon") != entity_key("Dijon Métropole")


# --- normalisation -------------------------------------------------------------------


def test_normalize_maps_every_offset_back():
    original = "L’ARI\u00a0finance\u202fla ﬁlière d’inno-\nvation de\nla région.\n\nMarie Dupont"
    norm = normalize(original)
    assert "’" not in norm.text and "\u00a0" not in norm.text and "ﬁ" not in norm.text
    assert "innovation" in norm.text
    assert "de la région" in norm.text  # a layout line break inside a sentence is joined
    assert "\n\nMarie" in norm.text  # a paragraph break is kept
    for word in ("ARI", "finance", "région", "Marie Dupont"):
        start = norm.text.index(word)
        s, e = norm.to_original(start, start + len(word))
        assert original[s:e] == word
    s, e = norm.to_original(norm.text.index("filière"), norm.text.index("filière") + 7)
    assert original[s:e] == "ﬁlière"


def test_normalize_ends_a_crosshead_with_a_full_stop():
    original = "Une convention avec la Région\r\nPrésent à l’assemblée, il a signé.\nPartager"
    norm = normalize(original)
    assert norm.text.startswith("Une convention avec la Région.\nPrésent")
    assert norm.text.endswith("signé.\nPartager")
    start = norm.text.index("Présent")
    s, e = norm.to_original(start, start + 7)
    assert original[s:e] == "Présent"


def test_normalize_keeps_hyphen_of_compound_names_split_by_a_line():
    norm = normalize("à Franche-\nComté.")
    assert "Franche-Comté" in norm.text


# --- data files ----------------------------------------------------------------------


def test_shipped_data_files_load():
    assert load_org_phrases(DATA_DIR / "org_phrases.toml").triggers
    assert load_patterns(DATA_DIR / "patterns.jsonl")


def test_places_lookup_by_alias_and_abbreviation(tmp_path):
    places = load_places(data_dir(tmp_path) / "places.csv")
    assert places.lookup("BFC").name == "Bourgogne-Franche-Comté"
    assert places.lookup("Franche-Comté").region == "Bourgogne-Franche-Comté"
    assert places.lookup("St-Etienne").name == "Saint-Étienne"
    assert places.lookup("Atlantis") is None


@pytest.mark.parametrize(
    "content, message",
    [
        ("name,kind,region\nDijon,ville,Bourgogne\n", "line 2: kind 'ville'"),
        ("name,region\nDijon,Bourgogne\n", "lacks column"),
    ],
)
def test_bad_places_file_names_the_line(tmp_path, content, message):
    path = tmp_path / "places.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResourceError, match=message):
        load_places(path)


@pytest.mark.parametrize(
    "content, message",
    [
        ('[[entities]]\nname = "X"\nlabel = "COMPANY"\n', "entity 'X': `label`"),
        ("[[entities]]\nlabel = 'ORG'\n", "entity #1: `name`"),
        ('[[entities]]\nname = "X"\naliases = "Y"\n', "`aliases` must be a list"),
        ("[[entities]\n", "not valid TOML"),
    ],
)
def test_bad_watchlist_names_the_entry(tmp_path, content, message):
    path = tmp_path / "watchlist.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResourceError, match=message):
        load_watchlist(path)


def test_bad_patterns_file_names_the_line(tmp_path):
    path = tmp_path / "patterns.jsonl"
    path.write_text('{"label": "ORG", "pattern": "X"}\n{"label": "ORG"\n', encoding="utf-8")
    with pytest.raises(ResourceError, match="line 2"):
        load_patterns(path)


# --- quotes on plain text ----------------------------------------------------------------


def quotes(text, mentions):
    """find_quotes with mentions given as (surface, label), located in order in the text."""
    spans, pos = [], 0
    for surface, label in mentions:
        start = text.index(surface, pos)
        spans.append((start, start + len(surface), label))
        pos = start + len(surface)
    sentences = [(0, len(text))]
    found = find_quotes(text, sentences, spans)
    return [(text[q.start : q.end], mentions[q.speaker][0]) for q in found]


@pytest.mark.parametrize(
    "text, mentions, expected",
    [
        (
            "« Nous allons recruter dix ingénieurs », explique Claire Vasseur.",
            [("Claire Vasseur", "PER")],
            ("Nous allons recruter dix ingénieurs", "Claire Vasseur"),
        ),
        (
            "« Le marché régional est solide », confirme Marc Oudin, maire de Dole.",
            [("Marc Oudin", "PER"), ("Dole", "LOC")],
            ("Le marché régional est solide", "Marc Oudin"),
        ),
        (
            "« Nous avons doublé nos ventes », a confié Claire Vasseur.",
            [("Claire Vasseur", "PER")],
            ("Nous avons doublé nos ventes", "Claire Vasseur"),
        ),
        (
            "Claire Vasseur était là. « Nous avons doublé nos ventes », sourit-elle.",
            [("Claire Vasseur", "PER")],
            ("Nous avons doublé nos ventes", "Claire Vasseur"),
        ),
        (
            "Claire Vasseur, fondatrice de Kalistène, explique : « Nos clients sont des PME. »",
            [("Claire Vasseur", "PER"), ("Kalistène", "ORG")],
            ("Nos clients sont des PME", "Claire Vasseur"),
        ),
        (
            "Selon Amélie Renaud, les demandes ont augmenté de 30 % cette année.",
            [("Amélie Renaud", "PER")],
            ("les demandes ont augmenté de 30 % cette année", "Amélie Renaud"),
        ),
        (
            "Selon Amélie Renaud, directrice de l'agence, les demandes ont augmenté cette année.",
            [("Amélie Renaud", "PER")],
            ("les demandes ont augmenté cette année", "Amélie Renaud"),
        ),
        (
            "Les demandes ont augmenté de 30 % cette année, selon Bpifrance.",
            [("Bpifrance", "ORG")],
            ("Les demandes ont augmenté de 30 % cette année", "Bpifrance"),
        ),
        (
            "Claire Vasseur a déclaré que l'entreprise recruterait quinze ingénieurs.",
            [("Claire Vasseur", "PER")],
            ("l'entreprise recruterait quinze ingénieurs", "Claire Vasseur"),
        ),
        (
            'Le maire, Marc Oudin, affirme que "la ville soutiendra la filière numérique".',
            [("Marc Oudin", "PER")],
            ("la ville soutiendra la filière numérique", "Marc Oudin"),
        ),
    ],
)
def test_quote_forms(text, mentions, expected):
    assert quotes(text, mentions) == [expected]


@pytest.mark.parametrize(
    "text, mentions",
    [
        ("Le prix « Innovation » a été remis à Claire Vasseur.", [("Claire Vasseur", "PER")]),
        ("« Nous allons recruter dix ingénieurs », lit-on sur le site.", []),
        ("Il habite selon toute vraisemblance à Dole.", [("Dole", "LOC")]),
    ],
)
def test_no_quote_without_speech_and_speaker(text, mentions):
    assert quotes(text, mentions) == []


@pytest.mark.parametrize(
    "text, mentions, expected",
    [
        # The name in apposition after the role is the speaker, even when the model calls
        # the company a person.
        (
            "Selon le directeur de Kalistène, Jean Dupont, le site de Dijon sera agrandi.",
            [("Kalistène", "ORG"), ("Jean Dupont", "PER"), ("Dijon", "LOC")],
            ("le site de Dijon sera agrandi", "Jean Dupont"),
        ),
        (
            "Selon la directrice de Kalistène, Claire Vasseur, le site de Dijon sera agrandi.",
            [("Kalistène", "PER"), ("Claire Vasseur", "PER"), ("Dijon", "LOC")],
            ("le site de Dijon sera agrandi", "Claire Vasseur"),
        ),
        (
            "La directrice de Kalistène, Claire Vasseur, estime que le site sera agrandi.",
            [("Kalistène", "ORG"), ("Claire Vasseur", "PER")],
            ("le site sera agrandi", "Claire Vasseur"),
        ),
        (
            "Selon le maire, Marc Oudin, la ville soutiendra la filière numérique.",
            [("Marc Oudin", "PER")],
            ("la ville soutiendra la filière numérique", "Marc Oudin"),
        ),
        # An organisation named after its spokesperson's role still speaks.
        (
            "Selon un porte-parole de la préfecture du Doubs, la route rouvrira lundi matin.",
            [("préfecture du Doubs", "ORG")],
            ("la route rouvrira lundi matin", "préfecture du Doubs"),
        ),
        (
            "Le chiffre d'affaires de Kalistène a doublé en deux ans selon Bpifrance.",
            [("Kalistène", "ORG"), ("Bpifrance", "ORG")],
            ("Le chiffre d'affaires de Kalistène a doublé en deux ans", "Bpifrance"),
        ),
        # "Selon elle" is the person last named, not the next one.
        (
            "Claire Vasseur dirige Kalistène.\nSelon elle, Marc Oudin, le maire de Dole, "
            "aurait dû consulter les habitants.",
            [("Claire Vasseur", "PER"), ("Kalistène", "ORG"), ("Marc Oudin", "PER")],
            ("Marc Oudin, le maire de Dole, aurait dû consulter les habitants", "Claire Vasseur"),
        ),
        (
            "« Les ventes ont doublé cette année » explique Claire Vasseur.",
            [("Claire Vasseur", "PER")],
            ("Les ventes ont doublé cette année", "Claire Vasseur"),
        ),
        (
            "Claire Vasseur dirige Kalistène.\nChez Kalistène, « le recrutement est devenu "
            "la priorité » explique-t-elle.",
            [("Claire Vasseur", "PER"), ("Kalistène", "ORG"), ("Kalistène", "ORG")],
            ("le recrutement est devenu la priorité", "Claire Vasseur"),
        ),
        # The person a role belongs to is not the one speaking.
        (
            "« Vous devez juger sans céder à la pression », plaide l'avocate de Marc Oudin, "
            "Claire Vasseur.",
            [("Marc Oudin", "PER"), ("Claire Vasseur", "PER")],
            ("Vous devez juger sans céder à la pression", "Claire Vasseur"),
        ),
        # A name after the comma is the claim's subject, not an apposition to skip.
        (
            "Selon Claire Vasseur, Kalistène vendra 30 % de sa production à l'export d'ici "
            "2030, contre 5 % aujourd'hui.",
            [("Claire Vasseur", "PER"), ("Kalistène", "ORG")],
            (
                "Kalistène vendra 30 % de sa production à l'export d'ici 2030, contre 5 % "
                "aujourd'hui",
                "Claire Vasseur",
            ),
        ),
        (
            "Il faut « tout reprendre à zéro dans la filière », estime Claire Vasseur.",
            [("Claire Vasseur", "PER")],
            ("tout reprendre à zéro dans la filière", "Claire Vasseur"),
        ),
        (
            "« Nous recrutons dix ingénieurs », explique l'auteur de l'étude, Marc Oudin.",
            [("Marc Oudin", "PER")],
            ("Nous recrutons dix ingénieurs", "Marc Oudin"),
        ),
        # Her role between two more commas: the name is the subject, who said it herself.
        (
            "Selon la préfecture, Marie Durand, la maire, a dit que le projet avance bien "
            "cette année.",
            [("Marie Durand", "PER")],
            ("le projet avance bien cette année", "Marie Durand"),
        ),
        # A source in brackets: the quote stops before them.
        (
            "Le projet avance bien cette année (selon Jean Dupont).",
            [("Jean Dupont", "PER")],
            ("Le projet avance bien cette année", "Jean Dupont"),
        ),
    ],
)
def test_quote_speaker_is_who_spoke(text, mentions, expected):
    assert quotes(text, mentions) == [expected]


@pytest.mark.parametrize(
    "text, mentions",
    [
        # A document, the press or someone close to X is the source: X said nothing.
        (
            "Selon une étude de l'association Silicon Comté, la filière recrute 2 000 "
            "personnes par an.",
            [("Silicon Comté", "ORG")],
        ),
        (
            "Selon le rapport annuel de Kalistène, le chiffre d'affaires a doublé en deux ans.",
            [("Kalistène", "ORG")],
        ),
        (
            "D'après les chiffres de l'Insee, le chômage a baissé de deux points dans le Doubs.",
            [("Insee", "ORG"), ("Doubs", "LOC")],
        ),
        (
            "Selon un sondage Ifop pour la CCI, les chefs d'entreprise sont plutôt optimistes.",
            [("Ifop", "ORG"), ("CCI", "ORG")],
        ),
        (
            "Selon les dernières données publiées par la Dares, l'emploi progresse en Bourgogne.",
            [("Dares", "ORG"), ("Bourgogne", "LOC")],
        ),
        (
            "Selon nos informations, Claire Vasseur, la fondatrice de Kalistène, va quitter "
            "l'entreprise.",
            [("Claire Vasseur", "PER"), ("Kalistène", "ORG")],
        ),
        (
            "Selon la presse locale, Marc Oudin, le maire de Dole, pourrait se représenter.",
            [("Marc Oudin", "PER"), ("Dole", "LOC")],
        ),
        (
            "Selon des proches de Marc Oudin, le maire de Dole ne se représentera pas en mars.",
            [("Marc Oudin", "PER"), ("Dole", "LOC")],
        ),
        (
            "Une étude de l'association Silicon Comté indique que la filière manque de "
            "développeurs.",
            [("Silicon Comté", "ORG")],
        ),
        (
            "Le rapport annuel de Kalistène souligne que les ventes à l'export ont doublé.",
            [("Kalistène", "ORG")],
        ),
        (
            "Un courrier adressé à Marc Oudin précise que la subvention sera versée en deux fois.",
            [("Marc Oudin", "PER")],
        ),
        (
            "« La filière manque cruellement de développeurs », souligne une étude de "
            "l'association Silicon Comté.",
            [("Silicon Comté", "ORG")],
        ),
        (
            "Le rapport de Kalistène conclut : « La filière manque cruellement de développeurs. »",
            [("Kalistène", "ORG")],
        ),
        # "Selon" as "depending on"; the next name after a pronoun or after a source the
        # model did not find is the subject of the claim.
        (
            "Le montant de l'aide régionale varie selon que l'entreprise adhère ou non à "
            "Silicon Comté.",
            [("Silicon Comté", "ORG")],
        ),
        (
            "Les tarifs de l'incubateur varient selon la taille des projets de Kalistène.",
            [("Kalistène", "ORG")],
        ),
        (
            "Selon elle, Marc Oudin, le maire de Dole, aurait dû consulter les habitants.",
            [("Marc Oudin", "PER"), ("Dole", "LOC")],
        ),
        (
            "Selon les organisateurs, Marc Oudin, le maire de Dole, a réuni 300 personnes.",
            [("Marc Oudin", "PER"), ("Dole", "LOC")],
        ),
        (
            "Selon Numerika, Kalistène a été citée 500 fois en janvier, contre 40 fois en "
            "décembre.",
            [("Kalistène", "ORG")],
        ),
        # Someone near the speaker, or where the words were said, is not the speaker.
        (
            "« Il a toujours défendu la filière », a ajouté un proche de Marc Oudin.",
            [("Marc Oudin", "PER")],
        ),
        (
            "« Il a toujours soutenu la filière », a ajouté un élu sur le rôle qu'a joué "
            "Marc Oudin.",
            [("Marc Oudin", "PER")],
        ),
        (
            "Un délégué syndical présent au CSE a indiqué que les salaires seraient gelés.",
            [("CSE", "ORG")],
        ),
        (
            "Interrogée par Marc Oudin, la ministre a déclaré : « Nous financerons le projet "
            "dès cette année. »",
            [("Marc Oudin", "PER")],
        ),
        # A title in quotation marks, then a verb with its object: no incise.
        (
            "Le programme « Territoires d'industrie et d'innovation » annonce un appel à "
            "projets piloté par Marc Oudin.",
            [("Marc Oudin", "PER")],
        ),
    ],
)
def test_no_quote_from_a_document_or_indirect_source(text, mentions):
    assert quotes(text, mentions) == []
