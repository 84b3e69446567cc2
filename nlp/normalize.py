"""Clean stored text for the model, keeping a map back to the stored offsets.

Web text carries typographic apostrophes, non-breaking and thin spaces, ligatures,
soft hyphens and line breaks left by the page layout. The French model was trained on
plain text, so it tokenises and tags the cleaned text better; every offset it gives is
mapped back, so a mention's start/end always index the text as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPLACE = {
    # Apostrophes: the model's tokenizer splits elisions ("l'", "d'") on the ASCII one.
    "\u2019": "'",
    "\u2018": "'",
    "\u201b": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u00a0": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2008": " ",
    "\t": " ",
    "\u2028": "\n",
    "\u2029": "\n",
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
# Invisible characters that only split words for the tokenizer.
_DROP = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\r"}
# A line that ends with one of these really ends there; otherwise a single line break
# followed by a lowercase letter is left over from the page layout.
_LINE_END = set(".!?:;»\"')]…")


_ONE_TO_ONE = str.maketrans({k: v for k, v in _REPLACE.items() if len(v) == 1})
_EXPAND = {k: v for k, v in _REPLACE.items() if len(v) > 1}
# Everything that changes the length of the text: invisible characters, ligatures, a word
# hyphenated at the end of a line ("inno-\nvation"), and the end of a line without
# punctuation before a line that starts like a sentence: a crosshead, a menu item or a
# caption, given a full stop so the model does not read it as the start of the next
# sentence ("Une convention avec la Région\nPrésent à l'assemblée, ...").
_CHANGES = re.compile(
    r"(?<=[^\W_])(?=[ \r]*\n\s*[A-ZÀ-ÖØ-Þ0-9«\"])|["
    + "".join(sorted(_DROP | set(_EXPAND)))
    + r"]|(?<=[^\W\d_])-[\u00ad\u200b\r]*\n(?=[^\W\d_])"
)
_STRAY_BREAK = re.compile(r"(?<=[^\n" + re.escape("".join(sorted(_LINE_END))) + r"])\n(?=[^\W\d_])")


@dataclass(frozen=True)
class Normalized:
    """Text for the model and the offset in the original of each of its characters."""

    text: str
    original: str
    # len(text) + 1 entries (the last one is len(original)); None when the two texts have
    # the same length and offsets are the same.
    offsets: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text to the original text."""
        if self.offsets is None:
            return start, end
        if end <= start:
            at = self.offsets[start]
            return at, at
        return self.offsets[start], self.offsets[end - 1] + 1


def normalize(original: str) -> Normalized:
    """Normalise typography and layout line breaks of `original` (see module docstring)."""
    text = original.translate(_ONE_TO_ONE)
    offsets: list[int] | None = None
    if _CHANGES.search(text):
        pieces: list[str] = []
        offsets = []
        last = 0
        for match in _CHANGES.finditer(text):
            pieces.append(text[last : match.start()])
            offsets.extend(range(last, match.start()))
            found = match.group()
            if not found:
                pieces.append(".")
                offsets.append(match.start())
            elif found in _EXPAND:
                pieces.append(_EXPAND[found])
                offsets.extend([match.start()] * len(_EXPAND[found]))
            elif found.startswith("-") and text[match.end()].isupper():
                # "Franche-\nComté": the hyphen is part of the name, only the break goes.
                pieces.append("-")
                offsets.append(match.start())
            last = match.end()
        pieces.append(text[last:])
        offsets.extend(range(last, len(text) + 1))
        text = "".join(pieces)
    # A single line break inside a sentence (the next line starts with a lowercase letter)
    # is page layout: it becomes a space. Same length, so offsets are unchanged.
    text = _STRAY_BREAK.sub(lambda m: " " if text[m.end()].islower() else "\n", text)
    return Normalized(text, original, tuple(offsets) if offsets is not None else None)
