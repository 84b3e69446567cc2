"""French amounts and head counts as numbers: "2,8 millions d'euros" → 2_800_000.

Pure functions over plain text (no model): the deal patterns call them on normalised
sentences, where apostrophes are ASCII and every space is a plain space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A number as the French press writes it: "750 000", "1.200.000", "2,8", "1 200,5".
_NUMBER = r"\d{1,3}(?:[ .\u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_SCALES = {
    "milliard": 1e9,
    "milliards": 1e9,
    "md": 1e9,
    "mds": 1e9,
    "mrd": 1e9,
    "million": 1e6,
    "millions": 1e6,
    "m": 1e6,
    "mio": 1e6,
    "k": 1e3,
    "millier": 1e3,
    "milliers": 1e3,
}
AMOUNT = re.compile(
    rf"(?<![\w,.])(?P<number>{_NUMBER})\s*"
    r"(?P<scale>milliards?|millions?|mds?|mrd|md|mio|m|k)?"
    r"(?:\s*(?:d['’]|de\s+)?(?P<currency>euros?|€|eur)\b|\s*(?P<sign>€))?"
    r"(?!\s*(?:%|m²|m2|km|mètres|ans|heures|jours|hectares|ha\b|places))",
    re.IGNORECASE,
)
# Approximate counts: "une trentaine" → 30, "une centaine" → 100.
APPROX = {
    "dizaine": 10,
    "douzaine": 12,
    "quinzaine": 15,
    "vingtaine": 20,
    "trentaine": 30,
    "quarantaine": 40,
    "cinquantaine": 50,
    "soixantaine": 60,
    "centaine": 100,
    "millier": 1000,
}
WORDS = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "mille": 1000,
}  # fmt: skip
COUNT = re.compile(
    r"(?<![\w,.])(?:(?:une?\s+|d'une\s+)?(?P<approx>"
    + "|".join(APPROX)
    + r")s?|(?P<number>"
    + _NUMBER
    + r")|(?P<word>"
    + "|".join(WORDS)
    + r"))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Amount:
    """One amount found in a text: character offsets and value in euros."""

    start: int
    end: int
    value: float
    currency: bool  # written with "euros" or "€" (else only "millions")


def parse_number(text: str) -> float:
    """A French-written number as a float: "750 000" → 750000.0, "2,8" → 2.8."""
    cleaned = re.sub(r"[ .\u00a0\u202f]", "", text.strip()).replace(",", ".")
    return float(cleaned)


def find_amounts(text: str) -> list[Amount]:
    """Every euro amount in `text`: "3,5 M€", "1,2 Md€", "750 000 euros", "9 millions".

    A bare number counts only with a scale word ("5 millions") or a currency; a lone "m"
    or "k" counts only with a currency ("3 M€", not "8 000 m²").
    """
    found = []
    for match in AMOUNT.finditer(text):
        scale = (match["scale"] or "").lower()
        currency = bool(match["currency"] or match["sign"])
        if not currency and scale not in ("million", "millions", "milliard", "milliards"):
            continue
        try:
            value = parse_number(match["number"]) * _SCALES.get(scale, 1.0)
        except ValueError:
            continue
        found.append(Amount(match.start(), match.end(), value, currency))
    return found


def parse_amount(text: str) -> float | None:
    """The first euro amount in `text`, or None: "2,8 millions d'euros" → 2800000.0."""
    amounts = find_amounts(text.replace("\u2019", "'"))
    return amounts[0].value if amounts else None


def parse_count(text: str) -> int | None:
    """A head count at the start of `text`: "une trentaine" → 30, "120" → 120, "douze" → 12."""
    match = COUNT.match(text.strip())
    if match is None:
        return None
    if match["approx"]:
        return APPROX[match["approx"].lower()]
    if match["word"]:
        return WORDS[match["word"].lower()]
    return int(parse_number(match["number"]))
