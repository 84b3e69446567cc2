"""Canned queries rewritten to stay fast at a million articles (issue 16) return what the
plain, unbounded SQL returns; their speed is measured by bench/search.py --pages-only."""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlencode

import pytest
from datasette.utils.asgi import Request
from helpers_search import datasette_client, fill_small_db

from db.schema import open_db
from db.search import ROW_LIMIT, filters_from_request, query_sql

WORDS = ("fibre", "réseau", "usine", "salon", "numérique", "emploi")


@pytest.fixture
def db(tmp_path):
    """600 articles whose dates do not follow their ids, a quote in most, two in some."""
    db = open_db(tmp_path / "veille.db")
    with db.atomic():
        db["sources"].insert({"name": "Le Courrier du Plateau"})
        db["entities"].insert_all(
            {"id": i, "name": name, "label": "PER", "key": f"k{i}"}
            for i, name in enumerate(("Odile Ferrandin", "Basile Quernec"), start=1)
        )
        for i in range(600):
            day = (i * 37) % 600  # a shuffled order of dates
            words = [WORDS[(i + k) % len(WORDS)] for k in range(1 + i % 4)]
            db["articles"].insert(
                {
                    "id": i + 1,
                    "url": f"https://courrier.exemple.test/{i}",
                    "canonical_url": f"https://courrier.exemple.test/{i}",
                    "source": "Le Courrier du Plateau",
                    "title": f"Chronique {i} : {words[-1]}",
                    "published": f"2023-{1 + day // 50:02d}-{1 + day % 28:02d}T{day % 24:02d}:00:00+01:00",
                    "text": "Les élus parlent de " + " et de ".join(words) + ".",
                    "content_hash": f"h{i}",
                    "fetched_at": "2024-03-01T08:00:00+00:00",
                }
            )
            for k in range(0 if i % 5 == 0 else 1 + (i % 7 == 0)):
                db["quotes"].insert(
                    {
                        "article_id": i + 1,
                        "speaker_id": 1 + (i + k) % 2,
                        "text": f"Nous tiendrons parole, numéro {i}-{k}.",
                        "start": 0,
                        "end": 10,
                    }
                )
    yield db
    db.conn.close()


PLAIN_QUOTES = """
    SELECT s.name AS speaker, qt.text AS quote, a.title, a.url, a.published, a.source
    FROM quotes qt JOIN articles a ON a.id = qt.article_id
    LEFT JOIN entities s ON s.id = qt.speaker_id
    {where}
    ORDER BY a.published DESC, qt.id
"""


def test_quotes_without_a_name_are_the_latest_quotes_as_sorted_before(db):
    rows = db.execute(query_sql("quotes"), {"q": ""}).fetchall()
    plain = db.execute(PLAIN_QUOTES.format(where="")).fetchall()
    assert len(plain) > ROW_LIMIT + 1
    # Datasette reads ROW_LIMIT + 1 rows (one more to know there are more): exactly those.
    assert rows == plain[: ROW_LIMIT + 1]


def test_quotes_of_a_speaker_are_all_found_and_sorted(db):
    rows = db.execute(query_sql("quotes"), {"q": "basile quernec"}).fetchall()
    plain = db.execute(PLAIN_QUOTES.format(where="WHERE qt.speaker_id = 2")).fetchall()
    assert rows == plain and len(rows) > 100


RANKED = """
    SELECT a.title FROM articles_fts f JOIN articles a ON a.id = f.rowid
    WHERE articles_fts MATCH :words AND rank MATCH 'bm25(4.0, 1.0)' {where}
    ORDER BY rank, f.rowid DESC LIMIT 100
"""


@pytest.mark.parametrize("typed", ["fibre", "réseau usine", "Numérique  emploi"])
def test_articles_search_ranks_as_bm25_over_every_match(db, typed):
    words = '"' + '" "'.join(typed.split()) + '"'
    rows = [r[0] for r in db.execute(query_sql("articles_search"), {"q": typed})]
    assert rows == [r[0] for r in db.execute(RANKED.format(where=""), {"words": words})]
    assert rows


def test_articles_search_ranks_the_latest_matches_only(db):
    sql = query_sql("articles_search")
    assert len(re.findall(r"LIMIT 20000\b", sql)) == 1
    # The same query with a cap of 30 matches: the best of the 30 latest (highest ids).
    capped = sql.replace("LIMIT 20000", "LIMIT 30")
    rows = [r[0] for r in db.execute(capped, {"q": "fibre"})]
    latest = [
        r[0]
        for r in db.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'fibre' "
            "ORDER BY rowid DESC LIMIT 30"
        )
    ]
    where = f"AND f.rowid IN ({', '.join(map(str, latest))})"
    assert rows == [r[0] for r in db.execute(RANKED.format(where=where), {"words": '"fibre"'})]
    assert len(rows) == 30


