"""Open the veille database and bring its schema up to date with migrations.

Every table veille uses is created here, by migrations recorded in `_sqlite_migrations`,
so a database made by an older veille is upgraded in place and nothing stored is lost.
Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlite_utils import Database, Migrations

from common.errors import VeilleError

DEFAULT_DB = "veille.db"

migrations = Migrations("veille")


class DatabaseError(VeilleError, RuntimeError):
    """A database veille cannot use; the message says which file and what to do."""


def missing_database(path: str | Path) -> DatabaseError:
    """The error for a database file that does not exist, with what makes one."""
    return DatabaseError(
        f"{path}: no such database; run `veille run` or `veille demo` first, "
        "or pass --db / set VEILLE_DB"
    )


def open_db(path: str | Path, *, migrate: bool = True, readonly: bool = False) -> Database:
    """Open (creating if needed) a veille database in WAL mode, schema up to date."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise missing_database(path)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        return Database(conn)
    if path.parent and not path.parent.exists():
        raise DatabaseError(f"{path}: folder {path.parent} does not exist")
    try:
        conn = sqlite3.connect(str(path), timeout=30)
        if migrate:
            # Before any pragma: WAL mode alone would already change the file.
            _refuse_foreign(path, conn)
        # Why each pragma: WAL lets Datasette read while a crawl writes; busy_timeout waits
        # for the other writer instead of failing at once; foreign keys keep mentions tied to
        # articles.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        db = Database(conn)
        if migrate:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise explain_error(path, exc) from None
    return db


def explain_error(path: str | Path, exc: sqlite3.Error) -> DatabaseError:
    """The DatabaseError for an SQLite error on `path`: what is wrong and what to do.

    The one explainer every stage uses, so a full disk reads the same in the crawl,
    `veille process`, `veille run`, `veille status` and `veille report`.
    """
    path = Path(path)
    message = str(exc)
    folder = path.resolve().parent
    if "no such table" in message:
        # Read-only readers (`veille search`) open without migrating: an old or foreign file.
        text = (
            f"{path}: not a veille database, or made by an older veille ({message}); "
            "run `veille serve` or `veille process` on it once to upgrade it"
        )
    elif "readonly" in message:
        text = (
            f"{path}: cannot write the database, it is read-only ({message}); make the file and its folder "
            f"{folder} writable by this user. Nothing stored was changed."
        )
    elif "unable to open" in message:
        text = (
            f"{path}: cannot open the database for writing ({message}); veille needs to write "
            f"the file and its folder {folder} (SQLite keeps its journal beside the file)."
        )
    elif "locked" in message or "busy" in message:
        text = (
            f"{path}: the database is locked by another program ({message}); close it or try "
            f"again later. Nothing stored was changed."
        )
    elif "full" in message:
        text = FULL_DISK.format(path=path, reason=message)
    elif _disk_nearly_full(folder):
        # SQLite often reports a full disk as a mere "disk I/O error": say so when it is.
        text = FULL_DISK.format(path=path, reason=message)
    elif isinstance(exc, sqlite3.OperationalError):
        text = f"{path}: {message}"
    else:
        text = f"{path}: not a veille database or damaged ({message})"
    return DatabaseError(text)


FULL_DISK = (
    "{path}: the disk is full ({reason}); free some space and run again: nothing stored was lost."
)
# Below this much free space, an I/O error is most likely a full disk.
FULL_DISK_BYTES = 1_000_000


def _disk_nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < FULL_DISK_BYTES
    except OSError:
        return False


def _refuse_foreign(path: Path, conn: sqlite3.Connection) -> None:
    """Refuse a database that holds tables but no veille schema (another program's file)."""
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith("sqlite_")
    ]
    if not tables:
        return
    if "_sqlite_migrations" in tables:
        applied = conn.execute(
            "SELECT COUNT(*) FROM _sqlite_migrations WHERE migration_set = ?", [migrations.name]
        ).fetchone()[0]
        if applied:
            return
    conn.close()
    shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    raise DatabaseError(
        f"{path}: not a veille database (it holds other tables: {shown}); veille added "
        f"nothing to it. Give another file with --db."
    )


