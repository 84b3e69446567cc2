"""Counts kept by triggers as mentions are written, and the check that recounts them.

What the pages and the entity figures read is kept up to date in the transaction that
writes the mentions, whoever writes them (the NLP stage, merges, corrections), so that a
batch costs the same at any store size instead of recounting an entity's every mention:

- `entity_articles`: one row per (entity, article) with its number of mentions and the
  article's date (published, else fetched);
- `entity_pairs`: entities named in the same articles (co-mentions), a < b;
- on `entities`: `article_count`, `relevant_count` (articles not classified as off-topic),
  `first_seen`, `last_seen`;
- `entity_months` (migration m006): mentions and articles per entity and month;
- `entity_weeks` (migration m013): mentions and articles per week and entity, articles on
  topic only (`relevant` not 0) and dated (`published`), what the dashboard's charts sum
  over a period instead of reading every mention of its articles;
- on `articles`: `copy_count`, its copies published by other outlets (the `stories` view).

Mentions feed `entity_articles`; its own triggers feed the rest, so each figure moves only
when an (entity, article) pair appears or disappears. `check` recomputes everything from
the mentions and lists any difference; `repair` rewrites the kept figures from scratch.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlite_utils import Database

TABLES = """
CREATE TABLE entity_articles (
  entity_id INTEGER NOT NULL,
  article_id INTEGER NOT NULL,
  mentions INTEGER NOT NULL,
  seen TEXT,                  -- the article's date: published, else fetched_at
  PRIMARY KEY (entity_id, article_id)
) WITHOUT ROWID;
CREATE INDEX idx_entity_articles_article ON entity_articles (article_id, entity_id);
-- min/max of an entity's dates in one probe when an article leaves it.
CREATE INDEX idx_entity_articles_seen ON entity_articles (entity_id, seen);
CREATE TABLE entity_pairs (
  entity_a INTEGER NOT NULL,  -- the smaller id
  entity_b INTEGER NOT NULL,
  articles INTEGER NOT NULL,
  PRIMARY KEY (entity_a, entity_b)
) WITHOUT ROWID;
CREATE INDEX idx_entity_pairs_b ON entity_pairs (entity_b, entity_a);
CREATE INDEX idx_entity_pairs_articles ON entity_pairs (articles);
"""

# Migration m013. An article counts in the week of its `published` date (the Monday, as
# the dashboard's charts group), cut at New Year: the days of a week in January start their
# own week on January 1st. So every period the dashboard offers (whole weeks ending on the
# latest one, or a calendar year) is a set of whole rows. Off-topic and undated articles are
# not counted; a date SQLite cannot read keeps its own 10 characters as its week.
WEEK_TABLES = """
CREATE TABLE entity_weeks (
  week TEXT NOT NULL,
  entity_id INTEGER NOT NULL,
  mentions INTEGER NOT NULL,
  articles INTEGER NOT NULL,
  PRIMARY KEY (week, entity_id)
) WITHOUT ROWID;
-- One entity's weeks (the watchlist's share of voice, the top names), without the others'.
CREATE INDEX idx_entity_weeks_entity ON entity_weeks (entity_id, week);
"""


def week_of(published: str) -> str:
    """SQL: the entity_weeks week of an article whose `published` is the SQL `published`."""
    day = f"substr({published}, 1, 10)"
    return (
        f"coalesce(max(date({day}, '-6 days', 'weekday 1'), "
        f"substr({published}, 1, 4) || '-01-01'), {day})"
    )


_SEEN = "(SELECT coalesce(published, fetched_at) FROM articles WHERE id = {m}.article_id)"
_RELEVANT = "coalesce((SELECT relevant IS NOT 0 FROM articles WHERE id = {p}.article_id), 1)"


def _mention_add(m: str) -> str:
    # OR IGNORE: an existing pair does not fire entity_articles' insert trigger.
    return f"""
      INSERT OR IGNORE INTO entity_articles (entity_id, article_id, mentions, seen)
        VALUES ({m}.entity_id, {m}.article_id, 0, {_SEEN.format(m=m)});
      UPDATE entity_articles SET mentions = mentions + 1
        WHERE entity_id = {m}.entity_id AND article_id = {m}.article_id;
    """


def _mention_remove(m: str) -> str:
    return f"""
      UPDATE entity_articles SET mentions = mentions - 1
        WHERE entity_id = {m}.entity_id AND article_id = {m}.article_id;
      DELETE FROM entity_articles
        WHERE entity_id = {m}.entity_id AND article_id = {m}.article_id AND mentions <= 0;
    """


_OTHERS = (
    "SELECT min({p}.entity_id, x.entity_id), max({p}.entity_id, x.entity_id) "
    "FROM entity_articles x WHERE x.article_id = {p}.article_id AND x.entity_id <> {p}.entity_id"
)

# Triggers on entity_articles: what an (entity, article) pair adds or takes away.
PAIR_TRIGGERS = f"""
CREATE TRIGGER entity_articles_counts_insert AFTER INSERT ON entity_articles BEGIN
  UPDATE entities SET
    article_count = coalesce(article_count, 0) + 1,
    relevant_count = relevant_count + {_RELEVANT.format(p="new")},
    first_seen = iif(first_seen IS NULL OR new.seen < first_seen, new.seen, first_seen),
    last_seen = iif(last_seen IS NULL OR new.seen > last_seen, new.seen, last_seen)
  WHERE id = new.entity_id;
  -- `WHERE true`: SQLite's parser needs a WHERE in INSERT … SELECT before ON CONFLICT.
  INSERT INTO entity_pairs (entity_a, entity_b, articles)
    SELECT *, 1 FROM ({_OTHERS.format(p="new")}) WHERE true
    ON CONFLICT (entity_a, entity_b) DO UPDATE SET articles = articles + 1;
