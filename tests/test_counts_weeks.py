"""entity_weeks (migration m013): mentions and articles per week and entity, kept by triggers
for the dashboard, equal to a recount after processing, re-processing, deletes, new dates
and classification; weeks start on Monday and are cut at New Year."""

from __future__ import annotations

import pytest
from helpers_nlp import store_articles

from db import counts, entity_store
from db.schema import open_db


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "veille.db")
    yield database
    database.conn.close()


def save(db, found: dict[int, list[int]]) -> None:
    """Replace the mentions of each article with one mention per entity id listed."""
    with db.atomic():
        entity_store.save_results(
            db,
            [
                entity_store.ArticleResult(
                    a,
                    [
                        entity_store.MentionRow(e, "Nom", "Nom accueille.", 10 * i, 10 * i + 3)
                        for i, e in enumerate(ids)
                    ],
                    [],
                )
                for a, ids in found.items()
            ],
            "v1",
        )


def weeks(db, entity_id: int) -> dict[str, tuple[int, int]]:
    """{week: (mentions, articles)} of one entity."""
    return {
        w: (m, a)
        for w, m, a in db.execute(
            "SELECT week, mentions, articles FROM entity_weeks WHERE entity_id = ?", [entity_id]
        )
    }


@pytest.mark.parametrize(
    ("published", "week"),
    [
        ("2024-03-06T09:00:00+01:00", "2024-03-04"),  # a Wednesday: its Monday
        ("2024-03-04", "2024-03-04"),  # a Monday
        ("2024-03-10T23:59:00+01:00", "2024-03-04"),  # the Sunday after
        ("2024-12-31T10:00:00+01:00", "2024-12-30"),  # the week of New Year, 2024's part
        ("2025-01-02T10:00:00+01:00", "2025-01-01"),  # … and 2025's, cut at January 1st
        ("2025-01-06T10:00:00+01:00", "2025-01-06"),
        ("2024-13-45", "2024-13-45"),  # not a date: its 10 characters, still in 2024
    ],
)
def test_week_of(db, published, week):
    sql = f"SELECT {counts.week_of(':published')}"
    assert db.execute(sql, {"published": published}).fetchone()[0] == week


def test_weeks_follow_processing_reprocessing_and_deletes(db):
    a, b, c = store_articles(db, ["Un.", "Deux.", "Trois."])  # 1, 2 and 3 March 2024
    kalis, numel = (entity_store.insert_entity(db, n, "ORG", n.lower()) for n in ("K", "N"))
    db.execute("UPDATE articles SET published = '2024-03-04T08:00:00+01:00' WHERE id = ?", [c])
    save(db, {a: [kalis, kalis, numel], b: [kalis], c: [kalis]})
    # 1 and 2 March 2024 are a Friday and a Saturday: week of Monday 26 February.
    assert weeks(db, kalis) == {"2024-02-26": (3, 2), "2024-03-04": (1, 1)}
    assert weeks(db, numel) == {"2024-02-26": (1, 1)}
    # Re-processed: article a names Kalis once now, Numel no more.
    save(db, {a: [kalis]})
    assert weeks(db, kalis) == {"2024-02-26": (2, 2), "2024-03-04": (1, 1)}
    assert weeks(db, numel) == {}
    with db.atomic():
        db.execute("DELETE FROM mentions WHERE article_id = ?", [c])
    assert weeks(db, kalis) == {"2024-02-26": (2, 2)}
    assert counts.check(db) == []


def test_weeks_follow_classification_and_new_dates(db):
    a, b = store_articles(db, ["Un.", "Deux."])
    kalis = entity_store.insert_entity(db, "Kalis", "ORG", "kalis")
    save(db, {a: [kalis, kalis], b: [kalis]})
    db.execute("UPDATE articles SET relevant = 0 WHERE id = ?", [a])  # off-topic: not counted
    assert weeks(db, kalis) == {"2024-02-26": (1, 1)}
    db.execute("UPDATE articles SET relevant = NULL WHERE id = ?", [a])  # not classified: counted
    assert weeks(db, kalis) == {"2024-02-26": (3, 2)}
    # A first publisher found later: the article moves to the last days of 2023, then loses
    # its date (undated articles are in no week), then gets one in 2025's first days.
    db.execute("UPDATE articles SET published = '2023-12-29T10:00:00+01:00' WHERE id = ?", [b])
    assert weeks(db, kalis) == {"2024-02-26": (2, 1), "2023-12-25": (1, 1)}
    db.execute("UPDATE articles SET published = NULL WHERE id = ?", [b])
    assert weeks(db, kalis) == {"2024-02-26": (2, 1)}
    db.execute("UPDATE articles SET published = '2025-01-03T10:00:00+01:00' WHERE id = ?", [b])
    assert weeks(db, kalis) == {"2024-02-26": (2, 1), "2025-01-01": (1, 1)}
    # The time of day changes, not the week: nothing moves.
    db.execute("UPDATE articles SET published = '2025-01-04T18:00:00+01:00' WHERE id = ?", [b])
    assert weeks(db, kalis) == {"2024-02-26": (2, 1), "2025-01-01": (1, 1)}
    assert counts.check(db) == []


def test_check_finds_and_repair_rewrites_wrong_weeks(db):
    a, b = store_articles(db, ["Un.", "Deux."])
    kalis = entity_store.insert_entity(db, "Kalis", "ORG", "kalis")
    save(db, {a: [kalis], b: [kalis]})
    db.execute("UPDATE entity_weeks SET articles = 9")
    db.execute("INSERT INTO entity_weeks VALUES ('2020-01-06', ?, 1, 1)", [kalis])
    found = {d.table: (d.wrong, d.missing) for d in counts.check(db)}
    assert found == {"entity_weeks": (2, 1)}
    counts.repair(db)
    assert counts.check(db) == []
    assert weeks(db, kalis) == {"2024-02-26": (2, 2)}
    # The triggers are back after the repair.
    save(db, {a: []})
    assert weeks(db, kalis) == {"2024-02-26": (1, 1)}
    assert counts.check(db) == []


def test_migration_fills_weeks_of_a_store_made_before_it(tmp_path):
    path = tmp_path / "veille.db"
    db = open_db(path)
    a, b = store_articles(db, ["Un.", "Deux."])
    kalis = entity_store.insert_entity(db, "Kalis", "ORG", "kalis")
    save(db, {a: [kalis, kalis], b: [kalis]})
    # As a store made before m013: no table, no triggers, the migration not recorded.
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%weeks%'"
    ).fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE entity_weeks")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013_entity_weeks'")
    db.conn.commit()
    db.conn.close()
    db = open_db(path)
    assert weeks(db, kalis) == {"2024-02-26": (3, 2)}
    save(db, {b: []})
    assert weeks(db, kalis) == {"2024-02-26": (2, 1)}
    assert counts.check(db) == []
    db.conn.close()
