"""Every read and write of entities, aliases, mentions, quotes and staff corrections.

Functions take an open `sqlite_utils.Database` (see `db.schema.open_db`). Replacing an
article's mentions and quotes happens in one transaction with its processed_at and
nlp_version, so a process killed at any moment leaves each article either fully processed
or untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from common.clock import now_iso

RULE_ACTIONS = ("merge", "relabel", "ignore")
# SQLite's default limit on bound parameters is well above this; chunks keep IN (...) lists
# short on huge re-processing runs.
_CHUNK = 500


@dataclass(frozen=True)
class EntityRow:
    """The fields of an entity that resolution needs."""

    id: int
    name: str
    label: str
    key: str


@dataclass(frozen=True)
class Rule:
    """A staff correction stored in entity_rules."""

    id: int
    action: str
    name: str
    target: str | None
    label: str | None
    created_at: str


@dataclass(frozen=True)
class MentionRow:
    """A mention ready to store."""

    entity_id: int
    text: str
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class QuoteRow:
    """A quote ready to store."""

    speaker_id: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ArticleResult:
    """What the NLP stage found in one article."""

    article_id: int
    mentions: Sequence[MentionRow]
    quotes: Sequence[QuoteRow]


# --- reading ------------------------------------------------------------------------


def all_entities(db: Database) -> list[EntityRow]:
    """Every entity (id, name, label, key)."""
    return [EntityRow(*row) for row in db.execute("SELECT id, name, label, key FROM entities")]


def alias_keys(db: Database) -> dict[str, int]:
    """Alias key → entity id (the oldest entity when two share an alias)."""
    out: dict[str, int] = {}
    for key, entity_id in db.execute(
        "SELECT key, entity_id FROM entity_aliases ORDER BY entity_id"
    ):
        out.setdefault(key, entity_id)
    return out


def articles_to_process(db: Database, nlp_version: str, all_articles: bool = False) -> list[int]:
    """Ids of articles never processed or processed by another version (or all), in id order."""
    if all_articles:
        rows = db.execute("SELECT id FROM articles ORDER BY id")
    else:
        rows = db.execute(
            "SELECT id FROM articles WHERE processed_at IS NULL OR nlp_version IS NULL "
            "OR nlp_version != ? ORDER BY id",
            [nlp_version],
        )
    return [row[0] for row in rows]


def article_texts(db: Database, ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, text) of the given articles, in the order given."""
    found: dict[int, str] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for article_id, text in db.execute(
            f"SELECT id, text FROM articles WHERE id IN ({marks})", list(chunk)
        ):
            found[article_id] = text or ""
    return [(i, found[i]) for i in ids if i in found]


def article_regions(db: Database, ids: Sequence[int]) -> dict[int, str]:
    """The région of each article's outlet, when its source has one."""
    out: dict[int, str] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for article_id, region in db.execute(
            f"SELECT a.id, s.region FROM articles a JOIN sources s ON s.name = a.source "
            f"WHERE a.id IN ({marks}) AND s.region IS NOT NULL AND s.region != ''",
            list(chunk),
        ):
            out[article_id] = region
    return out


def article_mentions(db: Database, article_id: int) -> list[dict]:
    """Mentions of one article with their entity's name and label, in text order."""
    return list(
        db.query(
            "SELECT m.id, m.entity_id, e.name, e.label, m.text, m.sentence, m.start, m.[end] "
            "FROM mentions m JOIN entities e ON e.id = m.entity_id WHERE m.article_id = ? "
            "ORDER BY m.start, m.id",
            [article_id],
        )
    )


def article_quotes(db: Database, article_id: int) -> list[dict]:
    """Quotes of one article with their speaker's name, in text order."""
    return list(
        db.query(
            "SELECT q.id, q.speaker_id, e.name AS speaker, q.text, q.start, q.[end] FROM quotes q "
            "JOIN entities e ON e.id = q.speaker_id WHERE q.article_id = ? ORDER BY q.start",
            [article_id],
        )
    )


def find_entity(db: Database, key: str, label: str | None = None) -> dict | None:
    """The entity with this key (and label, when given), or None."""
    sql = (
        "SELECT id, name, label, key, region, watchlist, article_count, first_seen, last_seen "
        "FROM entities WHERE key = ?"
    )
    params: list = [key]
    if label:
        sql += " AND label = ?"
        params.append(label)
    found = list(db.query(sql + " ORDER BY watchlist DESC, article_count DESC, id LIMIT 1", params))
    return found[0] if found else None


# --- writing ------------------------------------------------------------------------


def insert_entity(db: Database, name: str, label: str, key: str, region: str | None = None) -> int:
    """Create an entity (the caller has checked (label, key) is free) and return its id."""
    cursor = db.execute(
        "INSERT INTO entities (name, label, key, region, watchlist, article_count) "
        "VALUES (?, ?, ?, ?, 0, 0)",
        [name, label, key, region],
    )
    return cursor.lastrowid


def relabel_entity(db: Database, entity_id: int, label: str) -> None:
    """Change an entity's label (the caller has checked (label, key) is free)."""
    db.execute("UPDATE entities SET label = ?, region = NULL WHERE id = ?", [label, entity_id])


def merge_entity(db: Database, source_id: int, target_id: int) -> None:
    """Move an entity's mentions and quotes to another entity and delete it."""
    db.execute("UPDATE mentions SET entity_id = ? WHERE entity_id = ?", [target_id, source_id])
    db.execute("UPDATE quotes SET speaker_id = ? WHERE speaker_id = ?", [target_id, source_id])
    db.execute("DELETE FROM entity_aliases WHERE entity_id = ?", [source_id])
    db.execute("DELETE FROM entities WHERE id = ?", [source_id])