END;
CREATE TRIGGER entity_articles_counts_delete AFTER DELETE ON entity_articles BEGIN
  UPDATE entities SET
    article_count = article_count - 1,
    relevant_count = relevant_count - {_RELEVANT.format(p="old")}
  WHERE id = old.entity_id;
  -- Dates move only when the article was the entity's first or last (one index probe).
  UPDATE entities SET
    first_seen = (SELECT min(seen) FROM entity_articles WHERE entity_id = old.entity_id),
    last_seen = (SELECT max(seen) FROM entity_articles WHERE entity_id = old.entity_id)
  WHERE id = old.entity_id
    AND (old.seen IS NULL OR old.seen <= first_seen OR old.seen >= last_seen);
  UPDATE entity_pairs SET articles = articles - 1
    WHERE (entity_a, entity_b) IN ({_OTHERS.format(p="old")});
  DELETE FROM entity_pairs
    WHERE articles <= 0 AND (entity_a, entity_b) IN ({_OTHERS.format(p="old")});
END;
"""


def weeks_from(pairs: str) -> str:
    """SQL: entity_weeks' rows from a table of (entity, article) pairs and their mentions,
    the dated, on-topic ones."""
    return (
        f"SELECT {week_of('a.published')} AS week, x.entity_id, sum(x.mentions) AS mentions, "
        f"count(*) AS articles FROM {pairs} x JOIN articles a ON a.id = x.article_id "
        "WHERE a.relevant IS NOT 0 AND a.published IS NOT NULL GROUP BY 1, 2"
    )


# The week an (entity, article) pair counts in: none when the article is off-topic or undated.
_WEEK = (
    f"(SELECT {week_of('published')} FROM articles "
    "WHERE id = {p}.article_id AND relevant IS NOT 0 AND published IS NOT NULL)"
)

# Triggers on entity_articles (its mentions move, a pair appears or goes) and on articles
# (classified again, dated again) keeping entity_weeks. Named *_counts_* like the others, so
# that a bulk load that drops the count triggers drops these too (bench/search.py).
WEEK_TRIGGERS = f"""
CREATE TRIGGER entity_articles_weeks_counts_insert AFTER INSERT ON entity_articles BEGIN
  INSERT INTO entity_weeks (week, entity_id, mentions, articles)
    SELECT {_WEEK.format(p="new")} AS week, new.entity_id, new.mentions, 1 WHERE week IS NOT NULL
    ON CONFLICT (week, entity_id) DO UPDATE
      SET mentions = mentions + excluded.mentions, articles = articles + 1;
END;
CREATE TRIGGER entity_articles_weeks_counts_update AFTER UPDATE OF mentions ON entity_articles
WHEN old.mentions IS NOT new.mentions BEGIN
  UPDATE entity_weeks SET mentions = mentions + new.mentions - old.mentions
    WHERE week = {_WEEK.format(p="new")} AND entity_id = new.entity_id;
