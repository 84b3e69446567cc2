"""The ruler's patterns (spaCy's entity_ruler as `veille_ruler`, before the NER).

Decides: names of staff data are fixed before the model, so that it builds around them:
watchlist names and aliases in any case and their written variants (without accents on
capitals, hyphens for spaces, "St" for "Saint"), places of several words, public bodies
(`bodies`) and token patterns. One-word places, saints' names and datelines in capitals
are ambiguous and go to `veille_places` after the NER instead.
Data: watchlist.toml, places.csv, org_phrases.toml `bodies`, patterns.jsonl.
Tests: tests/test_rules_ruler.py.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from spacy.language import Language

from nlp.normalize import normalize
from nlp.resources import (
    Gazetteer,
    WatchEntry,
    data_path,
    load_org_phrases,
    load_patterns,
    load_places,
    load_watchlist,
)
from nlp.rules.base import strip_article

_SAINT = re.compile(r"^(Saint|Sainte|St|Ste)-[^\s-]+$")
_ARTICLE_WORD = re.compile(r"^(Le|La|Les|L')\s*\S+$")


def ruler_patterns(
    nlp: Language, data_dir: str | Path | None, has_pos: bool
) -> tuple[list[dict], list[list[str]]]:
    """(the ruler's patterns, [text, name] pairs of the places left to `veille_places`)."""
    places = load_places(data_path("places.csv", data_dir))
    watchlist = load_watchlist(data_path("watchlist.toml", data_dir))
    before, after = place_patterns(nlp, places)
    patterns = watchlist_patterns(nlp, watchlist) + before
    for body in load_org_phrases(data_path("org_phrases.toml", data_dir)).bodies:
        patterns.append({"label": "ORG", "pattern": normalize(body).text, "id": "pattern:body"})
    for pattern in load_patterns(data_path("patterns.jsonl", data_dir)):
        pattern = dict(pattern)
        pattern["id"] = "pattern:" + str(pattern.get("id", pattern["label"]))
        patterns.append(pattern)
    if not has_pos:
        # A pipeline without POS tags (spacy.blank in rule tests) cannot run POS patterns.
        patterns = [p for p in patterns if not _uses_pos(p)]
    return patterns, after


def _uses_pos(pattern: dict) -> bool:
    tokens = pattern["pattern"]
    return isinstance(tokens, list) and any("POS" in t or "TAG" in t for t in tokens)


def _spellings(name: str) -> list[str]:
    """Written variants of a name the ruler should match as well.

    Without accents on capitals ("Ile-de-France"), with spaces for hyphens ("Bourgogne
    Franche-Comté"), and "St"/"Ste" for "Saint"/"Sainte".
    """
    forms = [name]
    saint = re.match(r"^(Saint|Sainte)([- ])(.*)$", name)
    if saint:
        short = "St" if saint.group(1) == "Saint" else "Ste"
        forms += [f"{short}-{saint.group(3)}", f"{short} {saint.group(3)}"]
    if " " in name:
        forms.append(name.replace(" ", "-"))
    if "-" in name:
        forms.append(name.replace("-", " "))
        if name.count("-") > 1:
            first, rest = name.split("-", 1)
            forms.append(f"{first} {rest}")
    plain = [
        "".join(unicodedata.normalize("NFKD", c)[0] if c.isupper() else c for c in f) for f in forms
    ]
    return list(dict.fromkeys(forms + plain))


def watchlist_patterns(nlp: Language, entries: list[WatchEntry]) -> list[dict]:
    """Ruler phrase patterns for watchlist names and aliases (matched in any case)."""
    patterns = []
    for entry in entries:
        for spelling in dict.fromkeys(
            s for n in (entry.name, *entry.aliases) for s in _spellings(strip_article(n))
        ):
            text = normalize(spelling).text.strip()
            if text:
                patterns.append(
                    {"label": entry.label, "pattern": text, "id": "watch:" + entry.name}
                )
    return patterns


def place_patterns(nlp: Language, gazetteer: Gazetteer) -> tuple[list[dict], list[list[str]]]:
    """Places: (ruler phrase patterns for before the NER, [text, name] pairs to fill gaps after).

    Names of several words ("Bourgogne-Franche-Comté", "Clermont-Ferrand", "Pays de la
    Loire") are unambiguous and go before the NER. One-word names ("Laval", "Nancy", "Sens"),
    saints' names ("Saint-Louis") and "Le Port" may be people, words or other things: they
    only fill gaps the model left, and only where the model tags them as proper nouns.
    """
    before: list[dict] = []
    after: list[list[str]] = []
    for place in gazetteer.places:
        for spelling in dict.fromkeys(
            s for n in (place.name, *place.aliases) for s in _spellings(n)
        ):
            text = normalize(spelling).text.strip()
            if not text:
                continue
            words = re.split(r"[\s\-']+", text)
            ambiguous = len(words) < 2 or _SAINT.match(text) or _ARTICLE_WORD.match(text)
            if ambiguous:
                after.append([text, place.name])
            else:
                before.append({"label": "LOC", "pattern": text, "id": "place:" + place.name})
            # Datelines in capitals ("SAINT-BRIEUC. Le Département..."): after the NER.
            if text.upper() != text and len(text) > 2:
                after.append([text.upper(), place.name])
    return before, after
