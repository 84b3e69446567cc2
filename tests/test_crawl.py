"""Real Scrapy crawls, in a child process, of the fixture sites served on 127.0.0.1.

One module-scoped crawl (then one re-crawl) of tests/sites/gazette, tests/sites/echo and a
dead source feeds most tests; the interruption tests crawl a generated slow site.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from helpers_ops import render_sources

from crawler.launch import CrawlSummary, run_crawl
from crawler.siteserver import SiteServer
from crawler.sources import load_config
from db.article_store import DEAD_LINK_RETRY_DAYS
from db.schema import DatabaseError

REPO = Path(__file__).resolve().parents[1]
SITES = Path(__file__).with_name("sites")
USER_AGENT = "veille-test/1.0 (+mailto:tests@example.org)"
GAZETTE, ECHO, DEAD = "La Gazette numérique", "L'Écho des start-up", "Radio Fantôme"
GARBAGE = "Le Brouillon"  # a feed and a sitemap that are neither

SOURCES = """
[crawl]
user_agent = "{ua}"
timeout = 2
download_delay = 0
autothrottle_start_delay = 0

[[sources]]
name = "{gazette}"
region = "Bourgogne-Franche-Comté"
homepage = "{g}/"
feeds = ["{g}/rss.xml"]
sitemaps = ["{g}/sitemap_index.xml"]
listings = ["{g}/economie/"]
allow = ['/\\d{{4}}/\\d{{2}}/']
deny = ["/tag/"]
listing_depth = 1

[[sources]]
name = "{echo}"
homepage = "{e}/"
feeds = ["{e}/atom.xml"]
listings = ["{e}/actualites/"]
allow = ["/articles/"]
deny = ["/auteur/"]

[[sources]]
name = "{dead}"
homepage = "http://127.0.0.1:{dead_port}/"
feeds = ["http://127.0.0.1:{dead_port}/rss.xml"]

