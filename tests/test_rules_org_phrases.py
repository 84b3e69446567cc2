"""nlp/rules/org_phrases.py (component veille_org_phrases, then veille_cleanup): trade and
descriptor nouns, person and not-entity phrases, a demonym before a name (issue 10,
classes 2 and 7); on spacy.blank("fr"). Public bodies: tests/test_rules_public_bodies.py."""

from __future__ import annotations

import pytest
from helpers_rules import assert_names, blank_pipeline, ents, model_names, preset, run_components

from nlp.rules.base import PHRASE_ID


@pytest.fixture(scope="module")
def blank():
    return blank_pipeline()


# --- trade and descriptor nouns (issue 10, class 2) ------------------------------------


@pytest.mark.parametrize(
    "text, given, expected",
    [
        ("Le joaillier Varenne ouvre une boutique.", [("Varenne", "PER")], [("Varenne", "ORG")]),
        ("Le data center Ostrel recrute.", [("Ostrel", "LOC")], [("Ostrel", "ORG")]),
        ("Elle dirige l'accélérateur Bivouac.", [("Bivouac", "PER")], [("Bivouac", "ORG")]),
        ("Le fabricant Loubet double sa production.", [("Loubet", "PER")], [("Loubet", "ORG")]),
        # Two words after a trade noun are a person's name; a plain trigger keeps a person.
        (
            "Le joaillier Paul Varenne expose.",
            [("Paul Varenne", "PER")],
            [("Paul Varenne", "PER")],
        ),
        ("Le cabinet Martin a démissionné.", [("Martin", "PER")], [("Martin", "PER")]),
        ("Chez Dubrel, on recrute.", [("Dubrel", "PER")], [("Dubrel", "ORG")]),
        (
            "Elle milite chez Maravel, une organisation de défense des océans.",
            [("Maravel", "LOC")],
            [("Maravel", "ORG")],
        ),
        # An initial after "chez" names nothing.
        ("Une robe vue chez M veuve Pinel.", [], []),
    ],
)
def test_a_trade_noun_before_a_name_makes_it_an_organisation(blank, text, given, expected):
    assert ents(preset(blank, text, given)) == expected


@pytest.mark.parametrize(
    "text, given",
    [
        ("La tempête Ormelle a touché la côte.", [("Ormelle", "PER")]),
        ("Le chalutier Marie-Jeanne est rentré au port.", [("Marie-Jeanne", "PER")]),
        ("Ils contestent la loi Travail.", [("Travail", "ORG")]),
    ],
)
def test_storms_ships_and_laws_are_not_entities(blank, text, given):
    assert ents(preset(blank, text, given)) == []


@pytest.mark.parametrize(
    "text, given, expected",
    [
        (
            "La jeune pousse, fondée par Maialen Urtasun, grandit.",
            [("Maialen Urtasun", "LOC")],
            [("Maialen Urtasun", "PER")],
        ),
        # Found by no one: added.
        ("« C'est un pari », explique Odile Marchetti.", [], [("Odile Marchetti", "PER")]),
        # One word is not a first name and a surname: left to the model.
        ("Le projet, porté par Kalixo et dirigé par Brevan, avance.", [], []),
    ],
)
def test_a_first_name_and_surname_after_a_person_phrase_are_a_person(blank, text, given, expected):
    assert ents(preset(blank, text, given)) == expected


@pytest.mark.parametrize(
    "text, given, expected",
    [
        ("Le nantais Ravelin lève des fonds.", [("nantais Ravelin", "LOC")], [("Ravelin", "ORG")]),
        ("La bisontine Quelda recrute.", [], [("Quelda", "ORG")]),
    ],
)
def test_an_article_and_a_demonym_announce_a_company(blank, text, given, expected):
    assert ents(preset(blank, text, given)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Il rejoint la start-up Kalistène depuis mars.", "Kalistène"),
        ("Il rejoint la startup Kalistène depuis mars.", "Kalistène"),
        (
            "Elle préside l'association Bois Numérique Franc-Comtois.",
            "Bois Numérique Franc-Comtois",
        ),
        ("Audit par le cabinet Verrières & Associés.", "Verrières & Associés"),
        ("Le groupe Ornans Industries rachète un site.", "Ornans Industries"),
        ("La société Numelec a recruté.", "Numelec"),
        ("Un contrat pour Numelec SAS cette année.", "Numelec SAS"),
        ("Les étudiants de l'Université de Franche-Comté exposent.", "Université de Franche-Comté"),
        ("La CCI du Doubs ouvre ses portes.", "CCI du Doubs"),
        ("Le conseil départemental du Jura vote.", "conseil départemental du Jura"),
    ],
)
def test_organisation_phrases_make_orgs(blank, text, expected):
    doc = run_components(blank, text)
    assert ents(doc) == [(expected, "ORG")]


