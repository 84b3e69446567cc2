"""`veille run` and `veille schedule` end to end: real crawls on 127.0.0.1, real kills, real model.

One healthy fictional outlet and four broken ones (down, too slow, garbage, redirect loop) are
served by `SiteServer` for the whole module, so every run sees the same URLs and databases can
be compared row for row.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_ops import (
    OPS_SOURCES,
    SITES,
    TEST_MODEL,
    query,
    render_sources,
    veille_command,
    veille_env,
    veille_run,
    wait_until,
)

from crawler.siteserver import SiteServer
from ops.daily import DailySummary, OutletResult
from pipeline import cli

SITE_NAMES = ("ops_site", "ops_slow", "ops_garbage", "ops_loop")
HEALTHY = "Le Courrier numérique du Jura"
BROKEN = ("Radio Silence", "La Lente Gazette", "Le Brouillon", "L'Écho en boucle")
ARTICLES = 6


@dataclass
class Served:
    root: Path
    all_sources: Path  # the healthy outlet and the four broken ones
    healthy_sources: Path  # the healthy outlet alone, for faster runs


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("sites")
    for name in SITE_NAMES:
        shutil.copytree(SITES / name, root / name)
    with SiteServer({name: root / name for name in SITE_NAMES}) as server:
        bases = {name: server.base_url(name) for name in SITE_NAMES}
        all_sources = render_sources(OPS_SOURCES, bases, root / "sources.toml")
        head, healthy, *_ = all_sources.read_text(encoding="utf-8").split("\n[[sources]]")
        healthy_sources = root / "healthy.toml"
        # A generous timeout here: the kill tests slow some pages down on purpose.
        head = head.replace("timeout = 1\n", "timeout = 10\n")
        healthy_sources.write_text(f"{head}\n[[sources]]{healthy}\n", encoding="utf-8")
        yield Served(root, all_sources, healthy_sources)


def in_folder(db_path: Path, sources: Path, *extra: str) -> subprocess.CompletedProcess:
    """`veille run` to completion, from the database's folder."""
    return veille_run(db_path, sources, *extra, cwd=db_path.parent)