def is_watchlisted(db: Database, entity_id: int) -> bool:
    """Whether the entity comes from the staff's watchlist."""
    row = db.execute("SELECT watchlist FROM entities WHERE id = ?", [entity_id]).fetchone()
    return bool(row and row[0])


def set_region(db: Database, entity_id: int, region: str) -> None:
    """Give a place its région when it has none yet."""
    db.execute(
        "UPDATE entities SET region = ? WHERE id = ? AND (region IS NULL OR region = '')",
        [region, entity_id],
    )


def save_results(
    db: Database,
    results: Iterable[ArticleResult],
    nlp_version: str,
    processed_at: str | None = None,
) -> None:
    """Replace the mentions and quotes of these articles and mark them processed.

    Call inside `db.atomic()` together with the entity inserts the results refer to; entity
    figures (article_count, first_seen, last_seen), co-mentions and monthly counts follow in
    the same transaction, kept by triggers (db/counts.py).
    """
    stamp = processed_at or now_iso()
    results = list(results)
    ids = [r.article_id for r in results]
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        db.execute(f"DELETE FROM mentions WHERE article_id IN ({marks})", list(chunk))
        db.execute(f"DELETE FROM quotes WHERE article_id IN ({marks})", list(chunk))
    for result in results:
        db.conn.executemany(
            "INSERT INTO mentions (entity_id, article_id, text, sentence, start, [end]) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (m.entity_id, result.article_id, m.text, m.sentence, m.start, m.end)
                for m in result.mentions
            ],
        )
        db.conn.executemany(
            "INSERT INTO quotes (article_id, speaker_id, text, start, [end]) VALUES (?, ?, ?, ?, ?)",
            [(result.article_id, q.speaker_id, q.text, q.start, q.end) for q in result.quotes],
        )
        db.execute(
            "UPDATE articles SET processed_at = ?, nlp_version = ? WHERE id = ?",
            [stamp, nlp_version, result.article_id],
        )


def prune_entities(db: Database) -> int:
    """Delete entities nothing refers to any more (not watchlist ones); return how many."""
    with db.atomic():
        cursor = db.execute(
            "DELETE FROM entities WHERE watchlist = 0 "
            "AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.entity_id = entities.id) "
            "AND NOT EXISTS (SELECT 1 FROM quotes q WHERE q.speaker_id = entities.id) "
            "AND NOT EXISTS (SELECT 1 FROM entity_aliases x WHERE x.entity_id = entities.id)"
        )
    return cursor.rowcount


def upsert_watchlist(
    db: Database,
    entries: Iterable[tuple[str, str, str, Sequence[tuple[str, str]], str | None, str | None]],
) -> int:
    """Make the watchlist entities and their aliases match `entries`; return how many.

    Each entry is (name, label, key, [(alias, alias_key)], url, note). Entities that left
    the watchlist keep their mentions but lose the flag and their aliases.
    """
    entries = list(entries)
    with db.atomic():
        kept: list[int] = []
        for name, label, key, aliases, url, note in entries:
            row = db.execute(
                "SELECT id FROM entities WHERE label = ? AND key = ?", [label, key]
            ).fetchone()
            if row is None:
                entity_id = db.execute(
                    "INSERT INTO entities (name, label, key, watchlist, url, note, article_count) "
                    "VALUES (?, ?, ?, 1, ?, ?, 0)",
                    [name, label, key, url, note],
                ).lastrowid
            else:
                entity_id = row[0]
                db.execute(
                    "UPDATE entities SET name = ?, watchlist = 1, url = ?, note = ? WHERE id = ?",
                    [name, url, note, entity_id],
                )
            kept.append(entity_id)
            db.execute("DELETE FROM entity_aliases WHERE entity_id = ?", [entity_id])
            db.conn.executemany(
                "INSERT INTO entity_aliases (entity_id, alias, key) VALUES (?, ?, ?) "
                "ON CONFLICT(entity_id, key) DO NOTHING",
                [(entity_id, alias, alias_key) for alias, alias_key in aliases if alias_key],
            )
        marks = ",".join("?" * len(kept)) or "NULL"
        gone = [
            row[0]
            for row in db.execute(
                f"SELECT id FROM entities WHERE watchlist = 1 AND id NOT IN ({marks})", kept
            )
        ]
        for entity_id in gone:
            db.execute("UPDATE entities SET watchlist = 0 WHERE id = ?", [entity_id])
            db.execute("DELETE FROM entity_aliases WHERE entity_id = ?", [entity_id])
    return len(kept)


# --- staff corrections ----------------------------------------------------------------


def add_rule(
    db: Database,
    action: str,
    name: str,
    target: str | None = None,
    label: str | None = None,
) -> Rule:
    """Store a correction (merge NAME into TARGET, relabel NAME as LABEL, ignore NAME)."""
    if action not in RULE_ACTIONS:
        raise ValueError(f"unknown rule action {action!r}")
    stamp = now_iso()
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO entity_rules (action, name, target, label, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [action, name, target, label, stamp],
        )
    return Rule(cursor.lastrowid, action, name, target, label, stamp)


def list_rules(db: Database) -> list[Rule]:
    """Stored corrections, oldest first (later rules apply after earlier ones)."""
    return [
        Rule(*row)
        for row in db.execute(
            "SELECT id, action, name, target, label, created_at FROM entity_rules ORDER BY id"
        )
    ]


def delete_rule(db: Database, rule_id: int) -> Rule | None:
    """Remove a stored correction and return it; None when there was none with this id."""
    with db.atomic():
        row = db.execute(
            "DELETE FROM entity_rules WHERE id = ? "
            "RETURNING id, action, name, target, label, created_at",
            [rule_id],
        ).fetchone()
    return Rule(*row) if row else None


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    items = list(items)
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