[[sources]]
name = "{garbage}"
homepage = "{e}/brouillon/"
feeds = ["{e}/brouillon/flux.xml"]
sitemaps = ["{e}/brouillon/plan.xml"]
"""


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rows(db_path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Crawl the fixture sites once, then again unchanged; figures of both crawls."""
    tmp = tmp_path_factory.mktemp("crawl")
    sites = {}
    for name in ("gazette", "echo"):
        sites[name] = shutil.copytree(SITES / name, tmp / name)
    # Over DOWNLOAD_MAXSIZE (5 MB); made here rather than kept in the repository.
    big = sites["gazette"] / "2024" / "03" / "dossier-enorme.html"
    big.write_bytes(
        b"<html><body><p>" + b"dossier " * (6 * 1024 * 1024 // 8) + b"</p></body></html>"
    )
    db_path = tmp / "veille.db"
    with SiteServer(sites) as server:
        g, e = server.base_url("gazette"), server.base_url("echo")
        toml = tmp / "sources.toml"
        toml.write_text(
            SOURCES.format(
                ua=USER_AGENT,
                gazette=GAZETTE,
                echo=ECHO,
                dead=DEAD,
                garbage=GARBAGE,
                g=g,
                e=e,
                dead_port=free_port(),
            ),
            encoding="utf-8",
        )
        config = load_config(toml)
        snapshots: list[CrawlSummary] = []
        first = run_crawl(config, db_path, progress=snapshots.append)
        first_requests = server.requests()
        server.clear_log()
        second = run_crawl(config, db_path, progress=False)
        second_requests = server.requests()
    return {
        "db": db_path,
        "g": g,
        "e": e,
        "first": first,
        "second": second,
        "snapshots": snapshots,
        "requests": first_requests,
        "recrawl_requests": second_requests,
    }


def articles(crawled) -> dict[str, dict]:
    """Stored articles by canonical path."""
    keys = ("id", "url", "canonical_url", "source", "title", "author", "published", "text")
    found = rows(crawled["db"], f"SELECT {', '.join(keys)} FROM articles")
    return {path_of(r[2]): dict(zip(keys, r, strict=True)) for r in found}


def errors(crawled, run_id: int, source: str | None = None) -> dict[str, str]:
    """Failure reasons of a run (of one source) by URL path."""
    found = rows(
        crawled["db"], "SELECT url, reason, source FROM fetch_errors WHERE run_id = ?", [run_id]
    )
    return {path_of(url): reason for url, reason, s in found if source in (None, s)}


EXPECTED_GAZETTE = {
    "/2024/03/incubateur-besancon-nouvelle-promotion.html",  # feed (utm_*) and listing
    "/2024/03/startup-horlogerie-connectee.html",  # sitemap and listing
    "/2024/03/salon-numerique-dole.html",  # listing page 2
    "/2024/03/cafe-numerique-pontarlier.html",  # Windows-1252 declared ISO-8859-1
    "/2024/03/nouveau-siege-cyberdefense.html",  # also reached by its printable version
    "/2024/03/subvention-region-numerique.html",  # through a 301 from an old URL
    "/2024/03/datacenter-besancon.html",  # news sitemap, gzipped, no charset at all
}
EXPECTED_ECHO = {
    "/articles/jeu-video-belfort.html",  # Atom (utm_* and #fragment) and listing page 2
    "/articles/french-tech-label.html",  # Atom (fbclid) and listing
    "/articles/robotique-agricole-vesoul.html",  # listing
}
# The same article on both outlets (feed with xtor and news sitemap on the Gazette, listing on
# the Écho), no rel=canonical between them. Whichever is fetched first is stored; the other is
# the copy. Crawl order between two hosts is not fixed, so the tests accept either.
FIBRE = {GAZETTE: "/2024/03/fibre-optique-haut-doubs.html"}
FIBRE[ECHO] = "/articles/fibre-optique-haut-doubs-reprise.html"


def fibre_kept(stored: dict[str, dict]) -> str:
    """The outlet whose copy of the shared article was stored; asserts only one was."""
    kept = [source for source, path in FIBRE.items() if path in stored]
    assert len(kept) == 1, f"stored copies of the shared article: {kept}"
    return kept[0]


def test_crawl_completes_and_records_the_run(crawled):
    first = crawled["first"]
    assert first.status == "completed"
    assert first.new_articles == len(EXPECTED_GAZETTE) + len(EXPECTED_ECHO) + 1
    assert set(first.per_source) == {GAZETTE, ECHO, DEAD, GARBAGE}
    assert first.per_source[ECHO].errors == 0
    assert first.per_source[DEAD].pages == 0 and first.per_source[DEAD].errors == 1
    assert first.per_source[GARBAGE].pages == 2 and first.per_source[GARBAGE].errors == 2
    (run,) = rows(
        crawled["db"],
        "SELECT status, started_at, ended_at, pages, new_articles, errors FROM crawl_runs "
        "WHERE id = ?",
        [first.run_id],
    )
    assert run[0] == "completed" and run[1] <= run[2]
    assert run[3:] == (first.pages, first.new_articles, first.errors)
    per_source = rows(
        crawled["db"],
        "SELECT source, new_articles FROM crawl_run_sources WHERE run_id = ?",
        [first.run_id],
    )
    kept = fibre_kept(articles(crawled))
    assert dict(per_source) == {
        GAZETTE: len(EXPECTED_GAZETTE) + (kept == GAZETTE),
        ECHO: len(EXPECTED_ECHO) + (kept == ECHO),
        DEAD: 0,
        GARBAGE: 0,
    }
    text = first.describe()
    assert f"Crawl #{first.run_id} completed" in text and GAZETTE in text
    # The progress callback saw the crawl while it ran.
    assert crawled["snapshots"] and crawled["snapshots"][0].status == "running"


def test_every_article_stored_once_from_feeds_sitemaps_and_listings(crawled):
    stored = articles(crawled)
    kept = fibre_kept(stored)
    assert set(stored) == EXPECTED_GAZETTE | EXPECTED_ECHO | {FIBRE[kept]}
    by_source = {path: a["source"] for path, a in stored.items()}
    assert {p for p, s in by_source.items() if s == ECHO} == EXPECTED_ECHO | (
        {FIBRE[ECHO]} if kept == ECHO else set()
    )
    assert all(a["text"].strip() for a in stored.values())
    fibre = stored[FIBRE[kept]]
    assert (
        fibre["title"]
        == "Fibre optique : les derniers villages du Haut-Doubs raccordés avant l'été"
    )
    assert fibre["author"] == "Marc Petitjean"
    assert fibre["published"].startswith("2024-03-06")


def test_canonical_urls_drop_tracking_and_fragments(crawled):
    for article in articles(crawled).values():
        assert not any(t in article["canonical_url"] for t in ("utm_", "xtor", "fbclid", "#"))
    seen = {path_of(u): kind for u, kind in rows(crawled["db"], "SELECT url, kind FROM seen_urls")}
    # The URLs as linked are remembered too, so the next crawl skips them.
    assert "/2024/03/fibre-optique-haut-doubs.html?xtor=RSS-3" in seen
    assert "/articles/french-tech-label.html?fbclid=IwAR0abc" in seen


def test_rel_canonical_and_redirects_lead_to_one_article(crawled):
    stored = articles(crawled)
    assert "/2024/03/cyberdefense-version-imprimable.html" not in stored
    assert "/2024/03/vieux-lien-subvention.html" not in stored
    ids = dict(
        (path_of(u), a) for u, a in rows(crawled["db"], "SELECT url, article_id FROM seen_urls")
    )
    assert (
        ids["/2024/03/cyberdefense-version-imprimable.html"]
        == (stored["/2024/03/nouveau-siege-cyberdefense.html"]["id"])
    )
    assert (
        ids["/2024/03/vieux-lien-subvention.html"]
        == (stored["/2024/03/subvention-region-numerique.html"]["id"])
    )


def test_syndicated_copy_is_recorded_not_stored_twice(crawled):
    stored = articles(crawled)
    kept = fibre_kept(stored)
    (copy,) = [source for source in FIBRE if source != kept]
    copies = rows(crawled["db"], "SELECT url, article_id, source FROM article_copies")
    assert [(path_of(u), a, s) for u, a, s in copies] == [
        (FIBRE[copy], stored[FIBRE[kept]]["id"], copy)
    ]


def test_charsets(crawled):
    stored = articles(crawled)
    cafe = stored["/2024/03/cafe-numerique-pontarlier.html"]
    assert "« café numérique »" in cafe["title"]
    assert "L’initiative" in cafe["text"] and "« On m’a offert" in cafe["text"]
    datacenter = stored["/2024/03/datacenter-besancon.html"]
    assert datacenter["title"] == "Un centre de données chauffé… à l'eau du Doubs"
    for article in (cafe, datacenter):
        assert not any(bad in article["text"] for bad in ("â€", "Ã©", "\x92", "\ufffd"))


def test_listing_pages_are_followed_to_their_depth_and_never_stored(crawled):
    requested = {r.path for r in crawled["requests"] if r.site == "gazette"}
    assert "/economie/page/2/" in requested
    # listing_depth = 1: page 3 is not fetched, nor the article only it links to.
    assert "/economie/page/3/" not in requested
    assert "/2024/03/hackathon-ia-montbeliard.html" not in requested
    # deny and allow: tag pages and pages outside /YYYY/MM/ are never fetched.
    assert not any(p.startswith("/tag/") or p == "/a-propos.html" for p in requested)
    assert not any(r.path.startswith("/auteur/") for r in crawled["requests"] if r.site == "echo")
    stored = articles(crawled)
    for listing in ("/2024/03/", "/economie/", "/actualites/page-2.html"):
        assert listing not in stored
    # A section page reached as a link is remembered as a page, not re-fetched.
    seen = dict((path_of(u), k) for u, k in rows(crawled["db"], "SELECT url, kind FROM seen_urls"))
    assert seen["/2024/03/"] == "page"


def test_user_agent_and_robots_txt(crawled):
    requests = crawled["requests"]
    assert {r.user_agent for r in requests} == {USER_AGENT}
    for site in ("gazette", "echo"):
        assert [r.path for r in requests if r.site == site][0] == "/robots.txt"
    # Disallowed by robots.txt: never fetched, and not counted as a failure.
    assert not any(r.path.startswith("/prive/") for r in requests)
    assert not any("/prive/" in u for u in errors(crawled, crawled["first"].run_id))


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/2024/03/article-disparu.html", "HTTP 404"),
        ("/2024/03/erreur-serveur.html", "HTTP 500"),
        ("/2024/03/service-indisponible.html", "HTTP 503"),
        ("/2024/03/page-lente.html", "timeout after 2 s"),
        ("/2024/03/boucle-a.html", "redirect loop"),
        ("/2024/03/rapport-annuel-2023", "not HTML (application/pdf)"),
        ("/2024/03/dossier-enorme.html", "page over 5 MB"),
        ("/rss.xml", "connection refused"),
        ("/brouillon/flux.xml", "not an RSS or Atom feed (application/xml)"),
        ("/brouillon/plan.xml", "not a sitemap (application/xml)"),
    ],
)
def test_each_fault_is_a_fetch_error_and_the_crawl_goes_on(crawled, path, reason):
    assert errors(crawled, crawled["first"].run_id)[path] == reason
    # The other pages of every live source were stored all the same.
    assert set(articles(crawled)) >= EXPECTED_GAZETTE | EXPECTED_ECHO
    fibre_kept(articles(crawled))


