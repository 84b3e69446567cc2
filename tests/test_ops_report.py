"""`veille report`: the French press review, on a database filled through sqlite-utils."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from helpers_ops import filled_db

from common.items import FetchError
from db import article_store, run_store
from db.schema import open_db
from ops.report import (
    SENTENCE_MAX,
    ReportError,
    build_review,
    excerpt,
    french_date,
    french_reason,
    output_format,
    parse_since,
    render_html,
    render_markdown,
)
from pipeline import cli

SINCE = date(2024, 3, 13)
TODAY = date(2024, 3, 20)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return filled_db(tmp_path_factory.mktemp("report") / "veille.db")


@pytest.fixture(scope="module")
def review(db_path):
    return build_review(db_path, since=SINCE, today=TODAY)


def test_watchlist_sections_list_the_articles_that_name_each_entity(review):
    sections = {s.name: s for s in review.sections}
    assert list(sections) == ["Camille Vautrin", "Silicon Comté"]
    titles = [i.title for i in sections["Silicon Comté"].items]
    # Newest first; the 20-day-old article is outside the period.
    assert titles == [
        "La maire inaugure le campus",
        "Silicon Comté lance un <b>incubateur</b> & un fonds",
    ]
    first = sections["Silicon Comté"].items[1]
    assert (first.source, first.day, first.mentions) == ("Le Journal de Comté", "2024-03-18", 2)
    assert first.url.startswith("https://")
    assert review.silent == ["Agence Oubliée"]
    assert (review.articles, review.sources) == (3, 2)


def test_an_article_without_publication_date_is_dated_by_its_fetch(review):
    item = next(s for s in review.sections if s.name == "Camille Vautrin").items[0]
    assert item.title == "La maire inaugure le campus"
    assert item.day == "2024-03-19"


def test_most_named_entities_count_articles_then_mentions(review):
    top = [(row["name"], row["articles"], row["mentions"]) for row in review.top]
    assert top[0] == ("Silicon Comté", 2, 3)
    assert set(top[1:]) == {("Besançon", 2, 2), ("Camille Vautrin", 2, 2)}


def test_markdown_is_french_and_never_carries_article_texts(review):
    text = render_markdown(review)
    assert text.startswith("# Revue de presse du 13 mars 2024 au 20 mars 2024")
    assert "## Entités suivies" in text and "## Les plus citées" in text
    assert "Texte intégral" not in text
    assert "Un vieux sujet" not in text
    assert "Sans mention sur la période : Agence Oubliée." in text
    # Markup characters in titles are escaped, and a javascript: URL is never a link.
    assert "Titre \\[piège\\] \\*gras\\* \\| pipe" in text
    assert "javascript:" not in text
    for line in text.splitlines():
        if line.lstrip().startswith(">"):
            assert len(line) <= SENTENCE_MAX + 40, line


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.hrefs += [value for name, value in attrs if name == "href"]

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_every_value(review):
    page = render_html(review)
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "b" not in parser.tags
    assert parser.hrefs and all(h.startswith("https://") for h in parser.hrefs)
    text = "".join(parser.text)
    assert "Silicon Comté lance un <b>incubateur</b> & un fonds" in text
    assert "<script>alert('x')</script>" in text  # shown as text, not run
    assert '<html lang="fr">' in page


def test_html_report_embeds_its_charts_as_inline_svg(review):
    page = render_html(review)
    charts = re.findall(r'<figure class="chart-(\w+)"><svg (.*?)</svg></figure>', page, re.S)
    assert [name for name, _ in charts] == ["timeline", "ranking"]
    timeline, ranking = (svg for _, svg in charts)
    # One bar per day of the period, 13 to 20 March, quiet days included.
    assert len(re.findall(r"<path [^>]*d=", _marks(timeline))) == (TODAY - SINCE).days + 1
    assert ">18 mars<" in timeline and "Articles par jour" in timeline
    assert len(re.findall(r"<path ", _marks(ranking))) == len(review.top)
    assert ">Silicon Comté<" in ranking
    # Self-contained: no script, no link, nothing fetched when the file is opened.
    assert "<script" not in page.lower() and "<img" not in page and "<link" not in page
    for fetching in ("src=", "url(", "@import", "<iframe", "<object"):
        assert fetching not in page


def _marks(svg: str) -> str:
    return "".join(re.findall(r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S))


def test_a_period_without_articles_has_no_chart(db_path):
    review = build_review(db_path, since=date(2030, 1, 1), today=date(2030, 1, 8))
    assert "<svg" not in render_html(review)


def test_failures_of_the_last_crawl_are_listed_in_french(review):
    crawl = review.crawl
    assert crawl is not None and crawl.day == "2024-03-20"
    # The filled database's last crawl: one refused connection for the Journal, two for the
    # Radio, none of them a dead link.
    assert [(f.source, f.reason) for f in crawl.new] == [
        ("Le Journal de Comté", "connexion refusée"),
        ("Radio Fantôme", "connexion refusée"),
        ("Radio Fantôme", "connexion refusée"),
    ]
    assert crawl.known_dead == 0
    text = render_markdown(review)
    assert "## Pages inaccessibles" in text
    assert "Dernière collecte, le 20 mars 2024 : 3 pages inaccessibles." in text
    assert "`http://127.0.0.1:9/Radio Fantôme/1` — Radio Fantôme : connexion refusée" in text
    assert "déjà signalé" not in text


def test_no_crawl_in_the_period_is_said(db_path):
    review = build_review(db_path, since=date(2024, 3, 21), today=date(2024, 3, 25))
    assert review.crawl is None
    assert "Aucune collecte sur la période." in render_markdown(review)


@pytest.mark.parametrize(
    ("reason", "status", "french"),
    [
        ("HTTP 404", 404, "page introuvable (HTTP 404)"),
        ("HTTP 403", 403, "page refusée par le site (HTTP 403)"),
        ("HTTP 502", 502, "erreur du serveur (HTTP 502)"),
        ("timeout after 30 s", None, "la page a mis trop de temps à répondre"),
        ("host not found (exemple.invalid)", None, "site introuvable (nom de domaine inconnu)"),
        ("not HTML (application/pdf)", 200, "pas une page web"),
        ("not an RSS or Atom feed (text/html)", None, "flux RSS ou Atom illisible"),
        ("something new: ValueError", None, "something new: ValueError"),
        (None, None, "raison inconnue"),
    ],
)
def test_failure_reasons_read_in_french(reason, status, french):
    assert french_reason(reason, status) == french


def _failing_crawl(db, errors: list[tuple[str, int]], dead: list[tuple[str, int]]) -> int:
    """A completed crawl run of the Gazette that failed on `errors` and found `dead` links."""
    run = article_store.start_run(db, ["Gazette"])
    for url, status in errors:
        article_store.record_error(db, run, FetchError(url, "Gazette", f"HTTP {status}", status))
    for url, status in dead:
        article_store.record_dead_link(db, url, "Gazette", status)
    article_store.finish_run(db, run, "completed")
    return run


def test_a_dead_link_is_listed_once_then_only_counted(tmp_path):
    path = tmp_path / "veille.db"
    feed, dead, gone, flaky = (
        f"https://g.test/{name}" for name in ("rss.xml", "disparu", "supprime", "en-panne")
    )
    db = open_db(path)
    first = _failing_crawl(
        db, [(feed, 404), (dead, 404), (gone, 410), (flaky, 503)], [(dead, 404), (gone, 410)]
    )
    review = build_review(path)
    assert [f.url for f in review.crawl.new] == [feed, dead, gone, flaky]
    assert [f.reason for f in review.crawl.new] == [
        "page introuvable (HTTP 404)",
        "page introuvable (HTTP 404)",
        "page supprimée par le site (HTTP 410)",
        "erreur du serveur (HTTP 503)",
    ]
    assert review.crawl.known_dead == 0
    # The next day: the feed (an entry point, requested on every crawl) answers 404 again, the
    # dead links are no longer requested, the server error is retried and fails again.
    second = _failing_crawl(db, [(feed, 404), (flaky, 503)], [])
    failures = run_store.run_failures(db, second)
    assert [f["url"] for f in failures["Gazette"]["new"]] == [flaky]
    assert failures["Gazette"]["known_dead"] == 3
    db.conn.close()
    review = build_review(path)
    assert [f.url for f in review.crawl.new] == [flaky]
    assert review.crawl.known_dead == 3
    for text in (render_markdown(review), render_html(review)):
        assert "1 page inaccessible" in text
        assert "3 liens morts déjà signalés" in text
        assert flaky in text
        assert not any(url in text for url in (feed, dead, gone))
    # The first run's report is unchanged by the later one.
    db = open_db(path, readonly=True)
    again = run_store.run_failures(db, first)["Gazette"]
    assert [f["url"] for f in again["new"]] == [feed, dead, gone]  # the first three
    assert (again["new_count"], again["known_dead"]) == (4, 0)
    db.conn.close()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("01/03/2024", date(2024, 3, 1)),
        (" 2024-12-31 ", date(2024, 12, 31)),
    ],
)
def test_since_accepts_iso_and_french_dates(value, expected):
    assert parse_since(value) == expected


@pytest.mark.parametrize("value", ["hier", "2024-02-30", "13/13/2024", "2024/03/01", ""])
def test_since_rejects_anything_else_with_a_clear_message(value):
    with pytest.raises(ReportError, match="YYYY-MM-DD"):
        parse_since(value)


@pytest.mark.parametrize("since", ["0001-01-01", "01/01/0001", "1899-12-31"])
def test_report_since_too_far_back_is_a_clear_error(tmp_path, since):
    db_path = tmp_path / "veille.db"
    open_db(db_path).conn.close()
    result = CliRunner().invoke(cli, ["report", "--db", str(db_path), "--since", since])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"--since {parse_since(since).isoformat()}: too far back" in result.output
    assert "1900-01-01" in result.output


def test_report_since_the_earliest_day_works(tmp_path):
    db_path = tmp_path / "veille.db"
    open_db(db_path).conn.close()
    result = CliRunner().invoke(cli, ["report", "--db", str(db_path), "--since", "1900-01-01"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Revue de presse du 1er janvier 1900")


def test_output_format_follows_the_extension():
    assert output_format(None) == "md"
    assert output_format("revue.HTML") == "html"
    assert output_format("revue.md") == "md"
    with pytest.raises(ReportError, match=".pdf"):
        output_format("revue.pdf")


def test_excerpt_keeps_short_sentences_and_centres_long_ones_on_the_mention():
    assert excerpt("  Une phrase\n courte. ", "phrase") == "Une phrase courte."
    long = "début " * 60 + "Silicon Comté" + " fin" * 80
    cut = excerpt(long, "Silicon Comté", limit=100)
    assert "Silicon Comté" in cut
    assert cut.startswith("… ") and cut.endswith(" …")
    assert len(cut) <= 104


@pytest.mark.parametrize(
    ("day", "text"),
    [
        ("2024-03-01", "1er mars 2024"),
        ("2024-08-15T10:00:00+02:00", "15 août 2024"),
        (None, "date inconnue"),
    ],
)
def test_french_dates(day, text):
    assert french_date(day) == text


def test_cli_writes_markdown_to_stdout(db_path):
    result = CliRunner().invoke(cli, ["report", "--db", str(db_path), "--since", "2024-03-13"])
    assert result.exit_code == 0, result.output
    assert "### Silicon Comté (organisation, 2 articles)" in result.output


def test_cli_writes_html_to_a_file(db_path, tmp_path):
    out = tmp_path / "revue.html"
    result = CliRunner().invoke(
        cli, ["report", "--db", str(db_path), "--since", "13/03/2024", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["revue.html"]  # no temporary file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "la semaine dernière"], "--since 'la semaine dernière': not a date"),
        (["--out", "revue.pdf"], "unknown extension '.pdf'"),
        (["--out", "/nonexistent-folder/revue.md"], "cannot write in folder"),
    ],
)
def test_cli_bad_options_get_a_message_not_a_traceback(db_path, args, message):
    result = CliRunner().invoke(cli, ["report", "--db", str(db_path), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_missing_database_is_not_created(tmp_path):
    missing = tmp_path / "absent.db"
    result = CliRunner().invoke(cli, ["report", "--db", str(missing)])
    assert result.exit_code == 2
    assert "no such database" in result.output
    assert not missing.exists()


def test_dead_article_links_do_not_make_an_outlet_fail(tmp_path):
    db = open_db(tmp_path / "veille.db")
    dead, gone, feed = (f"https://g.test/{name}" for name in ("disparu", "supprime", "rss.xml"))
    # Three runs whose only failures are article links found dead: the outlet was read.
    for _ in range(3):
        run = _failing_crawl(db, [(dead, 404), (gone, 410)], [(dead, 404), (gone, 410)])
    assert run_store.run_failures(db, run)["Gazette"]["dead_links"] == 2
    assert run_store.failing_sources(db, runs=3) == []
    # Three runs whose feed answers 404: the outlet could not be read.
    for _ in range(3):
        run = _failing_crawl(db, [(feed, 404)], [])
    assert run_store.run_failures(db, run)["Gazette"]["dead_links"] == 0
    assert [f["source"] for f in run_store.failing_sources(db, runs=3)] == ["Gazette"]
    db.conn.close()
