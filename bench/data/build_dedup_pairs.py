"""Build dedup_pairs.jsonl, the labelled copy / non-copy pairs, from dedup_pairs.md.

Usage:
    python bench/data/build_dedup_pairs.py            # rewrite dedup_pairs.jsonl
    python bench/data/build_dedup_pairs.py --check    # fail if the JSONL is stale

Copies are made from each original by changing only what republishers change (RECIPES):
a headline block and date line of their own, the lead paragraph dropped, a signature or
agency credit, a "Lire aussi" line, typography, the last paragraph trimmed. Non-copies are
written by hand in the markdown: another story on the same subject, a follow-up quoting the
original, two briefs sharing a boilerplate paragraph. Each pair carries its split (dev or
held-out), fixed by the story number before any threshold was chosen.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "dedup_pairs.md"
OUTPUT = HERE / "dedup_pairs.jsonl"
DEV = {"01", "02", "03", "04"}  # the rest (05–08) is held out

HEADLINES = {
    "01": "Microtechnique : Microvis lève 4,2 millions",
    "02": "Un centre de données à Valmy, l’opposition tousse",
    "03": "Fibre : le Haut-Jura attend toujours",
    "04": "Cyberforge, l’école qui forme aux attaques",
    "05": "Tram et bus : adieu le ticket papier",
    "06": "Pixel Ouest voit plus grand",
    "07": "Autun : la gare devient tiers-lieu",
    "08": "Des satellites au secours du maïs",
}
SIGNATURES = ("Claire Dumoulin, avec AFP", "Par Romain Texier (avec agence)", "La rédaction")


def paragraphs(text: str) -> list[str]:
    """Paragraphs of a text (blank-line separated)."""
    return [p for p in text.split("\n\n") if p.strip()]


def headline_block(nn: str, paras: list[str]) -> list[str]:
    """The republisher's headline, date line and credit on top; the original's lead dropped."""
    block = f"{HEADLINES[nn].upper()}\nPublié le 12/03/2026 à 07h45 – Mis à jour à 09h02"
    return [block, *paras[1:]]


def signature_and_read_also(nn: str, paras: list[str]) -> list[str]:
    """A "Lire aussi" line after the second paragraph and a signature at the end."""
    read_also = "Lire aussi : Nos autres articles sur l’économie numérique de la région"
    return [*paras[:2], read_also, *paras[2:], SIGNATURES[int(nn) % len(SIGNATURES)]]


def typography(nn: str, paras: list[str]) -> list[str]:
    """Straight apostrophes and quotes, plain spaces; the last paragraph trimmed."""
    out = []
    for p in paras[:-1]:
        p = p.replace("’", "'").replace("« ", '"').replace(" »", '"')
        p = p.replace("\u00a0", " ").replace("\u202f", " ").replace("œ", "oe")
        out.append(p)
    return out


def lead_and_end_trimmed(nn: str, paras: list[str]) -> list[str]:
    """Lead and last paragraph dropped, an agency credit added: the shortest copy."""
    return [*paras[1:-1], "(avec AFP)"]


def everything(nn: str, paras: list[str]) -> list[str]:
    """Headline block, lead dropped, "Lire aussi", typography, signature, end trimmed."""
    body = typography(nn, signature_and_read_also(nn, paras[1:]))
    return [headline_block(nn, ["", *body])[0], *body[:-1], SIGNATURES[0]]


RECIPES = (headline_block, signature_and_read_also, typography, lead_and_end_trimmed, everything)


def sections(source: str) -> dict[str, str]:
    """`## name` sections of the markdown → their text."""
    out: dict[str, str] = {}
    name = None
    lines: list[str] = []
    for line in source.splitlines():
        heading = re.match(r"^## (\S+)\s*$", line)
        if heading:
            if name:
                out[name] = "\n".join(lines).strip()
            name, lines = heading.group(1), []
        elif name:
            lines.append(line)
    if name:
        out[name] = "\n".join(lines).strip()
    return out


def build(source: str) -> list[dict]:
    """Every labelled pair, in a stable order."""
    texts = sections(source)
    pairs: list[dict] = []

    def add(kind: str, nn: str, a: str, b: str, label: int) -> None:
        split = "dev" if nn in DEV else "held-out"
        pairs.append(
            {"id": f"{kind}-{nn}", "split": split, "kind": kind, "copy": label, "a": a, "b": b}
        )

    for name in sorted(n for n in texts if n.startswith("story-")):
        nn = name.split("-")[1]
        original = texts[name]
        paras = paragraphs(original)
        copies = {}
        for recipe in RECIPES:
            copy = "\n\n".join(recipe(nn, paras))
            copies[recipe.__name__] = copy
            add(f"copy-{recipe.__name__}", nn, original, copy, 1)
        add("other-same-subject", nn, original, texts[f"other-{nn}"], 0)
        add("other-vs-copy", nn, copies["headline_block"], texts[f"other-{nn}"], 0)
        add("followup-quoting", nn, original, texts[f"followup-{nn}"], 0)
        add("followup-vs-copy", nn, copies["lead_and_end_trimmed"], texts[f"followup-{nn}"], 0)
    for name in sorted(n for n in texts if n.startswith("brief-") and n.endswith("-a")):
        nn = name.split("-")[1]
        add("briefs-boilerplate", nn, texts[name], texts[f"brief-{nn}-b"], 0)
    return pairs


def main() -> int:
    """Write (or with --check, verify) dedup_pairs.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the JSONL is stale")
    args = parser.parse_args()
    pairs = build(SOURCE.read_text(encoding="utf-8"))
    text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs)
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    for split in ("dev", "held-out"):
        rows = [p for p in pairs if p["split"] == split]
        copies = sum(p["copy"] for p in rows)
        print(f"{split}: {len(rows)} pairs, {copies} copies, {len(rows) - copies} non-copies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
