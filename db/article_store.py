"""Every read and write of the crawl: sources, articles, URLs seen, crawl runs, fetch errors.

Functions take an open `sqlite_utils.Database` (see `db.schema.open_db`). Each write is one
transaction, so a crawl killed at any moment leaves whole articles and whole run figures.
Dates are ISO 8601 strings with an offset (UTC).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from common.clock import now_iso
from common.items import DEAD_LINK_STATUSES, Article, FetchError
from common.source_config import Config

RUN_STATUSES = ("running", "completed", "interrupted", "failed")
# Below this many characters two texts are not called copies of each other: paywall teasers
# and short briefs ("Cet article est réservé aux abonnés") are often word for word the same
# while being different articles.
MIN_COPY_CHARS = 200

_SPACES = re.compile(r"\s+")

# Dead links. A URL that answers 404 or 410 is remembered in seen_urls, as pages that are
# not articles are, so later crawls do not request it again and reports name it once. The
# policy, in this one place:
# - 410 Gone: the site says the page is gone for good; never requested again (kind "gone").
# - 404 Not Found: often final too, but sometimes a passing mistake of the site (an article
#   unpublished for a correction, a section moved): requested once more DEAD_LINK_RETRY_DAYS
#   after it was first found dead (kind "dead"). A second 404 (or a 410) is final ("gone");
#   a page back under that URL is stored as any page, and is no longer a dead link.
# Other failures (timeouts, 5xx, refused connections, unknown hosts) are not remembered:
# the next crawl requests them again. Entry points (feeds, sitemaps, listings) are requested
# on every crawl whatever they answered: they are the sources file's to change.
# Nothing is deleted: every failure stays in fetch_errors; the rows of a dead link can be
# deleted from seen_urls to have it requested again.
DEAD_LINK_RETRY_DAYS = 30
DEAD_KINDS = ("dead", "gone")


def content_hash(text: str, title: str | None = None) -> str:
    """sha256 of the text with whitespace runs collapsed, so reflowed copies match.

    A leading title line is left out: one outlet's layout puts the headline inside the
    article body and another's outside it, and the copy is the same article all the same.
    """
    normal = _SPACES.sub(" ", text or "").strip()
    heading = _SPACES.sub(" ", title or "").strip()
    if heading and normal.startswith(heading) and len(normal) > len(heading):
        normal = normal[len(heading) :].lstrip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def sync_sources(db: Database, config: Config) -> None:
    """Insert or update a `sources` row for each source of `config` (others are kept)."""
    stamp = now_iso()
    with _write(db):
        for s in config.sources:
            db.execute(
                "INSERT INTO sources (name, region, homepage, feeds, sitemaps, listings, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "region = excluded.region, homepage = excluded.homepage, feeds = excluded.feeds, "
                "sitemaps = excluded.sitemaps, listings = excluded.listings, "
                "updated_at = excluded.updated_at",
                [
                    s.name,
                    s.region,
                    s.homepage,
                    json.dumps(list(s.feeds)),
                    json.dumps(list(s.sitemaps)),
                    json.dumps(list(s.listings)),
                    stamp,
                ],
            )


def start_run(db: Database, sources: Iterable[str] = ()) -> int:
    """Insert a `running` crawl run (with a zero row per source given) and return its id."""
    with _write(db):
        cursor = db.execute(
            "INSERT INTO crawl_runs (started_at, status, pages, new_articles, errors) "
            "VALUES (?, 'running', 0, 0, 0)",
            [now_iso()],
        )
        run_id = cursor.lastrowid
        for name in sources:
            _bump(db, run_id, name)
    return run_id


def count_pages(db: Database, run_id: int, source: str, pages: int = 1) -> None:
    """Add fetched pages (feeds, sitemaps, listings, articles) to a run's per-source figures."""
    with _write(db):
        _bump(db, run_id, source, pages=pages)