def test_fetch_errors_rows_are_complete(crawled):
    found = rows(
        crawled["db"],
        "SELECT url, source, reason, time FROM fetch_errors WHERE run_id = ?",
        [crawled["first"].run_id],
    )
    assert len(found) == crawled["first"].errors == 10
    assert all(url and source and reason and time for url, source, reason, time in found)
    sources = {path_of(u): s for u, s, _, _ in found}
    assert sources["/rss.xml"] == DEAD and sources["/2024/03/page-lente.html"] == GAZETTE


def test_server_errors_and_timeouts_are_retried_a_few_times(crawled):
    hits = [r.path for r in crawled["requests"]]
    assert hits.count("/2024/03/service-indisponible.html") == 3
    assert hits.count("/2024/03/page-lente.html") == 3
    assert hits.count("/2024/03/article-disparu.html") == 1  # a 404 is not retried


def test_recrawl_fetches_no_stored_article(crawled):
    second = crawled["second"]
    assert second.status == "completed"
    assert second.new_articles == 0
    assert len(articles(crawled)) == len(EXPECTED_GAZETTE) + len(EXPECTED_ECHO) + 1
    requested = {(r.site, r.path) for r in crawled["recrawl_requests"]}
    entry_points = {
        ("gazette", p)
        for p in (
            "/robots.txt",
            "/rss.xml",
            "/sitemap_index.xml",
            "/sitemap-articles.xml",
            "/sitemap-news.xml.gz",
            "/economie/",
            "/economie/page/2/",
        )
    } | {
        ("echo", p)
        for p in (
            "/robots.txt",
            "/atom.xml",
            "/actualites/",
            "/actualites/page-2.html",
            "/brouillon/flux.xml",
            "/brouillon/plan.xml",
        )
    }
    # Only feeds, sitemaps and listings, plus the pages that failed last time (retried);
    # the non-HTML page and the dead link (404) failed for good and are not fetched again.
    failed = {("gazette", p) for p in errors(crawled, crawled["first"].run_id, GAZETTE)} - {
        ("gazette", "/2024/03/rapport-annuel-2023"),
        ("gazette", "/2024/03/article-disparu.html"),
    }
    assert entry_points <= requested
    assert requested - entry_points == failed | {("gazette", "/2024/03/boucle-b.html")}


DEAD_LINKS_SOURCES = SITES / "dead_links_sources.toml"
DISPARU, SUPPRIME, PANNE, REVENU = (
    f"/articles/{slug}.html" for slug in ("disparu", "supprime", "en-panne", "revenu")
)


