"""`veille report`: a press review of a period, in French, as Markdown or HTML.

Only titles, links, dates and one short sentence per article are shown, never article texts:
redistributing French press texts needs a licence, quoting a title and a line does not.
The review ends with the pages the period's last crawl could not read: new failures are
listed, dead links already reported by an earlier crawl are only counted.
HTML comes from a Jinja2 template (templates/report.html) with autoescaping on, so every
value is escaped; URLs are also checked to be http(s) before they become links.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import jinja2

from common.errors import VeilleError
from db import run_store, story_store, topic_store
from db.schema import explain_error, missing_database, open_db
from ops.charts import fill_periods, period_unit, ranking_chart, timeline_chart

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_DAYS = 7
# No article predates it; older dates also overflow when turned into UTC times (year 0).
EARLIEST_SINCE = date(1900, 1, 1)
SENTENCE_MAX = 240  # characters of context shown around a mention
TOP_ENTITIES = 15
FAILURES_MAX = 20  # new failures listed; more are only counted
TOP_CHARTED = 10  # entities in the ranking chart (the table lists TOP_ENTITIES)

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# The entity labels as the French review names them.
FRENCH_LABELS = {"ORG": "organisation", "PER": "personne", "LOC": "lieu", "MISC": "divers"}


class ReportError(VeilleError, ValueError):
    """Bad report options (date, output file); the message says what to give instead."""


def parse_since(value: str) -> date:
    """A start date given as YYYY-MM-DD or DD/MM/YYYY."""
    text = value.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ReportError(
        f"--since {value!r}: not a date; give it as YYYY-MM-DD (e.g. 2024-03-01) or DD/MM/YYYY"
    )


def output_format(out: str | Path | None) -> str:
    """'md' or 'html' from the output file's extension (Markdown when writing to stdout)."""
    if out is None or str(out) == "-":
        return "md"
    suffix = Path(out).suffix.lower()
    if suffix in (".md", ".markdown"):
        return "md"
    if suffix in (".html", ".htm"):
        return "html"
    raise ReportError(f"--out {out}: unknown extension {suffix or '(none)'!r}; use .md or .html")


@dataclass
class Item:
    """One article that mentions a watchlist entity."""

    title: str
    source: str
    day: str | None  # YYYY-MM-DD
    url: str
    excerpt: str
    mentions: int
    also: list[str] = field(default_factory=list)  # other outlets that ran the story


@dataclass
class Section:
    """A watchlist entity and the articles of the period that name it."""

    name: str
    label: str
    items: list[Item] = field(default_factory=list)


@dataclass
class Failure:
    """A page the crawl could not read, not reported by an earlier crawl."""

    url: str
    source: str
    reason: str  # in French


@dataclass
class CrawlFailures:
    """What the last crawl of the period could not read."""

    day: str  # YYYY-MM-DD, local time
    new: list[Failure]  # the first FAILURES_MAX
    new_count: int
    known_dead: int  # dead links already reported by an earlier crawl


@dataclass
class Review:
    """The press review's content, independent of its format."""

    since: date
    until: date
    articles: int
    sources: int
    sections: list[Section]
    silent: list[str]  # watchlist entities not mentioned in the period
    top: list[dict]
    watchlist_size: int
    crawl: CrawlFailures | None = None  # None when no crawl ran in the period
    per_day: dict[str, int] = field(default_factory=dict)  # articles of the period by day


