"""`veille status` on databases filled through sqlite-utils, and the run lock it reads."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers_ops import NOW, add_crawl_run, filled_db

from db.schema import DatabaseError, open_db
from ops.daily import run_lock
from ops.status import gather_status, render_status
from pipeline import cli


@pytest.fixture
def db_path(tmp_path):
    return filled_db(tmp_path / "veille.db")


def test_status_lists_runs_failing_and_quiet_outlets(db_path):
    status = gather_status(db_path, now=NOW)
    assert [r["status"] for r in status.runs] == ["running", "completed"]
    assert status.runs[1]["failed_sources"] == ["Radio Fantôme"]
    # The Journal has one dead link every run but finds articles: it is not failing.
    assert [r["source"] for r in status.failing] == ["Radio Fantôme"]
    assert status.failing[0]["last_reason"] == "connection refused"
    assert [r["source"] for r in status.quiet] == ["La Gazette Endormie"]
    assert status.size_bytes > 0
    assert status.running_pid is None


def test_a_run_left_running_without_its_lock_shows_as_interrupted(db_path):
    text = render_status(gather_status(db_path, now=NOW))
    lines = [line.split() for line in text.splitlines() if line.strip().startswith("2 ")]
    assert lines and "interrupted" in lines[0]
    assert "A run is in progress" not in text


def test_a_run_holding_the_lock_shows_as_in_progress(db_path):
    with run_lock(db_path):
        status = gather_status(db_path, now=NOW)
    assert status.running_pid and status.running_pid > 0
    assert "A run is in progress" in render_status(status)


def test_one_good_run_breaks_a_failure_streak(db_path):
    db = open_db(db_path)
    # Three failures, then one run where Radio Fantôme answers again.
    add_crawl_run(db, -0.5, {"Radio Fantôme": (3, 1, 0)})
    db.conn.close()
    assert gather_status(db_path, now=NOW).failing == []


def test_an_outlet_crawled_fewer_than_three_times_is_not_failing(tmp_path):
    db = open_db(tmp_path / "veille.db")
    add_crawl_run(db, 1, {"Nouveau Média": (0, 0, 1)})
    add_crawl_run(db, 0, {"Nouveau Média": (0, 0, 1)})
    db.conn.close()
    status = gather_status(tmp_path / "veille.db", now=NOW)
    assert status.failing == [] and status.quiet == []
    assert "No daily run yet; last crawls:" in render_status(status)


def test_cli_status(db_path):
    result = CliRunner().invoke(cli, ["status", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "Last runs:" in result.output
    assert "Radio Fantôme" in result.output


def test_cli_reads_the_database_from_veille_db(db_path, tmp_path, monkeypatch):
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with_env = CliRunner(env={"VEILLE_DB": str(db_path)}).invoke(cli, ["status"])
    assert with_env.exit_code == 0, with_env.output
    assert f"Database {db_path}:" in with_env.output
    # --db wins over $VEILLE_DB; an empty $VEILLE_DB means the default file, veille.db.
    other = tmp_path / "autre.db"
    result = CliRunner(env={"VEILLE_DB": str(db_path)}).invoke(cli, ["status", "--db", str(other)])
    assert result.exit_code == 2 and f"{other}: no such database" in result.output
    empty = CliRunner(env={"VEILLE_DB": ""}).invoke(cli, ["status"])
    assert empty.exit_code == 2 and "veille.db: no such database" in empty.output


def test_cli_status_never_creates_a_database(tmp_path):
    missing = tmp_path / "absent.db"
    result = CliRunner().invoke(cli, ["status", "--db", str(missing)])
    assert result.exit_code == 2
    assert "no such database" in result.output
    assert not missing.exists()


def test_status_of_a_file_that_is_not_a_database(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("pas une base SQLite\n" * 200)
    with pytest.raises(DatabaseError, match="notes.db: not a veille database or damaged"):
        gather_status(bogus, now=NOW)
