"""The dashboard's charts that read the kept weekly counts (entity_weeks, migration m013)
give the rows their former SQL gave by reading every mention, for every period and filter.

The former SQL of each chart that changed is kept below as it was; both run on a seeded
random store (three outlets, off-topic and undated articles, weeks across New Year, more
than 300 entities of each type so that the top list's shortcut and its fallback both run,
then re-processed, deleted, reclassified and redated), on the dashboard tests' hand-filled
store and, with the model, on the crawled fixture site.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers_search import crawled_db_once
from test_dashboard import fill_dashboard_db

from db import counts, entity_store
from db.dashboard import SLUG
from db.schema import open_db
from db.search import load_metadata

CHARTS = load_metadata()["plugins"]["datasette-dashboards"][SLUG]["charts"]
SOURCES = ["L’Écho du Jura", "Côte Numérique", "Vosges Tech"]
REGIONS = ["Bourgogne-Franche-Comté", "Grand Est"]
THEMES = ["financement", "start-up & innovation", "emploi"]
PERIODS = [
    "",
    "4 dernières semaines",
    "12 dernières semaines",
    "12 derniers mois",
    "2023",
    "2024",
    "2025",
]
FILTERS = [
    {},
    {"type": "organisation"},
    {"type": "personne"},
    {"type": "lieu"},
    {"media": SOURCES[0]},
    {"region": REGIONS[1]},
    {"theme": THEMES[1]},
    {"type": "personne", "media": SOURCES[1], "theme": THEMES[0]},
]

# The charts' SQL before m013 (db/metadata.yml at commit cb69a97), as it was.
FORMER = {
    "semaines": """
WITH p AS (
  SELECT CASE WHEN :periode GLOB '[0-9][0-9][0-9][0-9]' THEN :periode || '-01-01'
    ELSE coalesce(date((SELECT max(published) FROM articles WHERE published < date('now', '+2 days')),
      '-6 days', 'weekday 1', CASE :periode
      WHEN '4 dernières semaines' THEN '-21 days' WHEN '12 derniers mois' THEN '-357 days'
      ELSE '-77 days' END), '0')
    END AS since,
    CASE WHEN :periode GLOB '[0-9][0-9][0-9][0-9]' THEN (:periode + 1) || '-01-01' ELSE 'A' END AS until,
    CASE :type WHEN 'organisation' THEN 'ORG' WHEN 'personne' THEN 'PER' WHEN 'lieu' THEN 'LOC' ELSE '' END AS label
)
SELECT date(substr(a.published, 1, 10), '-6 days', 'weekday 1') AS semaine,
  count(*) AS articles,
  sum((SELECT count(*) FROM mentions m WHERE m.article_id = a.id
    AND (p.label = '' OR m.entity_id IN (SELECT id FROM entities WHERE label = p.label)))) AS mentions
FROM p CROSS JOIN articles a
WHERE a.published >= p.since AND a.published < p.until AND a.relevant IS NOT 0
  AND (:media = '' OR a.source = :media)
  AND (:region = '' OR a.id IN (
    SELECT article_id FROM article_places WHERE kind = 'region' AND name = :region))
  AND (:theme = '' OR EXISTS (SELECT 1 FROM json_each(a.themes) WHERE value = :theme))
GROUP BY semaine ORDER BY semaine
""",
    "part_de_voix": """
WITH p AS (
  SELECT CASE WHEN :periode GLOB '[0-9][0-9][0-9][0-9]' THEN :periode || '-01-01'
    ELSE coalesce(date((SELECT max(published) FROM articles WHERE published < date('now', '+2 days')),
      '-6 days', 'weekday 1', CASE :periode
      WHEN '4 dernières semaines' THEN '-21 days' WHEN '12 derniers mois' THEN '-357 days'
      ELSE '-77 days' END), '0')
    END AS since,
    CASE WHEN :periode GLOB '[0-9][0-9][0-9][0-9]' THEN (:periode + 1) || '-01-01' ELSE 'A' END AS until,
    CASE :type WHEN 'organisation' THEN 'ORG' WHEN 'personne' THEN 'PER' WHEN 'lieu' THEN 'LOC' ELSE '' END AS label
),
-- The watchlist's ids and the period's articles with their week, each computed
-- once; then their mentions through the (article, entity) index alone.
watch AS MATERIALIZED (
  SELECT e.id FROM p CROSS JOIN entities e
  WHERE e.watchlist = 1 AND (p.label = '' OR e.label = p.label)
),
period AS MATERIALIZED (
  SELECT a.id, date(substr(a.published, 1, 10), '-6 days', 'weekday 1') AS semaine
  FROM p CROSS JOIN articles a
  WHERE a.published >= p.since AND a.published < p.until AND a.relevant IS NOT 0
    AND (:media = '' OR a.source = :media)
    AND (:region = '' OR a.id IN (
      SELECT article_id FROM article_places WHERE kind = 'region' AND name = :region))
    AND (:theme = '' OR EXISTS (SELECT 1 FROM json_each(a.themes) WHERE value = :theme))
),
hits AS MATERIALIZED (
  SELECT x.semaine, m.entity_id, count(DISTINCT x.id) AS n
  FROM period x CROSS JOIN mentions m ON m.article_id = x.id
  WHERE m.entity_id IN watch
  GROUP BY x.semaine, m.entity_id
),
top AS (SELECT entity_id FROM hits GROUP BY entity_id ORDER BY sum(n) DESC, entity_id LIMIT 8)
SELECT h.semaine, iif(h.entity_id IN top, e.name, 'autres entités suivies') AS entite,
  sum(h.n) AS articles
