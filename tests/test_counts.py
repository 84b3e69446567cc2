"""db/counts.py and `veille check`: counts kept by triggers match a recount after every kind
of write (process, re-process, merge, relabel, delete, new dates, classification)."""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner
from helpers_nlp import ARTICLES, session_data_dir, store_articles

from db import counts, entity_store
from db.schema import open_db
from nlp.process import process_articles
from pipeline import cli


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "veille.db")
    yield database
    database.conn.close()


def mention(entity_id, start=0):
    return entity_store.MentionRow(entity_id, "Nom", "Nom accueille.", start, start + 3)


def save(db, found: dict[int, list[int]]) -> None:
    """Replace the mentions of each article with one mention per entity id listed."""
    with db.atomic():
        entity_store.save_results(
            db,
            [
                entity_store.ArticleResult(a, [mention(e, 10 * i) for i, e in enumerate(ids)], [])
                for a, ids in found.items()
            ],
            "v1",
        )


def entities(db, *names):
    return [entity_store.insert_entity(db, n, "ORG", n.lower()) for n in names]


def figures(db, entity_id):
    row = db["entities"].get(entity_id)
    return row["article_count"], row["relevant_count"], row["first_seen"], row["last_seen"]


def pairs(db):
    return {
        (a, b): n for a, b, n in db.execute("SELECT entity_a, entity_b, articles FROM entity_pairs")
    }


def test_counts_follow_processing_and_reprocessing(db):
    a, b, c = store_articles(db, ["Un.", "Deux.", "Trois."])
    kalis, numel, ovalto = entities(db, "Kalis", "Numel", "Ovalto")
    save(db, {a: [kalis, numel, kalis], b: [kalis, numel], c: [ovalto]})
    assert figures(db, kalis) == (2, 2, "2024-03-01T09:00:00+01:00", "2024-03-02T09:00:00+01:00")
    assert pairs(db) == {(kalis, numel): 2}
    assert db.execute(
        "SELECT mentions FROM entity_articles WHERE entity_id = ? AND article_id = ?", [kalis, a]
    ).fetchone() == (2,)
    # Re-processed: Numel leaves article b, Ovalto joins it; article a no longer names Kalis.
    save(db, {b: [kalis, ovalto], a: [numel]})
    assert figures(db, kalis) == (1, 1, "2024-03-02T09:00:00+01:00", "2024-03-02T09:00:00+01:00")
    assert figures(db, numel)[0] == 1
    assert pairs(db) == {(kalis, ovalto): 1}
    # Nothing left: no dates, no pairs.
    save(db, {a: [], b: [], c: []})
    assert figures(db, kalis) == (0, 0, None, None)
    assert pairs(db) == {}
    assert counts.check(db) == []


def test_counts_follow_merges_dates_and_classification(db):
    a, b = store_articles(db, ["Un.", "Deux."])
    kalis, kalis2, numel = entities(db, "Kalis", "Kalis SAS", "Numel")
    save(db, {a: [kalis, kalis2, numel], b: [kalis2, numel]})
    with db.atomic():
        entity_store.merge_entity(db, kalis2, kalis)
        entity_store.relabel_entity(db, kalis, "PER")
    assert figures(db, kalis)[0] == 2
    assert pairs(db) == {(kalis, numel): 2}
    # Article a turns out to be off-topic, then its date moves (a first publisher found later).
    db.execute("UPDATE articles SET relevant = 0 WHERE id = ?", [a])
    assert figures(db, numel)[:2] == (2, 1)
    db.execute("UPDATE articles SET published = '2023-12-24T10:00:00+01:00' WHERE id = ?", [a])
    assert figures(db, numel)[2:] == ("2023-12-24T10:00:00+01:00", "2024-03-02T09:00:00+01:00")
    months = dict(
        db.execute("SELECT month, articles FROM entity_months WHERE entity_id = ?", [numel])
    )
    assert months == {"2023-12": 1, "2024-03": 1}
    with db.atomic():
        db.execute("DELETE FROM mentions WHERE article_id = ?", [b])
    assert figures(db, kalis) == (1, 0, "2023-12-24T10:00:00+01:00", "2023-12-24T10:00:00+01:00")
    assert counts.check(db) == []


