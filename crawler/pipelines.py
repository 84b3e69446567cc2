"""Store what the spider yields, through db.store: the crawl's only writer.

Each item is written in its own transaction, so a crawl killed at any moment leaves whole
articles behind and the next crawl fetches what was missed.
"""

from __future__ import annotations

from typing import Any

from crawler.items import Article, FetchError
from crawler.spiders.news import PageVisit
from crawler.urls import canonicalize_url
from db import store
from db.schema import open_db


class StorePipeline:
    """Articles → articles/article_copies, failures → fetch_errors, pages → run figures."""

    def __init__(self, db_path: str, run_id: int, stats) -> None:
        self.db_path = db_path
        self.run_id = run_id
        self.stats = stats
        self.db = None

    @classmethod
    def from_crawler(cls, crawler) -> StorePipeline:
        settings = crawler.settings
        return cls(settings.get("VEILLE_DB"), settings.getint("VEILLE_RUN_ID"), crawler.stats)

    def open_spider(self) -> None:
        self.db = open_db(self.db_path)

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None

    def process_item(self, item: Any) -> Any:
        """Write one item in one transaction."""
        if isinstance(item, Article):
            self._article(item)
        elif isinstance(item, FetchError):
            store.record_error(self.db, self.run_id, item)
            self.stats.inc_value("veille/errors")
        elif isinstance(item, PageVisit):
            store.count_pages(self.db, self.run_id, item.source)
            if item.record:
                for url in _urls(item.url, *item.also):
                    store.record_seen(self.db, url, item.kind, item.source)
        return item

    def _article(self, article: Article) -> None:
        if not article.text or not article.text.strip():
            store.record_error(
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
        outcome, _ = store.save_article(self.db, article, self.run_id)
        self.stats.inc_value(f"veille/articles_{outcome}")


def _urls(*urls: str) -> list[str]:
    out: dict[str, None] = {}
    for url in urls:
        if url:
            out[url] = None
            out[canonicalize_url(url)] = None
    return list(out)
