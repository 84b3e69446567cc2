"""Benchmark veille's article extraction against bare trafilatura on the shared real-world pages.

Usage: .venv/bin/python bench/extract.py [--set fr --set general] [--repeat 3] [--data DIR]

For each set of ../shared/data/extraction/ it prints, for veille's `extract()` and for the plainest
default use of trafilatura (`bare_extraction(html, url=url, with_metadata=True)`), measured on the
same pages in the same run:

- no text: pages with no text at all (veille returns no article for pages it judges are not
  one, e.g. a bot-blocking notice; shown, not compared);
- must_contain recall: share of `must_contain` snippets found in the text (whitespace collapsed,
  as trafilatura's own evaluation does);
- must_not_contain rate: share of `must_not_contain` snippets found (lower is better);
- token F1 against `full_text` (lowercased word tokens, bag of words, averaged over the pages
  that have a `full_text`), with precision and recall shown for information;
- date accuracy: share of pages with a gold `date` whose extracted publication day equals it;
- title and author accuracy where the record has them (informative: see `_same_title`, `_same_authors`);
- pages/s: pages divided by the sum over pages of each page's best time in `--repeat` passes,
  the two extractors alternating page by page. On a shared machine the per-page minimum filters
  out the moments another process held the CPU, so both extractors are timed on equal terms. A first untimed pass warms up both (lazy imports and
  dateparser's per-language caches would otherwise be charged to whoever runs first).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parents[1]
# This checkout's code, not whichever one an editable install of veille points at.
sys.path.insert(0, str(ROOT))

from crawler.extract import extract  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "extraction"
WORD = re.compile(r"\w+")


@dataclass
class Page:
    """One benchmark page: its record from ground_truth.jsonl and its raw bytes."""

    record: dict
    html: bytes

    @property
    def url(self) -> str:
        return self.record.get("url") or f"https://example.invalid/{self.record['id']}"


@dataclass
class Output:
    """What an extractor found on one page, reduced to the fields we score."""

    text: str = ""
    date: str | None = None  # YYYY-MM-DD
    title: str | None = None
    author: str | None = None


def load_pages(folder: Path) -> list[Page]:
    """Read a set's ground truth and its gzipped pages."""
    pages = []
    with open(folder / "ground_truth.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            pages.append(Page(record, gzip.decompress((folder / record["file"]).read_bytes())))
    return pages


def run_veille(page: Page) -> Output:
    article = extract(page.html, page.url)
    if article is None:
        return Output()
    # The records' author is the byline as printed, outlets and agencies included ("Adam
    # Vidler; AP"); veille keeps people in `author` and the outlet or agency in `credit`.
    byline = ", ".join(filter(None, (article.author, article.credit))) or None
    return Output(article.text, (article.published or "")[:10] or None, article.title, byline)


def run_bare(page: Page) -> Output:
    doc = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    if doc is None:
        return Output()
    return Output(doc.text or "", doc.date, doc.title, doc.author)


EXTRACTORS: dict[str, Callable[[Page], Output]] = {
    "bare trafilatura": run_bare,
    "veille": run_veille,
}


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _tokens(text: str) -> Counter:
    return Counter(WORD.findall(text.lower()))


def _same_title(found: str | None, gold: str) -> bool:
    # Case and whitespace are not what a title extractor is judged on.
    return bool(found) and _collapse(found).casefold() == _collapse(gold).casefold()


def _author_set(value: str) -> set[str]:
    parts = re.split(r"\s*(?:[,;&/]|\bet\b|\band\b)\s*", value.casefold())
    return {_collapse(p) for p in parts if p.strip()}


def _same_authors(found: str | None, gold: str) -> bool:
    # Bylines join names with ", ", "; " or " et ": compare the sets of names.
    return bool(found) and _author_set(found) == _author_set(gold)


def score(pages: list[Page], outputs: list[Output]) -> dict[str, float | int | None]:
    """Aggregate quality figures of one extractor over one set."""
    mc_found = mc_total = mn_found = mn_total = 0
    precisions, recalls, f1s = [], [], []
    dates_ok = dates_total = titles_ok = titles_total = authors_ok = authors_total = empty = 0
    for page, out in zip(pages, outputs, strict=True):
        rec = page.record
        text = _collapse(out.text)
        empty += not text
        for snippet in rec.get("must_contain") or ():
            mc_total += 1
            mc_found += _collapse(snippet) in text
        for snippet in rec.get("must_not_contain") or ():
            mn_total += 1
            mn_found += _collapse(snippet) in text
        if rec.get("full_text"):
            gold, got = _tokens(rec["full_text"]), _tokens(out.text)
            common = sum((gold & got).values())
            p = common / sum(got.values()) if got else 0.0
            r = common / sum(gold.values()) if gold else 0.0
            precisions.append(p)
            recalls.append(r)
            f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        gold_date = rec.get("date")
        if isinstance(gold_date, str) and gold_date:  # two htmldate records hold NaN
            dates_total += 1
            dates_ok += out.date == gold_date[:10]
        if rec.get("title"):
            titles_total += 1
            titles_ok += _same_title(out.title, rec["title"])
        gold_author = rec.get("author")
        if gold_author:
            if isinstance(gold_author, list):
                gold_author = ", ".join(gold_author)
            authors_total += 1
            authors_ok += _same_authors(out.author, gold_author)

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return {
        "pages": len(pages),
        "no text": empty,
        "must_contain recall": ratio(mc_found, mc_total),
        "must_not_contain rate": ratio(mn_found, mn_total),
        "token precision": mean(precisions),
        "token recall": mean(recalls),
        "token F1": mean(f1s),
        "date accuracy": ratio(dates_ok, dates_total),
        "title accuracy": ratio(titles_ok, titles_total),
        "author accuracy": ratio(authors_ok, authors_total),
        "_counts": f"must_contain {mc_total}, must_not_contain {mn_total}, full_text {len(f1s)}, "
        f"date {dates_total}, title {titles_total}, author {authors_total}",
    }


LOWER_IS_BETTER = {"must_not_contain rate", "no text"}
# Shown for reading the others, not compared: token precision and recall move in opposite
# directions when boilerplate is removed (a dropped paywall banner takes common words with it).
INFORMATIVE = {"pages", "no text", "token precision", "token recall"}


def bench_set(name: str, pages: list[Page], repeat: int) -> None:
    """Run both extractors over one set and print the comparison table."""
    outputs = {label: [fn(p) for p in pages] for label, fn in EXTRACTORS.items()}  # also warm-up
    best = {label: [float("inf")] * len(pages) for label in EXTRACTORS}
    for _ in range(repeat):
        for i, page in enumerate(pages):
            for label, fn in EXTRACTORS.items():
                start = time.perf_counter()
                fn(page)
                best[label][i] = min(best[label][i], time.perf_counter() - start)
    scores = {label: score(pages, outputs[label]) for label in EXTRACTORS}
    for label in EXTRACTORS:
        scores[label]["pages/s"] = len(pages) / sum(best[label])

    labels = list(EXTRACTORS)
    counts = scores[labels[0]].pop("_counts")
    scores[labels[1]].pop("_counts")
    print(f"\n== extraction/{name}: {len(pages)} pages ({counts})")
    print(f"{'figure':<24}" + "".join(f"{label:>18}" for label in labels) + "   veille vs bare")
    for figure in scores[labels[0]]:
        values = [scores[label][figure] for label in labels]
        cells = "".join(f"{_fmt(v):>18}" for v in values)
        verdict = ""
        if figure in INFORMATIVE:
            verdict = "(info)"
        elif all(isinstance(v, int | float) for v in values):
            bare, ours = values
            better = ours <= bare if figure in LOWER_IS_BETTER else ours >= bare
            verdict = "ok" if better else "WORSE"
        print(f"{figure:<24}{cells}   {verdict}")


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}" if value <= 1 else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse options, run each set, print tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="extraction data folder")
    parser.add_argument("--set", dest="sets", action="append", help="fr, general (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per extractor")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: {args.data} not found (the shared evaluation data)", file=sys.stderr)
        return 2
    # Both extractors log warnings on pages they give up on; they are noise here.
    logging.disable(logging.WARNING)
    for name in args.sets or ["fr", "general"]:
        bench_set(name, load_pages(args.data / name), args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
