"""Reads and writes for daily operation: the `daily_runs` record, `veille status`, `veille report`.

Every function takes an open `sqlite_utils.Database` (see `db.schema.open_db`) and returns
plain dicts, so ops/ renders them without writing SQL. Dates are ISO 8601 strings with offsets.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from common.items import DEAD_LINK_STATUSES
from db.article_store import DEAD_KINDS

_KINDS = "({kinds})".format(kinds=", ".join(f"'{k}'" for k in DEAD_KINDS))


def _is_dead_link(alias: str) -> str:
    """SQL: whether the row `alias` (with a url column) is a dead link remembered in seen_urls."""
    return f"EXISTS (SELECT 1 FROM seen_urls u WHERE u.url = {alias}.url AND u.kind IN {_KINDS})"


# An outlet "failed" in a crawl run when it produced nothing usable: no new article and no
# more pages than errors. One failing page on a healthy site (a server error on the same
# page every day, since such failures are retried) must not flag the outlet, hence not just
# `errors > 0`. Article links found dead (404/410, remembered in seen_urls) do not count:
# the outlet's feeds and pages were read. A dead feed is not remembered so, and counts.
_READ_ERRORS = f"""(s.errors - (
    SELECT COUNT(*) FROM fetch_errors f
    WHERE f.run_id = s.run_id AND f.source = s.source AND {_is_dead_link("f")}))"""
_SOURCE_FAILED = (
    f"({_READ_ERRORS} > 0 AND COALESCE(s.new_articles, 0) = 0 "
    f"AND COALESCE(s.pages, 0) <= {_READ_ERRORS})"
)


def source_failed(pages: int | None, new_articles: int | None, errors: int | None) -> bool:
    """Same rule as the SQL above, for a run's in-memory summary (`errors` without the dead
    article links: see `run_failures`)."""
    errors = errors or 0
    return errors > 0 and not new_articles and (pages or 0) <= errors


def has_table(db: Database, name: str) -> bool:
    """Whether `name` exists (a read-only open of an older database may lack newer tables)."""
    return db[name].exists()


# --- the daily run record -----------------------------------------------------------------


def mark_interrupted_runs(db: Database, *, ended_at: str | None = None) -> int:
    """Close runs left `running` by a killed process; call only while holding the run lock."""
    with db.atomic():
        cursor = db.execute(
            "UPDATE daily_runs SET status = 'interrupted', ended_at = COALESCE(ended_at, ?) "
            "WHERE status = 'running'",
            [ended_at],
        )
    return cursor.rowcount


def begin_daily_run(db: Database, *, started_at: str, pid: int) -> int:
    """Insert a `running` daily run and return its id."""
    with db.atomic():
        db["daily_runs"].insert({"started_at": started_at, "status": "running", "pid": pid})
    return db.execute("SELECT last_insert_rowid()").fetchone()[0]


def finish_daily_run(db: Database, run_id: int, **values: object) -> None:
    """Record a run's outcome (status, ended_at, counts, failed_sources, message)."""
    if isinstance(values.get("failed_sources"), (list, tuple)):
        values["failed_sources"] = json.dumps(list(values["failed_sources"]), ensure_ascii=False)
    with db.atomic():
        db["daily_runs"].update(run_id, values)


def daily_run(db: Database, run_id: int) -> dict:
    """One daily run row."""
    return _decode_run(db["daily_runs"].get(run_id))


# A failure is "known" when its URL had already answered 404 or 410 in an earlier crawl run
# and answers so again (a 404 on its retry, or a dead feed, requested on every crawl): it
# was reported then, so it is counted rather than listed again. Every other failure is new,
# including server errors and timeouts, retried and reported on every run.
_DEAD = "({statuses})".format(statuses=", ".join(map(str, DEAD_LINK_STATUSES)))
_NEW_FAILURES = f"""
    SELECT e.source, e.url, e.reason, e.status FROM fetch_errors e
    WHERE e.run_id = :run
      AND NOT (COALESCE(e.status, 0) IN {_DEAD} AND EXISTS (
          SELECT 1 FROM fetch_errors p
          WHERE p.url = e.url AND p.run_id < :run AND p.status IN {_DEAD}))
    ORDER BY e.id
"""
# Dead links known before a run and still dead: no longer requested (seen_urls says so), or
# requested and dead again in that run.
_KNOWN_DEAD = f"""
    WITH earlier AS (
        SELECT url, MIN(source) AS source FROM fetch_errors
        WHERE run_id < :run AND status IN {_DEAD} GROUP BY url
    )
    SELECT source, COUNT(*) AS known_dead FROM earlier
    WHERE url IN (SELECT url FROM fetch_errors WHERE run_id = :run AND status IN {_DEAD})
       OR {_is_dead_link("earlier")}
    GROUP BY source
"""


# A run's failures on article links found dead (those do not make an outlet fail).
_DEAD_LINK_ERRORS = f"""
    SELECT f.source, COUNT(*) AS dead_links FROM fetch_errors f
    WHERE f.run_id = :run AND {_is_dead_link("f")}
    GROUP BY f.source
"""