def finish_run(db: Database, run_id: int, status: str) -> dict:
    """Close a run: status, end time, per-source errors and run totals. Returns `get_run`."""
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    with _write(db):
        # Errors are recounted from fetch_errors, the authoritative rows, in case a counter
        # update was lost with a killed process.
        db.execute(
            "INSERT INTO crawl_run_sources (run_id, source, pages, new_articles, errors) "
            "SELECT run_id, source, 0, 0, 0 FROM fetch_errors WHERE run_id = ? "
            "GROUP BY source ON CONFLICT(run_id, source) DO NOTHING",
            [run_id],
        )
        db.execute(
            "UPDATE crawl_run_sources SET errors = (SELECT count(*) FROM fetch_errors f "
            "WHERE f.run_id = crawl_run_sources.run_id AND f.source = crawl_run_sources.source) "
            "WHERE run_id = ?",
            [run_id],
        )
        db.execute(
            "UPDATE crawl_runs SET status = ?, ended_at = ?, "
            "pages = (SELECT COALESCE(sum(pages), 0) FROM crawl_run_sources WHERE run_id = ?), "
            "new_articles = (SELECT COALESCE(sum(new_articles), 0) FROM crawl_run_sources "
            "WHERE run_id = ?), "
            "errors = (SELECT count(*) FROM fetch_errors WHERE run_id = ?) WHERE id = ?",
            [status, now_iso(), run_id, run_id, run_id, run_id],
        )
    return get_run(db, run_id)


def get_run(db: Database, run_id: int) -> dict:
    """A crawl run as a dict, with `per_source`: {source: {pages, new_articles, errors}}.

    While the run is going, the totals are summed from the live per-source figures.
    """
    # list(): read to the end, so no statement stays open while the figures below are read.
    found = list(
        db.query(
            "SELECT id, started_at, ended_at, status, pages, new_articles, errors "
            "FROM crawl_runs WHERE id = ?",
            [run_id],
        )
    )
    run = found[0] if found else None
    if run is None:
        raise KeyError(f"no crawl run {run_id}")
    per_source = {}
    for source, pages, new, errors in db.execute(
        "SELECT source, pages, new_articles, errors FROM crawl_run_sources WHERE run_id = ? "
        "ORDER BY source",
        [run_id],
    ):
        per_source[source] = {"pages": pages or 0, "new_articles": new or 0, "errors": errors or 0}
    run["per_source"] = per_source
    if run["status"] == "running":
        run["pages"] = sum(s["pages"] for s in per_source.values())
        run["new_articles"] = sum(s["new_articles"] for s in per_source.values())
        run["errors"] = db.execute(
            "SELECT count(*) FROM fetch_errors WHERE run_id = ?", [run_id]
        ).fetchone()[0]
    return run


def record_error(db: Database, run_id: int, error: FetchError) -> int:
    """Store a failed fetch; only `record_dead_link` keeps the next crawl from retrying it."""
    with _write(db):
        cursor = db.execute(
            "INSERT INTO fetch_errors (run_id, url, source, reason, status, time) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [run_id, error.url, error.source, error.reason, error.status, error.time or now_iso()],
        )
        _bump(db, run_id, error.source, errors=1)
    return cursor.lastrowid


def fetch_errors(db: Database, run_id: int) -> list[dict]:
    """The failed fetches of a run, oldest first."""
    return list(
        db.query(
            "SELECT url, source, reason, status, time FROM fetch_errors WHERE run_id = ? "
            "ORDER BY id",
            [run_id],
        )
    )


def record_seen(
    db: Database, url: str, kind: str, source: str, article_id: int | None = None
) -> None:
    """Remember a fetched URL so later crawls skip it (kind: page, not-html, article, copy…)."""
    with _write(db):
        _seen(db, [url], kind, source, article_id, now_iso())