END;
CREATE TRIGGER entity_articles_weeks_counts_delete AFTER DELETE ON entity_articles BEGIN
  UPDATE entity_weeks SET mentions = mentions - old.mentions, articles = articles - 1
    WHERE week = {_WEEK.format(p="old")} AND entity_id = old.entity_id;
  DELETE FROM entity_weeks
    WHERE week = {_WEEK.format(p="old")} AND entity_id = old.entity_id AND articles <= 0;
END;
-- The article leaves its old week (if it counted), then joins its new one (if it counts).
CREATE TRIGGER articles_weeks_counts_update AFTER UPDATE OF published, relevant ON articles
WHEN (old.relevant IS NOT 0) <> (new.relevant IS NOT 0)
  OR {week_of("old.published")} IS NOT {week_of("new.published")}
BEGIN
  UPDATE entity_weeks SET
    mentions = mentions - (SELECT x.mentions FROM entity_articles x
      WHERE x.article_id = new.id AND x.entity_id = entity_weeks.entity_id),
    articles = articles - 1
  WHERE old.relevant IS NOT 0 AND week = {week_of("old.published")}
    AND entity_id IN (SELECT entity_id FROM entity_articles WHERE article_id = new.id);
  DELETE FROM entity_weeks
  WHERE old.relevant IS NOT 0 AND week = {week_of("old.published")} AND articles <= 0
    AND entity_id IN (SELECT entity_id FROM entity_articles WHERE article_id = new.id);
  INSERT INTO entity_weeks (week, entity_id, mentions, articles)
    SELECT {week_of("new.published")}, entity_id, mentions, 1 FROM entity_articles
    WHERE article_id = new.id AND new.relevant IS NOT 0 AND new.published IS NOT NULL
    ON CONFLICT (week, entity_id) DO UPDATE
      SET mentions = mentions + excluded.mentions, articles = articles + 1;
END;
"""

TRIGGERS = f"""
CREATE TRIGGER mentions_counts_insert AFTER INSERT ON mentions BEGIN
  {_mention_add("new")}
END;
CREATE TRIGGER mentions_counts_delete AFTER DELETE ON mentions BEGIN
  {_mention_remove("old")}
END;
CREATE TRIGGER mentions_counts_update AFTER UPDATE OF entity_id, article_id ON mentions
WHEN old.entity_id IS NOT new.entity_id OR old.article_id IS NOT new.article_id BEGIN
  {_mention_remove("old")}
  {_mention_add("new")}
END;
-- An article's new date (a story's first publisher found later) moves its entities' dates.
CREATE TRIGGER articles_counts_seen AFTER UPDATE OF published, fetched_at ON articles
WHEN coalesce(old.published, old.fetched_at) IS NOT coalesce(new.published, new.fetched_at)
BEGIN
  UPDATE entity_articles SET seen = coalesce(new.published, new.fetched_at)
    WHERE article_id = new.id;
  UPDATE entities SET
    first_seen = (SELECT min(seen) FROM entity_articles WHERE entity_id = entities.id),
    last_seen = (SELECT max(seen) FROM entity_articles WHERE entity_id = entities.id)
  WHERE id IN (SELECT entity_id FROM entity_articles WHERE article_id = new.id);
END;
-- Classified (or classified again): its entities' relevant_count follows.
CREATE TRIGGER articles_counts_relevant AFTER UPDATE OF relevant ON articles
WHEN (old.relevant IS NOT 0) <> (new.relevant IS NOT 0) BEGIN
  UPDATE entities SET relevant_count = relevant_count + iif(new.relevant IS NOT 0, 1, -1)
    WHERE id IN (SELECT entity_id FROM entity_articles WHERE article_id = new.id);
END;
{PAIR_TRIGGERS}
CREATE TRIGGER article_copies_counts_insert AFTER INSERT ON article_copies BEGIN
  UPDATE articles SET copy_count = copy_count + 1 WHERE id = new.article_id;
END;
CREATE TRIGGER article_copies_counts_delete AFTER DELETE ON article_copies BEGIN
  UPDATE articles SET copy_count = copy_count - 1 WHERE id = old.article_id;
END;
CREATE TRIGGER article_copies_counts_update AFTER UPDATE OF article_id ON article_copies
WHEN old.article_id IS NOT new.article_id BEGIN
  UPDATE articles SET copy_count = copy_count - 1 WHERE id = old.article_id;
  UPDATE articles SET copy_count = copy_count + 1 WHERE id = new.article_id;