def run_failures(db: Database, crawl_run_id: int, *, per_source: int | None = 3) -> dict[str, dict]:
    """A crawl run's failures by outlet: the new ones listed, the known dead links counted.

    Each value: {"new": [{url, reason, status}, ...] (the first `per_source` of them, all
    when None), "new_count": every new failure, "known_dead": dead links reported by an
    earlier run and still dead, "dead_links": this run's failures on article links found
    dead}. Outlets with none of these are left out.
    """
    if not has_table(db, "fetch_errors"):
        return {}
    failures: dict[str, dict] = {}

    def outlet(name: str | None) -> dict:
        return failures.setdefault(
            name or "", {"new": [], "new_count": 0, "known_dead": 0, "dead_links": 0}
        )

    for row in db.query(_NEW_FAILURES, {"run": crawl_run_id}):
        bucket = outlet(row.pop("source"))
        bucket["new_count"] += 1
        if per_source is None or len(bucket["new"]) < per_source:
            bucket["new"].append(row)
    if has_table(db, "seen_urls"):
        for row in db.query(_KNOWN_DEAD, {"run": crawl_run_id}):
            outlet(row["source"])["known_dead"] = row["known_dead"]
        for row in db.query(_DEAD_LINK_ERRORS, {"run": crawl_run_id}):
            outlet(row["source"])["dead_links"] = row["dead_links"]
    return failures


def last_crawl_run(db: Database, *, since: str, until: str) -> dict | None:
    """The latest crawl run started in [since, until) (ISO datetimes) and no longer running."""
    if not has_table(db, "crawl_runs"):
        return None
    rows = db.query(
        "SELECT * FROM crawl_runs WHERE started_at >= ? AND started_at < ? "
        "AND status != 'running' ORDER BY started_at DESC, id DESC LIMIT 1",
        [since, until],
    )
    return next(iter(rows), None)


def unprocessed_count(db: Database) -> int:
    """Articles the NLP stage has not processed yet."""
    return db.execute("SELECT COUNT(*) FROM articles WHERE processed_at IS NULL").fetchone()[0]


# --- veille status ------------------------------------------------------------------------


def last_daily_runs(db: Database, limit: int = 10) -> list[dict]:
    """The latest daily runs, newest first."""
    if not has_table(db, "daily_runs"):
        return []
    rows = db.query("SELECT * FROM daily_runs ORDER BY started_at DESC, id DESC LIMIT ?", [limit])
    return [_decode_run(row) for row in rows]


def last_crawl_runs(db: Database, limit: int = 10) -> list[dict]:
    """The latest crawl runs (also those of `veille crawl` alone), newest first."""
    if not has_table(db, "crawl_runs"):
        return []
    return list(
        db.query("SELECT * FROM crawl_runs ORDER BY started_at DESC, id DESC LIMIT ?", [limit])
    )


def failing_sources(db: Database, runs: int = 3) -> list[dict]:
    """Outlets that failed on each of their last `runs` crawl runs (and were crawled that often).

    Each dict: source, runs (how many looked at), since (start of the oldest of those runs),
    last_reason (the latest fetch error's reason, if any).
    """
    if not has_table(db, "crawl_run_sources"):
        return []
    sql = f"""
        WITH ranked AS (
            SELECT s.source, r.started_at, {_SOURCE_FAILED} AS failed,
                   ROW_NUMBER() OVER (PARTITION BY s.source ORDER BY r.started_at DESC, r.id DESC) AS n
            FROM crawl_run_sources s JOIN crawl_runs r ON r.id = s.run_id
        )
        SELECT source, COUNT(*) AS runs, MIN(started_at) AS since,
               (SELECT reason FROM fetch_errors e WHERE e.source = ranked.source
                ORDER BY e.id DESC LIMIT 1) AS last_reason
        FROM ranked WHERE n <= :runs
        GROUP BY source
        HAVING COUNT(*) = :runs AND SUM(failed) = :runs
        ORDER BY source
    """
    return list(db.query(sql, {"runs": runs}))


def quiet_sources(db: Database, *, before: str) -> list[dict]:
    """Outlets with no new article found since `before` (ISO date or datetime).

    An outlet that never gave an article counts once it has been crawled since before then.
    Each dict: source, last_new (fetched_at of its newest article, or None), first_crawled.
    """
    if not has_table(db, "crawl_run_sources"):
        return []
    sql = """
        WITH names AS (
            SELECT name AS source FROM sources
            UNION SELECT source FROM crawl_run_sources
        ),
        facts AS (
            SELECT names.source,
                   (SELECT MAX(fetched_at) FROM articles a WHERE a.source = names.source) AS last_new,
                   (SELECT MIN(r.started_at) FROM crawl_run_sources s
                    JOIN crawl_runs r ON r.id = s.run_id WHERE s.source = names.source) AS first_crawled
            FROM names
        )
        SELECT * FROM facts
        WHERE first_crawled IS NOT NULL
          AND COALESCE(last_new, first_crawled) < :before
        ORDER BY COALESCE(last_new, '') , source
    """
    return list(db.query(sql, {"before": before}))