def record_dead_link(db: Database, url: str, source: str, status: int) -> str:
    """Remember a URL that answered 404 or 410 (see DEAD_LINK_RETRY_DAYS); returns its kind.

    A 404 on a URL already dead (its retry) makes it "gone". A URL already known for another
    reason (an article, a page) keeps its row: that kind is returned.
    """
    if status not in DEAD_LINK_STATUSES:
        raise ValueError(f"HTTP {status} is not a dead link (only {DEAD_LINK_STATUSES})")
    kind = "gone" if status == 410 else "dead"
    with _write(db):
        db.execute(
            "INSERT INTO seen_urls (url, article_id, kind, source, first_seen) "
            "VALUES (?, NULL, ?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET kind = 'gone' WHERE seen_urls.kind = 'dead'",
            [url, kind, source, now_iso()],
        )
        return db.execute("SELECT kind FROM seen_urls WHERE url = ?", [url]).fetchone()[0]


def seen_urls(db: Database, source: str | None = None, *, now: datetime | None = None) -> set[str]:
    """Every URL a crawl must not request (of one source when given).

    That is, every URL fetched for good, and every dead link but the 404s due for their
    retry at `now` (default: the current time).
    """
    due = (now or datetime.now(UTC)) - timedelta(days=DEAD_LINK_RETRY_DAYS)
    sql = "SELECT url FROM seen_urls WHERE NOT (kind = 'dead' AND first_seen <= ?)"
    params: list = [due.astimezone(UTC).isoformat(timespec="seconds")]
    if source is not None:
        sql += " AND source = ?"
        params.append(source)
    return {url for (url,) in db.execute(sql, params)}


def save_article(db: Database, article: Article, run_id: int) -> tuple[str, int | None]:
    """Store an extracted article once per story: (outcome, the story's article id).

    "seen": its canonical URL is already stored, as a story or as a copy. "copy": the same
    story is stored under another canonical URL (db/story_store.py finds near-copies), so
    it is recorded in article_copies. "original": it is the story's first publisher and
    arrived after a copy; it becomes the story's article and the copy moves to
    article_copies. "new": a new story. The URLs that led here go to seen_urls.
    """
    from db import story_store

    fetched_at = article.fetched_at or now_iso()
    urls = _unique([article.canonical_url, article.url, *article.seen_urls])
    digest = content_hash(article.text, article.title)
    row = {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "author": article.author,
        "published": article.published,
        "modified": article.modified,
        "lang": article.lang,
        "text": article.text,
        "content_hash": digest,
        "paywalled": int(bool(article.paywalled)),
        "fetched_at": fetched_at,
        "credit": article.credit,
    }
    fp = story_store.fingerprint(article.text, article.title)
    with _write(db):
        found = db.execute(
            "SELECT id FROM articles WHERE canonical_url = ?", [article.canonical_url]
        ).fetchone()
        story_id = found[0] if found else story_store.is_copy(db, article.canonical_url)
        if story_id is not None:
            kind = "article" if found else "copy"
            _seen(db, urls, kind, article.source, story_id, fetched_at)
            return "seen", story_id
        match = None
        if len(_SPACES.sub(" ", article.text).strip()) >= MIN_COPY_CHARS:
            exact = db.execute(
                "SELECT id FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1", [digest]
            ).fetchone()
            match = (exact[0], 1.0) if exact else story_store.find_story(db, fp)
        if match is not None:
            story_id, score = match
            former = db.execute(
                "SELECT source, fetched_at FROM articles WHERE id = ?", [story_id]
            ).fetchone()
            outcome = story_store.add_copy(db, story_id, row, score)
            if outcome == "original":
                _move_credit(db, run_id, former, article.source)
            _seen(
                db,
                urls,
                "article" if outcome == "original" else "copy",
                article.source,
                story_id,
                fetched_at,
            )
            story_store.index_text(db, story_id, article.canonical_url, fp)
            return outcome, story_id
        columns = list(row)
        cursor = db.execute(
            f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [row[c] for c in columns],
        )
        article_id = cursor.lastrowid
        story_store.index_text(db, article_id, article.canonical_url, fp)
        _seen(db, urls, "article", article.source, article_id, fetched_at)
        _bump(db, run_id, article.source, new_articles=1)
    return "new", article_id


