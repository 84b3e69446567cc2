"""The entity page, /-/entite/<id>: one organisation, person or place on a page to send.

A Datasette route (register_routes) rendering templates/entite.html, which extends
Datasette's base.html: identity, a chart of articles per month (inline SVG, so the page
draws without JavaScript or network), outlets, names met with it, quotes, deals, and its
articles newest first, 20 a page.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from db.display import date_text, french_number
from db.search import DATABASE_NAME

PLUGIN_NAME = "veille-entity-page"
PAGE_SIZE = 20
# Outlets and names met with the entity are counted on its latest articles only: a place
# named in 80,000 articles would otherwise cost a second per page.
RECENT = 500
MONTHS_SHOWN = 48
LABELS = {"ORG": "Organisation", "PER": "Personne", "LOC": "Lieu"}
DEAL_TYPES = {
    "funding": "Levée de fonds",
    "acquisition": "Rachat",
    "merger": "Fusion",
    "jobs": "Emplois",
    "site": "Nouveau site",
}


def register() -> None:
    """Register this plugin once per process."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(sys.modules[__name__], name=PLUGIN_NAME)


@hookimpl
def register_routes():
    return [
        (r"^/-/entite/(?P<entity_id>[0-9]{1,12})$", entity_view),
        (r"^/-/entite/nom$", entity_by_name),
    ]


# Columns naming an entity, and the column of the same row holding its id (views and the
# entities table). A name with its label but no id (the `mentions`, `top_entities` and
# `new_mentions` queries) links through /-/entite/nom, which finds the id.
ENTITY_ID_COLUMNS = {
    "entity": "entity_id",
    "entity_a": "entity_a_id",
    "entity_b": "entity_b_id",
}


def entity_link(datasette, row, value, column: str, table: str | None) -> Markup | None:
    """The name as a link to its entity page (/-/entite/N), when the row says which entity."""
    if not isinstance(value, str) or not value or row is None:
        return None
    keys = set(row.keys())
    id_column = "id" if table == "entities" and column == "name" else ENTITY_ID_COLUMNS.get(column)
    if id_column in keys and isinstance(row[id_column], int):
        path = f"/-/entite/{row[id_column]}"
    elif column == "entity" and "label" in keys and isinstance(row["label"], str):
        path = "/-/entite/nom?" + urlencode({"nom": value, "type": row["label"]})
    else:
        return None
    return Markup(f'<a href="{escape(datasette.urls.path(path))}">{escape(value)}</a>')


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    # Only in HTML pages: JSON and CSV keep the plain names. db/display.py's render_cell
    # leaves names alone (it formats dates and numbers), so either may run first.
    if database != DATABASE_NAME:
        return None
    return entity_link(datasette, row, value, column, table)


async def entity_by_name(request, datasette) -> Response:
    """/-/entite/nom?nom=…&type=ORG: the page of the entity of that name and label (the one
    in most articles, should two share them), for lists that show names without ids."""
    await datasette.ensure_permissions(
        request.actor, [("view-database", DATABASE_NAME), "view-instance"]
    )
    db = datasette.get_database(DATABASE_NAME)
    row = (
        await db.execute(
            "SELECT id FROM entities WHERE name = :name AND label = :label "
            "ORDER BY article_count DESC, id LIMIT 1",
            {"name": request.args.get("nom", ""), "label": request.args.get("type", "")},
        )
    ).first()
    if row is None:
        raise NotFound("Aucune entité ne porte ce nom.")
    return Response.redirect(datasette.urls.path(f"/-/entite/{row[0]}"))


