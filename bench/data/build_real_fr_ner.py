"""Build bench/data/real_fr_ner.jsonl: PER/ORG/LOC gold on the 53 real French pages.

The text of each page is veille's own extraction (`crawler.extract.extract`) of the page in
../shared/data/extraction/fr/, cut to about MAX_CHARS at a paragraph end. The gold lives in
real_fr_ner_gold.txt as (label, surface) lines per page, written by hand; this script finds
every occurrence of each surface in the text (whole words, case-sensitive, longest first, never
overlapping) and writes the offsets. A `NONE` line claims a string that is not an entity, so
the shorter names inside it are not marked there ("NONE Coupe du monde Paris" style guards).

The split is fixed by a rule on the page ids alone, before any output was seen: pages sorted
by the md5 of their id; even ranks go to `test`, odd ranks to `dev` (27 test, 26 dev).

Usage (from the repository root):
    .venv/bin/python bench/data/build_real_fr_ner.py [--data DIR]          # rewrite the JSONL
    .venv/bin/python bench/data/build_real_fr_ner.py --check [--data DIR]  # exit 1 if stale
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import tempfile
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from crawler.extract import extract  # noqa: E402

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "real_fr_ner.jsonl"
GOLD = HERE / "real_fr_ner_gold.txt"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "extraction" / "fr"
MAX_CHARS = 4000
LABELS = ("PER", "ORG", "LOC", "NONE")


class GoldError(Exception):
    """A malformed gold file or a gold string that is not in its page's text."""


def split_of(ids: list[str]) -> dict[str, str]:
    """The fixed split: ids sorted by md5, even ranks test, odd ranks dev."""
    ranked = sorted(ids, key=lambda i: hashlib.md5(i.encode("utf-8")).hexdigest())
    return {page_id: ("test" if rank % 2 == 0 else "dev") for rank, page_id in enumerate(ranked)}