# --- views filtered on a looked-up name ----------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The hand-made database, plus a second "Dijon" (an organisation) named with Besançon."""
    path = fill_small_db(tmp_path_factory.mktemp("names") / "small.db")
    db = open_db(path)
    with db.atomic():
        db["entities"].insert({"id": 9, "name": "Dijon", "label": "ORG", "key": "dijonorg"})
        db["mentions"].insert_all(
            {
                "entity_id": e,
                "article_id": 1,
                "text": t,
                "sentence": f"{t} signe.",
                "start": 0,
                "end": 5,
            }
            for e, t in ((9, "Dijon"), (1, "Besançon"))
        )
    db.conn.close()
    return path


@pytest.mark.parametrize(
    ("view", "column", "name"),
    [
        ("mention_rows", "entity", "Dijon"),
        ("mention_rows", "entity__exact", "Besançon"),
        ("mentions_by_month", "entity", "Dijon"),
        ("co_mentions", "entity_a", "Besançon"),
        ("co_mentions", "entity_b", "Dijon"),
        ("co_mentions", "entity_b__exact", "Silicon Comté"),
        ("co_mentions", "entity_b", "Personne Inconnue"),
    ],
)
def test_views_filtered_on_a_name_return_the_rows_of_that_name(small, view, column, name):
    with datasette_client(small) as get:
        data = get(f"/veille/{view}.json?" + urlencode({column: name, "_size": "max"})).json()
    conn = sqlite3.connect(f"file:{small}?mode=ro", uri=True)
    order = "mention_id" if view == "mention_rows" else "1, 2, 3, 4, 5"
    expected = conn.execute(
        f"SELECT * FROM {view} WHERE {column.split('__')[0]} = ? ORDER BY {order}", [name]
    ).fetchall()
    conn.close()
    shown = sorted(map(tuple, data["rows"]), key=lambda r: r[0] if view == "mention_rows" else r)
    assert shown == sorted(expected, key=lambda r: r[0] if view == "mention_rows" else r)
    assert data["filtered_table_rows_count"] == len(expected)
    assert bool(expected) == (name != "Personne Inconnue")


def test_a_name_filter_gets_its_twin_on_the_ids_index():
    request = Request.fake("/veille/co_mentions?entity_b=Dijon&entity_a__exact=B&label_a=ORG")
    twin = filters_from_request(request, "veille", "co_mentions", None)
    assert twin.where_clauses == [
        "[entity_b_id] IN (SELECT id FROM entities WHERE name = :veille_name_0)",
        "[entity_a_id] IN (SELECT id FROM entities WHERE name = :veille_name_1)",
    ]
    assert twin.params == {"veille_name_0": "Dijon", "veille_name_1": "B"}
    # Other operators, columns and tables are Datasette's alone.
    for url, table in [
        ("/veille/co_mentions?entity_b__contains=Dij", "co_mentions"),
        ("/veille/entities?name=Dijon", "entities"),
    ]:
        assert filters_from_request(Request.fake(url), "veille", table, None) is None


def test_mention_rows_search_finds_names_newest_first(small):
    with datasette_client(small) as get:
        data = get("/veille/mention_rows.json?_search=besancon&_size=max").json()
    conn = sqlite3.connect(f"file:{small}?mode=ro", uri=True)
    expected = conn.execute(
        "SELECT m.id FROM mentions m JOIN entities e ON e.id = m.entity_id "
        "WHERE e.name IN ('Besançon', 'Grand Besançon Métropole') ORDER BY m.id DESC"
    ).fetchall()
    conn.close()
    ids = [row[data["columns"].index("mention_id")] for row in data["rows"]]
    assert ids == [r[0] for r in expected] and data["filtered_table_rows_count"] == len(ids)
    assert {row[data["columns"].index("entity")] for row in data["rows"]} == {
        "Besançon",
        "Grand Besançon Métropole",
    }


# --- article search pages, not counted -----------------------------------------------------


def test_article_search_pages_list_the_newest_matches_without_count_or_facets(small):
    with datasette_client(small) as get:
        plain = get("/veille/articles.json").json()
        searched = get("/veille/articles.json?_search=Besan%C3%A7on&_size=max").json()
        faceted = get("/veille/articles.json?_search=Besan%C3%A7on&_facet=source").json()
        html = get("/veille/articles?_search=Besan%C3%A7on")
        entities = get("/veille/entities.json?_search=Besan%C3%A7on").json()
    # The plain page keeps its count and default facets; other tables' searches are counted.
    assert plain["filtered_table_rows_count"] == 5 and set(plain["facet_results"]) == {
        "source",
        "relevant",
    }
    assert entities["filtered_table_rows_count"] == 2
    conn = sqlite3.connect(f"file:{small}?mode=ro", uri=True)
    expected = conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'Besançon' ORDER BY rowid DESC"
    ).fetchall()
    conn.close()
    assert [row[0] for row in searched["rows"]] == [r[0] for r in expected] and expected
    assert searched["filtered_table_rows_count"] is None and searched["facet_results"] == {}
    assert "source" in faceted["facet_results"]  # a facet asked for is computed
    assert html.status_code == 200 and "Silicon Comté fédère" in html.text
