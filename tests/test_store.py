"""db/article_store.py: articles stored once, copies, URLs seen, crawl runs and their figures."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from common.items import Article, FetchError
from common.source_config import Config, CrawlSettings, Source
from db import article_store
from db.schema import DatabaseError, open_db
from pipeline import cli

TEXT = (
    "La communauté French Tech de Franche-Comté a présenté jeudi son programme de l'année. "
    "Trois nouvelles jeunes pousses rejoignent l'accélérateur, dont une entreprise de Vesoul "
    "qui recycle les batteries de vélos électriques et emploie déjà douze personnes."
)


def config(*names: str) -> Config:
    sources = tuple(
        Source(name=n, homepage=f"https://{i}.exemple.test/", feeds=(f"https://{i}.test/rss",))
        for i, n in enumerate(names)
    )
    return Config(Path("sources.toml"), CrawlSettings(), sources)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "veille.db")
    article_store.sync_sources(database, config("Gazette", "Écho"))
    yield database
    database.conn.close()


def article(url: str, text: str = TEXT, source: str = "Gazette", **kw) -> Article:
    return Article(url=url, canonical_url=url, source=source, title="Titre", text=text, **kw)


def test_sync_sources_is_idempotent_and_updates(db):
    article_store.sync_sources(db, config("Gazette", "Écho"))
    assert db["sources"].count == 2
    changed = config("Gazette")
    object.__setattr__(changed.sources[0], "region", "Bourgogne-Franche-Comté")
    article_store.sync_sources(db, changed)
    assert db["sources"].get("Gazette")["region"] == "Bourgogne-Franche-Comté"
    assert db["sources"].count == 2


def test_new_then_seen_then_copy(db):
    run = article_store.start_run(db, ["Gazette", "Écho"])
    first = article("https://g.test/2024/03/a.html", seen_urls=["https://g.test/a?utm_source=rss"])
    assert article_store.save_article(db, first, run) == ("new", 1)
    row = db["articles"].get(1)
    assert row["content_hash"] == article_store.content_hash(TEXT, "Titre")
    assert row["fetched_at"]
    assert article_store.seen_urls(db) == {
        "https://g.test/2024/03/a.html",
        "https://g.test/a?utm_source=rss",
    }
    # Same canonical URL again (e.g. reached through another link): nothing new.
    again = article("https://g.test/2024/03/a.html", seen_urls=["https://g.test/old.html"])
    assert article_store.save_article(db, again, run) == ("seen", 1)
    assert db["articles"].count == 1
    assert "https://g.test/old.html" in article_store.seen_urls(db)
    # Same text with other line breaks, and the headline inside the body, under another
    # site's URL: a syndicated copy.
    reflowed = "Titre\n\n" + TEXT.replace(". ", ".\n\n  ")
    copy = article("https://e.test/reprise.html", reflowed, source="Écho")
    assert article_store.save_article(db, copy, run) == ("copy", 1)
    assert db["articles"].count == 1
    (copy_row,) = db["article_copies"].rows
    assert (copy_row["url"], copy_row["article_id"], copy_row["source"]) == (
        "https://e.test/reprise.html",
        1,
        "Écho",
    )
    assert "https://e.test/reprise.html" in article_store.seen_urls(db, "Écho")
    assert "https://e.test/reprise.html" not in article_store.seen_urls(db, "Gazette")
    figures = article_store.get_run(db, run)["per_source"]
    assert figures["Gazette"]["new_articles"] == 1
    assert figures["Écho"]["new_articles"] == 0


def test_short_identical_texts_are_not_copies(db):
    run = article_store.start_run(db)
    teaser = "Cet article est réservé aux abonnés."
    assert article_store.save_article(db, article("https://g.test/1", teaser), run)[0] == "new"
    assert article_store.save_article(db, article("https://g.test/2", teaser), run)[0] == "new"


def test_save_article_is_all_or_nothing(db):
    run = article_store.start_run(db)
    stray = article("https://x.test/a", source="Inconnue", seen_urls=["https://x.test/b"])
    with pytest.raises(sqlite3.IntegrityError):
        article_store.save_article(db, stray, run)  # no such source: foreign key
    assert db["articles"].count == 0
    assert article_store.seen_urls(db) == set()
    assert article_store.get_run(db, run)["new_articles"] == 0


def test_record_seen_and_errors(db):
    run = article_store.start_run(db, ["Gazette"])
    article_store.record_seen(db, "https://g.test/rubrique/", "page", "Gazette")
    article_store.record_seen(db, "https://g.test/rubrique/", "page", "Gazette")
    assert article_store.seen_urls(db, "Gazette") == {"https://g.test/rubrique/"}
    article_store.record_error(db, run, FetchError("https://g.test/x", "Gazette", "HTTP 404", 404))
    article_store.count_pages(db, run, "Gazette", 3)
    running = article_store.get_run(db, run)
    assert (running["status"], running["pages"], running["errors"]) == ("running", 3, 1)
    (error,) = article_store.fetch_errors(db, run)
    assert (error["url"], error["reason"], error["status"]) == ("https://g.test/x", "HTTP 404", 404)
    assert error["time"]
    # Failed fetches stay out of seen_urls: the next crawl retries them.
    assert "https://g.test/x" not in article_store.seen_urls(db)


def test_dead_links_wait_for_their_retry_and_a_second_404_is_final(db):
    now = datetime.now(UTC)
    due = now + timedelta(days=article_store.DEAD_LINK_RETRY_DAYS, minutes=1)
    assert article_store.record_dead_link(db, "https://g.test/404", "Gazette", 404) == "dead"
    assert article_store.record_dead_link(db, "https://g.test/410", "Gazette", 410) == "gone"
    dead = {"https://g.test/404", "https://g.test/410"}
    assert article_store.seen_urls(db, now=now) == dead
    assert (
        article_store.seen_urls(
            db, now=now + timedelta(days=article_store.DEAD_LINK_RETRY_DAYS - 1)
        )
        == dead
    )
    # Once due, the 404 is no longer "seen": the next crawl requests it once more.
    assert article_store.seen_urls(db, now=due) == {"https://g.test/410"}
    assert article_store.record_dead_link(db, "https://g.test/404", "Gazette", 404) == "gone"
    assert article_store.seen_urls(db, now=due + timedelta(days=3650)) == dead
    # Recording again is harmless; the first date is kept.
    before = db["seen_urls"].get("https://g.test/404")["first_seen"]
    assert article_store.record_dead_link(db, "https://g.test/404", "Gazette", 410) == "gone"
    assert db["seen_urls"].get("https://g.test/404")["first_seen"] == before
    with pytest.raises(ValueError, match="500"):
        article_store.record_dead_link(db, "https://g.test/500", "Gazette", 500)


def test_a_dead_link_that_comes_back_is_an_article_again(db):
    run = article_store.start_run(db, ["Gazette"])
    article_store.record_dead_link(db, "https://g.test/back", "Gazette", 404)
    article_store.record_dead_link(db, "https://g.test/page", "Gazette", 404)
    assert article_store.save_article(db, article("https://g.test/back"), run) == ("new", 1)
    row = db["seen_urls"].get("https://g.test/back")
    assert (row["kind"], row["article_id"]) == ("article", 1)
    article_store.record_seen(db, "https://g.test/page", "page", "Gazette")
    assert db["seen_urls"].get("https://g.test/page")["kind"] == "page"
    # A URL known for a good reason is never turned into a dead link.
    assert article_store.record_dead_link(db, "https://g.test/back", "Gazette", 404) == "article"
    assert db["seen_urls"].get("https://g.test/back")["article_id"] == 1


def test_finish_run_fills_totals(db):
    run = article_store.start_run(db, ["Gazette", "Écho"])
    article_store.count_pages(db, run, "Gazette", 4)
    article_store.count_pages(db, run, "Écho", 2)
    article_store.save_article(db, article("https://g.test/a"), run)
    article_store.record_error(db, run, FetchError("https://e.test/f", "Écho", "timeout after 2 s"))
    article_store.record_error(
        db, run, FetchError("https://n.test/", "Nouvelle", "connection refused")
    )
    result = article_store.finish_run(db, run, "completed")
    assert result["status"] == "completed"
    assert result["ended_at"] >= result["started_at"]
    assert (result["pages"], result["new_articles"], result["errors"]) == (6, 1, 2)
    assert result["per_source"] == {
        "Gazette": {"pages": 4, "new_articles": 1, "errors": 0},
        "Nouvelle": {"pages": 0, "new_articles": 0, "errors": 1},
        "Écho": {"pages": 2, "new_articles": 0, "errors": 1},
    }
    with pytest.raises(ValueError, match="unknown run status"):
        article_store.finish_run(db, run, "done")
    with pytest.raises(KeyError):
        article_store.get_run(db, run + 1)


def test_overview(tmp_path):
    path = tmp_path / "o.db"
    db = open_db(path)
    article_store.sync_sources(db, config("Gazette", "Écho"))
    article_store.save_article(db, article("https://g.test/a"), article_store.start_run(db))
    db.conn.close()
    facts = article_store.overview(path)
    assert facts["articles"] == 1
    assert facts["sources"] == 1
    assert facts["entities"] == 0


def test_close_stale_runs(db):
    stale = article_store.start_run(db, ["Gazette"])
    done = article_store.start_run(db)
    article_store.finish_run(db, done, "completed")
    assert article_store.close_stale_runs(db) == 1
    assert article_store.get_run(db, stale)["status"] == "interrupted"
    assert article_store.get_run(db, done)["status"] == "completed"


def test_writes_wait_for_another_writer(tmp_path):
    """A write that meets another connection's open transaction waits for it, then succeeds."""
    import threading

    path = tmp_path / "w.db"
    first = open_db(path)
    article_store.sync_sources(first, config("Gazette"))
    run = article_store.start_run(first)
    first.conn.execute("BEGIN IMMEDIATE")
    first.conn.execute("INSERT INTO seen_urls (url, kind, source) VALUES ('u', 'page', 'Gazette')")
    started, outcome = threading.Event(), []

    def write() -> None:
        second = open_db(path)
        started.set()
        outcome.append(article_store.save_article(second, article("https://g.test/z"), run))
        second.conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    started.wait(timeout=30)
    first.conn.execute("COMMIT")
    writer.join(timeout=30)
    assert outcome == [("new", 1)]
    assert article_store.seen_urls(first) == {"u", "https://g.test/z"}
    first.conn.close()


