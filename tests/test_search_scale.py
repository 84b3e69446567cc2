"""Canned queries rewritten to stay fast at a million articles (issue 16) return what the
plain, unbounded SQL returns; their speed is measured by bench/search.py --pages-only."""

from __future__ import annotations

import re

import pytest

from db.schema import open_db
from db.search import ROW_LIMIT, query_sql

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
