"""Store what the spider yields, through db.article_store: the crawl's only writer.

Each item is written in its own transaction, so a crawl killed at any moment leaves whole
articles behind and the next crawl fetches what was missed.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from scrapy.utils.defer import deferred_from_coro

from common.items import Article, DeadLink, FetchError, SeenPage
from crawler.urls import canonicalize_url
from db import article_store
from db.schema import open_db

logger = logging.getLogger(__name__)
DATABASE_ERROR = "database error"  # the close reason the child reports as a failed run


class StorePipeline:
    """Articles → articles, failures → fetch_errors, dead links and other pages → seen_urls."""

    def __init__(self, db_path: str, run_id: int, crawler=None) -> None:
        self.db_path = db_path
        self.run_id = run_id
        self.crawler = crawler
        self.db = None

    @classmethod
    def from_crawler(cls, crawler) -> StorePipeline:
        settings = crawler.settings
        return cls(settings.get("VEILLE_DB"), settings.getint("VEILLE_RUN_ID"), crawler)

    def open_spider(self) -> None:
        self.db = open_db(self.db_path)

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None

    def process_item(self, item: Any) -> Any:
        """Write one item in one transaction."""
        try:
            self._store(item)
        except sqlite3.IntegrityError:
            logger.exception("could not store %r", item)  # a bug: report it, go on
        except sqlite3.Error as exc:
            # Full disk, read-only or locked file: every next write would fail the same
            # way, so stop the crawl (run recorded as failed) rather than fetch for nothing.
            logger.error("database error, stopping the crawl: %s", exc)
            if self.crawler is not None and self.crawler.engine is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=DATABASE_ERROR))
        return item

    def _store(self, item: Any) -> None:
        if isinstance(item, Article):
            self._article(item)
        elif isinstance(item, FetchError):
            article_store.record_error(self.db, self.run_id, item)
        elif isinstance(item, DeadLink):
            article_store.record_dead_link(self.db, item.url, item.source, item.status)
        elif isinstance(item, SeenPage):
            for url in _urls(item.url, *item.also):
                article_store.record_seen(self.db, url, item.kind, item.source)

    def _article(self, article: Article) -> None:
        if not article.text or not article.text.strip():
            article_store.record_error(
                self.db,
                self.run_id,
                FetchError(article.url, article.source, "article page without text"),
            )
            return
        # Stored in both raw and canonical forms: the spider checks canonical ones, and a
        # raw one (tracking parameters and all) is what a reader may paste.
        canonical = canonicalize_url(article.canonical_url or article.url)
        urls = _urls(article.url, *article.seen_urls)
        article.canonical_url = canonical
        article.seen_urls = [u for u in urls if u != canonical]
        outcome, _ = article_store.save_article(self.db, article, self.run_id)
        if self.crawler is not None:
            self.crawler.stats.inc_value(f"veille/articles_{outcome}")


def _urls(*urls: str) -> list[str]:
    out: dict[str, None] = {}
    for url in urls:
        if url:
            out[url] = None
            out[canonicalize_url(url)] = None
    return list(out)
