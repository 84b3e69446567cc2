"""Deal extraction measured on the labelled set bench/data/deals_labelled.jsonl.

Prints precision and recall per deal type, amount accuracy (within 2 %), investor recall
and head-count accuracy, on the held-out half by default (the patterns were tuned on the
dev half only). Beside it, a baseline measured in the same run: "a sentence with an amount
in euros is a funding round of the first organisation it names".

    python bench/deals.py [--split heldout|dev|all] [--errors]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from nlp.amounts import find_amounts  # noqa: E402
from nlp.analyse import get_analyzer  # noqa: E402
from nlp.deals import TYPES, Deal, extract_deals  # noqa: E402
from nlp.keys import entity_key  # noqa: E402
from nlp.normalize import normalize  # noqa: E402

DATA = HERE / "data" / "deals_labelled.jsonl"
SPECIAL = ("prêt", "subvention")
TARGETS = {"precision": 0.9, "recall": 0.9, "amounts": 1.0, "investors": 0.8}


def load(split: str) -> list[dict]:
    """The labelled articles of one split ("all" for both)."""
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split == "all" or r["split"] == split]


def _parties(deal: dict) -> tuple:
    if deal["type"] == "merger":
        return tuple(
            sorted([entity_key(deal["company"] or ""), entity_key(deal["counterpart"] or "")])
        )
    if deal["type"] == "acquisition":
        return (entity_key(deal["company"] or ""), entity_key(deal["counterpart"] or ""))
    return (
        entity_key(deal["company"] or ""),
        deal["type"] == "funding" and deal["round"] in SPECIAL,
    )


def match(gold: list[dict], found: list[dict]) -> list[tuple[dict, dict]]:
    """Pairs (gold, found) of the same type and parties; funding pairs by closest amount."""
    pairs, left = [], list(found)
    for g in gold:
        same = [f for f in left if f["type"] == g["type"] and _parties(f) == _parties(g)]
        if not same:
            continue
        best = min(same, key=lambda f: abs((f["amount_eur"] or 0) - (g["amount_eur"] or 0)))
        left.remove(best)
        pairs.append((g, best))
    return pairs


def baseline(text: str, analyzer) -> list[dict]:
    """Every sentence with an amount in euros: a round of its first organisation."""
    norm = normalize(text)
    doc = analyzer.nlp(norm.text)
    analysis = analyzer.read(doc, norm)
    deals = []
    for sent in doc.sents:
        amounts = find_amounts(sent.text)
        orgs = [
            m
            for m in analysis.mentions
            if m.label == "ORG" and sent.start_char <= m.nstart < sent.end_char
        ]
        if amounts and orgs:
            deals.append(Deal("funding", orgs[0].name, amount_eur=amounts[0].value).as_dict())
    return deals


def score(rows: list[dict], predictions: list[list[dict]], errors: bool) -> dict:
    """Figures for one system over the labelled rows."""
    tp, fp, fn = Counter(), Counter(), Counter()
    amounts = [0, 0]
    investors = [0, 0]
    jobs = [0, 0]
    past_kept = 0
    for row, found in zip(rows, predictions, strict=True):
        gold = [d for d in row["deals"] if not d["past"]]
        current = [d for d in found if not d["past"]]
        pairs = match(gold, current)
        matched_gold = [id(g) for g, _ in pairs]
        matched_found = [id(f) for _, f in pairs]
        for g, f in pairs:
            tp[g["type"]] += 1
            if g["amount_eur"]:
                amounts[1] += 1
                ok = (
                    f["amount_eur"]
                    and abs(f["amount_eur"] - g["amount_eur"]) <= 0.02 * g["amount_eur"]
                )
                amounts[0] += bool(ok)
                if errors and not ok:
                    print(f"  {row['id']} amount {f['amount_eur']} != {g['amount_eur']}")
            if g["investors"]:
                got = {entity_key(i) for i in f["investors"]}
                want = {entity_key(i) for i in g["investors"]}
                investors[0] += len(got & want)
                investors[1] += len(want)
                if errors and got != want:
                    print(f"  {row['id']} investors {sorted(got)} != {sorted(want)}")
            if g["jobs"]:
                jobs[1] += 1
                jobs[0] += f["jobs"] == g["jobs"]
        for g in gold:
            if id(g) not in matched_gold:
                fn[g["type"]] += 1
                if errors:
                    print(f"  {row['id']} MISSED {json.dumps(g, ensure_ascii=False)}")
        for f in current:
            if id(f) not in matched_found:
                fp[f["type"]] += 1
                if errors:
                    shown = {
                        k: v for k, v in f.items() if v not in (None, [], False) and k != "sentence"
                    }
                    print(f"  {row['id']} EXTRA {json.dumps(shown, ensure_ascii=False)}")
        past_kept += sum(1 for d in row["deals"] if d["past"]) - sum(
            1
            for d in row["deals"]
            if d["past"]
            and any(
                _parties(f) == _parties(d)
                and f["past"] is False
                and abs((f["amount_eur"] or 0) - (d["amount_eur"] or 0)) < 1
                for f in found
            )
        )
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "amounts": amounts,
        "investors": investors,
        "jobs": jobs,
        "past_ok": past_kept,
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b else "  n/a"


def report(name: str, s: dict) -> dict:
    """Print one system's figures; return the overall ones."""
    print(f"\n{name}")
    print(f"  {'type':<12}{'gold':>6}{'found':>7}{'precision':>11}{'recall':>8}")
    for t in TYPES:
        tp, fp, fn = s["tp"][t], s["fp"][t], s["fn"][t]
        print(f"  {t:<12}{tp + fn:>6}{tp + fp:>7}{_ratio(tp, tp + fp):>11}{_ratio(tp, tp + fn):>8}")
    tp, fp, fn = sum(s["tp"].values()), sum(s["fp"].values()), sum(s["fn"].values())
    overall = {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "amounts": s["amounts"][0] / s["amounts"][1] if s["amounts"][1] else 0.0,
        "investors": s["investors"][0] / s["investors"][1] if s["investors"][1] else 0.0,
    }
    print(
        f"  {'all':<12}{tp + fn:>6}{tp + fp:>7}{overall['precision']:>11.3f}{overall['recall']:>8.3f}"
    )
    print(f"  amounts within 2 %: {s['amounts'][0]}/{s['amounts'][1]}  ({overall['amounts']:.3f})")
    print(
        f"  investors found:    {s['investors'][0]}/{s['investors'][1]}  ({overall['investors']:.3f})"
    )
    print(f"  head counts exact:  {s['jobs'][0]}/{s['jobs'][1]}")
    print(f"  past deals not reported as current: {s['past_ok']}")
    return overall


