"""Measure article classification (issue 13) on the labelled set, and what it costs.

    .venv/bin/python bench/classify.py [--split heldout|dev|all] [--data ../shared/data/extraction]

The set is bench/data/classify_set.jsonl: texts written for the project (tech-ecosystem
news and other regional news with traps) plus, by page id, the real French pages of the
extraction set, none of which is about tech (read from ../shared/data at run time and
extracted by veille's own extractor). Every line says whether it is in the dev half
(rules tuned on it) or the held-out half (reported). See bench/data/README.md.

Printed for the split asked: relevance precision and recall, the share of other news
kept, theme precision and recall on tech articles, first-région accuracy; and time per
article of the analyser (the bulk of `veille process`) beside the classifier's.
Targets on the held-out half: ≥ 95 % of tech articles kept, ≤ 2 % of other news kept,
first région right ≥ 95 %, classification < 10 % of the analyser's time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.extract import extract  # noqa: E402
from nlp.analyse import get_analyzer  # noqa: E402
from nlp.classify import found_in, get_classifier  # noqa: E402

SET = ROOT / "bench" / "data" / "classify_set.jsonl"
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "extraction"


def load_set(data: Path) -> list[dict]:
    """The labelled items; page items get the title and text veille extracts from the page."""
    items = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line]
    pages = {}
    truth = data / "fr" / "ground_truth.jsonl"
    if any("page" in item for item in items):
        if not truth.exists():
            sys.exit(f"{truth}: not found; give the extraction data folder with --data")
        for line in truth.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            pages[record["id"]] = record
    for item in items:
        if "page" not in item:
            continue
        record = pages.get(item["page"])
        if record is None:
            sys.exit(f"{SET}: page {item['page']!r} of item {item['id']} is not in {truth}")
        html = gzip.decompress((data / "fr" / record["file"]).read_bytes())
        article = extract(html, record.get("url") or f"https://example.invalid/{record['id']}")
        item["title"] = (article.title if article else None) or ""
        item["text"] = article.text if article else ""
    return items


def ratio(a: int | float, b: int | float) -> str:
    return f"{100 * a / b:5.1f} % ({a}/{b})" if b else "   n/a"


def report(name: str, items: list[dict], results: dict) -> None:
    """Print the figures for one half of the set."""
    tech = [i for i in items if i["relevant"]]
    other = [i for i in items if not i["relevant"]]
    kept_tech = sum(results[i["id"]].relevant for i in tech)
    kept_other = sum(results[i["id"]].relevant for i in other)
    kept = kept_tech + kept_other
    tp = fp = fn = 0
    for i in tech:
        found = set(results[i["id"]].themes)
        gold = set(i["themes"])
        tp += len(found & gold)
        fp += len(found - gold)
        fn += len(gold - found)
    placed = [i for i in items if i.get("regions")]
    first = sum((results[i["id"]].names("region") or [None])[0] == i["regions"][0] for i in placed)
    print(f"\n== {name}: {len(tech)} tech articles, {len(other)} other ({len(items)})")
    print(f"relevance precision      {ratio(kept_tech, kept)}")
    print(f"tech articles kept       {ratio(kept_tech, len(tech))}    target ≥ 95 %")
    print(f"other news kept          {ratio(kept_other, len(other))}    target ≤ 2 %")
    print(f"theme precision          {ratio(tp, tp + fp)}")
    print(f"theme recall             {ratio(tp, tp + fn)}")
    print(f"first région right       {ratio(first, len(placed))}    target ≥ 95 %")
    for i in items:
        r = results[i["id"]]
        region = (r.names("region") or ["—"])[0]
        wrong_region = i.get("regions") and region != i["regions"][0]
        if r.relevant != i["relevant"] or wrong_region:
            print(
                f"  miss {i['id']}: score {r.score:.1f} relevant={r.relevant} "
                f"région={region} (expected {(i.get('regions') or ['—'])[0]}) {i['title'][:60]}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["heldout", "dev", "all"], default="heldout")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    items = load_set(args.data)
    analyzer = get_analyzer()
    classifier = get_classifier()
    texts = [i["text"] for i in items]
    list(analyzer.analyse(texts[:8]))  # warm-up: lazy loads out of the timing
    started = time.perf_counter()
    analyses = list(analyzer.analyse(texts))
    analyse_s = time.perf_counter() - started
    started = time.perf_counter()
    results = {
        i["id"]: classifier.classify(i["text"], i["title"], found_in(a), i.get("outlet_region"))
        for i, a in zip(items, analyses, strict=True)
    }
    classify_s = time.perf_counter() - started
    if args.split in ("dev", "all"):
        report("dev half (rules tuned on it)", [i for i in items if i["split"] == "dev"], results)
    if args.split in ("heldout", "all"):
        report("held-out half", [i for i in items if i["split"] == "heldout"], results)
    n = len(items)
    print(
        f"\n== time per article ({n} articles, {sum(map(len, texts)) // n} characters on average)"
    )
    print(f"analyser (baseline)      {1000 * analyse_s / n:7.2f} ms")
    print(f"classification           {1000 * classify_s / n:7.2f} ms")
    print(f"added to the analyser    {100 * classify_s / analyse_s:7.1f} %    target < 10 %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