FROM hits h JOIN entities e ON e.id = h.entity_id
GROUP BY h.semaine, entite ORDER BY h.semaine, entite
""",
    "entites": """
WITH p AS (
  SELECT CASE WHEN :periode GLOB '[0-9][0-9][0-9][0-9]' THEN :periode || '-01-01'
    ELSE coalesce(date((SELECT max(published) FROM articles WHERE published < date('now', '+2 days')),
      '-6 days', 'weekday 1', CASE :periode
      WHEN '4 dernières semaines' THEN '-21 days' WHEN '12 derniers mois' THEN '-357 days'
      ELSE '-77 days' END), '0')
    END AS since,
    CASE WHEN :periode GLOB '[0-9][0-9][0-9][0-9]' THEN (:periode + 1) || '-01-01' ELSE 'A' END AS until,
    CASE :type WHEN 'organisation' THEN 'ORG' WHEN 'personne' THEN 'PER' WHEN 'lieu' THEN 'LOC' ELSE '' END AS label
),
counted AS MATERIALIZED (
  SELECT m.entity_id, count(DISTINCT a.id) AS n
  FROM p CROSS JOIN articles a CROSS JOIN mentions m ON m.article_id = a.id
  WHERE a.published >= p.since AND a.published < p.until AND a.relevant IS NOT 0
    AND (:media = '' OR a.source = :media)
    AND (:region = '' OR a.id IN (
      SELECT article_id FROM article_places WHERE kind = 'region' AND name = :region))
    AND (:theme = '' OR EXISTS (SELECT 1 FROM json_each(a.themes) WHERE value = :theme))
  GROUP BY m.entity_id
),
ranked AS (
  SELECT e.id, e.name, e.label, c.n,
    row_number() OVER (PARTITION BY e.label ORDER BY c.n DESC, e.name) AS rang
  FROM p CROSS JOIN counted c JOIN entities e ON e.id = c.entity_id
  WHERE e.label IN ('ORG', 'PER', 'LOC') AND (p.label = '' OR e.label = p.label)
)
SELECT name AS entite,
  CASE label WHEN 'ORG' THEN 'organisation' WHEN 'PER' THEN 'personne' ELSE 'lieu' END AS type,
  n AS articles, instr('ORGPERLOC', label) * 100 + rang AS ordre, '/-/entite/' || id AS lien