@migrations()
def m001_core(db: Database) -> None:
    """Sources, articles, URLs seen, crawl runs and fetch errors."""
    db["sources"].create(
        {
            "name": str,
            "region": str,
            "homepage": str,
            "feeds": str,  # JSON lists
            "sitemaps": str,
            "listings": str,
            "updated_at": str,
        },
        pk="name",
    )
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "canonical_url": str,
            "source": str,
            "title": str,
            "author": str,
            "published": str,
            "modified": str,
            "lang": str,
            "text": str,
            "content_hash": str,
            "paywalled": int,
            "fetched_at": str,
            "processed_at": str,  # set by the NLP stage
            "nlp_version": str,  # model and rules version that produced the mentions
        },
        pk="id",
        not_null={"url", "canonical_url", "source", "text", "content_hash", "fetched_at"},
        foreign_keys=[("source", "sources", "name")],
    )
    db["articles"].create_index(["canonical_url"], unique=True)
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["published"])
    db["articles"].create_index(["source", "published"])
    db["articles"].create_index(["processed_at"])
    # Every URL that led to a stored article, or that was fetched and found not to be an
    # article, so the next crawl does not fetch it again. Failed fetches are not recorded
    # here: they are retried.
    db["seen_urls"].create(
        {"url": str, "article_id": int, "kind": str, "source": str, "first_seen": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["seen_urls"].create_index(["article_id"])
    # Syndicated copies: the same text found under another canonical URL.
    db["article_copies"].create(
        {"url": str, "article_id": int, "source": str, "fetched_at": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "ended_at": str,
            "status": str,  # running, completed, interrupted, failed
            "pages": int,
            "new_articles": int,
            "errors": int,
        },
        pk="id",
    )
    db["crawl_run_sources"].create(
        {"run_id": int, "source": str, "pages": int, "new_articles": int, "errors": int},
        pk=("run_id", "source"),
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["fetch_errors"].create(
        {
            "id": int,
            "run_id": int,
            "url": str,
            "source": str,
            "reason": str,
            "status": int,
            "time": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["fetch_errors"].create_index(["source", "time"])


@migrations()
def m002_entities(db: Database) -> None:
    """Entities, their aliases, mentions, quotes and staff corrections."""
    db["entities"].create(
        {
            "id": int,
            "name": str,  # canonical name, as communicators read it
            "label": str,  # PER, ORG, LOC
            "key": str,  # name folded: no accents, case, hyphens or spacing
            "region": str,  # for places: the région they belong to
            "watchlist": int,  # 1 when the entity comes from the staff's watchlist
            "url": str,
            "note": str,
            "first_seen": str,
            "last_seen": str,
            "article_count": int,
        },
        pk="id",
        not_null={"name", "label", "key"},
        defaults={"watchlist": 0, "article_count": 0},
    )
    db["entities"].create_index(["label", "key"], unique=True)
    db["entities"].create_index(["name"])
    db["entity_aliases"].create(
        {"entity_id": int, "alias": str, "key": str},
        pk=("entity_id", "key"),
        foreign_keys=[("entity_id", "entities", "id")],
    )
    db["entity_aliases"].create_index(["key"])
    db["mentions"].create(
        {
            "id": int,
            "entity_id": int,
            "article_id": int,
            "text": str,  # as written in the article
            "sentence": str,
            "start": int,  # character offsets into articles.text
            "end": int,
        },
        pk="id",
        foreign_keys=[("entity_id", "entities", "id"), ("article_id", "articles", "id")],
    )
    db["mentions"].create_index(["entity_id", "article_id"])
    db["mentions"].create_index(["article_id"])
    db["quotes"].create(
        {
            "id": int,
            "article_id": int,
            "speaker_id": int,
            "text": str,
            "start": int,
            "end": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("speaker_id", "entities", "id")],
    )
    db["quotes"].create_index(["speaker_id"])
    db["quotes"].create_index(["article_id"])
    db["entity_rules"].create(
        {
            "id": int,
            "action": str,  # merge, relabel, ignore
            "name": str,  # the name the rule applies to
            "target": str,  # merge: the name to merge into
            "label": str,  # relabel: the new label; merge/ignore: optional label filter
            "created_at": str,
        },
        pk="id",
        not_null={"action", "name", "created_at"},
    )


@migrations()
def m003_daily_runs(db: Database) -> None:
    """Daily runs (`veille run`): one crawl then NLP processing, as staff see them in status."""
    db["daily_runs"].create(
        {
            "id": int,
            "started_at": str,
            "ended_at": str,
            "status": str,  # running, completed, interrupted, failed
            "pid": int,
            "crawl_run_id": int,
            "pages": int,
            "new_articles": int,
            "errors": int,  # failed fetches
            "failed_sources": str,  # JSON list of outlet names that could not be read at all
            "processed": int,  # articles processed by the NLP stage
            "new_entities": int,
            "message": str,  # why a run failed, for `veille status`
        },
        pk="id",
        foreign_keys=[("crawl_run_id", "crawl_runs", "id")],
    )
    db["daily_runs"].create_index(["started_at"])


@migrations()
def m004_search(db: Database) -> None:
    """Full-text search (accent- and case-insensitive), kept in sync by triggers; views to facet."""
    # Triggers rather than a rebuild by each writing stage: the crawler and the NLP stage both
    # write these tables, and a trigger keeps the index right whoever writes, in the same
    # transaction. Our own triggers rather than enable_fts(create_triggers=True): its update
    # trigger fires on any column, so each `processed_at` or `article_count` update would
    # re-index a whole article; these fire only when an indexed column changes.
    fts = {
        "articles": ["title", "text"],
        "mentions": ["sentence"],
        "entities": ["name"],
        "entity_aliases": ["alias"],
        "quotes": ["text"],
    }
    for table, columns in fts.items():
        db[table].enable_fts(columns, tokenize="unicode61 remove_diacritics 2")
        cols = ", ".join(f'"{c}"' for c in columns)
        new = ", ".join(f'new."{c}"' for c in columns)
        old = ", ".join(f'old."{c}"' for c in columns)
        fts_table = f"{table}_fts"
        db.executescript(
            f"""
            CREATE TRIGGER "{table}_fts_insert" AFTER INSERT ON "{table}" BEGIN
              INSERT INTO "{fts_table}" (rowid, {cols}) VALUES (new.rowid, {new});
            END;
            CREATE TRIGGER "{table}_fts_delete" AFTER DELETE ON "{table}" BEGIN
              INSERT INTO "{fts_table}" ("{fts_table}", rowid, {cols})
                VALUES ('delete', old.rowid, {old});
            END;
            CREATE TRIGGER "{table}_fts_update" AFTER UPDATE OF {cols} ON "{table}" BEGIN
              INSERT INTO "{fts_table}" ("{fts_table}", rowid, {cols})
                VALUES ('delete', old.rowid, {old});
              INSERT INTO "{fts_table}" (rowid, {cols}) VALUES (new.rowid, {new});
            END;
            """
        )
    db["articles"].create_index(["fetched_at"])  # new_mentions: articles stored after a time
    db.executescript(
        """
        CREATE VIEW mention_rows AS
        SELECT m.id AS mention_id, e.name AS entity, e.label, a.title, a.url, a.published,
               substr(a.published, 1, 7) AS month, a.source, s.region,
               e.region AS entity_region, m.sentence, m.entity_id, m.article_id
        FROM mentions m
        JOIN entities e ON e.id = m.entity_id
        JOIN articles a ON a.id = m.article_id
        LEFT JOIN sources s ON s.name = a.source;

        CREATE VIEW mentions_by_month AS
        SELECT e.id AS entity_id, e.name AS entity, e.label, e.region AS entity_region,
               substr(a.published, 1, 7) AS month,
               count(*) AS mentions, count(DISTINCT m.article_id) AS articles
        FROM mentions m
        JOIN entities e ON e.id = m.entity_id
        JOIN articles a ON a.id = m.article_id
        GROUP BY e.id, month;

        CREATE VIEW co_mentions AS
        WITH pairs AS (SELECT DISTINCT article_id, entity_id FROM mentions)
        SELECT ea.name AS entity_a, ea.label AS label_a, eb.name AS entity_b,
               eb.label AS label_b, count(*) AS articles,
               x.entity_id AS entity_a_id, y.entity_id AS entity_b_id
        FROM pairs x
        JOIN pairs y ON y.article_id = x.article_id AND y.entity_id > x.entity_id
        JOIN entities ea ON ea.id = x.entity_id
        JOIN entities eb ON eb.id = y.entity_id
        GROUP BY x.entity_id, y.entity_id;
        """
    )


@migrations()
def m005_search_indexes(db: Database) -> None:
    """Index for the search queries: an article's entities without reading its mentions' rows."""
    # Measured by bench/search.py: co-named entities and the walk of articles newest first
    # read (article, entity) pairs; this index answers them alone, the one on article_id
    # alone needs a lookup of each mention's row (sentences included) per pair.
    db["mentions"].create_index(["article_id", "entity_id"])


# Month of a mention: its article's, '' when the article has no date (a primary key column
# cannot hold NULL usefully: NULLs never conflict, so the upserts below would add rows).
_MONTH = "coalesce(substr((SELECT published FROM articles WHERE id = {m}.article_id), 1, 7), '')"


def _month_remove(m: str) -> str:
    """Statements taking mention `m` (old) out of entity_months."""
    month = _MONTH.format(m=m)
    gone = (
        f"NOT EXISTS (SELECT 1 FROM mentions WHERE article_id = {m}.article_id "
        f"AND entity_id = {m}.entity_id)"
    )
    return f"""
      UPDATE entity_months SET mentions = mentions - 1, articles = articles - {gone}
      WHERE entity_id = {m}.entity_id AND month = {month};
      DELETE FROM entity_months
      WHERE entity_id = {m}.entity_id AND month = {month} AND mentions <= 0;
    """


def _month_add(m: str) -> str:
    """Statements counting mention `m` (new, already in the table) in entity_months."""
    first = (
        f"NOT EXISTS (SELECT 1 FROM mentions WHERE article_id = {m}.article_id "
        f"AND entity_id = {m}.entity_id AND id <> {m}.id)"
    )
    # `WHERE true`: SQLite's parser needs a WHERE in INSERT … SELECT before ON CONFLICT.
    return f"""
      INSERT INTO entity_months (entity_id, month, mentions, articles)
      SELECT {m}.entity_id, {_MONTH.format(m=m)}, 1, {first} WHERE true
      ON CONFLICT (entity_id, month) DO UPDATE
        SET mentions = mentions + 1, articles = articles + excluded.articles;
    """


def fill_entity_months(db: Database) -> None:
    """Recount entity_months from the mentions (after bulk loads done without triggers)."""
    db.executescript(
        """
        DELETE FROM entity_months;
        INSERT INTO entity_months (entity_id, month, mentions, articles)
        SELECT m.entity_id, coalesce(substr(a.published, 1, 7), ''), count(*),
               count(DISTINCT m.article_id)
        FROM mentions m LEFT JOIN articles a ON a.id = m.article_id
        GROUP BY 1, 2;
        """
    )


@migrations()
def m006_entity_months(db: Database) -> None:
    """Mentions per entity and month as a table kept by triggers, behind `mentions_by_month`.

    The m004 view counted every mention on each page: about 5 s at 2,000,000 mentions, past
    Datasette's 3 s limit (bench/search.py). Triggers keep the counts right whoever writes
    mentions (the NLP stage, merges, corrections), like the search indexes' triggers; storing
    2,000 articles of 20 mentions took no longer with them (3.6 s without, 2.8 s with, noise).
    """
    db.executescript(
        """
        CREATE TABLE entity_months (
          entity_id INTEGER NOT NULL,
          month TEXT NOT NULL,
          mentions INTEGER NOT NULL,
          articles INTEGER NOT NULL,
          PRIMARY KEY (entity_id, month)
        ) WITHOUT ROWID;
        CREATE INDEX idx_entity_months_month ON entity_months (month);
        """
    )
    fill_entity_months(db)
    old_month = "coalesce(substr(old.published, 1, 7), '')"
    new_month = "coalesce(substr(new.published, 1, 7), '')"
    db.executescript(
        f"""
        CREATE TRIGGER mentions_months_insert AFTER INSERT ON mentions BEGIN
          {_month_add("new")}
        END;
        CREATE TRIGGER mentions_months_delete AFTER DELETE ON mentions BEGIN
          {_month_remove("old")}
        END;
        CREATE TRIGGER mentions_months_update AFTER UPDATE OF entity_id, article_id ON mentions
        WHEN old.entity_id IS NOT new.entity_id OR old.article_id IS NOT new.article_id BEGIN
          {_month_remove("old")}
          {_month_add("new")}
        END;
        -- An article's new date moves its mentions to another month.
        CREATE TRIGGER articles_months_update AFTER UPDATE OF published ON articles
        WHEN {old_month} <> {new_month} BEGIN
          UPDATE entity_months SET
            mentions = mentions - (SELECT count(*) FROM mentions
              WHERE article_id = new.id AND entity_id = entity_months.entity_id),
            articles = articles - 1
          WHERE month = {old_month}
            AND entity_id IN (SELECT entity_id FROM mentions WHERE article_id = new.id);
          DELETE FROM entity_months
          WHERE month = {old_month} AND mentions <= 0
            AND entity_id IN (SELECT entity_id FROM mentions WHERE article_id = new.id);
          INSERT INTO entity_months (entity_id, month, mentions, articles)
          SELECT entity_id, {new_month}, count(*), 1 FROM mentions WHERE article_id = new.id
          GROUP BY entity_id
          ON CONFLICT (entity_id, month) DO UPDATE
            SET mentions = mentions + excluded.mentions, articles = articles + 1;
        END;

        DROP VIEW mentions_by_month;
        CREATE VIEW mentions_by_month AS
        SELECT e.id AS entity_id, e.name AS entity, e.label, e.region AS entity_region,
               s.month, s.mentions, s.articles
        FROM entity_months s
        JOIN entities e ON e.id = s.entity_id;
        """
    )


@migrations()
def m007_article_credit(db: Database) -> None:
    """The outlet or agency a byline credits ("France Bleu Besançon", "AFP"), apart from the
    people in `author`, so that filtering by journalist shows no outlet names."""
    db["articles"].add_column("credit", str)


@migrations()
def m009_deals(db: Database) -> None:
    """Deals read in the articles (rounds, acquisitions, mergers, jobs, sites), their sources
    and the entities they involve (see db/deal_store.py)."""
    db.executescript(
        """
        CREATE TABLE deals (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            company TEXT NOT NULL,
            company_key TEXT NOT NULL,
            counterpart TEXT,
            counterpart_key TEXT NOT NULL DEFAULT '',
            amount_eur REAL,
            round TEXT,
            investors TEXT NOT NULL DEFAULT '[]',
            jobs INTEGER,
            horizon TEXT,
            place TEXT,
            region TEXT,
            kind TEXT,
            new_name TEXT,
            past INTEGER NOT NULL DEFAULT 0,
            published TEXT NOT NULL DEFAULT '',
            sentence TEXT NOT NULL DEFAULT '',
            source_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX deals_match ON deals (type, company_key, counterpart_key);
        CREATE INDEX deals_published ON deals (published);
        CREATE TABLE deal_sources (
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            sentence TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (deal_id, article_id)
        );
        CREATE INDEX deal_sources_article ON deal_sources (article_id);
        CREATE TABLE deal_entities (
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            PRIMARY KEY (deal_id, entity_id, role)
        );
        CREATE INDEX deal_entities_entity ON deal_entities (entity_id);
        """
    )


@migrations()
def m008_topics(db: Database) -> None:
    """What each article is about: relevance, themes and places (issue 13)."""
    # On articles, for Datasette's facets (themes, régions and départements are JSON arrays,
    # most concerned first); the weights are in article_places. NULL: not classified yet.
    for column, kind in (
        ("relevant", int),
        ("relevance", float),
        ("themes", str),
        ("regions", str),
        ("departements", str),
    ):
        db["articles"].add_column(column, kind)
    db["article_places"].create(
        {"article_id": int, "kind": str, "name": str, "weight": float, "rank": int},
        pk=("article_id", "kind", "name"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_places"].create_index(["kind", "name"])
    db["articles"].create_index(["relevant", "published"])
    db.executescript(
        """
        DROP VIEW mention_rows;
        CREATE VIEW mention_rows AS
        SELECT m.id AS mention_id, e.name AS entity, e.label, a.title, a.url, a.published,
               substr(a.published, 1, 7) AS month, a.source, s.region,
               e.region AS entity_region, m.sentence, m.entity_id, m.article_id,
               a.relevant, a.themes, a.regions, a.departements
        FROM mentions m
        JOIN entities e ON e.id = m.entity_id
        JOIN articles a ON a.id = m.article_id
        LEFT JOIN sources s ON s.name = a.source;
        """
    )


@migrations()
def m010_stories(db: Database) -> None:
    """Stories: copies kept whole in article_copies, and an LSH index to find them (issue 12).

    An `articles` row is a story (its first publisher's text); article_copies gains what a
    copy needs to be shown ("aussi publié par") and to become the story's article if it
    turns out to be the first publisher: every content column of articles, plus the page
    URL and the similarity found. Columns are copied from articles' own list so a column
    another migration added (a byline credit) follows.
    """
    from db import story_store

    copies = db["article_copies"]
    have = set(copies.columns_dict)
    skip = {"id", "canonical_url", "processed_at", "nlp_version"}
    for name, kind in db["articles"].columns_dict.items():
        if name not in have and name not in skip:
            copies.add_column(name, kind)
    copies.add_column("page_url", str)
    copies.add_column("similarity", float)
    copies.create_index(["article_id"], if_not_exists=True)
    db.executescript(
        """
        CREATE TABLE story_fingerprints (
          url TEXT PRIMARY KEY,        -- canonical URL of one publication of the story
          story_id INTEGER NOT NULL,   -- articles.id
          shingles INTEGER NOT NULL,   -- distinct word 3-grams, for the containment estimate
          minhash BLOB NOT NULL        -- datasketch MinHash values, little-endian uint64
        );
        CREATE INDEX idx_story_fingerprints_story_id ON story_fingerprints (story_id);
        CREATE TABLE story_buckets (
          bucket INTEGER NOT NULL,     -- LSH band hashed with its number
          story_id INTEGER NOT NULL,
          PRIMARY KEY (bucket, story_id)
        ) WITHOUT ROWID;

        CREATE VIEW stories AS
        SELECT a.id AS story_id, a.title AS titre, a.source AS premier_media,
               a.published AS publie_le, a.url AS url,
               count(c.url) AS reprises,
               group_concat(c.source, ', ') AS aussi_publie_par
        FROM articles a
        LEFT JOIN article_copies c ON c.article_id = a.id
        GROUP BY a.id;
        """
    )
    story_store.backfill(db)


@migrations()
def m011_counts(db: Database) -> None:
    """Counts kept by triggers instead of recounted (issue 16): entities' figures,
    co-mentions (entity_pairs) and the (entity, article) pairs behind them; see db/counts.py.

    `refresh_entity_stats` recounted every mention of each entity a batch touched: 1.9 s a
    batch at 100,000 articles, growing with the store. The views that counted every mention
    on each page now read the kept counts, and page by indexed columns without facets over
    millions of rows (bench/search.py --pages-only).
    """
    from db import counts

    counts.install(db)
    db.executescript(
        """
        CREATE INDEX idx_entities_article_count ON entities (article_count);
        CREATE INDEX idx_entities_relevant_count ON entities (relevant_count);

        CREATE INDEX idx_articles_copy_count ON articles (copy_count);
        -- An entity's mentions in the order mention_rows shows them (rowid within the key).
        CREATE INDEX idx_mentions_entity_id ON mentions (entity_id);

        -- The views read one kept table each and look names up per row shown: Datasette
        -- counts a view's rows on every page, and a count over a join reads every row of
        -- both sides (1.4 s at 2,000,000 mentions) where one table's count is instant.
        -- Each sorts by an indexed column of its table.
        DROP VIEW mention_rows;
        CREATE VIEW mention_rows AS
        SELECT m.id AS mention_id,
               (SELECT name FROM entities WHERE id = m.entity_id) AS entity,
               (SELECT label FROM entities WHERE id = m.entity_id) AS label,
               (SELECT title FROM articles WHERE id = m.article_id) AS title,
               (SELECT url FROM articles WHERE id = m.article_id) AS url,
               (SELECT published FROM articles WHERE id = m.article_id) AS published,
               (SELECT substr(published, 1, 7) FROM articles WHERE id = m.article_id) AS month,
               (SELECT source FROM articles WHERE id = m.article_id) AS source,
               (SELECT s.region FROM articles a JOIN sources s ON s.name = a.source
                WHERE a.id = m.article_id) AS region,
               (SELECT region FROM entities WHERE id = m.entity_id) AS entity_region,
               m.sentence, m.entity_id, m.article_id,
               (SELECT relevant FROM articles WHERE id = m.article_id) AS relevant,
               (SELECT themes FROM articles WHERE id = m.article_id) AS themes,
               (SELECT regions FROM articles WHERE id = m.article_id) AS regions,
               (SELECT departements FROM articles WHERE id = m.article_id) AS departements
        FROM mentions m;

        DROP VIEW co_mentions;
        CREATE VIEW co_mentions AS
        SELECT (SELECT name FROM entities WHERE id = p.entity_a) AS entity_a,
               (SELECT label FROM entities WHERE id = p.entity_a) AS label_a,
               (SELECT name FROM entities WHERE id = p.entity_b) AS entity_b,
               (SELECT label FROM entities WHERE id = p.entity_b) AS label_b,
               p.articles, p.entity_a AS entity_a_id, p.entity_b AS entity_b_id
        FROM entity_pairs p;

        DROP VIEW mentions_by_month;
        CREATE VIEW mentions_by_month AS
        SELECT s.entity_id,
               (SELECT name FROM entities WHERE id = s.entity_id) AS entity,
               (SELECT label FROM entities WHERE id = s.entity_id) AS label,
               (SELECT region FROM entities WHERE id = s.entity_id) AS entity_region,
               s.month, s.mentions, s.articles
        FROM entity_months s;

        DROP VIEW stories;
        CREATE VIEW stories AS
        SELECT a.id AS story_id, a.title AS titre, a.source AS premier_media,
               a.published AS publie_le, a.url AS url, a.copy_count AS reprises,
               (SELECT group_concat(c.source, ', ') FROM article_copies c
                WHERE c.article_id = a.id) AS aussi_publie_par
        FROM articles a;
        """
    )


@migrations()
def m012_deal_rows(db: Database) -> None:
    """`deal_rows`: the current deals with readable French columns, for Datasette's facets.

    A canned query cannot facet; a view can. The type is spelled in French, the thème is
    the main theme of the deal's first article, the media are the outlets that reported it.
    Past rounds cited for the record are left out, as in the `deals` query.
    """
    db.executescript(
        """
        CREATE VIEW deal_rows AS
        SELECT d.id AS deal_id,
               CASE d.type
                 WHEN 'funding' THEN CASE d.round WHEN 'prêt' THEN 'prêt'
                   WHEN 'subvention' THEN 'subvention' ELSE 'levée de fonds' END
                 WHEN 'acquisition' THEN 'rachat'
                 WHEN 'merger' THEN 'fusion'
                 WHEN 'jobs' THEN 'emplois'
                 WHEN 'site' THEN 'nouveau site'
                 ELSE d.type END AS type,
               d.company AS entreprise,
               d.counterpart AS partenaire,
               d.amount_eur AS montant_eur,
               CASE WHEN d.round IN ('prêt', 'subvention') THEN NULL ELSE d.round END AS tour,
               (SELECT group_concat(value, ', ') FROM json_each(d.investors)) AS investisseurs,
               d.jobs AS emplois,
               d.place AS lieu,
               d.region AS region,
               (SELECT json_extract(a.themes, '$[0]') FROM deal_sources s
                  JOIN articles a ON a.id = s.article_id
                  WHERE s.deal_id = d.id AND json_array_length(coalesce(a.themes, '[]')) > 0
                  ORDER BY a.published, a.id LIMIT 1) AS theme,
               substr(d.published, 1, 10) AS date,
               CASE WHEN d.published != '' THEN substr(d.published, 1, 4) || '-T'
                 || ((cast(substr(d.published, 6, 2) AS INTEGER) + 2) / 3) END AS trimestre,
               (SELECT group_concat(source, ', ') FROM (SELECT DISTINCT a.source FROM deal_sources s
                  JOIN articles a ON a.id = s.article_id WHERE s.deal_id = d.id
                  ORDER BY a.source)) AS medias,
               d.source_count AS nb_sources,
               d.sentence AS phrase,
               (SELECT a.url FROM deal_sources s JOIN articles a ON a.id = s.article_id
                  WHERE s.deal_id = d.id ORDER BY a.published, a.id LIMIT 1) AS lien
        FROM deals d
        WHERE d.past = 0;
        """
    )


@migrations()
def m013_entity_weeks(db: Database) -> None:
    """`entity_weeks`: mentions and articles per week and entity, kept by triggers
    (db/counts.py).

    The dashboard's charts counted every mention of a period's articles: over twelve months
    or a year at 2,000,000 mentions the page took 0.8 to 1.1 s (bench/search.py
    --dashboard-only); they now sum a period's weeks.
    """
    from db import counts

    counts.install_weeks(db)
