"""The dashboard and the entity page, through Datasette's own client on a hand-filled database.

The small database of helpers_search (five articles of 2024, fictional names) gets what the
dashboard reads beyond it: themes and régions, a deal, a copy of an article in another
outlet, a watchlist note. Typed SQL stays off, as `veille serve` runs by default: the charts'
SQL must run anyway, and nothing else.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from helpers_search import datasette_client, fill_many_mentions, fill_small_db

from db.dashboard import SLUG
from db.display import date_text
from db.entity_page import months_svg, number_fr
from db.schema import open_db
from db.search import load_metadata

DASHBOARD = load_metadata()["plugins"]["datasette-dashboards"][SLUG]
CHARTS = DASHBOARD["charts"]


def fill_dashboard_db(path: Path) -> Path:
    """The small database plus themes, régions, a deal, a copy and a tricky title."""
    fill_small_db(path)
    db = open_db(path)
    with db.atomic():
        themes = {1: ["start-up & innovation"], 2: ["événements & salons"], 4: ["financement"]}
        for article_id in range(1, 6):
            db["articles"].update(
                article_id,
                {
                    "relevant": 1,
                    "themes": '["' + '","'.join(themes.get(article_id, [])) + '"]'
                    if article_id in themes
                    else "[]",
                },
            )
        db["article_places"].insert_all(
            {"article_id": a, "kind": "region", "name": r, "weight": 1.0, "rank": 1}
            for a, r in [
                (1, "Bourgogne-Franche-Comté"),
                (3, "Grand Est"),
                (4, "Bourgogne-Franche-Comté"),
            ]
        )
        # A title a browser must show as text, never run.
        db["articles"].update(
            5, {"title": "La <b>SiliconComté</b> fait le bilan & <script>x()</script>"}
        )
        db["entities"].update(
            2, {"note": "Réseau des start-up comtoises", "url": "https://silicon.example/"}
        )
        deal = (
            db["deals"]
            .insert(
                {
                    "type": "funding",
                    "company": "Silicon Comté",
                    "company_key": "siliconcomte",
                    "amount_eur": 1_500_000,
                    "region": "Bourgogne-Franche-Comté",
                    "published": "2024-03-28T11:00:00+01:00",
                    "sentence": "Silicon Comté lève 1,5 million d'euros.",
                    "source_count": 1,
                }
            )
            .last_pk
        )
        db["deal_sources"].insert({"deal_id": deal, "article_id": 4, "sentence": ""})
        db["deal_entities"].insert({"deal_id": deal, "entity_id": 2, "role": "company"})
        db["article_copies"].insert(
            {
                "url": "https://2.example/reprise-bpifrance",
                "article_id": 4,
                "source": "Vosges Numérique",
                "fetched_at": "2024-03-29T08:00:00+00:00",
            }
        )
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return fill_dashboard_db(tmp_path_factory.mktemp("dashboard") / "veille.db")


@pytest.fixture(scope="module")
def get(small):
    with datasette_client(small) as get:
        yield get


def chart_rows(get, chart: str, **filters) -> list[dict]:
    """Run one chart's SQL as the plugin's JavaScript does: /veille.json?sql=…&filters."""
    query = urlencode({"sql": CHARTS[chart]["query"], **filters, "_shape": "objects"})
    response = get(f"/veille.json?{query}")
    assert response.status_code == 200, response.text[:300]
    return response.json()["rows"]


def truth(path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_front_page_links_the_dashboard_first(get):
    page = get("/").text
    link = page.index(f'href="/-/dashboards/{SLUG}"')
    assert "Tableau de" in page[link : link + 200]
    assert link < page.index('href="/veille/mentions"')


def test_menu_names_the_dashboards_in_french(get):
    # datasette-dashboards adds "Dashboards" to every page's menu; a hook renames it.
    for path in ("/", "/veille", "/-/entite/2"):
        html = get(path).text
        assert '/-/dashboards">Tableaux de bord</a>' in html, path
        assert ">Dashboards<" not in html, path


def test_dashboard_page_opens_on_the_last_weeks_with_filters_from_the_data(get):
    first = get(f"/-/dashboards/{SLUG}")
    assert first.status_code == 302
    assert "periode=12+derni%C3%A8res+semaines" in first.headers["location"]
    page = get(first.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert "<h1>Tableau de bord</h1>" in html
    for name in ("Période", "Région de l’article", "Thème", "Média", "Type d’entité"):
        assert f"<legend>{name}</legend>" in html
    # Options come from the data: outlets, régions of articles, themes, years.
    for option in (
        "Vosges Numérique",
        "Bourgogne-Franche-Comté",
        "Grand Est",
        "événements &amp; salons",
        "2024",
        "personne",
    ):
        assert f'<option value="{option}"' in html, option
    for chart in CHARTS:
        assert f'id="chart-{chart}"' in html
    assert "Appliquer" in html  # the plugin's own words, in French through a hook
    # Vega ships in the plugin: the page loads no script from elsewhere.
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert scripts and all(s.startswith("/") for s in scripts), scripts


def test_typed_sql_stays_refused_beside_the_charts(get):
    assert get("/veille.json?" + urlencode({"sql": "SELECT 1"})).status_code == 403
    changed = CHARTS["medias"]["query"].replace("LIMIT 15", "LIMIT 16")
    assert get("/veille.json?" + urlencode({"sql": changed})).status_code == 403
    # The [[ … ]] parts the plugin drops or keeps are no way in either.
    sql = "SELECT 1 [[ WHERE :periode = 1 ]]"
    assert get("/veille.json?" + urlencode({"sql": sql, "periode": "1"})).status_code == 403


def test_weekly_articles_and_mentions(get, small):
    rows = chart_rows(get, "semaines", periode="2024")
    assert sum(r["articles"] for r in rows) == 5
    assert sum(r["mentions"] for r in rows) == truth(small, "SELECT count(*) FROM mentions")[0][0]
    # Weeks start on Monday: 2024-01-15 is one.
    assert rows[0]["semaine"] == "2024-01-15"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["semaine"]) for r in rows)
    # The default period ends on the latest article (2024-04-10), whatever today is.
    recent = chart_rows(get, "semaines", periode="4 dernières semaines")
    assert [r["semaine"] for r in recent] == ["2024-03-25", "2024-04-08"]
    assert chart_rows(get, "semaines", periode="2023") == []
    # Left empty, the period is the default one.
    assert chart_rows(get, "semaines", periode="") == chart_rows(
        get, "semaines", periode="12 dernières semaines"
    )
    people = chart_rows(get, "semaines", periode="2024", type="personne")
    assert sum(r["mentions"] for r in people) == 4


def test_share_of_voice_counts_watchlist_entities_only(get):
    rows = chart_rows(get, "part_de_voix", periode="2024")
    assert {r["entite"] for r in rows} == {"Silicon Comté", "Bpifrance"}
    assert sum(r["articles"] for r in rows if r["entite"] == "Silicon Comté") == 3


def test_top_entities_by_type_and_filters(get):
    rows = chart_rows(get, "entites", periode="2024")
    top = {r["entite"]: (r["type"], r["articles"]) for r in rows}
    assert top["Silicon Comté"] == ("organisation", 3)
    assert top["Besançon"] == ("lieu", 2)
    assert top["Élodie Marchand"] == ("personne", 2)
    assert next(r for r in rows if r["entite"] == "Besançon")["lien"] == "/-/entite/1"
    places = chart_rows(get, "entites", periode="2024", type="lieu")
    assert {r["type"] for r in places} == {"lieu"}
    outlet = chart_rows(get, "entites", periode="2024", media="Vosges Numérique")
    assert {r["entite"] for r in outlet} == {"Épinal", "Jérôme Vautrin"}
    region = chart_rows(get, "entites", periode="2024", region="Grand Est")
    assert {r["entite"] for r in region} == {"Épinal", "Jérôme Vautrin"}
    theme = chart_rows(get, "entites", periode="2024", theme="événements & salons")
    assert {r["entite"] for r in theme} == {"Dijon", "Silicon Comté", "Grand Besançon Métropole"}


def test_outlets_that_wrote_most(get):
    rows = chart_rows(get, "medias", periode="2024")
    assert rows[:2] == [
        {"media": "Côte-d'Or Éco", "articles": 2},
        {"media": "L'Écho du Doubs", "articles": 2},
    ]
    assert rows[2] == {"media": "Vosges Numérique", "articles": 1}


def test_latest_watchlist_mentions_are_escaped_links(get):
    rows = chart_rows(get, "mentions_suivies", periode="2024")
    assert rows[0]["Date"] == "10 avr. 2024"
    assert rows[0]["Entité"] == '<a href="/-/entite/2">Silicon Comté</a>'
    assert "&lt;script&gt;" in rows[0]["Article"] and "<script>" not in rows[0]["Article"]
    assert rows[0]["Article"].startswith('<a href="https://5.example/article-5">')
    assert [r["Entité"] for r in rows].count('<a href="/-/entite/5">Bpifrance</a>') == 1
    empty = chart_rows(get, "mentions_suivies", periode="2023")
    assert len(empty) == 1 and "Élargissez la période" in empty[0]["Article"]


def test_deals_of_the_period(get):
    rows = chart_rows(get, "operations", periode="2024")
    assert rows == [
        {
            "Date": "28 mars 2024",
            "Type": "levée de fonds",
            "Entreprise": "Silicon Comté",
            "Montant ou emplois": "1,5 M€",
            "Lieu": "Bourgogne-Franche-Comté",
            "Phrase": "Silicon Comté lève 1,5 million d'euros.",
        }
    ]
    assert chart_rows(get, "operations", periode="2024", media="Vosges Numérique")[0]["Date"] == ""
    assert chart_rows(get, "operations", periode="2024", region="Grand Est")[0]["Date"] == ""


def test_entity_page(get, small):
    page = get("/-/entite/2")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Silicon Comté</h1>" in html
    assert "Organisation" in html and "SiliconComté" in html  # type and alias
    assert "Réseau des start-up comtoises" in html
    assert 'href="https://silicon.example/"' in html
    assert 'href="/veille/entity_feed.atom?id=2"' in html
    # Articles per month: one bar per month from January to April 2024.
    start = html.index('<svg class="veille-chart"')
    svg = html[start : html.index("</svg>", start)]
    assert svg.count('class="mark"') == 4
    assert "févr. 2024 : 1 article" in svg
    # Outlets, names met with it, deals.
    assert "Côte-d&#39;Or Éco : 2" in html
    assert '<a href="/-/entite/1">Besançon</a>' in html
    assert "1\u202f500\u202f000 €" in html
    # Articles newest first, with date in French and the sentence naming it.
    titles = re.findall(r'<li><a href="(https://[^"]+)">', html)
    expected = [
        r[0]
        for r in truth(
            small,
            "SELECT DISTINCT a.url FROM articles a JOIN mentions m ON m.article_id = a.id "
            "WHERE m.entity_id = 2 ORDER BY a.published DESC",
        )
    ]
    assert titles == expected
    assert "10 avr. 2024" in html
    assert "&lt;script&gt;" in html and "<script>x()" not in html
    quotes = get("/-/entite/3").text
    assert "« Nous voulons que chaque start-up trouve sa place »" in quotes
    copies = get("/-/entite/5").text
    assert "Aussi publié par : Vosges Numérique" in copies


def test_entity_feed(get):
    feed = get("/veille/entity_feed.atom?id=5")
    assert feed.status_code == 200
    assert feed.text.count("<entry>") == 1
    assert "Bpifrance — Bpifrance soutient une jeune pousse de Besançon" in feed.text
    unknown = get("/veille/entity_feed.atom?id=999")
    assert unknown.status_code == 200 and "Entité inconnue" in unknown.text


def test_unknown_entity_is_a_french_404(get):
    page = get("/-/entite/999")
    assert page.status_code == 404
    assert "Page introuvable" in page.text


def test_entity_articles_are_paginated_newest_first(tmp_path):
    path = fill_many_mentions(tmp_path / "veille.db", articles=45)
    expected = [
        r[0]
        for r in truth(
            path,
            "SELECT a.url FROM articles a WHERE a.id IN (SELECT article_id FROM mentions "
            "WHERE entity_id = 1) ORDER BY a.published DESC, a.id DESC",
        )
    ]
    seen = []
    with datasette_client(path) as get:
        for page in (1, 2, 3):
            html = get(f"/-/entite/1?page={page}").text
            seen += re.findall(r'<li><a href="(https://[^"]+)">', html)
            assert ("Page suivante" in html) == (page < 3)
            assert ("Page précédente" in html) == (page > 1)
    assert seen == expected and len(expected) == 45


def test_french_display_helpers():
    assert date_text("2026-11-18T09:00:00+01:00") == "18 nov. 2026"
    assert date_text("") == "" and date_text("hier") == "hier"
    assert number_fr(1234567) == "1\u202f234\u202f567"
    assert months_svg({}) == ""
    svg = months_svg({"2025-11": 3, "2026-01": 1})
    assert svg.count('class="mark"') == 3  # December drawn at zero


def test_team_mode_keeps_the_dashboard_and_entity_pages_behind_sign_in(small, tmp_path):
    import asyncio

    from db.serve import datasette_app
    from db.users import add_user, load_users

    path = tmp_path / "team.users.json"
    token = add_user(path, "camille", "un-long-secret")["feed_token"]
    ds = datasette_app(small, team=load_users(path))
    chart = "/veille.json?" + urlencode({"sql": CHARTS["medias"]["query"], "periode": "2024"})
    pages = (f"/-/dashboards/{SLUG}?periode=2024", chart, "/-/entite/1")

    async def go():
        await ds.invoke_startup()
        anonymous = [(await ds.client.get(p)).status_code for p in pages]
        login = await ds.client.get("/-/login")
        csrf = login.cookies.get("ds_csrftoken")
        signed = await ds.client.post(
            "/-/login",
            data={"username": "camille", "password": "un-long-secret", "csrftoken": csrf},
            cookies={"ds_csrftoken": csrf},
        )
        cookies = {"ds_actor": signed.cookies.get("ds_actor")}
        member = [(await ds.client.get(p, cookies=cookies)).status_code for p in pages]
        typed = (await ds.client.get("/veille.json?sql=select+1", cookies=cookies)).status_code
        # The entity page's feed link carries the member's feed token: a feed reader, which
        # cannot sign in, opens it.
        page = (await ds.client.get("/-/entite/5", cookies=cookies)).text
        feed = re.search(r'<a href="([^"]+entity_feed\.atom[^"]+)"', page)[1].replace("&amp;", "&")
        read = await ds.client.get(feed)
        return anonymous, member, typed, feed, read

    anonymous, member, typed, feed, read = asyncio.run(go())
    assert all(status in (302, 403) for status in anonymous), anonymous
    assert member == [200, 200, 200]
    assert typed == 403
    assert feed == f"/veille/entity_feed.atom?id=5&_token={token}"
    assert read.status_code == 200 and "Bpifrance" in read.text