def overview(db_path: str | Path) -> dict[str, int]:
    """Row counts for a one-line summary: articles, sources, entities, mentions, quotes."""
    from db.schema import open_db

    db = open_db(db_path)
    try:
        facts = {}
        for key, table in (
            ("articles", "articles"),
            ("entities", "entities"),
            ("mentions", "mentions"),
            ("quotes", "quotes"),
            ("copies", "article_copies"),
        ):
            facts[key] = db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
        # Outlets that gave at least one article, as the demo reports them.
        facts["sources"] = db.execute("SELECT count(DISTINCT source) FROM articles").fetchone()[0]
        return facts
    finally:
        db.conn.close()


def close_stale_runs(db: Database) -> int:
    """Mark runs still `running` as interrupted (after a reboot); call only when no crawl runs.

    A crawl whose parent and child were both killed cannot close its own run.
    """
    running = [r for (r,) in db.execute("SELECT id FROM crawl_runs WHERE status = 'running'")]
    for run_id in running:
        finish_run(db, run_id, "interrupted")
    return len(running)


@contextmanager
def _write(db: Database) -> Iterator[None]:
    """One write transaction, taking the write lock at once.

    BEGIN IMMEDIATE rather than sqlite-utils' deferred BEGIN: a transaction that reads and
    then writes while another process commits would fail with "database is locked" instead
    of waiting its turn (busy_timeout only applies when the lock is taken up front).
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


def _bump(
    db: Database, run_id: int, source: str, pages: int = 0, new_articles: int = 0, errors: int = 0
) -> None:
    db.execute(
        "INSERT INTO crawl_run_sources (run_id, source, pages, new_articles, errors) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(run_id, source) DO UPDATE SET "
        "pages = pages + excluded.pages, new_articles = new_articles + excluded.new_articles, "
        "errors = errors + excluded.errors",
        [run_id, source, pages, new_articles, errors],
    )


def _move_credit(db: Database, run_id: int, former: tuple, source: str) -> None:
    """Credit the run's new story to the original's outlet when it takes over from a copy.

    The outlet whose copy was the story's article until now was credited a new article if
    that copy was fetched during this run (its fetched_at is not before the run's start); the
    credit moves to the original's outlet, so the run's total still counts the story once.
    A copy fetched by an earlier run keeps that run's credit, and the original is new here.
    """
    former_source, former_fetched = former
    (started,) = db.execute("SELECT started_at FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    if former_fetched and started and _instant(former_fetched) >= _instant(started):
        # Times are to the second: a copy stored by the run before, in the second this run
        # started, looks fetched by this run. Only a credit this run gave can move.
        credited = db.execute(
            "SELECT new_articles FROM crawl_run_sources WHERE run_id = ? AND source = ?",
            [run_id, former_source],
        ).fetchone()
        if credited and credited[0] > 0:
            _bump(db, run_id, former_source, new_articles=-1)
    _bump(db, run_id, source, new_articles=1)


def _instant(value: str) -> datetime:
    """An ISO 8601 date as an aware datetime (UTC when it carries no offset)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seen(
    db: Database,
    urls: Iterable[str],
    kind: str,
    source: str,
    article_id: int | None,
    stamp: str,
) -> None:
    # A dead link that answers again (its retry) becomes what it now is; other rows stay.
    for url in urls:
        db.execute(
            "INSERT INTO seen_urls (url, article_id, kind, source, first_seen) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
            "article_id = excluded.article_id, kind = excluded.kind, source = excluded.source, "
            "first_seen = excluded.first_seen WHERE seen_urls.kind IN ('dead', 'gone')",
            [url, article_id, kind, source, stamp],
        )


def _unique(urls: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))