def build_review(
    db_path: str | Path,
    *,
    since: date | None = None,
    today: date | None = None,
    region: str | None = None,
    theme: str | None = None,
    everything: bool = False,
) -> Review:
    """Read the period's watchlist mentions and most named entities (never writes).

    Only articles about the tech ecosystem unless `everything`; `region`, `theme` narrow it.
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise missing_database(db_path)
    today = today or date.today()
    since = since or today - timedelta(days=DEFAULT_DAYS)
    if since > today:
        raise ReportError(f"--since {since.isoformat()}: in the future; give a past date")
    if since < EARLIEST_SINCE:
        raise ReportError(
            f"--since {since.isoformat()}: too far back; give a date from "
            f"{EARLIEST_SINCE.isoformat()} on"
        )
    try:
        db = open_db(db_path, readonly=True)
        watchlist = run_store.watchlist_entities(db)
        rows = run_store.watchlist_mentions(db, since=since.isoformat())
        top = run_store.top_entities(db, since=since.isoformat(), limit=TOP_ENTITIES)
        counts = run_store.period_counts(db, since=since.isoformat())
        chosen_ids = None
        if has_topics(db) and (region or theme or not everything):
            chosen = {"since": since.isoformat(), "region": region, "theme": theme}
            ids = topic_store.chosen_articles(db, **chosen, everything=everything)
            rows = [row for row in rows if row["article_id"] in ids]
            top = topic_store.chosen_top_entities(
                db, **chosen, everything=everything, limit=TOP_ENTITIES
            )
            counts = {**counts, "articles": len(ids)}
            chosen_ids = ids
        per_day = run_store.articles_per_day(db, since=since.isoformat(), ids=chosen_ids)
        crawl = _crawl_failures(db, since, today)
        also = story_store.other_outlets(db, [row["article_id"] for row in rows])
    except sqlite3.DatabaseError as exc:
        raise explain_error(db_path, exc) from None
    sections: dict[int, Section] = {e["id"]: Section(e["name"], e["label"]) for e in watchlist}
    for row in rows:
        section = sections.get(row["entity_id"])
        if section is None:
            continue
        section.items.append(
            Item(
                title=_clean(row["title"]) or "(sans titre)",
                source=row["source"] or "",
                day=(row["published"] or row["fetched_at"] or "")[:10] or None,
                url=row["url"] or "",
                excerpt=excerpt(row["sentence"], row["mention"]),
                mentions=row["mentions"] or 1,
                also=also.get(row["article_id"], []),
            )
        )
    return Review(
        since=since,
        until=today,
        articles=counts["articles"],
        sources=counts["sources"],
        sections=[s for s in sections.values() if s.items],
        silent=[s.name for s in sections.values() if not s.items],
        top=top,
        watchlist_size=len(watchlist),
        crawl=crawl,
        per_day=per_day,
    )


def has_topics(db) -> bool:
    """Whether the database has the columns of article classification (migration m008)."""
    return "relevant" in db["articles"].columns_dict


def check_filters(region: str | None, theme: str | None) -> tuple[str | None, str | None]:
    """--region and --theme as stored (région's official name), or ReportError."""
    from nlp.classify import get_classifier

    classifier = get_classifier()
    if region:
        place = classifier.places.lookup(region)
        if place is None or place.kind not in ("region", "former_region"):
            raise ReportError(f"--region {region!r}: not a région (e.g. Bourgogne-Franche-Comté)")
        region = place.region
    if theme and theme not in classifier.themes.names:
        raise ReportError(
            f"--theme {theme!r}: not a theme of themes.toml; one of: "
            + ", ".join(classifier.themes.names)
        )
    return region, theme


def _crawl_failures(db, since: date, today: date) -> CrawlFailures | None:
    # Only the last crawl: a review read every morning names each failure once, on the day
    # after the crawl that found it; db.run_store.run_failures leaves known dead links out.
    def utc(day: date) -> str:
        return datetime.combine(day, time()).astimezone(UTC).isoformat(timespec="seconds")

    run = run_store.last_crawl_run(db, since=utc(since), until=utc(today + timedelta(days=1)))
    if run is None:
        return None
    failures = run_store.run_failures(db, run["id"], per_source=None)
    new = [
        Failure(row["url"] or "", source, french_reason(row["reason"], row["status"]))
        for source in sorted(failures, key=str.casefold)
        for row in failures[source]["new"]
    ]
    return CrawlFailures(
        day=datetime.fromisoformat(run["started_at"]).astimezone().date().isoformat(),
        new=new[:FAILURES_MAX],
        new_count=len(new),
        known_dead=sum(f["known_dead"] for f in failures.values()),
    )


# The crawl's reasons (crawler/spiders/news.py), as communicators read them.
_REASONS = (
    ("timeout", "la page a mis trop de temps à répondre"),
    ("connection refused", "connexion refusée"),
    ("host not found", "site introuvable (nom de domaine inconnu)"),
    ("redirect loop", "redirections en boucle"),
    ("too many redirects", "trop de redirections"),
    ("page over", "page trop volumineuse"),
    ("connection lost", "connexion coupée avant la fin de la page"),
    ("not HTML", "pas une page web"),
    ("not an RSS or Atom feed", "flux RSS ou Atom illisible"),
    ("not a sitemap", "plan du site (sitemap) illisible"),
    ("article page without text", "article sans texte"),
    ("extraction failed", "page illisible"),
    ("page could not be read", "page illisible"),
)


def french_reason(reason: str | None, status: int | None) -> str:
    """Why a page could not be read, in French: 'page introuvable (HTTP 404)', …"""
    if status == 404:
        return "page introuvable (HTTP 404)"
    if status == 410:
        return "page supprimée par le site (HTTP 410)"
    if status and status >= 500:
        return f"erreur du serveur (HTTP {status})"
    if status and status >= 400:
        return f"page refusée par le site (HTTP {status})"
    text = (reason or "").strip()
    for prefix, french in _REASONS:
        if text.startswith(prefix):
            return french
    return text or "raison inconnue"


def excerpt(sentence: str | None, mention: str | None, limit: int = SENTENCE_MAX) -> str:
    """The sentence around a mention, cut to `limit` characters around it."""
    text = _clean(sentence)
    if len(text) <= limit:
        return text
    at = text.find(mention) if mention else -1
    if at < 0:
        at = 0
    # Centre the window on the mention, then snap to word boundaries.
    start = max(0, min(at - (limit - len(mention or "")) // 2, len(text) - limit))
    end = start + limit
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < at else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > at + len(mention or "") else end
    return ("… " if start > 0 else "") + text[start:end].strip() + (" …" if end < len(text) else "")


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def french_date(day: str | date | None) -> str:
    """'1er mars 2024', '15 avril 2024'; 'date inconnue' when missing."""
    if not day:
        return "date inconnue"
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day[:10])
        except ValueError:
            return day
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def _title(review: Review) -> str:
    return f"Revue de presse du {french_date(review.since)} au {french_date(review.until)}"


def _intro(review: Review) -> str:
    if not review.articles:
        return "Aucun article sur la période."
    return (
        f"{review.articles} article{'s' if review.articles > 1 else ''} de "
        f"{review.sources} média{'s' if review.sources > 1 else ''} sur la période."
    )


def _safe_url(url: str) -> str | None:
    """Only http(s) links become links: a `javascript:` URL in a page must not."""
    return url if re.match(r"https?://", url or "", re.I) else None


def _mentions_note(item: Item) -> str:
    note = f" ({item.mentions} mentions)" if item.mentions > 1 else ""
    # A story republished elsewhere is listed once, with where else it ran.
    return note + (f" — aussi publié par {', '.join(item.also)}" if item.also else "")


def render_markdown(review: Review) -> str:
    """The review as Markdown."""
    out = [f"# {_md(_title(review))}", "", _intro(review), ""]
    out.append("## Entités suivies")
    out.append("")
    if not review.watchlist_size:
        out += ["Aucune entité n'est dans la liste de veille.", ""]
    elif not review.sections:
        out += ["Aucune entité suivie n'est citée sur la période.", ""]
    for section in review.sections:
        label = FRENCH_LABELS.get(section.label, section.label)
        count = len(section.items)
        out += [f"### {_md(section.name)} ({label}, {count} article{'s' if count > 1 else ''})", ""]
        for item in section.items:
            url = _safe_url(item.url)
            title = f"[{_md(item.title)}](<{_md_url(url)}>)" if url else _md(item.title)
            out.append(
                f"- **{title}** — {_md(item.source)}, {french_date(item.day)}{_mentions_note(item)}"
            )
            if item.excerpt:
                out.append(f"  > {_md(item.excerpt)}")
        out.append("")
    if review.silent and review.sections:
        out += [f"Sans mention sur la période : {_md(', '.join(review.silent))}.", ""]
    out += ["## Les plus citées", ""]
    if not review.top:
        out += ["Aucune entité citée sur la période.", ""]
    else:
        out += ["| Entité | Type | Articles | Mentions |", "|---|---|---:|---:|"]
        for row in review.top:
            name = _md(row["name"]).replace("|", "\\|")
            out.append(
                f"| {name} | {FRENCH_LABELS.get(row['label'], row['label'])} | {row['articles']} | {row['mentions']} |"
            )
        out.append("")
    out += ["## Pages inaccessibles", ""]
    if review.crawl is None:
        out += ["Aucune collecte sur la période.", ""]
    else:
        out += [_failures_intro(review.crawl), ""]
        for failure in review.crawl.new:
            out.append(
                f"- `{_md_code(failure.url)}` — {_md(failure.source)} : {_md(failure.reason)}"
            )
        if review.crawl.new:
            more = _more_failures(review.crawl)
            out += [f"- {more}"] if more else []
            out.append("")
        if review.crawl.known_dead:
            out += [_known_dead(review.crawl.known_dead), ""]
    out.append(_footer())
    return "\n".join(out) + "\n"


def _failures_intro(crawl: CrawlFailures) -> str:
    n = crawl.new_count
    if not n:
        found = "aucune autre page inaccessible" if crawl.known_dead else "aucune page inaccessible"
    elif n == 1:
        found = "1 page inaccessible"
    else:
        found = f"{n} pages inaccessibles"
    return f"Dernière collecte, le {french_date(crawl.day)} : {found}."


def _more_failures(crawl: CrawlFailures) -> str | None:
    more = crawl.new_count - len(crawl.new)
    if more <= 0:
        return None
    return f"… et {more} autre{'s' if more > 1 else ''} (table « Erreurs de collecte »)."


def _known_dead(n: int) -> str:
    if n == 1:
        return "1 lien mort déjà signalé n'est pas répété ici."
    return f"{n} liens morts déjà signalés ne sont pas répétés ici."


def _md_code(text: str) -> str:
    # Inside a code span nothing is markup but a backtick, which a URL may carry escaped.
    return (text or "").replace("`", "%60")


def _md(text: str) -> str:
    # Escape what Markdown would read as markup, so a title shows as written.
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text or "")


def _md_url(url: str) -> str:
    return url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def render_html(review: Review) -> str:
    """The review as a standalone HTML page (templates/report.html, autoescaped)."""
    sections = [
        {
            "name": section.name,
            "label": FRENCH_LABELS.get(section.label, section.label),
            "count": len(section.items),
            "entries": [
                {
                    "title": item.title,
                    "url": _safe_url(item.url),
                    "source": item.source,
                    "day": french_date(item.day),
                    "note": _mentions_note(item),
                    "excerpt": item.excerpt,
                }
                for item in section.items
            ],
        }
        for section in review.sections
    ]
    top = [
        {**row, "label": FRENCH_LABELS.get(row["label"], row["label"] or "")} for row in review.top
    ]
    crawl = None
    if review.crawl is not None:
        crawl = {
            "intro": _failures_intro(review.crawl),
            "new": review.crawl.new,
            "more": _more_failures(review.crawl),
            "known_dead": _known_dead(review.crawl.known_dead) if review.crawl.known_dead else "",
        }
    return _template("report.html").render(
        charts=report_charts(review),
        title=_title(review),
        intro=_intro(review),
        review=review,
        sections=sections,
        top=top,
        crawl=crawl,
        footer=_footer(),
    )


def report_charts(review: Review) -> dict[str, str]:
    """The review's charts as inline SVG: articles per day (per week beyond two months) and
    the most named entities; a chart with nothing to show is left out."""
    charts = {}
    if review.articles:
        unit = period_unit(review.since, review.until)
        rows = fill_periods(review.per_day, review.since, review.until, unit)
        charts["timeline"] = timeline_chart(
            rows,
            title="Articles par semaine" if unit == "week" else "Articles par jour",
            y_title="Articles",
            unit=unit,
        )
    ranked = [
        {"name": row["name"], "articles": row["articles"]}
        for row in review.top[:TOP_CHARTED]
        if row["articles"]
    ]
    if ranked:
        charts["ranking"] = ranking_chart(
            ranked,
            "name",
            "articles",
            title="Les entités les plus citées",
            x_title="Articles qui les nomment",
        )
    return charts


@cache
def _template(name: str) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(name)


def _footer() -> str:
    return (
        "Revue établie par veille : titres, liens et courts extraits seulement ; "
        "lisez les articles chez leurs éditeurs."
    )


def render(review: Review, fmt: str) -> str:
    """Markdown ('md') or HTML ('html')."""
    return render_html(review) if fmt == "html" else render_markdown(review)


def write_report(text: str, out: str | Path) -> None:
    """Write atomically, so a reader never sees half a report."""
    out = Path(out)
    folder = out.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise ReportError(
            f"--out {out}: cannot write in folder {folder} ({exc.strerror})"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"--out {out}: cannot write the report ({exc.strerror})") from None