END;
"""

# Every kept figure computed from scratch, as temporary tables named expected_*.
EXPECTED = """
DROP TABLE IF EXISTS temp.expected_entity_articles;
CREATE TEMP TABLE expected_entity_articles AS
  SELECT m.entity_id, m.article_id, count(*) AS mentions,
         coalesce(a.published, a.fetched_at) AS seen, a.relevant IS NOT 0 AS relevant
  FROM mentions m LEFT JOIN articles a ON a.id = m.article_id
  GROUP BY m.entity_id, m.article_id;
CREATE INDEX temp.idx_expected_article ON expected_entity_articles (article_id, entity_id);
DROP TABLE IF EXISTS temp.expected_entity_pairs;
CREATE TEMP TABLE expected_entity_pairs AS
  SELECT x.entity_id AS entity_a, y.entity_id AS entity_b, count(*) AS articles
  FROM expected_entity_articles x
  JOIN expected_entity_articles y ON y.article_id = x.article_id AND y.entity_id > x.entity_id
  GROUP BY 1, 2;
DROP TABLE IF EXISTS temp.expected_entities;
CREATE TEMP TABLE expected_entities AS
  SELECT e.id, coalesce(s.n, 0) AS article_count, coalesce(s.r, 0) AS relevant_count,
         s.f AS first_seen, s.l AS last_seen
  FROM entities e LEFT JOIN (
    SELECT entity_id, count(*) AS n, sum(relevant) AS r, min(seen) AS f, max(seen) AS l
    FROM expected_entity_articles GROUP BY entity_id) s ON s.entity_id = e.id;
DROP TABLE IF EXISTS temp.expected_entity_months;
CREATE TEMP TABLE expected_entity_months AS
  SELECT m.entity_id, coalesce(substr(a.published, 1, 7), '') AS month, count(*) AS mentions,
         count(DISTINCT m.article_id) AS articles
  FROM mentions m LEFT JOIN articles a ON a.id = m.article_id
  GROUP BY 1, 2;
DROP TABLE IF EXISTS temp.expected_entity_weeks;
CREATE TEMP TABLE expected_entity_weeks AS {weeks};
DROP TABLE IF EXISTS temp.expected_articles;
CREATE TEMP TABLE expected_articles AS
  SELECT a.id, (SELECT count(*) FROM article_copies c WHERE c.article_id = a.id) AS copy_count
  FROM articles a;
