"""The demo's sample web, crawled for real, against the ground truth written with it.

`crawler/demo_site/expected.json` was written by hand from the pages' content, not from
veille's output: it is what a reader of the pages sees.
"""

from __future__ import annotations

import json
import re
import sqlite3
from urllib.parse import urlsplit

import pytest

from crawler.launch import run_crawl
from crawler.siteserver import SiteServer
from ops.demo import DEMO_DIR, demo_config, demo_sites, fill_bases

EXPECTED = json.loads((DEMO_DIR / "expected.json").read_text(encoding="utf-8"))


def spaces(text: str | None) -> str:
    """Every Unicode space as ' ', runs collapsed (the ground truth's convention)."""
    return re.sub(r"\s+", " ", text or "").strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Crawl the sample web twice into one database; keep the server's request log."""
    db_path = tmp_path_factory.mktemp("demo") / "demo.db"
    with SiteServer(demo_sites()) as server:
        bases = {name: server.base_url(name) for name in demo_sites()}
        config = demo_config(bases)
        first = run_crawl(config, db_path, progress=False)
        first_requests = server.requests()
        server.clear_log()
        second = run_crawl(config, db_path, progress=False)
        second_requests = server.requests()
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row

    yield {
        "conn": conn,
        "url": lambda template: fill_bases(template, bases),
        "first": first,
        "second": second,
        "first_requests": first_requests,
        "second_requests": second_requests,
        "rows": {r["canonical_url"]: dict(r) for r in conn.execute("SELECT * FROM articles")},
    }
    conn.close()


def test_every_article_stored_exactly_once(demo):
    expected = {demo["url"](a["url"]) for a in EXPECTED["articles"]}
    stored = set(demo["rows"])
    # The syndicated pair may be stored under either URL (crawl order decides).
    pair = {
        demo["url"](EXPECTED["syndicated"]["stored"]),
        demo["url"](EXPECTED["syndicated"]["copy"]),
    }
    assert len(stored) == EXPECTED["article_count"] == len(expected)
    assert stored - pair == expected - pair
    assert len(stored & pair) == 1
    assert demo["first"].status == "completed"
    assert demo["first"].new_articles == EXPECTED["article_count"]


@pytest.mark.parametrize("article", EXPECTED["articles"], ids=lambda a: a["key"])
def test_article_metadata_and_clean_text(demo, article):
    url = demo["url"](article["url"])
    row = demo["rows"].get(url)
    if row is None and url == demo["url"](EXPECTED["syndicated"]["stored"]):
        pytest.skip("the syndicated copy was stored under its other URL")
    assert row is not None, f"{url} not stored"
    assert spaces(row["title"]) == spaces(article["title"])
    if article.get("granularity") == "day":
        assert (row["published"] or "")[:10] == article["published"][:10]
    else:
        assert (row["published"] or "")[:16] == article["published"][:16]
        assert (row["published"] or "").endswith(article["published"][-6:])
    assert row["author"] == article["author"]
    assert bool(row["paywalled"]) == article["paywalled"]
    text = spaces(row["text"])
    for snippet in article["must_contain"]:
        assert spaces(snippet) in text
    for snippet in article["must_not_contain"]:
        assert spaces(snippet) not in text
    for char in article.get("must_contain_chars", []):
        assert char in row["text"]


def test_non_articles_never_stored(demo):
    stored = set(demo["rows"])
    for page in EXPECTED["not_articles"]:
        assert demo["url"](page["url"]) not in stored, page["reason"]


def test_robots_disallowed_page_never_requested(demo):
    path = urlsplit(demo["url"](EXPECTED["robots_disallowed"]["url"])).path
    requested = [r.path for r in demo["first_requests"] + demo["second_requests"]]
    assert path not in requested
    assert any(p == "/robots.txt" for p in requested)
    agents = {r.user_agent for r in demo["first_requests"]}
    assert agents == {"veille-demo/0.1 (+mailto:contact@example.org)"}


def test_dead_link_recorded_and_crawl_went_on(demo):
    dead = demo["url"](EXPECTED["dead_link"]["url"])
    rows = demo["conn"].execute("SELECT reason, status FROM fetch_errors WHERE url = ?", [dead])
    reasons = [dict(r) for r in rows]
    assert reasons and reasons[0]["status"] == 404


def test_syndicated_copy_recorded(demo):
    pair = [demo["url"](EXPECTED["syndicated"][k]) for k in ("stored", "copy")]
    copies = [r["url"] for r in demo["conn"].execute("SELECT url FROM article_copies")]
    assert len(set(pair) & set(copies)) == 1
    assert len(set(pair) & set(demo["rows"])) == 1


def test_tracking_parameters_dropped(demo):
    for link in EXPECTED["tracking_params_in_feeds"]:
        assert demo["url"](link["canonical"]) in demo["rows"]
    assert not any("utm_" in u or "xtor" in u for u in demo["rows"])


def test_recrawl_fetches_no_stored_article(demo):
    article_paths = {urlsplit(u).path for u in demo["rows"]}
    again = [r.path for r in demo["second_requests"] if urlsplit(r.path).path in article_paths]
    assert again == []
    assert demo["second"].new_articles == 0
    assert demo["second"].status == "completed"
    assert len(demo["second_requests"]) < len(demo["first_requests"])