def test_dead_links_are_not_requested_again_until_their_retry(tmp_path):
    """404: not requested for DEAD_LINK_RETRY_DAYS, then once more; 410: never; 500: always."""
    site = shutil.copytree(SITES / "dead_links", tmp_path / "dead_links")
    db_path = tmp_path / "veille.db"

    def kinds() -> dict[str, str]:
        return {path_of(u): k for u, k in rows(db_path, "SELECT url, kind FROM seen_urls")}

    def run_errors(summary) -> dict[str, tuple[str, int | None]]:
        found = rows(
            db_path,
            "SELECT url, reason, status FROM fetch_errors WHERE run_id = ?",
            [summary.run_id],
        )
        return {path_of(url): (reason, status) for url, reason, status in found}

    def days_pass(days: int) -> None:
        # The retry is due by the age of the seen_urls row: age every row by `days`.
        conn = sqlite3.connect(db_path)
        with conn:
            for url, first_seen in conn.execute("SELECT url, first_seen FROM seen_urls").fetchall():
                older = datetime.fromisoformat(first_seen) - timedelta(days=days)
                conn.execute(
                    "UPDATE seen_urls SET first_seen = ? WHERE url = ?",
                    [older.isoformat(timespec="seconds"), url],
                )
        conn.close()

    with SiteServer({"dead_links": site}) as server:
        bases = {"dead_links": server.base_url("dead_links")}
        config = load_config(render_sources(DEAD_LINKS_SOURCES, bases, tmp_path / "s.toml"))

        def crawl():
            server.clear_log()
            summary = run_crawl(config, db_path, progress=False)
            assert summary.status == "completed"
            return summary, Counter(r.path for r in server.requests())

        first, hits = crawl()
        assert first.new_articles == 1
        assert run_errors(first) == {
            DISPARU: ("HTTP 404", 404),
            SUPPRIME: ("HTTP 410", 410),
            PANNE: ("HTTP 500", 500),
            REVENU: ("HTTP 404", 404),
        }
        assert hits[DISPARU] == hits[SUPPRIME] == hits[REVENU] == 1
        seen = kinds()
        assert (seen[DISPARU], seen[SUPPRIME], seen[REVENU]) == ("dead", "gone", "dead")
        assert PANNE not in seen  # a server error is retried on the next crawl

        # The next day: the dead links are not requested; the server error is, as before.
        second, hits = crawl()
        assert hits[DISPARU] == hits[SUPPRIME] == hits[REVENU] == 0
        assert hits[PANNE] == 3 and hits["/rss.xml"] == 1
        assert run_errors(second) == {PANNE: ("HTTP 500", 500)}

        # Still within the retry delay: still not requested.
        days_pass(DEAD_LINK_RETRY_DAYS - 1)
        _, hits = crawl()
        assert hits[DISPARU] == hits[SUPPRIME] == hits[REVENU] == 0

        # Past the delay, the 404s are requested once more: one came back, one is still dead
        # (final now); the 410 never is.
        days_pass(2)
        shutil.copy(site / "retour" / "revenu.html", site / "articles" / "revenu.html")
        third, hits = crawl()
        assert (hits[DISPARU], hits[REVENU], hits[SUPPRIME]) == (1, 1, 0)
        assert third.new_articles == 1
        assert run_errors(third) == {DISPARU: ("HTTP 404", 404), PANNE: ("HTTP 500", 500)}
        seen = kinds()
        assert (seen[DISPARU], seen[SUPPRIME], seen[REVENU]) == ("gone", "gone", "article")

        days_pass(10 * DEAD_LINK_RETRY_DAYS)
        _, hits = crawl()
        assert hits[DISPARU] == hits[SUPPRIME] == hits[REVENU] == 0
    # Nothing stored was lost: both articles, and every failure of every run.
    assert rows(db_path, "SELECT count(*) FROM articles") == [(2,)]
    assert rows(db_path, "SELECT count(*) FROM fetch_errors") == [(4 + 1 + 1 + 2 + 1,)]


def test_unusable_database_fails_before_crawling(tmp_path):
    config = load_config(REPO / "crawler" / "sources.toml")
    with pytest.raises(DatabaseError, match="does not exist"):
        run_crawl(config, tmp_path / "absent" / "veille.db", progress=False)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DatabaseError, match="not a veille database"):
        run_crawl(config, garbage, progress=False)


# --- interruptions: Ctrl-C, kill -9 of the crawl, kill -9 of its parent ----------------------

# Enough pages that a stop lands mid-crawl: on Ctrl-C Scrapy still finishes the requests
# already handed to its downloader (up to CONCURRENT_REQUESTS = 16).
SLOW_ARTICLES = 60


def slow_site(root: Path) -> Path:
    """A site whose article pages each take a moment, so a crawl can be stopped mid-way."""
    root.mkdir()
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    (root / "a").mkdir()
    urls, routes = [], []
    # Seeded random words per article: pages of one text would be copies, stored once.
    words = [
        "numérique",
        "tiers-lieux",
        "ateliers",
        "réparation",
        "ordinateurs",
        "associations",
        "quartier",
        "année",
        "réseau",
        "fibre",
        "école",
        "mairie",
        "emploi",
        "projet",
        "commune",
        "usine",
        "habitants",
        "budget",
        "chantier",
        "salle",
        "club",
        "marché",
        "gare",
        "route",
        "parc",
        "collège",
        "maison",
        "rue",
        "pont",
        "place",
        "conseil",
        "service",
    ]
    for n in range(SLOW_ARTICLES):
        rng = random.Random(n)
        paras = "".join(
            f"<p>Paragraphe {k} de l'article {n} sur la vie numérique du Jura : "
            f"{' '.join(rng.choices(words, k=30))}.</p>"
            for k in range(5)
        )
        (root / "a" / f"{n}.html").write_text(
            f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
            f"<title>Article lent numéro {n}</title></head><body><article>"
            f"<h1>Article lent numéro {n}</h1>{paras}</article></body></html>",
            encoding="utf-8",
        )
        urls.append(f"<url><loc>{{{{base}}}}/a/{n}.html</loc></url>")
        routes.append(f'["/a/{n}.html"]\ndelay = 0.2\n')
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(urls)
        + "</urlset>"
    )
    (root / "_routes.toml").write_text("\n".join(routes))
    return root


