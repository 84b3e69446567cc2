"""Photo credits: who took a picture and for whom.

Decides: in a credit ("Photo : Radio Armor / Jean Kervella", "Crédits photos : Studio
Lumen", "(Photo Ouest Images)"), each name is one mention: the names before the last
slash are agencies or media (ORG), and so is a lone name that is not a person named in
full; a person named in full by the model stays a person ("Jean Kervella"). Names the model
missed in a credit are added; "DR" (droits réservés) is no name. Data: org_phrases.toml
`credit_leads`. Tests: tests/test_rules_credits.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.tokens import Doc, Span

from nlp.rules.base import PHRASE_ID, Context, Named, is_trusted

# "Droits réservés": the mark of a credit without a name.
_RESERVED = {"DR", "D.R.", "D.R"}
# A credit's piece: capitalised words (an agency may be written in capitals, with a
# hyphen or an apostrophe), at most five.
_PIECE = re.compile(r"^(?:[A-ZÀ-Ý0-9][\w'’&.-]*)(?:\s+(?:[\w'’&.-]+)){0,4}$")


@lru_cache(maxsize=8)
def _leads(words: tuple[str, ...]) -> re.Pattern:
    """A credit's lead at a line's start or after "(" or "|", then what it credits, to the
    line's end or the closing bracket."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(
        rf"(?:^|(?<=\n)|(?<=\()|(?<=\|))[ \t]*(?:{alternatives})\b\.?[ \t]*:?[ \t]*([^\n()|]+)",
        re.IGNORECASE,
    )


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see the module docstring."""
    if not ctx.data.credit_leads:
        return spans
    found = list(_leads(ctx.data.credit_leads).finditer(ctx.text))
    if not found:
        return spans
    out = list(spans)
    for match in found:
        out = _credit(ctx.doc, ctx.text, match.start(1), match.end(1), out)
    return sorted(out, key=lambda item: item[0].start)


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each name of a credit, cut at slashes, commas and spaced dashes."""
    out = []
    for piece in re.finditer(r"[^/,]+", text[start:end]):
        for part in re.split(r"\s[-–—]\s", piece.group()):
            at = text.index(part, start + piece.start())
            a, b = at + len(part) - len(part.lstrip()), at + len(part.rstrip())
            # The credit's sentence ends with a full stop; a name's own dot stays ("D.R.").
            if b > a and text[b - 1] == "." and text[a:b].count(".") == 1:
                b -= 1
            if b > a:
                out.append((a, b))
    return out


def _credit(doc: Doc, text: str, start: int, end: int, spans: list[Named]) -> list[Named]:
    pieces = _pieces(text, start, end)
    if not pieces or len(pieces) > 4:
        return spans
    for number, (a, b) in enumerate(pieces):
        surface = text[a:b]
        if surface in _RESERVED or not _PIECE.match(surface):
            continue
        span = doc.char_span(a, b, alignment_mode="contract")
        if span is None or not len(span):
            continue
        inside = [
            k for k, (s, _, _) in enumerate(spans) if s.start < span.end and span.start < s.end
        ]
        if any(is_trusted(spans[k][0]) for k in inside):
            continue
        person = [k for k in inside if spans[k][1] == "PER" and len(spans[k][2].split()) > 1]
        last = number == len(pieces) - 1
        if person and last:
            continue  # "… / Jean Kervella": the photographer
        kept = [item for k, item in enumerate(spans) if k not in inside]
        named = Span(doc, span.start, span.end, label="ORG", span_id=PHRASE_ID)
        spans = [*kept, (named, "ORG", span.text)]
    return spans
