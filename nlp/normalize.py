"""Clean stored text for the model, keeping a map back to the stored offsets.

Web text carries typographic apostrophes, non-breaking and thin spaces, ligatures,
soft hyphens and line breaks left by the page layout. The French model was trained on
plain text, so it tokenises and tags the cleaned text better; every offset it gives is
mapped back, so a mention's start/end always index the text as stored.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Normalized:
    """Text for the model and, for each of its characters, the offset in the original."""

    text: str
    original: str
    offsets: tuple[int, ...]  # len(text) + 1 entries; the last one is len(original)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text to the original text."""
        if end <= start:
            at = self.offsets[start]
            return at, at
        return self.offsets[start], self.offsets[end - 1] + 1


def normalize(original: str) -> Normalized:
    """Normalise typography and layout line breaks of `original` (see module docstring)."""
    out: list[str] = []
    offsets: list[int] = []
    n = len(original)
    i = 0
    while i < n:
        c = original[i]
        if c in _DROP:
            i += 1
            continue
        if c == "-" and out and out[-1].isalpha():
            # "inno-\nvation" → "innovation"; "Franche-\nComté" → "Franche-Comté".
            j = i + 1
            while j < n and original[j] in _DROP:
                j += 1
            if j < n and original[j] == "\n" and j + 1 < n and original[j + 1].isalpha():
                if original[j + 1].islower():
                    i = j + 1
                else:
                    out.append("-")
                    offsets.append(i)
                    i = j + 1
                continue
        if c == "\n":
            prev = out[-1] if out else ""
            nxt = original[i + 1] if i + 1 < n else ""
            if prev and prev not in _LINE_END and prev != "\n" and nxt.islower():
                out.append(" ")
                offsets.append(i)
                i += 1
                continue
        rep = _REPLACE.get(c, c)
        for r in rep:
            out.append(r)
            offsets.append(i)
        i += 1
    offsets.append(n)
    return Normalized("".join(out), original, tuple(offsets))