def start_cli_crawl(sources: Path, db_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "crawl",
            "--sources",
            str(sources),
            "--db",
            str(db_path),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_articles(db_path: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if rows(db_path, "SELECT count(*) FROM articles")[0][0] >= count:
                return
        except sqlite3.OperationalError:
            pass  # not created yet
        time.sleep(0.1)
    raise AssertionError("the crawl stored nothing in 60 s")


def crawl_child_of(pid: int) -> int:
    """The pid of the `crawler.child` process started by `pid`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"crawler.child" in cmdline:
            return int(entry.name)
    raise AssertionError(f"no crawl child under process {pid}")


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the crawl's child")
def test_interrupted_and_killed_crawls_leave_a_consistent_db_and_resume(tmp_path):
    site = slow_site(tmp_path / "lent")
    db_path = tmp_path / "veille.db"
    with SiteServer({"lent": site}) as server:
        base = server.base_url("lent")
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[crawl]\nuser_agent = "{USER_AGENT}"\ndownload_delay = 0\n'
            f"autothrottle_start_delay = 0\n\n"
            f'[[sources]]\nname = "Le Jura lent"\nhomepage = "{base}/"\n'
            f'sitemaps = ["{base}/sitemap.xml"]\n',
            encoding="utf-8",
        )
        # 1. Ctrl-C: the crawl stops after the pages under way; the run says so.
        cli = start_cli_crawl(sources, db_path)
        wait_for_articles(db_path, 1, cli)
        cli.send_signal(signal.SIGINT)
        output = cli.communicate(timeout=60)[0]
        assert "interrupted" in output and "Traceback" not in output
        assert cli.returncode == 130

        # 2. kill -9 of the crawl process: the parent records the run as failed.
        cli = start_cli_crawl(sources, db_path)
        stored = rows(db_path, "SELECT count(*) FROM articles")[0][0]
        wait_for_articles(db_path, stored + 1, cli)
        os.kill(crawl_child_of(cli.pid), signal.SIGKILL)
        output = cli.communicate(timeout=60)[0]
        assert "failed" in output and cli.returncode == 1

        # 3. kill -9 of the parent: the orphaned crawl notices and stops cleanly.
        cli = start_cli_crawl(sources, db_path)
        stored = rows(db_path, "SELECT count(*) FROM articles")[0][0]
        wait_for_articles(db_path, stored + 1, cli)
        child = crawl_child_of(cli.pid)
        cli.kill()
        cli.communicate(timeout=10)
        deadline = time.monotonic() + 30
        while pid_alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not pid_alive(child)

        # 4. kill -9 of both, parent and child: nobody closes the run; the next crawl does.
        cli = start_cli_crawl(sources, db_path)
        stored = rows(db_path, "SELECT count(*) FROM articles")[0][0]
        wait_for_articles(db_path, stored + 1, cli)
        child = crawl_child_of(cli.pid)
        os.kill(child, signal.SIGKILL)
        cli.kill()
        cli.communicate(timeout=10)
        while pid_alive(child) and time.monotonic() < deadline + 30:
            time.sleep(0.1)
        assert rows(db_path, "SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1") == [
            ("running",)
        ]

        assert rows(db_path, "PRAGMA integrity_check") == [("ok",)]
        partial = rows(db_path, "SELECT count(*) FROM articles")[0][0]
        assert partial < SLOW_ARTICLES

        # 5. A last crawl completes what was missed, without duplicates or refetches.
        server.clear_log()
        final = start_cli_crawl(sources, db_path)
        output = final.communicate(timeout=120)[0]
        assert final.returncode == 0, output
        fetched = [r.path for r in server.requests() if r.path.startswith("/a/")]
    statuses = [s for (s,) in rows(db_path, "SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses == ["interrupted", "failed", "interrupted", "interrupted", "completed"]
    titles = [t for (t,) in rows(db_path, "SELECT title FROM articles ORDER BY title")]
    assert sorted(titles) == sorted(f"Article lent numéro {n}" for n in range(SLOW_ARTICLES))
    assert len(fetched) == SLOW_ARTICLES - partial
    assert rows(db_path, "PRAGMA integrity_check") == [("ok",)]


def test_an_exception_in_a_callback_becomes_a_fetch_error():
    from scrapy.http import HtmlResponse, Request

    from common.items import FetchError
    from crawler.middlewares import CallbackErrorsMiddleware

    request = Request("http://127.0.0.1:9/page.html", meta={"source": GAZETTE})
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    (error,) = CallbackErrorsMiddleware().process_spider_exception(response, ValueError("bad page"))
    assert isinstance(error, FetchError)
    assert (error.url, error.source, error.status) == (request.url, GAZETTE, 200)
    assert error.reason == "page could not be read (ValueError: bad page)"


def test_cli_crawl_reports_an_unusable_database_without_traceback(tmp_path):
    from click.testing import CliRunner

    from pipeline import cli

    result = CliRunner().invoke(cli, ["crawl", "--db", str(tmp_path / "absent" / "v.db")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


# --- the spider's navigation rules, on real Scrapy responses (no crawl) -----------------------


def make_spider(tmp_path, extra: str = ""):
    from crawler.spiders.news import NewsSpider

    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[crawl]\nuser_agent = "{USER_AGENT}"\nlisting_depth = 1\n{extra}\n'
        '[[sources]]\nname = "G"\nhomepage = "http://127.0.0.1:8000/"\n'
        'listings = ["http://127.0.0.1:8000/economie/"]\n'
        "allow = ['/\\d{4}/']\ndeny = ['/tag/']\n",
        encoding="utf-8",
    )
    from scrapy.settings import Settings

    spider = NewsSpider(config=load_config(sources))
    spider.settings = Settings()  # what a crawler would give it, without starting one
    spider.settings.setmodule("crawler.settings")
    return spider


def listing_response(html: str, url: str = "http://127.0.0.1:8000/economie/", depth: int = 0):
    from scrapy.http import HtmlResponse, Request

    request = Request(url, meta={"source": "G", "depth_listing": depth})
    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8", request=request)


def test_article_candidates_are_canonical_and_filtered_by_the_source_rules(tmp_path):
    spider = make_spider(tmp_path, "max_new = 2")
    source = spider.sources["G"]
    first = spider._article_request(
        "http://127.0.0.1:8000/2024/a.html?utm_source=x&xtor=RSS-1#haut", source
    )
    assert first.url == "http://127.0.0.1:8000/2024/a.html"
    assert first.meta["found_as"].endswith("#haut")
    assert (first.meta["kind"], first.meta["max_new"]) == ("article", 2)
    assert spider._article_request("http://127.0.0.1:8000/tag/2024/x.html", source) is None
    assert spider._article_request("http://127.0.0.1:8000/a-propos.html", source) is None
    assert spider._article_request("http://127.0.0.1:8000/economie/", source) is None
    assert spider._article_request("mailto:x@example.org", source) is None
    assert spider._article_request("http://127.0.0.1:180800/2024/b.html", source) is None


def test_new_urls_middleware_drops_seen_and_repeated_urls_and_caps_each_source():
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import NewUrlsMiddleware

    middleware = NewUrlsMiddleware.from_crawler(get_crawler())
    middleware.seen = {"http://127.0.0.1:8000/2024/vu.html"}

    def request(path: str, source: str = "G", kind: str = "article") -> Request:
        url = f"http://127.0.0.1:8000{path}"
        return Request(url, meta={"source": source, "kind": kind, "max_new": 2})

    out = [
        request("/2024/vu.html"),  # stored or dead
        request("/2024/a.html"),
        request("/2024/a.html"),  # already requested in this crawl
        request("/2024/b.html"),
        request("/2024/c.html"),  # over max_new = 2: left for the next crawl
        request("/2024/d.html", source="H"),  # another source has its own count
        request("/economie/page/9/", kind="listing"),  # not an article: untouched
        "an item",
    ]
    kept = list(middleware.process_spider_output(None, out))
    assert [getattr(r, "url", r) for r in kept] == [
        "http://127.0.0.1:8000/2024/a.html",
        "http://127.0.0.1:8000/2024/b.html",
        "http://127.0.0.1:8000/2024/d.html",
        "http://127.0.0.1:8000/economie/page/9/",
        "an item",
    ]
    assert middleware.stats.get_value("veille/left_for_next_crawl/G") == 1


def test_listing_follows_next_links_to_its_depth_and_yields_articles(tmp_path):
    spider = make_spider(tmp_path)
    html = (
        "<a href='/2024/un.html'>Un article</a> <a href='/2024/deux.html'>Deux</a>"
        "<a href='http://127.0.0.1:9999/2024/ailleurs.html'>Autre site</a>"
        "<a href='/economie/page/2/'>2</a> <a href='/economie/page/3/'>3</a>"
        "<a href='/economie/page/2/'>Page suivante »</a>"
    )
    out = list(spider.parse_listing(listing_response(html)))
    kinds = {r.url: r.meta["kind"] for r in out}
    # Page 3 is a pagination link but not the "next" one: depth counts pages, not links.
    assert kinds == {
        "http://127.0.0.1:8000/2024/un.html": "article",
        "http://127.0.0.1:8000/2024/deux.html": "article",
        "http://127.0.0.1:8000/economie/page/2/": "listing",
    }
    # At listing_depth, pagination is no longer followed.
    deeper = make_spider(tmp_path)
    page2 = listing_response(html, "http://127.0.0.1:8000/economie/page/2/", depth=1)
    assert all(r.meta["kind"] == "article" for r in deeper.parse_listing(page2))


def test_feeds_rss_and_atom(tmp_path):
    from scrapy.http import Request, XmlResponse

    spider = make_spider(tmp_path)
    rss = (
        "<rss version='2.0'><channel><item><link>http://127.0.0.1:8000/2024/a.html</link></item>"
        "<item><guid>http://127.0.0.1:8000/2024/b.html</guid></item>"
        "<item><guid isPermaLink='false'>urn:x</guid></item></channel></rss>"
    )
    atom = (
        "<feed xmlns='http://www.w3.org/2005/Atom'><entry>"
        "<link rel='alternate' href='/2024/c.html'/><link rel='edit' href='/2024/e.html'/>"
        "</entry></feed>"
    )
    urls = []
    for body in (rss, atom):
        url = "http://127.0.0.1:8000/flux.xml"
        response = XmlResponse(url, body=body.encode(), request=Request(url, meta={"source": "G"}))
        urls += [r.url for r in spider.parse_feed(response)]
    assert urls == [
        "http://127.0.0.1:8000/2024/a.html",
        "http://127.0.0.1:8000/2024/b.html",
        "http://127.0.0.1:8000/2024/c.html",
    ]


# --- hostile input (issue 17): each fault costs only itself, and is named ----------------------

HOSTILE_SOURCES = SITES / "hostile_sources.toml"
PIEGE, FERME = "Le Piège de Saint-Claude", "Le Mur de Champagnole"
PAGINATION, GRAND_PLAN = "La Pagination sans fin", "Le Grand Plan"
NUMBERED_PAGES = 1111
SITEMAP_URLS = 100_000


def endless_pagination(site: Path) -> None:
    """/rubrique/ links pages 1 … 1,111 by number, with no "next" label; each page its two
    neighbours."""
    numbers = "".join(f"<a href='/rubrique/page/{n}/'>{n}</a> " for n in range(1, NUMBERED_PAGES))
    (site / "rubrique").mkdir()
    (site / "rubrique" / "index.html").write_text(
        f"<!DOCTYPE html><html lang='fr'><body><h1>Rubrique</h1><p>{numbers}</p></body></html>",
        encoding="utf-8",
    )
    for n in range(1, NUMBERED_PAGES + 1):
        page = site / "rubrique" / "page" / str(n)
        page.mkdir(parents=True)
        around = "".join(
            f"<a href='/rubrique/page/{m}/'>{m}</a> " for m in (n - 1, n + 1) if m >= 1
        )
        page.joinpath("index.html").write_text(
            f"<!DOCTYPE html><html lang='fr'><body><h1>Page {n}</h1><p>{around}</p></body></html>",
            encoding="utf-8",
        )


def archive_date(n: int) -> datetime:
    """Archive n was published n hours after 2015-01-01 (UTC): the highest n is the newest."""
    from datetime import UTC

    return datetime(2015, 1, 1, tzinfo=UTC) + timedelta(hours=n)


def giant_sitemap(site: Path, newest: int) -> None:
    """A legal 100,000-URL sitemap over 5 MB, in shuffled order; only the `newest` archives
    exist as pages."""
    import random

    order = list(range(SITEMAP_URLS))
    random.Random(17).shuffle(order)
    entries = "".join(
        f"<url><loc>{{{{base}}}}/archives/{n}.html</loc>"
        f"<lastmod>{archive_date(n).isoformat()}</lastmod></url>"
        for n in order
    )
    (site / "plan-geant.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>',
        encoding="utf-8",
    )
    (site / "archives").mkdir()
    # Each archive its own story (copies of one text are stored once, issue 12).
    words = [
        "fibre",
        "école",
        "budget",
        "travaux",
        "médiathèque",
        "hameau",
        "conseil",
        "vote",
        "réseau",
        "parc",
    ]
    for n in range(SITEMAP_URLS - newest, SITEMAP_URLS):
        filler = " ".join(random.Random(n).choices(words, k=40))
        (site / "archives" / f"{n}.html").write_text(
            "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
            f"<title>Archive numéro {n}</title></head><body><article>"
            f"<h1>Archive numéro {n}</h1><p>Compte rendu numéro {n} du conseil municipal de "
            "Saint-Claude, consacré au déploiement de la fibre dans les hameaux, au budget "
            "des écoles et à la rénovation de la médiathèque.</p><p>Les élus ont voté les "
            "délibérations à l'unanimité après un long débat sur le calendrier des travaux."
            f"</p><p>{filler}.</p></article></body></html>",
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Two crawls of hostile sites (the empty article gets its content between them), then
    a third of the outlet robots.txt closes, so that it has failed three runs in a row."""
    tmp = tmp_path_factory.mktemp("hostile")
    piege = shutil.copytree(SITES / "piege", tmp / "piege")
    ferme = shutil.copytree(SITES / "ferme", tmp / "ferme")
    endless_pagination(piege)
    giant_sitemap(piege, newest=10)
    db_path = tmp / "veille.db"
    runs, requests = [], []
    with SiteServer({"piege": piege, "ferme": ferme}) as server:
        bases = {name: server.base_url(name) for name in ("piege", "ferme")}
        config = load_config(render_sources(HOSTILE_SOURCES, bases, tmp / "sources.toml"))
        for crawl in range(3):
            if crawl == 1:  # the empty page is published for real
                (piege / "_routes.toml").unlink()
                shutil.copy(piege / "retour" / "vide.html", piege / "articles" / "vide.html")
            server.clear_log()
            selected = config if crawl < 2 else config.select([FERME])
            runs.append(run_crawl(selected, db_path, progress=False))
            requests.append(server.requests())
    return {"db": db_path, "runs": runs, "requests": requests, "tmp": tmp}


def stored_paths(db_path: Path, source: str) -> set[str]:
    found = rows(db_path, "SELECT canonical_url FROM articles WHERE source = ?", [source])
    return {path_of(url) for (url,) in found}


def run_errors(db_path: Path, run_id: int, source: str) -> dict[str, str]:
    found = rows(
        db_path,
        "SELECT url, reason FROM fetch_errors WHERE run_id = ? AND source = ?",
        [run_id, source],
    )
    return dict(found)


def test_hostile_crawls_complete(hostile):
    assert [run.status for run in hostile["runs"]] == ["completed"] * 3


def test_malformed_links_in_a_feed_cost_only_themselves_and_are_named(hostile):
    db_path, first = hostile["db"], hostile["runs"][0]
    # Every good link of the feed, before and after the bad ones, was stored.
    assert stored_paths(db_path, PIEGE) >= {
        "/articles/premier.html",
        "/articles/deuxieme.html",
        "/articles/troisieme.html",
    }
    errors = run_errors(db_path, first.run_id, PIEGE)
    (homepage,) = rows(db_path, "SELECT homepage FROM sources WHERE name = ?", [PIEGE])[0]
    feed = f"{homepage}rss.xml"
    assert errors["http://[::1/articles/ipv6-casse.html"] == f"malformed link in {feed}"
    assert errors["http://127.0.0.1:180800/articles/port.html"] == f"malformed link in {feed}"
    # And on the next run, the same: the good links are not lost either.
    second = hostile["runs"][1]
    assert set(run_errors(db_path, second.run_id, PIEGE)) == {
        "http://[::1/articles/ipv6-casse.html",
        "http://127.0.0.1:180800/articles/port.html",
    }


def test_an_empty_answer_is_reported_and_fetched_again(hostile):
    db_path, (first, second, _) = hostile["db"], hostile["runs"]
    empty = [u for u, r in run_errors(db_path, first.run_id, PIEGE).items() if r == "empty page"]
    assert [path_of(u) for u in empty] == ["/articles/vide.html"]
    # Not remembered as a page: the next crawl asked again and stored the article.
    hits = [r.path for r in hostile["requests"][1] if r.site == "piege"]
    assert hits.count("/articles/vide.html") == 1
    assert second.per_source[PIEGE].new_articles == 1
    (title,) = rows(
        db_path, "SELECT title FROM articles WHERE canonical_url LIKE '%/articles/vide.html'"
    )
    assert title[0].startswith("Champagnole : la médiathèque")


def test_robots_txt_closing_an_outlet_is_reported_by_name(hostile):
    db_path, first = hostile["db"], hostile["runs"][0]
    errors = run_errors(db_path, first.run_id, FERME)
    assert list(errors.values()) == ["robots.txt forbids us everything on 127.0.0.1"]
    assert first.per_source[FERME].errors == 1 and first.per_source[FERME].pages == 0
    summary = first.describe()
    assert f"{FERME}: 0 pages, 0 new articles, 1 error" in summary
    # Nothing but robots.txt was asked of that site.
    assert {r.path for r in hostile["requests"][0] if r.site == "ferme"} == {"/robots.txt"}
    # Three runs in a row: `veille status` names the outlet and the reason.
    from click.testing import CliRunner

    from pipeline import cli

    result = CliRunner().invoke(cli, ["status", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if FERME in line]
    assert "robots.txt forbids us everything on 127.0.0.1" in line


def test_listing_depth_counts_pages_not_hops(hostile):
    fetched = [r.path for r in hostile["requests"][0] if r.path.startswith("/rubrique/")]
    # listing_depth = 3: the listing and three more pages, not the 1,111 it links to.
    assert fetched == ["/rubrique/", "/rubrique/page/1/", "/rubrique/page/2/", "/rubrique/page/3/"]
    assert not run_errors(hostile["db"], hostile["runs"][0].run_id, PAGINATION)


def test_a_giant_sitemap_is_read_newest_first_within_max_new(hostile):
    db_path, (first, second, _) = hostile["db"], hostile["runs"]
    assert (hostile["tmp"] / "piege" / "plan-geant.xml").stat().st_size > 5 * 1024 * 1024
    assert not run_errors(db_path, first.run_id, GRAND_PLAN)

    def archives(crawl: int) -> list[int]:
        paths = [r.path for r in hostile["requests"][crawl] if r.path.startswith("/archives/")]
        return sorted(int(p.rsplit("/", 1)[1].removesuffix(".html")) for p in paths)

    # max_new = 5: the five newest by lastmod, then the five before them on the next crawl.
    assert archives(0) == list(range(SITEMAP_URLS - 5, SITEMAP_URLS))
    assert archives(1) == list(range(SITEMAP_URLS - 10, SITEMAP_URLS - 5))
    assert (
        first.per_source[GRAND_PLAN].new_articles,
        second.per_source[GRAND_PLAN].new_articles,
    ) == (5, 5)


def test_news_sitemap_entries_come_newest_first_by_publication_date(tmp_path):
    from scrapy.http import Request, XmlResponse

    spider = make_spider(tmp_path)
    dates = {"a": "2024-03-01T08:00:00+01:00", "b": "2024-03-09", "c": None, "d": "2024-03-05Z"}
    entries = "".join(
        f"<url><loc>http://127.0.0.1:8000/2024/{slug}.html</loc>"
        + (
            f"<news:news><news:publication_date>{date}</news:publication_date></news:news>"
            if date
            else ""
        )
        + "</url>"
        for slug, date in dates.items()
    )
    body = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{entries}</urlset>"
    ).encode()
    url = "http://127.0.0.1:8000/news.xml"
    response = XmlResponse(url, body=body, request=Request(url, meta={"source": "G"}))
    slugs = [r.url.rsplit("/", 1)[1] for r in spider.parse_sitemap(response)]
    # Dated entries newest first; the undated one last.
    assert slugs == ["b.html", "d.html", "a.html", "c.html"]


def test_a_gzipped_sitemap_over_the_limit_once_decompressed_is_a_fetch_error(tmp_path):
    import gzip

    from scrapy.http import Request, Response

    spider = make_spider(tmp_path)
    spider.settings.set("VEILLE_SITEMAP_MAXSIZE", 1024 * 1024)  # 1 MB instead of 50
    loc = "<url><loc>http://127.0.0.1:8000/2024/a.html</loc></url>"
    body = gzip.compress(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{loc * 30_000}</urlset>'.encode()
    )
    url = "http://127.0.0.1:8000/plan.xml.gz"
    response = Response(url, body=body, request=Request(url, meta={"source": "G"}))
    (error,) = spider.parse_sitemap(response)
    assert (error.url, error.source, error.reason) == (url, "G", "sitemap over 1 MB")