def totals(db: Database) -> dict:
    """Counts shown by `veille status`: articles, unprocessed ones, entities, mentions."""
    result = {"articles": 0, "unprocessed": 0, "entities": 0, "mentions": 0, "sources": 0}
    if has_table(db, "articles"):
        result["articles"], result["unprocessed"], result["sources"] = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(processed_at IS NULL), 0), COUNT(DISTINCT source) "
            "FROM articles"
        ).fetchone()
    for table in ("entities", "mentions"):
        if has_table(db, table):
            result[table] = db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]
    return result


# --- veille report ------------------------------------------------------------------------

# The day an article belongs to: its publication date, else the day veille found it.
_ARTICLE_DAY = "substr(COALESCE(a.published, a.fetched_at), 1, 10)"


def watchlist_entities(db: Database) -> list[dict]:
    """Entities staff follow (entities.watchlist = 1), by name."""
    if not has_table(db, "entities"):
        return []
    return list(
        db.query(
            "SELECT id, name, label FROM entities WHERE watchlist = 1 ORDER BY name COLLATE NOCASE"
        )
    )


def watchlist_mentions(db: Database, *, since: str, until: str | None = None) -> list[dict]:
    """Articles of the period that mention a watchlist entity, one row per (entity, article).

    Rows carry entity_id, title, source, published, fetched_at, url, and the first mention in
    the article (text, sentence, start, end) — never the article's text.
    """
    if not has_table(db, "mentions"):
        return []
    sql = f"""
        SELECT m.entity_id, a.id AS article_id, a.title, a.source, a.published, a.fetched_at,
               COALESCE(a.canonical_url, a.url) AS url,
               m.text AS mention, m.sentence, m.start, m.end,
               (SELECT COUNT(*) FROM mentions m2
                WHERE m2.entity_id = m.entity_id AND m2.article_id = a.id) AS mentions
        FROM mentions m
        JOIN entities e ON e.id = m.entity_id
        JOIN articles a ON a.id = m.article_id
        WHERE e.watchlist = 1
          AND {_ARTICLE_DAY} >= :since
          AND (:until IS NULL OR {_ARTICLE_DAY} <= :until)
          AND m.id = (SELECT MIN(m3.id) FROM mentions m3
                      WHERE m3.entity_id = m.entity_id AND m3.article_id = a.id)
        ORDER BY e.name COLLATE NOCASE, COALESCE(a.published, a.fetched_at) DESC, a.id
    """
    return list(db.query(sql, {"since": since, "until": until}))


def top_entities(
    db: Database, *, since: str, until: str | None = None, limit: int = 15
) -> list[dict]:
    """The entities named in the most articles of the period (name, label, articles, mentions)."""
    if not has_table(db, "mentions"):
        return []
    sql = f"""
        SELECT e.id, e.name, e.label, e.watchlist,
               COUNT(DISTINCT m.article_id) AS articles, COUNT(*) AS mentions
        FROM mentions m
        JOIN entities e ON e.id = m.entity_id
        JOIN articles a ON a.id = m.article_id
        WHERE {_ARTICLE_DAY} >= :since AND (:until IS NULL OR {_ARTICLE_DAY} <= :until)
        GROUP BY e.id
        ORDER BY articles DESC, mentions DESC, e.name COLLATE NOCASE
        LIMIT :limit
    """
    return list(db.query(sql, {"since": since, "until": until, "limit": limit}))


def period_counts(db: Database, *, since: str, until: str | None = None) -> dict:
    """Articles and outlets of the period."""
    if not has_table(db, "articles"):
        return {"articles": 0, "sources": 0}
    row = db.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT a.source) FROM articles a "
        f"WHERE {_ARTICLE_DAY} >= ? AND (? IS NULL OR {_ARTICLE_DAY} <= ?)",
        [since, until, until],
    ).fetchone()
    return {"articles": row[0], "sources": row[1]}


def articles_per_day(db: Database, *, since: str, ids: set[int] | None = None) -> dict[str, int]:
    """How many of the period's articles (only those in `ids`, if given) each day has."""
    if not has_table(db, "articles"):
        return {}
    counts: dict[str, int] = {}
    rows = db.execute(
        f"SELECT a.id, {_ARTICLE_DAY} FROM articles a WHERE {_ARTICLE_DAY} >= ?", [since]
    )
    for article_id, day in rows:
        if ids is None or article_id in ids:
            counts[day] = counts.get(day, 0) + 1
    return counts


def _decode_run(row: dict) -> dict:
    row = dict(row)
    try:
        row["failed_sources"] = json.loads(row.get("failed_sources") or "[]")
    except ValueError:
        row["failed_sources"] = []
    return row
