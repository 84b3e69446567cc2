"""Reads and writes of what articles are about: relevance, themes, places (issue 13)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlite_utils import Database

_CHUNK = 500


class PlaceLike(Protocol):
    name: str
    kind: str
    weight: float


class TopicsLike(Protocol):
    score: float
    relevant: bool
    themes: list[str]
    places: list[PlaceLike]


def article_heads(db: Database, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(title, text) of the given articles, by id."""
    out: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        for article_id, title, text in db.execute(
            f"SELECT id, title, text FROM articles WHERE id IN ({marks})", chunk
        ):
            out[article_id] = (title or "", text or "")
    return out


def save_topics(db: Database, results: Iterable[tuple[int, TopicsLike]]) -> None:
    """Replace the relevance, themes and places of these articles.

    Call inside the transaction that stores the articles' mentions, so an article is never
    left with mentions of one version and topics of another.
    """
    for article_id, topics in results:

        def names(kind: str, topics: TopicsLike = topics) -> str:
            return json.dumps([p.name for p in topics.places if p.kind == kind], ensure_ascii=False)

        db.execute(
            "UPDATE articles SET relevant = ?, relevance = ?, themes = ?, regions = ?, "
            "departements = ? WHERE id = ?",
            [
                int(topics.relevant),
                round(topics.score, 2),
                json.dumps(topics.themes, ensure_ascii=False),
                names("region"),
                names("departement"),
                article_id,
            ],
        )
        db.execute("DELETE FROM article_places WHERE article_id = ?", [article_id])
        ranks: dict[str, int] = {}
        rows = []
        for place in topics.places:
            ranks[place.kind] = ranks.get(place.kind, 0) + 1
            rows.append((article_id, place.kind, place.name, place.weight, ranks[place.kind]))
        if rows:
            db.conn.executemany(
                "INSERT INTO article_places (article_id, kind, name, weight, rank) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )


def article_topics(db: Database, article_id: int) -> dict | None:
    """One article's stored relevance, themes and places (None if no such article)."""
    row = db.execute(
        "SELECT relevant, relevance, themes FROM articles WHERE id = ?", [article_id]
    ).fetchone()
    if row is None:
        return None
    places = db.execute(
        "SELECT kind, name, weight FROM article_places WHERE article_id = ? ORDER BY kind, rank",
        [article_id],
    ).fetchall()
    return {
        "relevant": None if row[0] is None else bool(row[0]),
        "score": row[1],
        "themes": json.loads(row[2]) if row[2] else [],
        "places": [{"kind": k, "name": n, "weight": w} for k, n, w in places],
    }


# Articles of a press review: relevant ones unless `everything`, about a région, of a theme.
# An article not classified yet (relevant NULL) is kept: better shown than lost.
_DAY = "substr(COALESCE(a.published, a.fetched_at), 1, 10)"
_CHOSEN = f"""
    {_DAY} >= :since
    AND (:everything OR a.relevant IS NOT 0)
    AND (:region = '' OR a.id IN (
      SELECT article_id FROM article_places WHERE kind = 'region' AND name = :region))
    AND (:theme = '' OR EXISTS (SELECT 1 FROM json_each(a.themes) WHERE value = :theme))
"""


def _chosen_params(since: str, region: str | None, theme: str | None, everything: bool) -> dict:
    return {"since": since, "region": region or "", "theme": theme or "", "everything": everything}


def chosen_articles(
    db: Database, *, since: str, region: str | None, theme: str | None, everything: bool
) -> set[int]:
    """Ids of the period's articles that a press review with these filters covers."""
    sql = f"SELECT a.id FROM articles a WHERE {_CHOSEN}"
    return {row[0] for row in db.execute(sql, _chosen_params(since, region, theme, everything))}


def chosen_top_entities(
    db: Database,
    *,
    since: str,
    region: str | None,
    theme: str | None,
    everything: bool,
    limit: int = 15,
) -> list[dict]:
    """The entities named in the most chosen articles (as db.status.top_entities)."""
    sql = f"""
        SELECT e.id, e.name, e.label, e.watchlist,
               COUNT(DISTINCT m.article_id) AS articles, COUNT(*) AS mentions
        FROM articles a
        JOIN mentions m ON m.article_id = a.id
        JOIN entities e ON e.id = m.entity_id
        WHERE {_CHOSEN}
        GROUP BY e.id
        ORDER BY articles DESC, mentions DESC, e.name COLLATE NOCASE
        LIMIT :limit
    """
    params = {**_chosen_params(since, region, theme, everything), "limit": limit}
    return list(db.query(sql, params))
