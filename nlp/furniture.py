"""Page furniture: lines of a text that are navigation, not prose, blanked before the NER.

Extracted articles and plain files keep bits of the page around the article: breadcrumbs
("Accueil > Région > Entreprises"), section lines ("Vesoul | Emploi"), rubrics in capitals
("ÉCONOMIE & TERRITOIRES"), URL slugs ("kalixo-leve-2-millions"), buttons and banners
("Je m'abonne", "Personnaliser | Tout refuser") and runs of short menu lines. The model
reads them as sentences full of capitalised words and finds "entities" in them. Such lines
are replaced by spaces of the same length, so every offset still indexes the text as given;
the words staff can extend are in nlp/data/furniture.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from nlp.resources import ResourceError

# Separators of breadcrumbs and section lines.
_SEPARATORS = re.compile(r"\s+(?:>|»|›|/|·|•)\s+|\s*\|\s*")
_SLUG = re.compile(r"^(?:https?://\S+|[a-z0-9]+(?:-[a-z0-9]+){2,}(?:\.html?)?/?)$")
# What follows a link's lead: "Lire aussi : ...", "À LIRE AUSSI - ...".
_LINK_MARKS = {":", "»", "-", "–", ">"}
_SENTENCE_END = re.compile(r"[.!?…:;»\"]$")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# A menu: at least this many lines of at most MENU_WORDS words in a row (a byline and a
# date make two or three such lines; menus have more).
MENU_RUN = 4
MENU_WORDS = 2
PART_WORDS = 4


@dataclass(frozen=True)
class Furniture:
    """Words of buttons and banners (lowercase, as whole lines or parts of a line)."""

    phrases: frozenset[str] = frozenset()
    # Leads of a link to another article: "Lire aussi : X ouvre un site" is that article's
    # title, not this one's prose.
    link_leads: tuple[str, ...] = ()


def load_furniture(path: str | Path) -> Furniture:
    """Read furniture.toml (`phrases = [...]`); a missing file gives no phrases."""
    path = Path(path)
    if not path.exists():
        return Furniture()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ResourceError(f"{path}: not valid TOML ({exc})") from None
    lists = {key: data.get(key, []) for key in ("phrases", "link_leads")}
    for key, words in lists.items():
        if not isinstance(words, list) or not all(isinstance(p, str) and p.strip() for p in words):
            raise ResourceError(f"{path}: `{key}` must be a list of non-empty strings")
    return Furniture(
        frozenset(_fold(p) for p in lists["phrases"]),
        tuple(_fold(p) for p in lists["link_leads"]),
    )


def _fold(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_furniture(line: str, furniture: Furniture = Furniture()) -> bool:
    """Whether one line, on its own, is page furniture rather than prose."""
    text = line.strip()
    if not text:
        return False
    folded = _fold(text).rstrip(" .")
    if folded in furniture.phrases:
        return True
    for lead in furniture.link_leads:
        if folded.startswith(lead) and folded[len(lead) :].lstrip()[:1] in _LINK_MARKS:
            return True
    if _SLUG.match(text):
        return True
    if _SENTENCE_END.search(text):
        return False
    parts = [p for p in _SEPARATORS.split(text) if p.strip()]
    # "Accueil > Région > Entreprises", "Vesoul | Emploi", "Partager | Imprimer": short
    # parts joined by separators; a sentence does not read like that.
    short_parts = len(parts) >= 2 and all(len(_words(p)) <= PART_WORDS for p in parts)
    if short_parts and (any(c in text for c in ">»›|•·") or len(parts) >= 3):
        return True
    if all(_fold(p) in furniture.phrases for p in parts):
        return True
    words = _words(text)
    letters = [c for c in text if c.isalpha()]
    # A rubric in capitals: "ÉCONOMIE & TERRITOIRES" (no lowercase letter, a few words).
    return bool(letters) and not any(c.islower() for c in letters) and 2 <= len(words) <= 6


def _short(line: str) -> bool:
    text = line.strip()
    return bool(text) and len(_words(text)) <= MENU_WORDS and not _SENTENCE_END.search(text)


def furniture_lines(text: str, furniture: Furniture = Furniture()) -> list[tuple[int, int]]:
    """[start, end) of the lines of `text` that are furniture (line breaks excluded)."""
    lines: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        lines.append((start, start + len(line)))
        start += len(line) + 1
    flagged = [is_furniture(text[a:b], furniture) for a, b in lines]
    # Runs of short lines with no punctuation are a menu ("Économie\nSport\nCulture"),
    # blank lines between them included.
    k = 0
    while k < len(lines):
        if not _short(text[slice(*lines[k])]):
            k += 1
            continue
        run = [k]
        j = k + 1
        while j < len(lines):
            piece = text[slice(*lines[j])]
            if _short(piece):
                run.append(j)
            elif piece.strip():
                break
            j += 1
        if len(run) >= MENU_RUN:
            for m in run:
                flagged[m] = True
        k = j
    return [span for span, flag in zip(lines, flagged, strict=True) if flag and span[1] > span[0]]


def mask_furniture(text: str, furniture: Furniture = Furniture()) -> str:
    """`text` with its furniture lines replaced by spaces: same length, same offsets."""
    spans = furniture_lines(text, furniture)
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(" " * (end - start))
        last = end
    out.append(text[last:])
    return "".join(out)
