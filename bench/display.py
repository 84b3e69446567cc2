"""Display benchmark: what the French display (db/display.py) costs on Datasette's HTML pages.

On the generated database of bench/search.py (built once and cached under bench/out/, smaller
by default here), times in the same run: render_cell per cell, each drop-down list's query,
and the pages communicators open — the `mentions` canned query and the mention_rows table —
as HTML (with dates, numbers, drop-downs and translation) beside the same page as JSON (no
display work), so the difference is the display's cost.

    .venv/bin/python bench/display.py [--articles N] [--mentions N] [--entities N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from search import OUT, build, cell  # noqa: E402

from db.display import CHOICE_SQL, render_cell  # noqa: E402
from db.schema import open_db  # noqa: E402
from db.search import DATABASE_NAME  # noqa: E402
from db.serve import datasette_app  # noqa: E402

# case, path, query string, runs at most (the table page computes its 8 facets over every
# mention, seconds a run at this scale, with or without the display: few runs)
PAGES = [
    ("mentions, no name (500 rows)", "/veille/mentions", "?q=", 100),
    ("mentions, one type", "/veille/mentions", "?q=&label=PER", 100),
    ("mention_rows table (50 rows)", "/veille/mention_rows", "", 3),
]


def time_cells(n: int) -> tuple[float, float, float]:
    """Microseconds per render_cell call: n distinct ISO date-times over a year (what a page
    of mentions holds), a large count, a text that is not a date."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    dates = [(start + timedelta(minutes=53 * i)).isoformat() for i in range(n)]
    out = []
    for values, column in (
        (dates, "published"),
        ([1234567] * n, "articles"),
        (["La Fabrique Numérique ouvre ses portes"] * n, "title"),
    ):
        t = time.perf_counter()
        for value in values:
            render_cell(value=value, column=column, database=DATABASE_NAME)
        out.append((time.perf_counter() - t) / n * 1e6)
    return out[0], out[1], out[2]


async def time_page_cells(ds, url: str, runs: int) -> list[float]:
    """render_cell over every cell of the page's rows: the share of the HTML page's time that
    French dates and numbers take."""
    rows = (await ds.client.get(url)).json()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        for row in rows:
            for column, value in row.items():
                render_cell(value=value, column=column, database=DATABASE_NAME)
        samples.append(time.perf_counter() - t)
    return samples


async def time_get(ds, url: str, runs: int) -> list[float]:
    response = await ds.client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        response = await ds.client.get(url)
        samples.append(time.perf_counter() - t)
    return samples


async def time_choices(ds, runs: int) -> dict[str, list[float]]:
    db = ds.get_database(DATABASE_NAME)
    samples: dict[str, list[float]] = {}
    for name, sql in CHOICE_SQL.items():
        samples[name] = []
        for _ in range(runs):
            t = time.perf_counter()
            try:
                await db.execute(sql)
            except Exception as exc:  # a table this database lacks: say so, go on
                samples[name] = []
                print(f"  choices {name}: {exc}")
                break
            samples[name].append(time.perf_counter() - t)
    return samples


def main() -> None:
    """Build (or reuse) the database and print median / p95 in ms per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--mentions", type=int, default=400_000)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"search-v3-{args.articles}-{args.mentions}-{args.entities}.db"
    if not path.exists():
        t = time.perf_counter()
        build(path, args.articles, args.mentions, args.entities)
        print(f"generated {path.name} in {time.perf_counter() - t:.0f} s")
    open_db(path).conn.close()
    print(f"{args.articles:,} articles, {args.mentions:,} mentions, {args.entities:,} entities")
    date_us, number_us, text_us = time_cells(100_000)
    print(
        f"render_cell: {date_us:.1f} µs per date, {number_us:.1f} µs per number, "
        f"{text_us:.1f} µs per other text"
    )
    ds = datasette_app(path)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(ds.invoke_startup())
    print(f"{'drop-down list':<30} {'med / p95 ms':>19}")
    for name, samples in loop.run_until_complete(time_choices(ds, args.runs)).items():
        if samples:
            print(f"{name:<30} {cell(samples)}")
    print(
        f"{'page':<30} {'JSON med / p95':>19}  {'HTML med / p95':>19}  "
        f"{'its render_cell med / p95':>25}"
    )
    for case, page, query, runs in PAGES:
        runs = min(runs, args.runs)
        as_json = loop.run_until_complete(time_get(ds, f"{page}.json{query}", runs))
        as_html = loop.run_until_complete(time_get(ds, f"{page}{query}", runs))
        shape = ("&" if query else "?") + "_shape=array"
        cells = loop.run_until_complete(time_page_cells(ds, f"{page}.json{query}{shape}", runs))
        print(f"{case:<30} {cell(as_json)}  {cell(as_html)}  {cell(cells, 11)}")
    loop.close()


if __name__ == "__main__":
    main()