FROM ranked WHERE rang <= 10 ORDER BY ordre
""",
}


def fill_random_db(path: Path, seed: int = 15) -> Path:
    """A store of 170 articles from October 2023 to January 2025, written as the NLP stage
    writes, then changed as corrections change it."""
    rng = random.Random(seed)
    db = open_db(path)
    with db.atomic():
        for i, name in enumerate(SOURCES):
            db["sources"].insert({"name": name, "region": REGIONS[i % 2]}, pk="name")
        days = [date(2023, 10, 2) + timedelta(days=3 * i) for i in range(160)]
        days += [date(2024, 12, 30) + timedelta(days=i) for i in range(7)]  # New Year's week
        days += [date(2023, 12, 31), date(2025, 1, 1), date(2024, 1, 1)]
        articles = []
        for i, day in enumerate(days):
            url = f"https://{i % 3}.exemple.test/{day:%Y/%m}/article-{i}"
            article_id = (
                db["articles"]
                .insert(
                    {
                        "url": url,
                        "canonical_url": url,
                        "source": SOURCES[i % 3],
                        "title": f"Article {i}",
                        "published": None if i % 41 == 7 else f"{day}T{8 + i % 12:02d}:15:00+01:00",
                        "text": "Texte.",
                        "content_hash": f"h{i}",
                        "fetched_at": f"{day}T20:00:00+00:00",
                        "relevant": rng.choice([1, 1, 1, 0, None]),
                        "themes": '["' + '","'.join(rng.sample(THEMES, rng.randint(0, 2))) + '"]',
                    }
                )
                .last_pk
            )
            articles.append(article_id)
            for region in rng.sample(REGIONS, rng.randint(0, 2)):
                db["article_places"].insert(
                    {"article_id": article_id, "kind": "region", "name": region, "weight": 1.0}
                )
        ids = [
            entity_store.insert_entity(db, f"{label} {i}", label, f"{label.lower()}{i}")
            for i in range(310)
            for label in ("ORG", "PER", "LOC")
        ]
        ids += [entity_store.insert_entity(db, f"Divers {i}", "MISC", f"misc{i}") for i in range(3)]
        db.execute(
            "UPDATE entities SET watchlist = 1 WHERE id IN (SELECT id FROM entities "
            "WHERE id % 7 = 1 AND id < 200 OR id IN (2, 3, 5))"
        )
    weights = [1 / (rank + 1) for rank in range(len(ids))]

    def named(article_id: int) -> list[int]:
        # A few names drawn as news names them (some often, most rarely), and every entity
        # named in about three articles, so that the 301st of a type has articles too.
        tail = [ids[(article_id * 16 + j) % len(ids)] for j in range(16)]
        return rng.choices(ids, weights, k=rng.randint(0, 25)) + tail

    def save(found: list[int]) -> None:
        with db.atomic():
            entity_store.save_results(
                db,
                [
                    entity_store.ArticleResult(
                        a,
                        [
                            entity_store.MentionRow(e, "Nom", "Nom accueille.", 10 * j, 10 * j + 3)
                            for j, e in enumerate(named(a))
                        ],
                        [],
                    )
                    for a in found
                ],
                "v1",
            )

    save(articles)
    save(rng.sample(articles, 30))  # re-processed
    with db.atomic():
        for article_id in rng.sample(articles, 5):
            db.execute("DELETE FROM mentions WHERE article_id = ?", [article_id])
        for article_id in rng.sample(articles, 12):
            db.execute(
                "UPDATE articles SET relevant = ? WHERE id = ?", [rng.choice([0, 1]), article_id]
            )
        for article_id, day in zip(
            rng.sample(articles, 4),
            ["2024-12-31", "2025-01-03", "2023-12-30", "2024-06-05"],
            strict=True,
        ):
            db.execute(
                "UPDATE articles SET published = ? WHERE id = ?", [f"{day}T11:00:00", article_id]
            )
        entity_store.merge_entity(db, ids[40], ids[4])
    assert counts.check(db) == []
    db.conn.close()
    return path


def run(path: Path, sql: str, params: dict) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        keys = ("periode", "region", "theme", "media", "type")
        return conn.execute(sql, {k: params.get(k, "") for k in keys}).fetchall()
    finally:
        conn.close()


def assert_same_rows(path: Path) -> None:
    for chart, former in FORMER.items():
        for periode in PERIODS:
            for filters in FILTERS:
                params = {"periode": periode, **filters}
                assert run(path, CHARTS[chart]["query"], params) == run(path, former, params), (
                    chart,
                    params,
                )


@pytest.fixture(scope="module")
def random_db(tmp_path_factory) -> Path:
    return fill_random_db(tmp_path_factory.mktemp("kept") / "veille.db")


def test_charts_give_their_former_rows_on_a_random_store(random_db):
    assert run(random_db, FORMER["entites"], {"periode": "2024"})  # not empty
    assert_same_rows(random_db)


def test_top_entities_take_the_shortcut_only_when_it_is_exact(random_db):
    # The top list's SQL up to its final SELECT, asked whether the shortcut held.
    sql = CHARTS["entites"]["query"]
    sure = sql[: sql.rindex("SELECT name AS entite")] + "SELECT yes FROM sure"
    taken = {p: run(random_db, sure, {"periode": p})[0][0] for p in PERIODS}
    # Long periods: the 10 first of each type outnumber the 301st entity's all-time count;
    # four weeks of articles do not.
    assert taken["2024"] == 1 and taken["4 dernières semaines"] == 0, taken


def test_charts_give_their_former_rows_on_the_dashboard_store(tmp_path):
    assert_same_rows(fill_dashboard_db(tmp_path / "veille.db"))


@pytest.mark.model
def test_charts_give_their_former_rows_on_the_crawled_site(tmp_path_factory):
    assert_same_rows(crawled_db_once(tmp_path_factory))