def cut(text: str) -> tuple[str, bool]:
    """The text, or its first paragraphs up to about MAX_CHARS, and whether it was cut."""
    if len(text) <= MAX_CHARS:
        return text, False
    end = text.rfind("\n", 0, MAX_CHARS)
    if end <= 0:  # one huge paragraph: cut at the last sentence end before the limit
        end = max(text.rfind(". ", 0, MAX_CHARS) + 1, MAX_CHARS // 2)
    return text[:end].rstrip(), True


def page_texts(folder: Path) -> list[dict]:
    """One record per page: id, url, split, text (veille's extraction, cut), truncated."""
    records = []
    with open(folder / "ground_truth.jsonl", encoding="utf-8") as lines:
        for line in lines:
            gt = json.loads(line)
            html = gzip.decompress((folder / gt["file"]).read_bytes())
            url = gt.get("url") or f"https://example.invalid/{gt['id']}"
            article = extract(html, url)
            text, truncated = cut(article.text if article and article.text else "")
            records.append({"id": gt["id"], "url": url, "text": text, "truncated": truncated})
    splits = split_of([r["id"] for r in records])
    for record in records:
        record["split"] = splits[record["id"]]
    return records


def read_gold(path: Path) -> dict[str, list[tuple[str, str, int]]]:
    """{page id: [(label, surface, line number), ...]} from the hand-written gold file."""
    gold: dict[str, list[tuple[str, str, int]]] = {}
    page = None
    if not path.exists():
        return gold
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("== "):
            page = line[3:].strip()
            if page in gold:
                raise GoldError(f"{path}:{number}: page {page} appears twice")
            gold[page] = []
            continue
        label, _, surface = line.partition(" ")
        if page is None:
            raise GoldError(f"{path}:{number}: entity before any '== page-id' line")
        if label not in LABELS or not surface.strip():
            raise GoldError(f"{path}:{number}: expected 'LABEL surface' with LABEL in {LABELS}")
        gold[page].append((label, surface.strip(), number))
    return gold


def _chars(surface: str) -> str:
    """A pattern for the surface whose accented letters also match their decomposed form
    (some pages write "é" as "e" plus a combining accent)."""
    out = []
    for char in surface:
        decomposed = unicodedata.normalize("NFD", char)
        out.append(
            f"(?:{re.escape(char)}|{re.escape(decomposed)})"
            if decomposed != char
            else re.escape(char)
        )
    return "".join(out)


def _is_word(text: str, start: int, end: int, surface: str) -> bool:
    """The match is a whole word. Extraction glues some names to their neighbours
    ("àJean-Paul", "Remplaçants29P. Hamel", "MouraT. Mendes Ribeiro12"): a capitalised name
    after a lowercase letter or a digit, and a name before a digit or a capital, count."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    starts = not before.isalnum() or (
        surface[0].isupper() and (before.islower() or before.isdigit())
    )
    ends = not after.isalnum() or (
        surface[-1].isalpha() and (after.isdigit() or (surface[-1].islower() and after.isupper()))
    )
    return starts and ends


def spans(text: str, entries: list[tuple[str, str, int]], where: str) -> list[list]:
    """Every whole-word occurrence of each surface, longest surfaces first, no overlaps."""
    taken = [False] * len(text)
    found = []
    for label, surface, number in sorted(entries, key=lambda e: -len(e[1])):
        pattern = re.compile(_chars(surface))
        hits = [
            m
            for m in pattern.finditer(text)
            if _is_word(text, m.start(), m.end(), surface) and not any(taken[m.start() : m.end()])
        ]
        if not any(_is_word(text, m.start(), m.end(), surface) for m in pattern.finditer(text)):
            raise GoldError(f"{where}:{number}: {surface!r} is not in the text of the page")
        for m in hits:
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            if label != "NONE":
                found.append([m.start(), m.end(), label])
    return sorted(found)


def build(folder: Path) -> list[dict]:
    """The records with their gold spans."""
    records = page_texts(folder)
    gold = read_gold(GOLD)
    unknown = set(gold) - {r["id"] for r in records}
    if unknown:
        raise GoldError(f"{GOLD}: pages not in the data set: {sorted(unknown)}")
    for record in records:
        entries = gold.get(record["id"])
        record["annotated"] = entries is not None
        record["entities"] = spans(record["text"], entries or [], str(GOLD))
    return records


def dump(records: list[dict]) -> str:
    fields = ("id", "split", "url", "truncated", "annotated", "text", "entities")
    return "".join(
        json.dumps({k: r[k] for k in fields}, ensure_ascii=False) + "\n" for r in records
    )


def main() -> None:
    """Rebuild or check the JSONL and print counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="extraction/fr folder")
    parser.add_argument("--check", action="store_true", help="Exit 1 if the JSONL is stale.")
    args = parser.parse_args()
    if not (args.data / "ground_truth.jsonl").exists():
        sys.exit(f"error: {args.data / 'ground_truth.jsonl'} not found; pass --data DIR")
    try:
        records = build(args.data)
    except GoldError as exc:
        sys.exit(f"error: {exc}")
    content = dump(records)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != content:
            sys.exit(f"{OUTPUT} is stale: run bench/data/build_real_fr_ner.py")
    else:
        handle, tmp = tempfile.mkstemp(dir=OUTPUT.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.replace(tmp, OUTPUT)
    for split in ("dev", "test"):
        part = [r for r in records if r["split"] == split]
        labels = [e[2] for r in part for e in r["entities"]]
        print(
            f"{split}: {len(part)} pages, {sum(bool(r['text']) for r in part)} with text, "
            f"{sum(r['annotated'] for r in part)} annotated, "
            f"{sum(r['truncated'] for r in part)} truncated, "
            f"{sum(len(r['text']) for r in part)} chars, "
            + ", ".join(f"{x} {labels.count(x)}" for x in ("PER", "ORG", "LOC"))
        )


if __name__ == "__main__":
    main()