def main() -> int:
    """Run the benchmark; exit 1 when a target is missed on the held-out half."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="heldout", choices=["heldout", "dev", "all"])
    parser.add_argument("--errors", action="store_true", help="list each miss and extra deal")
    args = parser.parse_args()
    rows = load(args.split)
    analyzer = get_analyzer()
    years = [int(r["date"][:4]) for r in rows]
    found = [
        [d.as_dict() for d in deals]
        for deals in extract_deals([r["text"] for r in rows], analyzer, years)
    ]
    print(
        f"{len(rows)} articles ({args.split}), {sum(len(r['deals']) for r in rows)} labelled deals"
    )
    s = score(rows, found, args.errors)
    overall = report("veille deals (nlp/deals.py)", s)
    report(
        "baseline: amount in euros + first organisation of the sentence",
        score(rows, [baseline(r["text"], analyzer) for r in rows], False),
    )
    missed = [k for k, target in TARGETS.items() if overall[k] < target]
    print(
        "\ntargets (precision ≥ 0.9, recall ≥ 0.9, amounts 1.0 within 2 %, investors ≥ 0.8):",
        "met" if not missed else "missed: " + ", ".join(missed),
    )
    return 1 if missed and args.split == "heldout" else 0


if __name__ == "__main__":
    sys.exit(main())
