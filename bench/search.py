"""Search benchmark: `mentions` and `entity` through Datasette on a generated large database.

Generates (once, cached under bench/out/) a database of 100,000 articles and 2,000,000
mentions with entity frequencies following Zipf's law, as in real news (a few places and
bodies everywhere, a long tail of people), then times the canned queries through Datasette's
own client, and Datasette's pages of the mentions_by_month and co_mentions views. Beside
them, in the same run: the same SQL on a plain sqlite3 connection (what
Datasette adds on top is routing and JSON rendering) and, for `mentions`, the plain one-plan
query the planned one replaces (db.search.MENTIONS_REFERENCE_SQL), with a check that both
return the same rows. Then the dashboard (its page and every chart's SQL, per period) and
the entity page (issue 15).

With --pages-only, it requests instead every page of the database's front page the way a
browser does (HTML, and JSON with default facets and counts: no `_shape=array`), each
table, view and canned query (with typical parameters), plus the filtered and searched
pages people open from them, and prints p50/p95 per page and any Datasette time limit hit.
Targets (issue 16): p95 < 300 ms at --scale 100k, < 1 s at --scale 1m.

    .venv/bin/python bench/search.py [--scale 100k|1m] [--pages-only [--only NAMES]]
        [--dashboard-only] [--runs N] [--rebuild] [--out DIR] [--articles N] [--mentions N] [--entities N]

Generating --scale 100k takes about 2 minutes; --scale 1m about 40 (keep it out of
`make test`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import math
import os
import random
import re
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from db import counts  # noqa: E402
from db.dashboard import SLUG  # noqa: E402
from db.schema import open_db  # noqa: E402
from db.search import (  # noqa: E402
    DATABASE_NAME,
    MENTIONS_REFERENCE_SQL,
    ROW_LIMIT,
    UNCOUNTED_SEARCHES,
    load_metadata,
    query_sql,
    rebuild_fts,
)
from db.serve import datasette_app  # noqa: E402

OUT = REPO / "bench" / "out"
SEED = 20240315

REGIONS = [
    "Bourgogne-Franche-Comté",
    "Grand Est",
    "Auvergne-Rhône-Alpes",
    "Hauts-de-France",
    "Occitanie",
    "Nouvelle-Aquitaine",
    "Bretagne",
    "Normandie",
    "Pays de la Loire",
    "Centre-Val de Loire",
    "Île-de-France",
    "Provence-Alpes-Côte d'Azur",
    "Corse",
]
FIRST = [
    "Élodie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Zoé",
    "Anaïs",
    "Hélène",
    "Agnès",
    "Noémie",
    "Célia",
    "Maëlle",
    "Lucas",
    "Hugo",
    "Théo",
    "Nathan",
    "Mathéo",
    "Raphaël",
    "Gaël",
    "Loïc",
    "Jérôme",
    "Benoît",
    "Cédric",
    "Stéphane",
    "Frédéric",
    "Jean-Pierre",
    "Marie-Claire",
    "Anne-Sophie",
    "Pierre-Yves",
    "François",
    "Grégoire",
    "Timothée",
    "Sébastien",
]
SYLLABES = [
    "ber",
    "mar",
    "chau",
    "vil",
    "lon",
    "dré",
    "cour",
    "fon",
    "gre",
    "nau",
    "pel",
    "rou",
    "sai",
    "tal",
    "ven",
    "zé",
    "bri",
    "clo",
    "dau",
    "fau",
    "gal",
    "jou",
    "lan",
    "mé",
    "nor",
    "pou",
    "quin",
    "ros",
    "sou",
    "ter",
    "vau",
    "bel",
    "cha",
    "dou",
    "é",
    "fle",
    "gué",
    "la",
    "mon",
    "né",
    "or",
    "pé",
    "ré",
    "so",
]
ORG_FORMS = (
    "Association {w}",
    "{w} SAS",
    "Groupe {w}",
    "Studio {w}",
    "Agence {w}",
    "{w} Numérique",
    "Collectif {w}",
    "{w} Labs",
    "Cabinet {w}",
    "{w} Technologies",
)
WORDS = [
    "la",
    "start-up",
    "annonce",
    "une",
    "levée",
    "de",
    "fonds",
    "pour",
    "développer",
    "son",
    "activité",
    "dans",
    "la",
    "région",
    "les",
    "élus",
    "ont",
    "présenté",
    "le",
    "projet",
    "numérique",
    "du",
    "territoire",
    "avec",
    "les",
    "entreprises",
    "locales",
    "le",
    "salon",
    "réunit",
    "chaque",
    "année",
    "des",
    "acteurs",
    "de",
    "l'innovation",
    "et",
    "de",
    "la",
    "recherche",
    "appliquée",
    "selon",
    "la",
    "direction",
    "cette",
    "étape",
    "permet",
    "de",
    "recruter",
    "des",
    "ingénieurs",
    "et",
    "des",
    "développeurs",
]
SENTENCE_FORMS = (
    "Selon {n}, le projet avance plus vite que prévu.",
    "{n} a présenté mardi sa nouvelle feuille de route numérique.",
    "La rencontre organisée avec {n} a réuni une centaine de participants.",
    "« Nous voulons accélérer », explique {n} devant la presse.",
    "Le partenariat signé avec {n} doit créer une vingtaine d'emplois.",
)
# Entities placed at fixed ranks of the Zipf law, so the queries below hit a very frequent,
# a middling and a rare entity whatever the seed.
PLANTED = {
    0: ("Besançon", "LOC"),
    10: ("Technopole Microvallée", "ORG"),
    40: ("Silicon Comté", "ORG"),
    400: ("Pôle Véhicule du Futur", "ORG"),
    20_000: ("Noémie Vautrin", "PER"),
}
# (case, parameters): names from the most frequent to absent, with and without filters.
QUERIES_MENTIONS = [
    ("très fréquent, sans accent", {"q": "Besancon"}),
    ("fréquent", {"q": "technopole microvallee"}),
    ("moyen", {"q": "silicon comte"}),
    ("peu cité", {"q": "Pôle Véhicule du Futur"}),
    ("rare", {"q": "Noémie Vautrin"}),
    ("absent", {"q": "Zzyzx Inconnu"}),
    ("très fréquent + depuis", {"q": "Besançon", "since": "2023-01-01"}),
    ("très fréquent + média", {"q": "Besançon", "source": "Média 3"}),
    ("milliers de noms", {"q": "Association"}),
    ("sans nom, un mois", {"since": "2022-05", "until": "2022-05"}),
]
# The other canned queries, for information (the target is on `mentions` and `entity`).
QUERIES_OTHER = [
    ("top_entities", "depuis toujours", {}),
    ("top_entities", "un mois", {"since": "2024-12"}),
    ("new_mentions", "depuis 2000", {"since": "2000-01-01"}),
    ("quotes", "un nom", {"q": "Technopole Microvallée"}),
]
# Datasette's pages of the two counting views (default sort, facets and row count included),
# beside the same rows computed as the m004 views did, from every mention.
QUERIES_VIEWS = [
    ("mentions_by_month", "page par défaut", {}, "ORDER BY month DESC LIMIT 51"),
    ("mentions_by_month", "une entité", {"entity": "Besançon"}, "WHERE entity = 'Besançon'"),
    ("co_mentions", "page par défaut", {}, "ORDER BY articles DESC LIMIT 51"),
    ("co_mentions", "une entité", {"entity_a": "Besançon"}, "WHERE entity_a = 'Besançon'"),
]
COUNTED_VIEWS = {
    "mentions_by_month": """
        SELECT e.id AS entity_id, e.name AS entity, e.label, e.region AS entity_region,
               substr(a.published, 1, 7) AS month,
               count(*) AS mentions, count(DISTINCT m.article_id) AS articles
        FROM mentions m
        JOIN entities e ON e.id = m.entity_id
        JOIN articles a ON a.id = m.article_id
        GROUP BY e.id, month""",
    "co_mentions": """
        WITH pairs AS (SELECT DISTINCT article_id, entity_id FROM mentions)
        SELECT ea.name AS entity_a, ea.label AS label_a, eb.name AS entity_b,
               eb.label AS label_b, count(*) AS articles,
               x.entity_id AS entity_a_id, y.entity_id AS entity_b_id
        FROM pairs x
        JOIN pairs y ON y.article_id = x.article_id AND y.entity_id > x.entity_id
        JOIN entities ea ON ea.id = x.entity_id
        JOIN entities eb ON eb.id = y.entity_id
        GROUP BY x.entity_id, y.entity_id""",
}
# The dashboard's periods (the default first) and entity pages, from a name in most
# articles to a rare one (entity ids are PLANTED ranks + 1), with a deep page of articles.
DASHBOARD_PERIODS = [
    "12 dernières semaines",
    "4 dernières semaines",
    "12 derniers mois",
    "2024",
]
ENTITY_PAGES = [
    ("très fréquent", "/-/entite/1"),
    ("très fréquent, page 40", "/-/entite/1?page=40"),
    ("fréquent", "/-/entite/11"),
    ("moyen", "/-/entite/41"),
    ("peu cité", "/-/entite/401"),
    ("rare", "/-/entite/20001"),
]
QUERIES_ENTITY = [
    ("très fréquent", {"name": "Besancon"}),
    ("fréquent", {"name": "Technopole Microvallée"}),
    ("moyen", {"name": "Silicon Comté"}),
    ("peu cité", {"name": "pole vehicule du futur"}),
    ("rare", {"name": "noemie vautrin"}),
]


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SYLLABES) for _ in range(n)).capitalize()


def make_entities(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """`count` distinct (name, label) pairs, in Zipf rank order, planted names at their ranks."""
    seen: set[tuple[str, str]] = {(n.lower(), lab) for n, lab in PLANTED.values()}
    out: list[tuple[str, str]] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.5:
            name, label = f"{rng.choice(FIRST)} {_word(rng, rng.randint(2, 3))}", "PER"
        elif roll < 0.85:
            name, label = rng.choice(ORG_FORMS).format(w=_word(rng, rng.randint(2, 3))), "ORG"
        else:
            name, label = _word(rng, rng.randint(2, 4)), "LOC"
        if (name.lower(), label) not in seen:
            seen.add((name.lower(), label))
            out.append((name, label))
    for rank, planted in sorted(PLANTED.items()):
        if rank < count:
            out.insert(rank, planted)
    return out[:count]


def build(path: Path, n_articles: int, n_mentions: int, n_entities: int) -> None:
    """Write the generated database: bulk inserts in one transaction, FTS rebuilt once."""
    rng = random.Random(SEED)
    tmp = path.with_suffix(".tmp")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    db = open_db(tmp)
    conn = db.conn
    # Insert with the FTS and count triggers off, then rebuild each index and count once:
    # one pass instead of millions of small updates. The triggers are put back exactly as the
    # migrations made them.
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND (name LIKE '%_fts_%' OR name LIKE '%_months_%' OR name LIKE '%_counts_%')"
    ).fetchall()
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        sources = [
            (f"Média {i}", REGIONS[i % len(REGIONS)], f"https://media{i}.example")
            for i in range(40)
        ]
        conn.executemany("INSERT INTO sources (name, region, homepage) VALUES (?, ?, ?)", sources)
        entities = make_entities(rng, n_entities)
        conn.executemany(
            "INSERT INTO entities (id, name, label, key, region, watchlist, article_count) "
            "VALUES (?, ?, ?, ?, ?, ?, 0)",
            (
                (
                    i + 1,
                    name,
                    label,
                    f"{name.lower()}#{i}",
                    REGIONS[i % len(REGIONS)] if label == "LOC" else None,
                    1 if i < 200 else 0,
                )
                for i, (name, label) in enumerate(entities)
            ),
        )
        conn.executemany(
            "INSERT INTO entity_aliases (entity_id, alias, key) VALUES (?, ?, ?)",
            ((i + 1, name.upper(), f"alias{i}") for i, (name, _) in enumerate(entities[:500])),
        )
        start = datetime(2020, 1, 1, 8, tzinfo=UTC)
        span = 5 * 365 * 24 * 3600
        articles = []
        for i in range(n_articles):
            published = start + timedelta(seconds=span * i // n_articles)
            words = " ".join(rng.choice(WORDS) for _ in range(90))
            articles.append(
                (
                    i + 1,
                    f"https://media{i % 40}.example/{published:%Y/%m}/article-{i}",
                    f"https://media{i % 40}.example/{published:%Y/%m}/article-{i}",
                    f"Média {i % 40}",
                    f"Article {i} : {' '.join(rng.choice(WORDS) for _ in range(8))}",
                    published.isoformat(timespec="seconds"),
                    words,
                    f"h{i}",
                    (published + timedelta(hours=2)).isoformat(timespec="seconds"),
                    # One article in five classified off-topic, as the NLP stage would.
                    0 if rng.random() < 0.2 else 1,
                )
            )
        conn.executemany(
            "INSERT INTO articles (id, url, canonical_url, source, title, published, text, "
            "content_hash, fetched_at, relevant, lang, paywalled) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'fr', 0)",
            articles,
        )
        weights = [1 / (rank + 1) for rank in range(n_entities)]
        picks = rng.choices(range(n_entities), weights=weights, k=n_mentions)
        per_article = n_mentions // n_articles

        def mention_rows():
            for j, entity in enumerate(picks):
                name = entities[entity][0]
                sentence = rng.choice(SENTENCE_FORMS).format(n=name)
                start_offset = (j % per_article) * 40
                yield (
                    entity + 1,
                    j // per_article % n_articles + 1,
                    name,
                    sentence,
                    start_offset,
                    start_offset + len(name),
                )

        conn.executemany(
            'INSERT INTO mentions (entity_id, article_id, text, sentence, start, "end") '
            "VALUES (?, ?, ?, ?, ?, ?)",
            mention_rows(),
        )
        conn.executemany(
            'INSERT INTO quotes (article_id, speaker_id, text, start, "end") VALUES (?, ?, ?, ?, ?)',
            (
                (i + 1, picks[i * per_article] + 1, "Nous voulons accélérer le numérique.", 0, 10)
                for i in range(0, n_articles, 3)
            ),
        )
        rebuild_fts(db)
        # The counts the triggers keep (entity figures, co-mentions, months), in one pass,
        # as migration m011 fills them in a store made before it.
        started = time.perf_counter()
        counts.fill(db)
        print(f"kept counts filled in {time.perf_counter() - started:.0f} s (as m011 does)")
        for _, sql in triggers:
            conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()
    tmp.rename(path)


# (articles, mentions, entities) of each --scale.
SCALES = {"100k": (100_000, 2_000_000, 50_000), "1m": (1_000_000, 20_000_000, 200_000)}
PAGE_TARGET_MS = {"100k": 300, "1m": 1000}
# Typical parameters of each canned query when its page is benchmarked.
PAGE_PARAMS = {
    "mentions": {"q": "Besancon"},
    "entity": {"name": "Technopole Microvallée"},
    "top_entities": {},
    "new_mentions": {"since": "2024-12-01"},
    "quotes": {"q": "Technopole Microvallée"},
    "deals": {},
    "articles_search": {"q": "développer numérique"},
}
# Pages people reach from the lists: a table searched, a view filtered to one entity (by
# its number: Datasette filters a view's looked-up name by reading every row).
EXTRA_PAGES = [
    ("articles", "recherche « numérique »", {"_search": "numérique"}),
    ("mention_rows", "entité fréquente", {"entity_id": "1"}),
    ("mention_rows", "entité rare", {"entity_id": "20001"}),
    ("mention_rows", "recherche « Besancon »", {"_search": "Besancon"}),
    ("mention_rows", "recherche « Association »", {"_search": "Association"}),
    ("co_mentions", "entité fréquente", {"entity_a_id": "1"}),
    ("co_mentions", "seconde entité", {"entity_b_id": "41"}),
    ("mentions_by_month", "une entité", {"entity_id": "41"}),
    ("mentions_by_month", "recherche « Silicon Comté »", {"_search": "Silicon Comté"}),
    ("co_mentions", "recherche « Silicon Comté »", {"_search": "Silicon Comté"}),
    ("entities", "recherche « Besançon »", {"_search": "Besançon"}),
]
# Filters on a typed name (Datasette's filter form), through db/search.py's twin filter on
# the id: in the target since that filter (they read every row before).
BY_NAME_PAGES = [
    ("mention_rows", "nom tapé", {"entity": "Silicon Comté"}),
    ("co_mentions", "nom tapé", {"entity_b": "Silicon Comté"}),
    ("mentions_by_month", "nom tapé", {"entity": "Silicon Comté"}),
    ("co_mentions", "nom tapé, fréquent", {"entity_a": "Besançon"}),
]


def front_page(loop, ds) -> list[tuple[str, str, dict]]:
    """(name, case, parameters) of every table, view and canned query the front page lists."""
    response = loop.run_until_complete(ds.client.get(f"/{DATABASE_NAME}.json"))
    data = response.json()
    pages = [(t["name"], "page par défaut", {}) for t in data["tables"] if not t["hidden"]]
    pages += [
        (v["name"] if isinstance(v, dict) else v, "page par défaut", {}) for v in data["views"]
    ]
    pages += [
        (q["name"], "paramètres typiques", PAGE_PARAMS.get(q["name"], {})) for q in data["queries"]
    ]
    return pages + EXTRA_PAGES + BY_NAME_PAGES


def limits_hit(data: dict, uncounted: bool = False) -> str:
    """The Datasette time limits a JSON page ran into, '' for none. `uncounted`: a search
    page veille asks Datasette not to count (db.search.UNCOUNTED_SEARCHES)."""
    hit = []
    if data.get("facets_timed_out"):
        hit.append("facettes " + ",".join(map(str, data["facets_timed_out"])))
    if data.get("filtered_table_rows_count", 0) is None:
        hit.append("non compté (voulu)" if uncounted else "compte")
    return "; ".join(hit)


def bench_pages(path: Path, runs: int, target_ms: float, only: set[str] | None = None) -> None:
    """Time every front-page page as HTML and as JSON, facets and counts included
    (`only`: the pages of these tables, views and queries alone)."""
    ds = datasette_app(path)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(ds.invoke_startup())
    print(
        f"{'page':<20} {'case':<26} {'fmt':<5} {'status':>6}  {'p50 ms':>8}  {'p95 ms':>8}  limits"
    )
    worst: list[tuple[float, str]] = []
    for name, case, params in front_page(loop, ds):
        if only and name not in only:
            continue
        for fmt in ("", ".json"):
            url = f"/{DATABASE_NAME}/{name}{fmt}" + (f"?{urlencode(params)}" if params else "")
            # Quietly: Datasette prints the traceback of a query stopped by its time limit.
            with contextlib.redirect_stdout(io.StringIO()):
                response = loop.run_until_complete(ds.client.get(url))  # warm-up
            samples = []
            for _ in range(runs):
                t = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):
                    response = loop.run_until_complete(ds.client.get(url))
                samples.append(time.perf_counter() - t)
            limits = ""
            if response.status_code != 200:
                limits = f"HTTP {response.status_code}"
            elif fmt == ".json":
                uncounted = name in UNCOUNTED_SEARCHES and "_search" in params
                limits = limits_hit(response.json(), uncounted)
            elif "SQL Interrupted" in response.text or "timed out" in response.text:
                limits = "limite de temps"
            p50, p95 = timings(samples)
            counted = "hors cible" not in case
            flag = "  > cible" if p95 > target_ms and counted else ""
            print(
                f"{name[:20]:<20} {case[:26]:<26} {fmt or '.html':<5} {response.status_code:>6}  "
                f"{p50:>8.0f}  {p95:>8.0f}  {limits}{flag}"
            )
            if counted:
                worst.append((p95, f"{name}{fmt or '.html'} ({case})"))
    loop.close()
    over = [w for w in worst if w[0] > target_ms]
    top = max(worst)
    print(f"worst page p95: {top[0]:.0f} ms, {top[1]} (target < {target_ms:.0f} ms)")
    print(f"pages over the target: {len(over)} of {len(worst)}")


def timings(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def bench_sqlite(path: Path, sql: str, params: dict, runs: int) -> tuple[list[float], list]:
    """Time `sql` on a plain read-only sqlite3 connection, reading at most ROW_LIMIT + 1 rows."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    full = {name: params.get(name, "") for name in set(re.findall(r"(?<!:):(\w+)", sql))}
    samples, rows = [], []
    for _ in range(runs):
        t = time.perf_counter()
        rows = conn.execute(sql, full).fetchmany(ROW_LIMIT + 1)
        samples.append(time.perf_counter() - t)
    conn.close()
    return samples, rows