def test_trigger_relabels_a_place_the_model_saw(blank):
    text = "La start-up Ovalto, basée à Dijon, recrute."
    start = text.index("Ovalto")
    doc = run_components(blank, text, [(start, start + 6, "LOC")])
    assert ents(doc) == [("Ovalto", "ORG")]
    assert doc.ents[0].id_ == PHRASE_ID


def test_weak_trigger_keeps_a_person(blank):
    text = "Le cabinet Martin a démissionné."
    start = text.index("Martin")
    doc = run_components(blank, text, [(start, start + 6, "PER")])
    assert ents(doc) == [("Martin", "PER")]


# --- through the trained model: shapes of real articles (issue 10) ---


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # A definite article before the trigger, the apposition closed by a comma.
        (
            "Selon Kantaro, la jeune pousse nantaise, le marché va doubler.",
            {("Kantaro", "ORG")},
            set(),
        ),
        (
            "D'après Norlec, l'éditeur rennais, la demande progresse.",
            {("Norlec", "ORG")},
            set(),
        ),
        # Without the closing comma, "la start-up" is the subject: the speaker stays a person.
        (
            "Selon Marie Perdriel, la start-up vise un million de clients.",
            {("Marie Perdriel", "PER")},
            {("Marie Perdriel", "ORG")},
        ),
    ],
)
def test_a_name_apposed_to_a_trade_noun_is_an_organisation(text, expected, absent):
    assert_names(text, expected, absent)


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        (
            "Il a deux filles, Aseel (9 ans) et Noor (6 ans), et vit à Dole.",
            {("Aseel", "PER"), ("Noor", "PER"), ("Dole", "LOC")},
            {("Aseel", "LOC"), ("Noor", "LOC")},
        ),
        (
            "Yerlan, 34 ans, a fondé l'atelier avec Soha, 29 ans.",
            {("Yerlan", "PER"), ("Soha", "PER")},
            {("Soha", "LOC")},
        ),
        # A firm's age is said otherwise.
        (
            "La société Kalixo, 10 ans d'existence, recrute.",
            {("Kalixo", "ORG")},
            {("Kalixo", "PER")},
        ),
    ],
)
def test_a_name_given_an_age_is_a_person(text, expected, absent):
    assert_names(text, expected, absent)


@pytest.mark.model
def test_a_head_the_model_took_with_its_article_still_names_the_whole_body():
    names = model_names("Le Pôle métropolitain Nord Franche-Comté a voté le budget.")
    assert ("Pôle métropolitain Nord Franche-Comté", "ORG") in names
    assert ("Nord Franche-Comté", "LOC") not in names


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        (
            "« Nous avons doublé nos ventes », explique Nardo. Il travaille à Dole.",
            {("Nardo", "PER")},
            {("Nardo", "LOC"), ("Nardo", "ORG")},
        ),
        (
            "« C'est une chance », glisse Zineb, étudiante en droit.",
            {("Zineb", "PER")},
            set(),
        ),
        # A firm named as one in the article still speaks as a firm.
        (
            "La start-up Kalixo a été fondée par Marc Dorval. « Le marché est porteur », "
            "précise Kalixo.",
            {("Kalixo", "ORG"), ("Marc Dorval", "PER")},
            {("Kalixo", "PER")},
        ),
    ],
)
def test_one_word_after_a_speech_verb_is_a_person(text, expected, absent):
    assert_names(text, expected, absent)


@pytest.mark.model
def test_a_group_named_after_its_nationality_is_a_firm():
    names = model_names("Mécalor a été rachetée par le groupe allemand Hessler.")
    assert ("Hessler", "ORG") in names
    assert ("Hessler", "PER") not in names


@pytest.mark.model
def test_a_publisher_and_a_bookshop_are_firms():
    names = model_names(
        "La plateforme Ecolivre, lancée par la maison d'édition Sorbiers, ouvre la librairie "
        "Pagelune à Dole."
    )
    assert {("Ecolivre", "ORG"), ("Sorbiers", "ORG"), ("Pagelune", "ORG")} <= names


@pytest.mark.model
def test_a_consortium_or_a_grouping_is_never_a_person():
    assert_names(
        "Le groupement Vosges Numérique et le consortium Breizh Cyber ont répondu. Le "
        "projet est porté par le consortium Hydrogène Grand Est.",
        {("Vosges Numérique", "ORG"), ("Breizh Cyber", "ORG"), ("Hydrogène Grand Est", "ORG")},
        {("Breizh Cyber", "PER"), ("Grand Est", "LOC")},
    )
