"""Every read and write of the deals tables (`deals`, `deal_sources`, `deal_entities`).

One deal, many articles: a deal found in a new article joins a stored deal of the same
type, company (and counterpart), amount within 2 % and kind (round, loan or grant) whose
articles are at most `WINDOW_DAYS` apart; else it is a new deal. Saving an article's deals
first removes what that article said before, so re-processing never duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

WINDOW_DAYS = 45
SPECIAL_ROUNDS = ("prêt", "subvention")


@dataclass
class DealRow:
    """One deal read in one article, with the merge keys of its names."""

    type: str
    company: str
    company_key: str
    counterpart: str | None = None
    counterpart_key: str = ""
    amount_eur: float | None = None
    round: str | None = None
    investors: list[tuple[str, str]] = field(default_factory=list)  # (name, key)
    jobs: int | None = None
    horizon: str | None = None
    place: str | None = None
    place_key: str = ""
    kind: str | None = None
    new_name: str | None = None
    past: bool = False
    sentence: str = ""


def articles_for_deals(db: Database, ids: Sequence[int]) -> list[tuple[int, str, str | None]]:
    """(id, text, published) of these articles, in id order."""
    rows = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows += db.execute(
            f"SELECT id, coalesce(text, ''), published FROM articles WHERE id IN ({marks})"
            " ORDER BY id",
            chunk,
        ).fetchall()
    return rows


def published_of(db: Database, ids: Sequence[int]) -> dict[int, str | None]:
    """The publication date of each of these articles."""
    found: dict[int, str | None] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        found.update(db.execute(f"SELECT id, published FROM articles WHERE id IN ({marks})", chunk))
    return found


def _entity_id(db: Database, key: str, label: str | None = None) -> int | None:
    if not key:
        return None
    row = db.execute("SELECT entity_id FROM entity_aliases WHERE key = ? LIMIT 1", [key]).fetchone()
    if row:
        return row[0]
    row = db.execute(
        "SELECT id FROM entities WHERE key = ? ORDER BY (label = ?) DESC, (label = 'ORG') DESC,"
        " id LIMIT 1",
        [key, label or "ORG"],
    ).fetchone()
    return row[0] if row else None


def _region(db: Database, article_id: int, place_key: str) -> str | None:
    """The place's région, else the région of the article's outlet."""
    if place_key:
        row = db.execute(
            "SELECT region FROM entities WHERE key = ? AND label = 'LOC' AND region != '' LIMIT 1",
            [place_key],
        ).fetchone()
        if row:
            return row[0]
    row = db.execute(
        "SELECT s.region FROM articles a JOIN sources s ON s.name = a.source WHERE a.id = ?",
        [article_id],
    ).fetchone()
    return row[0] if row and row[0] else None


def _match(db: Database, deal: DealRow, published: str | None) -> int | None:
    special = deal.round in SPECIAL_ROUNDS
    row = db.execute(
        """
        SELECT id FROM deals
        WHERE type = :type AND company_key = :company AND counterpart_key = :counterpart
          AND past = :past
          AND coalesce(round IN ('prêt', 'subvention'), 0) = :special
          AND (
            (:amount IS NULL AND amount_eur IS NULL)
            OR (:amount IS NOT NULL AND amount_eur IS NOT NULL
                AND abs(amount_eur - :amount) <= 0.02 * amount_eur)
            OR type IN ('jobs', 'site')
          )
          AND (
            :published IS NULL OR published IS NULL OR published = ''
            OR abs(julianday(substr(published, 1, 10)) - julianday(substr(:published, 1, 10)))
               <= :window
          )
        ORDER BY id LIMIT 1
        """,
        {
            "type": deal.type,
            "company": deal.company_key,
            "counterpart": deal.counterpart_key,
            "past": int(deal.past),
            "special": int(special),
            "amount": deal.amount_eur,
            "published": published or None,
            "window": WINDOW_DAYS,
        },
    ).fetchone()
    return row[0] if row else None


# Columns a deal found again fills when the stored deal has none.
_FILLED = ("round", "jobs", "horizon", "place", "kind", "new_name", "amount_eur")


def save_article_deals(
    db: Database, article_id: int, published: str | None, deals: Sequence[DealRow]
) -> int:
    """Replace what one article says of deals; return how many deals it gives.

    The caller holds the transaction (see `replace_deals`). Plain SQL rather than
    sqlite-utils' `insert`/`get`/`update`, which look up the table's columns at each call:
    `veille process` saves the deals of every article it reads.
    """
    touched = {
        row[0]
        for row in db.execute("SELECT deal_id FROM deal_sources WHERE article_id = ?", [article_id])
    }
    db.execute("DELETE FROM deal_sources WHERE article_id = ?", [article_id])
    for deal in deals:
        deal_id = _match(db, deal, published)
        names = [(deal.company, deal.company_key)] + [(n, k) for n, k in deal.investors]
        if deal_id is None:
            deal_id = db.execute(
                """
                INSERT INTO deals (type, company, company_key, counterpart, counterpart_key,
                    amount_eur, round, investors, jobs, horizon, place, region, kind, new_name,
                    past, published, sentence, source_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                """,
                [
                    deal.type,
                    deal.company,
                    deal.company_key,
                    deal.counterpart,
                    deal.counterpart_key,
                    deal.amount_eur,
                    deal.round,
                    json.dumps([n for n, _ in deal.investors], ensure_ascii=False),
                    deal.jobs,
                    deal.horizon,
                    deal.place,
                    _region(db, article_id, deal.place_key),
                    deal.kind,
                    deal.new_name,
                    int(deal.past),
                    published or "",
                    deal.sentence,
                ],
            ).lastrowid
        else:
            row = db.execute(
                f"SELECT investors, published, {', '.join(_FILLED)} FROM deals WHERE id = ?",
                [deal_id],
            ).fetchone()
            stored = dict(zip(("investors", "published", *_FILLED), row, strict=True))
            investors = json.loads(stored["investors"] or "[]")
            seen = {n.lower() for n in investors}
            investors += [n for n, _ in deal.investors if n.lower() not in seen]
            updates = {"investors": json.dumps(investors, ensure_ascii=False)}
            for column in _FILLED:
                if stored[column] in (None, "") and getattr(deal, column) not in (None, ""):
                    updates[column] = getattr(deal, column)
            if published and (not stored["published"] or published < stored["published"]):
                updates["published"] = published
            db.execute(
                f"UPDATE deals SET {', '.join(f'[{c}] = ?' for c in updates)} WHERE id = ?",
                [*updates.values(), deal_id],
            )
        touched.add(deal_id)
        db.execute(
            "INSERT OR IGNORE INTO deal_sources (deal_id, article_id, sentence) VALUES (?, ?, ?)",
            [deal_id, article_id, deal.sentence],
        )
        roles = [("company", names[0])]
        if deal.counterpart:
            roles.append(("counterpart", (deal.counterpart, deal.counterpart_key)))
        roles += [("investor", pair) for pair in names[1:]]
        if deal.place:
            roles.append(("place", (deal.place, deal.place_key)))
        for role, (_, key) in roles:
            entity_id = _entity_id(db, key, "LOC" if role == "place" else "ORG")
            if entity_id is not None:
                db.execute(
                    "INSERT OR IGNORE INTO deal_entities (deal_id, entity_id, role)"
                    " VALUES (?, ?, ?)",
                    [deal_id, entity_id, role],
                )
    _tidy(db, touched)
    return len(deals)


def _tidy(db: Database, deal_ids: set[int]) -> None:
    """Drop these deals if no article speaks of them any more; recount the others' sources.

    Only the deals this article left or joined change: recounting every deal after each
    article grew with the store (all its deals, for each article processed).
    """
    ids = sorted(deal_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        db.execute(
            f"DELETE FROM deals WHERE id IN ({marks}) AND NOT EXISTS"
            " (SELECT 1 FROM deal_sources s WHERE s.deal_id = deals.id)",
            chunk,
        )
        db.execute(
            "UPDATE deals SET source_count ="
            " (SELECT count(*) FROM deal_sources s WHERE s.deal_id = deals.id)"
            f" WHERE id IN ({marks})",
            chunk,
        )


def replace_deals(db: Database, found: Sequence[tuple[int, str | None, Sequence[DealRow]]]) -> int:
    """Save the deals of many articles, (article id, published, deals), in one transaction."""
    total = 0
    with db.atomic():
        for article_id, published, deals in found:
            total += save_article_deals(db, article_id, published, deals)
    return total


def deals_of_year(db: Database, year: int, region: str | None = None) -> list[dict]:
    """Current deals published in `year` (optionally in one région), with their sources.

    `theme` is the main theme of the deal's first article (as in the deal_rows view).
    """
    rows = db.execute_returning_dicts(
        """
        SELECT d.*, json_group_array(json_object(
            'title', a.title, 'url', a.url, 'source', a.source, 'published', a.published
        )) AS sources,
        (SELECT json_extract(t.themes, '$[0]') FROM deal_sources ts
           JOIN articles t ON t.id = ts.article_id
           WHERE ts.deal_id = d.id AND json_array_length(coalesce(t.themes, '[]')) > 0
           ORDER BY t.published, t.id LIMIT 1) AS theme
        FROM deals d
        JOIN deal_sources ds ON ds.deal_id = d.id
        JOIN articles a ON a.id = ds.article_id
        WHERE d.past = 0 AND substr(d.published, 1, 4) = :year
          AND (:region IS NULL OR d.region = :region)
        GROUP BY d.id
        ORDER BY d.published, d.id
        """,
        {"year": str(year), "region": region},
    )
    for row in rows:
        row["sources"] = json.loads(row["sources"])
        row["investors"] = json.loads(row["investors"] or "[]")
    return rows