async def bench_datasette(
    ds, query: str, params: dict, runs: int
) -> tuple[list[float], list[float], int]:
    """Time the canned query through Datasette's own client (routing, SQL, JSON rendering).

    Returns wall-clock and CPU times: on a machine shared with other work the wall clock
    includes waiting for a core, the process's CPU time does not.
    """
    url = f"/{DATABASE_NAME}/{query}.json?" + urlencode({**params, "_shape": "array"})
    response = await ds.client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        response = await ds.client.get(url)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert response.status_code == 200, (url, response.status_code)
    return wall, cpu, len(response.json())


async def bench_url(ds, url: str, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU times of one GET through Datasette's client (after a warm-up)."""
    response = await ds.client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        response = await ds.client.get(url)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert response.status_code == 200, (url, response.status_code)
    return wall, cpu


def bench_dashboard(ds, loop, runs: int) -> float:
    """Print the dashboard's page and each chart's SQL per period; return the worst total p95.

    The browser fetches the page, then every chart's data; the total is their sum (one
    request after another, as on a server with one free core).
    """
    charts = load_metadata()["plugins"]["datasette-dashboards"][SLUG]["charts"]
    worst = 0.0
    print(
        f"{'dashboard':<12} {'period / part':<40} {'Datasette med/p95':>19}  {'its CPU med/p95':>15}"
    )
    for periode in DASHBOARD_PERIODS:
        parts = [
            ("page and filter lists", f"/-/dashboards/{SLUG}?" + urlencode({"periode": periode}))
        ]
        for name, chart in charts.items():
            query = {"sql": chart["query"], "periode": periode, "_shape": "objects"}
            parts.append((name, f"/{DATABASE_NAME}.json?" + urlencode(query)))
        totals = [0.0] * runs
        for part, url in parts:
            wall, cpu = loop.run_until_complete(bench_url(ds, url, runs))
            totals = [a + b for a, b in zip(totals, wall, strict=True)]
            print(f"{'':<12} {periode[:22] + ' / ' + part:<40.40} {cell(wall)}  {cell(cpu, 6)}")
        total_p95 = timings(totals)[1]
        if periode == DASHBOARD_PERIODS[0]:
            worst = total_p95
        print(f"{'':<12} {periode[:22] + ' / TOTAL':<40} {cell(totals)}")
    return worst


def bench_entity_pages(ds, loop, runs: int) -> float:
    """Print the entity page's times, from a very frequent name to a rare one; worst p95."""
    worst = 0.0
    for case, url in ENTITY_PAGES:
        wall, cpu = loop.run_until_complete(bench_url(ds, url, runs))
        worst = max(worst, timings(wall)[1])
        print(f"{'entity page':<12} {case:<40} {cell(wall)}  {cell(cpu, 6)}")
    return worst


def cell(samples: list[float], width: int = 8) -> str:
    """Median and p95 in milliseconds, as one table cell."""
    med, p95 = timings(samples)
    return f"{med:>{width}.1f} / {p95:>{width}.1f}"


def same_rows(planned: list, plain: list) -> bool:
    """The planned query returns the plain one's rows (at the row limit, the last
    article's mentions may differ: both stop inside it)."""
    if len(planned) != len(plain):
        return False
    if len(plain) <= ROW_LIMIT:
        return planned == plain
    last_url = plain[-1][3]
    keep = [i for i, row in enumerate(plain) if row[3] != last_url]
    return [planned[i] for i in keep] == [plain[i] for i in keep]


def main() -> None:
    """Build (or reuse) the database, then print median and p95 per query and case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="100k")
    parser.add_argument("--articles", type=int, help="Instead of the scale's.")
    parser.add_argument("--mentions", type=int, help="Instead of the scale's.")
    parser.add_argument("--entities", type=int, help="Instead of the scale's.")
    parser.add_argument(
        "--pages-only", action="store_true", help="Time the front page's pages as a browser."
    )
    parser.add_argument(
        "--only", help="With --pages-only: these pages alone (names, comma-separated)."
    )
    parser.add_argument("--out", type=Path, default=OUT, help="Folder of generated databases.")
    parser.add_argument("--runs", type=int, default=None, help="Timed runs per case.")
    parser.add_argument("--baseline-runs", type=int, default=5, help="Runs of the plain query.")
    parser.add_argument("--rebuild", action="store_true", help="Regenerate the cached database.")
    parser.add_argument(
        "--dashboard-only", action="store_true", help="Time the dashboard and entity pages only."
    )
    args = parser.parse_args()
    articles, mentions, n_entities = SCALES[args.scale]
    args.articles = args.articles or articles
    args.mentions = args.mentions or mentions
    args.entities = args.entities or n_entities
    args.runs = args.runs or (10 if args.pages_only else 30)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"search-v4-{args.articles}-{args.mentions}-{args.entities}.db"
    if args.rebuild or not path.exists():
        t = time.perf_counter()
        build(path, args.articles, args.mentions, args.entities)
        print(f"generated {path.name} in {time.perf_counter() - t:.0f} s")
    # A database generated by an older veille gets the newer migrations, as `veille serve` does.
    t = time.perf_counter()
    open_db(path).conn.close()
    print(f"schema up to date in {time.perf_counter() - t:.1f} s")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    counts = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("articles", "mentions", "entities")
    }
    conn.close()
    size = path.stat().st_size / 1e6
    print(", ".join(f"{v:,} {k}" for k, v in counts.items()), f"— {size:.0f} MB")
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    if args.pages_only:
        only = set(args.only.split(",")) if args.only else None
        bench_pages(path, args.runs, PAGE_TARGET_MS.get(args.scale, 300), only)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return
    print(
        f"{'query':<12} {'case':<27} {'rows':>5}  {'plain SQL med/p95':>19}  "
        f"{'veille SQL med/p95':>19}  {'Datasette med/p95':>19}  {'its CPU med/p95':>15}  "
        "same rows"
    )
    ds = datasette_app(path)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(ds.invoke_startup())
    worst = worst_cpu = 0.0
    groups = [("mentions", QUERIES_MENTIONS), ("entity", QUERIES_ENTITY)]
    if args.dashboard_only:
        groups, other, views = [], [], []
    else:
        other, views = QUERIES_OTHER, QUERIES_VIEWS
    for query, cases in groups:
        for case, params in cases:
            plain_cell, same = f"{'—':>19}", ""
            raw, planned = bench_sqlite(path, query_sql(query), params, args.runs)
            if query == "mentions":
                base, plain = bench_sqlite(path, MENTIONS_REFERENCE_SQL, params, args.baseline_runs)
                plain_cell = cell(base)
                same = "yes" if same_rows(planned, plain) else "NO"
            wall, cpu, rows = loop.run_until_complete(bench_datasette(ds, query, params, args.runs))
            worst = max(worst, timings(wall)[1])
            worst_cpu = max(worst_cpu, timings(cpu)[1])
            print(
                f"{query:<12} {case:<27} {rows:>5}  {plain_cell}  {cell(raw)}  {cell(wall)}  "
                f"{cell(cpu, 6)}  {same}"
            )
    for query, case, params in other:
        raw, _ = bench_sqlite(path, query_sql(query), params, args.runs)
        wall, cpu, rows = loop.run_until_complete(bench_datasette(ds, query, params, args.runs))
        print(
            f"{query:<12} {case:<27} {rows:>5}  {'—':>19}  {cell(raw)}  {cell(wall)}  "
            f"{cell(cpu, 6)}  (not in the target)"
        )
    for view, case, params, tail in views:
        counted, _ = bench_sqlite(
            path, f"SELECT * FROM ({COUNTED_VIEWS[view]}) {tail}", {}, args.baseline_runs
        )
        # A view still computed from every mention gets the baseline's few runs.
        slow = timings(counted)[0] > 1000
        raw, _ = bench_sqlite(
            path, f"SELECT * FROM {view} {tail}", {}, args.baseline_runs if slow else args.runs
        )
        url = f"/{DATABASE_NAME}/{view}.json?" + urlencode({**params, "_shape": "array"})
        # Quietly: Datasette prints the traceback of a query stopped by its time limit.
        with contextlib.redirect_stdout(io.StringIO()):
            status = loop.run_until_complete(ds.client.get(url)).status_code
        if status == 200:
            wall, cpu, rows = loop.run_until_complete(bench_datasette(ds, view, params, args.runs))
            served = f"{rows:>5}  {cell(counted)}  {cell(raw)}  {cell(wall)}  {cell(cpu, 6)}"
        else:  # past Datasette's time limit: an error page instead of rows
            served = f"{'—':>5}  {cell(counted)}  {cell(raw)}  {f'HTTP {status}':>19}  {'':>15}"
        print(f"{view[:12]:<12} {case:<27} {served}  (view; plain = as m004 counted it)")
    dashboard_p95 = bench_dashboard(ds, loop, args.runs)
    entity_p95 = bench_entity_pages(ds, loop, args.runs)
    loop.close()
    print(
        f"dashboard, default period, page + every chart: p95 {dashboard_p95:.1f} ms; "
        f"entity page worst p95 {entity_p95:.1f} ms (target < 500 ms each)"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if groups:
        print(
            f"worst p95 through Datasette: {worst:.1f} ms wall clock, {worst_cpu:.1f} ms CPU "
            "(target < 100 ms)"
        )


if __name__ == "__main__":
    main()