def test_counts_match_a_recount_after_random_writes(db):
    rng = random.Random(16)
    articles = store_articles(db, [f"Article {i}." for i in range(12)])
    ids = entities(db, *(f"Entité {i}" for i in range(10)))
    for step in range(40):
        roll = rng.random()
        if roll < 0.6:
            batch = rng.sample(articles, rng.randint(1, 4))
            save(db, {a: rng.choices(ids, k=rng.randint(0, 6)) for a in batch})
        elif roll < 0.75 and len(ids) > 2:
            source, target = rng.sample(ids, 2)
            with db.atomic():
                entity_store.merge_entity(db, source, target)
            ids.remove(source)
        elif roll < 0.9:
            db.execute(
                "UPDATE articles SET relevant = ?, published = ? WHERE id = ?",
                [rng.choice([0, 1, None]), f"2024-0{rng.randint(1, 9)}-15", rng.choice(articles)],
            )
        else:
            db.execute("DELETE FROM mentions WHERE id = (SELECT max(id) FROM mentions)")
        assert counts.check(db) == [], f"step {step}"


def test_check_lists_differences_and_repair_rewrites_them(tmp_path):
    path = tmp_path / "veille.db"
    db = open_db(path)
    a, b = store_articles(db, ["Un.", "Deux."])
    kalis, numel = entities(db, "Kalis", "Numel")
    save(db, {a: [kalis, numel], b: [kalis]})
    # Damage the kept figures as a bug or a hand edit would.
    db.execute("UPDATE entities SET article_count = 7 WHERE id = ?", [kalis])
    db.execute("DELETE FROM entity_pairs")
    db.conn.commit()
    db.conn.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--db", str(path)])
    assert result.exit_code == 1
    assert "entities: 1 kept rows wrong or extra, 1 missing" in result.output
    assert f"({kalis}, 7, 2," in result.output
    assert "entity_pairs: 0 kept rows wrong or extra, 1 missing" in result.output
    result = runner.invoke(cli, ["check", "--db", str(path), "--repair"])
    assert result.exit_code == 0 and "repaired: entity_pairs, entities" in result.output
    result = runner.invoke(cli, ["check", "--db", str(path)])
    assert result.exit_code == 0, result.output
    db = open_db(path)
    assert figures(db, kalis)[0] == 2 and pairs(db) == {(kalis, numel): 1}
    db.conn.close()


@pytest.mark.model
def test_check_finds_nothing_after_process_corrections_and_process_all(tmp_path):
    path = tmp_path / "veille.db"
    db = open_db(path)
    store_articles(db, ARTICLES)
    db.conn.close()
    process_articles(path, data_dir=session_data_dir(), progress=False)
    runner = CliRunner()
    for args in (
        ["merge", "Marc Oudin", "Claire Vasseur"],
        ["relabel", "Kalistène", "PER"],
        ["ignore", "Clermont-Ferrand"],
    ):
        assert runner.invoke(cli, ["entities", *args, "--db", str(path)]).exit_code == 0
    process_articles(path, data_dir=session_data_dir(), progress=False, all_articles=True)
    result = runner.invoke(cli, ["check", "--db", str(path)])
    assert result.exit_code == 0, result.output
    db = open_db(path)
    assert db.execute("SELECT count(*) FROM entity_pairs").fetchone()[0] > 0
    vasseur = entity_store.find_entity(db, "claire vasseur".replace(" ", ""), "PER")
    db.conn.close()
    assert vasseur is not None and vasseur["article_count"] == 2


def test_copy_counts_follow_article_copies(db):
    a, b = store_articles(db, ["Un.", "Deux."])

    def copy(url, article_id):
        db["article_copies"].insert(
            {"url": url, "article_id": article_id, "source": "L’Écho", "fetched_at": "T"}
        )

    copy("https://echo.exemple.test/1", a)
    copy("https://echo.exemple.test/2", a)
    db.execute("UPDATE article_copies SET article_id = ? WHERE url LIKE '%/2'", [b])
    copy("https://echo.exemple.test/3", b)
    db.execute("DELETE FROM article_copies WHERE url LIKE '%/3'")
    stories = dict(db.execute("SELECT story_id, reprises FROM stories"))
    assert stories == {a: 1, b: 1}
    assert counts.check(db) == []