""".replace("{weeks}", weeks_from("expected_entity_articles"))

# (table, kept rows, expected rows): what `check` compares, row for row.
COMPARED = (
    (
        "entity_articles",
        "SELECT entity_id, article_id, mentions, seen FROM main.entity_articles",
        "SELECT entity_id, article_id, mentions, seen FROM temp.expected_entity_articles",
    ),
    (
        "entity_pairs",
        "SELECT entity_a, entity_b, articles FROM main.entity_pairs",
        "SELECT entity_a, entity_b, articles FROM temp.expected_entity_pairs",
    ),
    (
        "entities",
        "SELECT id, article_count, relevant_count, first_seen, last_seen FROM main.entities",
        "SELECT id, article_count, relevant_count, first_seen, last_seen "
        "FROM temp.expected_entities",
    ),
    (
        "entity_months",
        "SELECT entity_id, month, mentions, articles FROM main.entity_months",
        "SELECT entity_id, month, mentions, articles FROM temp.expected_entity_months",
    ),
    (
        "entity_weeks",
        "SELECT week, entity_id, mentions, articles FROM main.entity_weeks",
        "SELECT week, entity_id, mentions, articles FROM temp.expected_entity_weeks",
    ),
    (
        "articles",
        "SELECT id, copy_count FROM main.articles",
        "SELECT id, copy_count FROM temp.expected_articles",
    ),
)


@dataclass
class Difference:
    """One table whose kept figures differ from a recount."""

    table: str
    wrong: int  # kept rows that a recount does not give (wrong or extra)
    missing: int  # recounted rows not kept (missing or wrong)
    examples: list[tuple]  # a few kept rows that are wrong, then recounted rows not kept

    def describe(self) -> str:
        """One line per difference, for `veille check`."""
        lines = [f"{self.table}: {self.wrong} kept rows wrong or extra, {self.missing} missing"]
        lines += [f"  {kind} {row}" for kind, row in self.examples]
        return "\n".join(lines)


def _run(db: Database, script: str) -> None:
    """Run a script statement by statement: unlike executescript, inside the caller's
    transaction (executescript commits first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


def install(db: Database) -> None:
    """Create the count tables, fill them from the stored mentions, then add the triggers."""
    _run(db, TABLES)
    if "relevant_count" not in db["entities"].columns_dict:
        db.execute("ALTER TABLE entities ADD COLUMN relevant_count INTEGER NOT NULL DEFAULT 0")
    if "copy_count" not in db["articles"].columns_dict:
        db.execute("ALTER TABLE articles ADD COLUMN copy_count INTEGER NOT NULL DEFAULT 0")
    fill(db)
    _run(db, TRIGGERS)


# entity_weeks from entity_articles (itself kept by triggers): the dated, on-topic pairs.
_FILL_WEEKS = f"""
INSERT INTO entity_weeks (week, entity_id, mentions, articles) {weeks_from("entity_articles")};
"""


def install_weeks(db: Database) -> None:
    """Create entity_weeks, fill it from the kept (entity, article) pairs, add its triggers."""
    _run(db, WEEK_TABLES)
    _run(db, _FILL_WEEKS)
    _run(db, WEEK_TRIGGERS)


def fill(db: Database) -> None:
    """Write every kept figure from a recount (entity_articles' triggers must be off: a bulk
    load drops them, see bench/search.py)."""
    _run(db, EXPECTED)
    _run(
        db,
        """
        DELETE FROM entity_articles;
        INSERT INTO entity_articles (entity_id, article_id, mentions, seen)
          SELECT entity_id, article_id, mentions, seen FROM temp.expected_entity_articles;
        DELETE FROM entity_pairs;
        INSERT INTO entity_pairs (entity_a, entity_b, articles)
          SELECT entity_a, entity_b, articles FROM temp.expected_entity_pairs;
        UPDATE entities SET article_count = x.article_count, relevant_count = x.relevant_count,
          first_seen = x.first_seen, last_seen = x.last_seen
        FROM temp.expected_entities x WHERE x.id = entities.id;
        DELETE FROM entity_months;
        INSERT INTO entity_months (entity_id, month, mentions, articles)
          SELECT entity_id, month, mentions, articles FROM temp.expected_entity_months;
        UPDATE articles SET copy_count = x.copy_count
        FROM temp.expected_articles x WHERE x.id = articles.id AND articles.copy_count <> x.copy_count;
        """,
    )
    # Made by a later migration (m013) than the one calling this first (m011).
    if db["entity_weeks"].exists():
        db.execute("DELETE FROM entity_weeks")
        _run(db, "INSERT INTO entity_weeks SELECT * FROM temp.expected_entity_weeks;")
    _drop_expected(db)


def _drop_expected(db: Database) -> None:
    for table in (
        "entity_articles",
        "entity_pairs",
        "entities",
        "entity_months",
        "entity_weeks",
        "articles",
    ):
        db.execute(f"DROP TABLE IF EXISTS temp.expected_{table}")


def check(db: Database, examples: int = 5) -> list[Difference]:
    """Recount every kept figure from the mentions; the tables that differ (none: all right)."""
    _run(db, EXPECTED)
    found = []
    try:
        for table, kept, expected in COMPARED:
            wrong = db.execute(f"SELECT count(*) FROM ({kept} EXCEPT {expected})").fetchone()[0]
            missing = db.execute(f"SELECT count(*) FROM ({expected} EXCEPT {kept})").fetchone()[0]
            if wrong or missing:
                rows = [
                    ("kept:    ", tuple(r))
                    for r in db.execute(f"{kept} EXCEPT {expected} LIMIT {examples}")
                ]
                rows += [
                    ("recount: ", tuple(r))
                    for r in db.execute(f"{expected} EXCEPT {kept} LIMIT {examples}")
                ]
                found.append(Difference(table, wrong, missing, rows))
    finally:
        _drop_expected(db)
    return found


def repair(db: Database) -> None:
    """Rewrite every kept figure from a recount, in one transaction."""
    with db.atomic():
        # entity_articles' own triggers, off while it is rewritten (put back as they were).
        triggers = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'entity_articles'"
        ).fetchall()
        for name, _ in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        fill(db)
        for _, sql in triggers:
            db.execute(sql)
