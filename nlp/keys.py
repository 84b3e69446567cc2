"""Fold names into keys, so spelling variants of one name meet in one entity."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose but French writes both ways ("Œuvre" / "Oeuvre").
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
# Everything but letters, digits and "&" is spelling noise for a name: hyphens, spaces,
# apostrophes, dots of acronyms ("S.N.C.F."), quotes.
_NOISE = re.compile(r"[^0-9a-z&]+")


def fold(text: str) -> str:
    """Lowercase `text` and remove accents, keeping spaces and punctuation."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=65536)
def entity_key(name: str) -> str:
    """A name folded: no accents, case, hyphens, spacing or apostrophes ("BPI France" → "bpifrance")."""
    return _NOISE.sub("", fold(name))