@pytest.fixture
def foreign_db(tmp_path):
    """Another program's SQLite file: tables, rows, no veille schema."""
    path = tmp_path / "compta.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE factures (id INTEGER PRIMARY KEY, montant REAL)")
    conn.execute("INSERT INTO factures (montant) VALUES (12.5)")
    conn.commit()
    conn.close()
    return path


def test_open_db_refuses_a_database_of_another_program(foreign_db):
    before = foreign_db.read_bytes()
    with pytest.raises(DatabaseError, match=r"compta\.db: not a veille database .*factures"):
        open_db(foreign_db)
    assert foreign_db.read_bytes() == before
    assert sorted(p.name for p in foreign_db.parent.iterdir()) == ["compta.db"]


@pytest.mark.parametrize(
    "command",
    [
        ["process"],
        ["crawl"],
        ["run"],
        ["entities", "ignore", "Lundi"],
        ["entities", "rules"],
    ],
)
def test_writing_commands_refuse_a_database_of_another_program(foreign_db, command):
    before = foreign_db.read_bytes()
    result = CliRunner().invoke(cli, [*command, "--db", str(foreign_db)])
    assert result.exit_code == 2, result.output
    assert f"Error: {foreign_db}: not a veille database" in result.output
    assert "veille added nothing to it" in result.output
    assert foreign_db.read_bytes() == before
    # Only the run lock may appear beside it, never a journal of writes to the file.
    assert {p.name for p in foreign_db.parent.iterdir()} <= {"compta.db", "compta.db.lock"}


def test_an_empty_file_becomes_a_veille_database(tmp_path):
    path = tmp_path / "neuve.db"
    path.touch()
    db = open_db(path)
    assert "articles" in db.table_names()
    db.conn.close()
    # And a veille database opens again.
    open_db(path).conn.close()