def start_run(db_path: Path, sources: Path) -> subprocess.Popen:
    """`veille run` in the background, in its own process group."""
    return subprocess.Popen(
        veille_command(
            "run", "--db", str(db_path), "--sources", str(sources), "--model", TEST_MODEL
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=veille_env(),
        cwd=db_path.parent,
        start_new_session=True,
    )


ARTICLE_PATHS = [
    f"/articles/{slug}.html"
    for slug in (
        "jura-tech-incubateur",
        "hydrolia-leve-des-fonds",
        "forum-emploi-numerique",
        "fibre-haut-jura",
        "atelier-cybersecurite",
        "prix-innovation-jura",
    )
]


@contextmanager
def slow_paths(served: Served, paths: list[str], seconds: float):
    """Make some paths of the healthy outlet slow, to catch a run in the middle."""
    routes = served.root / "ops_site" / "_routes.toml"
    routes.write_text("".join(f'["{p}"]\ndelay = {seconds}\n\n' for p in paths), encoding="utf-8")
    try:
        yield
    finally:
        routes.unlink()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the crawl child runs in its own session)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def kill_9_everything(proc: subprocess.Popen) -> None:
    """SIGKILL the run and all its children at once, as a power cut would."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def content(db_path: Path) -> dict:
    """What a run stores, independent of run ids and times: articles, mentions, entities."""
    articles = query(
        db_path,
        "SELECT canonical_url, title, content_hash, processed_at IS NOT NULL FROM articles "
        "ORDER BY canonical_url",
    )
    mentions = Counter(
        query(
            db_path,
            "SELECT a.canonical_url, e.name, e.label, m.start, m.end FROM mentions m "
            "JOIN articles a ON a.id = m.article_id JOIN entities e ON e.id = m.entity_id",
        )
    )
    entities = query(
        db_path,
        "SELECT e.name, e.label, COUNT(DISTINCT m.article_id) FROM entities e "
        "JOIN mentions m ON m.entity_id = e.id GROUP BY e.id ORDER BY e.label, e.name",
    )
    quotes = Counter(
        query(
            db_path,
            "SELECT a.canonical_url, q.text FROM quotes q JOIN articles a ON a.id = q.article_id",
        )
    )
    return {"articles": articles, "mentions": mentions, "entities": entities, "quotes": quotes}


def assert_consistent(db_path: Path) -> None:
    """integrity_check ok, and no article half processed."""
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        half = conn.execute(
            "SELECT COUNT(*) FROM articles a WHERE a.processed_at IS NULL AND ("
            "EXISTS (SELECT 1 FROM mentions m WHERE m.article_id = a.id) OR "
            "EXISTS (SELECT 1 FROM quotes q WHERE q.article_id = a.id))"
        ).fetchone()[0]
        assert half == 0
    finally:
        conn.close()


@pytest.fixture(scope="module")
def first_run(served, tmp_path_factory):
    """One uninterrupted run on all five outlets: the reference the other tests compare to."""
    db_path = tmp_path_factory.mktemp("reference") / "veille.db"
    result = in_folder(db_path, served.all_sources)
    return db_path, result, content(db_path)


def test_first_run_stores_everything_and_skips_broken_outlets(first_run):
    db_path, result, stored = first_run
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "completed" in out.splitlines()[0]
    assert f"New articles: {ARTICLES}" in out
    assert re.search(rf"^  {re.escape(HEALTHY)}\s+{ARTICLES}$", out, re.M)
    for name in BROKEN:
        assert f"  {name}: FAILED" in out
    assert "4 outlet(s) could not be read at all" in out
    assert len(stored["articles"]) == ARTICLES and all(row[3] for row in stored["articles"])
    assert stored["mentions"] and stored["entities"]
    # Each broken outlet is recorded, with a reason.
    errors = dict(query(db_path, "SELECT source, COUNT(*) FROM fetch_errors GROUP BY source"))
    assert set(errors) == set(BROKEN)
    (run,) = query(db_path, "SELECT status, new_articles, failed_sources FROM daily_runs")
    assert run[0] == "completed" and run[1] == ARTICLES
    assert sorted(json.loads(run[2])) == sorted(BROKEN)
    assert_consistent(db_path)
    assert "Traceback" not in result.stderr


def test_second_run_adds_nothing_and_says_so(first_run, served):
    db_path, _, stored = first_run
    result = in_folder(db_path, served.all_sources)
    assert result.returncode == 0, result.stderr
    assert "Nothing new: no new article from the 5 outlet(s)." in result.stdout
    assert "Processed 0 article(s); 0 new entities." in result.stdout
    assert content(db_path) == stored
    statuses = query(db_path, "SELECT status, new_articles FROM daily_runs ORDER BY id")
    assert statuses == [("completed", ARTICLES), ("completed", 0)]
    # And status and report show it.
    status = CliRunner().invoke(cli, ["status", "--db", str(db_path)])
    assert status.exit_code == 0, status.output
    assert "Last runs:" in status.output and status.output.count(" completed ") == 2
    assert "Radio Silence" in status.output
    report = CliRunner().invoke(cli, ["report", "--db", str(db_path), "--since", "2024-03-01"])
    assert report.exit_code == 0, report.output
    assert "### Bpifrance (organisation, 1 article)" in report.output
    assert "La start-up Hydrolia lève deux millions d’euros" in report.output


def test_killed_at_any_moment_then_rerun_matches_an_uninterrupted_run(first_run, served, tmp_path):
    db_path = tmp_path / "veille.db"
    # 1. kill -9 mid-crawl: some articles stored, others still being fetched.
    with slow_paths(served, ARTICLE_PATHS[3:], 2.0):
        run = start_run(db_path, served.healthy_sources)
        wait_until(lambda: _count(db_path, "articles") >= 1, what="the first stored article")
        # Meanwhile, a second run on the same database stops at once.
        second = in_folder(db_path, served.healthy_sources)
        assert second.returncode == 3, second.stderr
        assert "another veille run is already running on this database" in second.stderr
        kill_9_everything(run)
    assert 1 <= _count(db_path, "articles") < ARTICLES
    assert _count(db_path, "articles", "processed_at IS NOT NULL") == 0
    assert_consistent(db_path)

    # 2. kill -9 once the crawl is over, as the NLP stage starts in the parent.
    run = start_run(db_path, served.healthy_sources)
    wait_until(
        lambda: _count(db_path, "crawl_runs", "status = 'completed'") == 1,
        what="the end of the second crawl",
    )
    kill_9_everything(run)
    assert _count(db_path, "articles") == ARTICLES
    assert_consistent(db_path)
    assert query(db_path, "SELECT status FROM daily_runs ORDER BY id") == [
        ("interrupted",),  # closed by the second run, which found it dead
        ("running",),  # killed itself: the next run will close it
    ]

    # 3. The next run completes what is missing, without duplicates.
    result = in_folder(db_path, served.healthy_sources)
    assert result.returncode == 0, result.stderr
    assert_consistent(db_path)
    assert content(db_path) == first_run[2]
    assert [s for (s,) in query(db_path, "SELECT status FROM daily_runs ORDER BY id")] == [
        "interrupted",
        "interrupted",
        "completed",
    ]
    status = CliRunner().invoke(cli, ["status", "--db", str(db_path)])
    assert status.output.count(" interrupted ") == 2, status.output


def test_sigterm_stops_the_run_and_records_it_as_interrupted(served, tmp_path):
    db_path = tmp_path / "veille.db"
    with slow_paths(served, ARTICLE_PATHS[3:], 2.0):
        run = start_run(db_path, served.healthy_sources)
        wait_until(lambda: _count(db_path, "articles") >= 1, what="the first stored article")
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert "run interrupted; what was stored is kept" in err, err
    assert "Traceback" not in err, err
    assert query(db_path, "SELECT status, message FROM daily_runs") == [
        ("interrupted", "stopped (Ctrl-C or SIGTERM)")
    ], err
    assert_consistent(db_path)
    assert descendants(run.pid) == []  # the crawl child stopped too


def test_schedule_stops_after_the_run_in_progress(first_run, served, tmp_path):
    db_path = tmp_path / "veille.db"
    # A copy of the reference database: the scheduled run finds nothing new, so no model load.
    source = sqlite3.connect(first_run[0])
    target = sqlite3.connect(db_path)
    source.backup(target)
    source.close()
    target.close()
    before = _count(db_path, "daily_runs")
    with slow_paths(served, ["/rss.xml"], 2.0):
        scheduler = subprocess.Popen(
            veille_command(
                "schedule",
                "--at",
                "03:17",
                "--run-now",
                "--db",
                str(db_path),
                "--sources",
                str(served.healthy_sources),
                "--model",
                TEST_MODEL,
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=veille_env(),
            cwd=tmp_path,
            start_new_session=True,
        )
        try:
            wait_until(
                lambda: _count(db_path, "daily_runs", "status = 'running'") == 1,
                what="the scheduled run to start",
            )
            scheduler.send_signal(signal.SIGTERM)
            _, err = scheduler.communicate(timeout=120)
        finally:
            if scheduler.poll() is None:
                kill_9_everything(scheduler)
    assert scheduler.returncode == 0, err
    # The run was not cut short: it completed.
    runs = query(db_path, "SELECT status, new_articles FROM daily_runs ORDER BY id")
    assert runs[before:] == [("completed", 0)]
    log = (tmp_path / "veille-schedule.log").read_text(encoding="utf-8")
    assert "runs every day at 03:17" in log
    assert "SIGTERM received: stopping after the run in progress" in log
    assert "  | Nothing new: no new article from the 1 outlet(s)." in log
    assert "run finished with exit status 0" in log
    assert log.rstrip().endswith("veille schedule stopped")


DEAD_LINKS_SOURCES = SITES / "dead_links_sources.toml"
DEAD_PATHS = ("/articles/disparu.html", "/articles/supprime.html", "/articles/revenu.html")
FLAKY_PATH = "/articles/en-panne.html"  # HTTP 500 on every request


def test_a_dead_link_is_reported_once_then_counted(tmp_path):
    site = shutil.copytree(SITES / "dead_links", tmp_path / "dead_links")
    db_path = tmp_path / "veille.db"

    def report() -> str:
        result = CliRunner().invoke(cli, ["report", "--db", str(db_path)])
        assert result.exit_code == 0, result.output
        return result.output

    with SiteServer({"dead_links": site}) as server:
        base = server.base_url("dead_links")
        sources = render_sources(DEAD_LINKS_SOURCES, {"dead_links": base}, tmp_path / "s.toml")
        first = in_folder(db_path, sources)
        first_report = report()
        server.clear_log()
        second = in_folder(db_path, sources)
        requested = [r.path for r in server.requests()]
    second_report = report()
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    # The first run and its report name each failure once.
    assert "Le Lien du Haut-Doubs: 4 error(s)" in first.stdout
    assert "4 pages inaccessibles" in first_report
    for path in (*DEAD_PATHS, FLAKY_PATH):
        assert first_report.count(f"{base}{path}") == 1, first_report
    # The next run does not request the dead links; the server error is retried as before.
    assert not set(DEAD_PATHS) & set(requested)
    assert FLAKY_PATH in requested
    # Its summary and its report list only the server error, and count the dead links.
    for text in (second.stdout, second_report):
        assert f"{base}{FLAKY_PATH}" in text
        assert not any(path in text for path in DEAD_PATHS), text
    assert "Known dead links: 3, already reported (not listed again)." in second.stdout
    assert "1 page inaccessible" in second_report
    assert "3 liens morts déjà signalés" in second_report
    # Nothing stored was lost: every failure of both runs is still in fetch_errors.
    assert query(db_path, "SELECT COUNT(*) FROM fetch_errors") == [(4 + 1,)]


def test_summary_counts_known_dead_links_without_listing_them():
    dead_feed = OutletResult(pages=0, errors=1, failed=True, known_dead=1)
    healthy = OutletResult(pages=12, new_articles=2, errors=1, known_dead=4)
    summary = DailySummary(1, "completed", "", outlets={"A": dead_feed, "B": healthy})
    assert (summary.pages, summary.new_articles, summary.errors) == (12, 2, 2)
    assert summary.known_dead == 5
    assert summary.failed_sources == ["A"]
    # Only the outlet in trouble is listed under the failures; dead links are only counted.
    assert failures_listed(summary) == ["A"]
    assert "5" in summary.describe().splitlines()[-1]
    summary.outlets = {"B": healthy}
    assert summary.failed_sources == []
    assert failures_listed(summary) == []


def failures_listed(summary: DailySummary) -> list[str]:
    """The outlets the summary lists (indented lines) after its failures line."""
    lines = summary.describe().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Failures"))
    return [line.split(":")[0].strip() for line in lines[start + 1 :] if line.startswith("  ")]


def _count(db_path: Path, table: str, where: str = "1") -> int:
    if not db_path.exists():
        return 0
    try:
        return query(db_path, f"SELECT COUNT(*) FROM [{table}] WHERE {where}")[0][0]
    except sqlite3.OperationalError:
        return 0  # the schema is not there yet