def number_fr(value: int | float | None) -> str:
    """12345 → '12 345' (db.display's French separators); None → ''."""
    return "" if value is None else french_number(value)


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def months_svg(counts: dict[str, int]) -> Markup:
    """A bar chart of articles per month as inline SVG (the latest MONTHS_SHOWN months)."""
    months = sorted(m for m in counts if len(m) == 7 and m[:4].isdigit())
    if not months:
        return Markup("")
    shown = _month_range(months[0], months[-1])[-MONTHS_SHOWN:]
    top = max(counts.get(m, 0) for m in shown) or 1
    width, height, left, bottom = 720, 200, 40, 30
    step = (width - left) / len(shown)
    bar = min(max(step * 0.8, 1), 36)
    parts = [
        f'<svg class="veille-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">',
        f"<title>Articles par mois, de {escape(date_text(shown[0]))} "
        f"à {escape(date_text(shown[-1]))}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#888"/>',
        f'<text x="{left - 6}" y="14" text-anchor="end" font-size="11">{number_fr(top)}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" font-size="11">0</text>',
    ]
    every = max(1, len(shown) // 8)
    for i, month in enumerate(shown):
        n = counts.get(month, 0)
        h = (height - bottom - 10) * n / top
        x = left + i * step + (step - bar) / 2
        label = f"{date_text(month)} : {number_fr(n)} article{'s' if n > 1 else ''}"
        parts.append(
            f'<rect class="mark" x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" '
            f'height="{h:.1f}" fill="#2c7fb8"><title>{escape(label)}</title></rect>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11">{escape(date_text(month))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


# Which of two ways lists an entity's articles newest first the faster: walking the articles
# on the date index and probing (entity, article) for each (a name in many articles), or
# sorting its own articles (a rare name). Same test as the `entity` query of metadata.yml.
_WALK_SQL = """
    SELECT a.id, a.title, a.url, a.source, a.published FROM articles a
    WHERE EXISTS (SELECT 1 FROM mentions m WHERE m.entity_id = :id AND m.article_id = a.id)
    ORDER BY a.published DESC, a.id DESC LIMIT :n OFFSET :skip
"""
_SORT_SQL = """
    SELECT a.id, a.title, a.url, a.source, a.published FROM articles a
    WHERE a.id IN (SELECT article_id FROM mentions WHERE entity_id = :id)
    ORDER BY a.published DESC, a.id DESC LIMIT :n OFFSET :skip
"""


async def _articles(db, entity: dict, n: int, skip: int) -> list[dict]:
    top = (await db.execute("SELECT coalesce(max(rowid), 0) FROM articles")).first()[0]
    count = entity["article_count"] or 0
    sql = _WALK_SQL if count * count >= 100 * top else _SORT_SQL
    rows = await db.execute(sql, {"id": entity["id"], "n": n, "skip": skip})
    return [dict(r) for r in rows]


def feed_url(datasette, actor: dict | None, entity_id: int) -> str:
    """The entity's Atom feed; in team mode with the member's feed token, as a feed reader
    cannot sign in (db/guard.py lets `_token` open Atom feeds only)."""
    url = datasette.urls.path(f"/{DATABASE_NAME}/entity_feed.atom?id={entity_id}")
    team = getattr(datasette, "veille_team", None) or {}
    member = team.get((actor or {}).get("id"))
    if member and member.get("feed_token"):
        url += "&" + urlencode({"_token": member["feed_token"]})
    return url


async def entity_view(request, datasette) -> Response:
    """The page of one entity."""
    await datasette.ensure_permissions(
        request.actor, [("view-database", DATABASE_NAME), "view-instance"]
    )
    db = datasette.get_database(DATABASE_NAME)
    entity_id = int(request.url_vars["entity_id"])
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and 0 < int(page_arg) <= 100_000 else 1
    row = (
        await db.execute(
            "SELECT id, name, label, region, watchlist, url, note, first_seen, last_seen, "
            "article_count FROM entities WHERE id = ?",
            [entity_id],
        )
    ).first()
    if row is None:
        raise NotFound("Aucune entité ne porte ce numéro.")
    entity = dict(row)
    params = {"id": entity_id}
    aliases = [
        r[0]
        for r in await db.execute(
            "SELECT alias FROM entity_aliases WHERE entity_id = :id ORDER BY alias", params
        )
    ]
    counts = {
        r[0]: r[1]
        for r in await db.execute(
            "SELECT month, articles FROM entity_months WHERE entity_id = :id AND month <> ''",
            params,
        )
    }
    recent = await _articles(db, entity, RECENT, 0)
    partial = len(recent) < (entity["article_count"] or 0)
    outlets = sorted(Counter(r["source"] for r in recent).items(), key=lambda o: (-o[1], o[0]))[:15]
    recent_ids = json.dumps([r["id"] for r in recent])
    co_named = [
        dict(r)
        for r in await db.execute(
            """
            SELECT e.id, e.name, e.label, c.n FROM (
              SELECT m.entity_id, count(DISTINCT m.article_id) AS n FROM mentions m
              WHERE m.article_id IN (SELECT value FROM json_each(:ids)) AND m.entity_id <> :id
              GROUP BY m.entity_id ORDER BY n DESC, m.entity_id LIMIT 15
            ) c JOIN entities e ON e.id = c.entity_id ORDER BY c.n DESC, e.name
            """,
            {"ids": recent_ids, "id": entity_id},
        )
    ]
    quotes = [
        dict(r)
        for r in await db.execute(
            """
            SELECT q.text, a.title, a.url, a.source, a.published
            FROM quotes q JOIN articles a ON a.id = q.article_id
            WHERE q.speaker_id = :id ORDER BY a.published DESC, q.id LIMIT 10
            """,
            params,
        )
    ]
    deals = [
        dict(r)
        for r in await db.execute(
            """
            SELECT DISTINCT d.id, d.type, d.company, d.counterpart, d.amount_eur, d.jobs,
              d.place, d.published, d.sentence
            FROM deal_entities de JOIN deals d ON d.id = de.deal_id
            WHERE de.entity_id = :id AND d.past = 0
            ORDER BY d.published DESC, d.id DESC LIMIT 20
            """,
            params,
        )
    ]
    articles = await _articles(db, entity, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    more = len(articles) > PAGE_SIZE
    articles = articles[:PAGE_SIZE]
    if articles:
        ids = json.dumps([a["id"] for a in articles])
        sentences = {
            r[0]: r[1]
            for r in await db.execute(
                "SELECT article_id, sentence FROM mentions WHERE entity_id = :id "
                "AND article_id IN (SELECT value FROM json_each(:ids)) ORDER BY id DESC",
                {"id": entity_id, "ids": ids},
            )
        }
        copies = {
            r[0]: r[1]
            for r in await db.execute(
                "SELECT article_id, group_concat(DISTINCT source) FROM article_copies "
                "WHERE article_id IN (SELECT value FROM json_each(:ids)) GROUP BY article_id",
                {"ids": ids},
            )
        }
        for article in articles:
            article["sentence"] = sentences.get(article["id"], "")
            article["copies"] = (copies.get(article["id"]) or "").replace(",", ", ")
    context = {
        "entity": entity,
        "label_fr": LABELS.get(entity["label"], entity["label"]),
        "aliases": aliases,
        "chart": months_svg(counts),
        "partial": partial,
        "recent_count": len(recent),
        "outlets": outlets,
        "co_named": co_named,
        "quotes": quotes,
        "deals": deals,
        "deal_types": DEAL_TYPES,
        "articles": articles,
        "page": page,
        "more": more,
        "feed_url": feed_url(datasette, request.actor, entity_id),
        "date_fr": date_text,
        "number_fr": number_fr,
        "labels": LABELS,
    }
    return Response.html(await datasette.render_template("entite.html", context, request=request))
