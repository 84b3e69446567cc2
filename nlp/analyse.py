"""Texts in, mentions and quotes out: normalise, run the pipeline, name things canonically.

Within one article a surname alone takes the full name used in the same article
("Brenas" → "Jean-Pierre Brenas"), an acronym takes the expansion the article gives
("Agence régionale de l'innovation (ARI)"), watchlist aliases take the watchlist name and
places the gazetteer's name and région. Offsets always index the text as given.

The order of passes, each a module of `nlp.rules` with its data file (nlp/data/) and its
tests (tests/test_rules_<module>.py):
1. `nlp.furniture.mask_furniture` blanks menu lines, breadcrumbs, slugs (furniture.toml);
   `nlp.normalize` cleans typography. Shared by `veille process` and `veille entities`.
2. The spaCy pipeline, its components in the order of `nlp.rules.COMPONENTS`.
3. Per article, `Analyzer._canonical_spans` applies `nlp.rules.PASSES` in order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from nlp.furniture import Furniture, load_furniture, mask_furniture
from nlp.keys import entity_key
from nlp.model import DEFAULT_MODEL, load_pipeline
from nlp.normalize import Normalized, normalize
from nlp.quotes import find_quotes
from nlp.resources import (
    Gazetteer,
    WatchEntry,
    data_path,
    data_version,
    resolve_data_dir,
)
from nlp.rules import PASSES
from nlp.rules.base import ENUM_ID, Context, Named, RuleData, load_rule_data, place_of
from nlp.rules.enumerations import enumerations
from nlp.rules.head_words import REGION
from nlp.rules.surface import surface_name

# Kept importable from here: `nlp.process` imports REGION, tests ENUM_ID and enumerations.
__all__ = ["ENUM_ID", "REGION", "Analysis", "Analyzer", "Mention", "Quote", "enumerations"]

MAX_SENTENCE = 600
BATCH_SIZE = 64
# Longer texts are analysed in pieces cut at paragraph breaks: spaCy refuses a text over
# nlp.max_length (a million characters), and memory grows with a doc's length.
MAX_PIECE = 100_000


@dataclass
class Mention:
    """One entity mention: offsets and text as stored, label, canonical name, sentence."""

    start: int
    end: int
    text: str
    label: str
    name: str
    sentence: str
    region: str | None = None
    watchlist: bool = False
    # Offsets in the normalised text, for quote attribution.
    nstart: int = field(default=0, repr=False)
    nend: int = field(default=0, repr=False)


@dataclass
class Quote:
    """A quote: offsets and text as stored, and who said it (canonical name and label)."""

    start: int
    end: int
    text: str
    speaker: str
    speaker_label: str


@dataclass
class Analysis:
    """Everything veille finds in one text."""

    mentions: list[Mention]
    quotes: list[Quote]
    tokens: int = 0


class Analyzer:
    """The loaded pipeline and data, applied to texts (one per process; see `get_analyzer`)."""

    def __init__(self, model: str = DEFAULT_MODEL, data_dir: str | Path | None = None):
        self.nlp: Language = load_pipeline(model, data_dir)
        self.rule_data: RuleData = load_rule_data(data_dir)
        self.places: Gazetteer = self.rule_data.places
        self.watchlist: dict[str, WatchEntry] = self.rule_data.watchlist
        self.furniture: Furniture = load_furniture(data_path("furniture.toml", data_dir))

    def analyse(
        self,
        texts: Iterable[str],
        batch_size: int = BATCH_SIZE,
        on_doc: Callable[[int, Doc, Normalized, Analysis], None] | None = None,
    ) -> Iterator[Analysis]:
        """Analyse texts in order, through `nlp.pipe` in batches.

        Page furniture is blanked first (`nlp.furniture`), and a text longer than
        `MAX_PIECE` goes through in pieces cut at paragraph breaks, offsets kept.
        `on_doc(number, doc, norm, analysis)` sees each piece's doc before the text's
        analysis is yielded, so later stages (nlp/deals.py) read the doc without parsing
        the text again.
        """

        def normalised() -> Iterator[tuple[str, tuple[int, Normalized, int]]]:
            for number, text in enumerate(texts):
                text = text or ""
                for start, end in split_text(text):
                    piece = text[start:end]
                    # Furniture is judged on the text as written (the normaliser ends
                    # lines with full stops); the mask keeps its length, so its offsets
                    # are the piece's.
                    masked = mask_furniture(piece, self.furniture)
                    norm = normalize(masked)
                    if masked is not piece:
                        norm = Normalized(norm.text, piece, norm.offsets)
                    # The context rides with the text through nlp.pipe (as_tuples).
                    yield norm.text, (number, norm, start)

        current, parts = -1, []
        pieces = self.nlp.pipe(normalised(), batch_size=batch_size, as_tuples=True)
        for doc, (number, norm, start) in pieces:
            if number != current and current >= 0:
                yield _joined(parts)
                parts = []
            current = number
            analysis = self.read(doc, norm)
            if on_doc is not None:
                on_doc(number, doc, norm, analysis)
            parts.append((start, analysis))
        if current >= 0:
            yield _joined(parts)

    def read(self, doc: Doc, norm: Normalized) -> Analysis:
        """Mentions and quotes of one processed doc."""
        if not len(doc):
            return Analysis([], [], 0)
        # Sentence starts from one array rather than doc.sents, which builds a Span and
        # visits every token in Python.
        flags = doc.to_array([SENT_START]) if len(doc) else []
        sent_starts = [0] + [int(i) for i in np.flatnonzero(flags == 1) if i > 0]
        chars = [doc[i].idx for i in sent_starts] + [len(norm.text)]
        sentences = [(chars[k], chars[k + 1]) for k in range(len(sent_starts))] if len(doc) else []
        mentions: list[Mention] = []
        for span, label, name in self._canonical_spans(doc, norm.text):
            mention = self._mention(doc, norm, span.start_char, span.end_char, label, name)
            if mention is None:
                continue
            index = max(0, bisect_right(sent_starts, span.start) - 1)
            s_start, s_end = sentences[index] if sentences else (0, len(norm.text))
            mention.sentence = _sentence_text(norm, s_start, s_end, mention)
            mentions.append(mention)
        mentions.sort(key=lambda m: m.start)
        found = find_quotes(norm.text, sentences, [(m.nstart, m.nend, m.label) for m in mentions])
        quotes = []
        for q in found:
            start, end = norm.to_original(q.start, q.end)
            speaker = mentions[q.speaker]
            quotes.append(Quote(start, end, norm.original[start:end], speaker.name, speaker.label))
        return Analysis(mentions, quotes, len(doc))

    # --- canonical names within one article -------------------------------------------

    def _canonical_spans(self, doc: Doc, text: str) -> list[Named]:
        """The article's named spans: `nlp.rules.PASSES` applied in order."""
        ctx = Context(doc, text, self.rule_data)
        spans: list[Named] = []
        for _, apply in PASSES:
            spans = apply(ctx, spans)
        return spans

    def _surface_name(self, surface: str, label: str) -> str:
        return surface_name(surface, label, self.rule_data.legal_forms, self.rule_data.demonyms)

    def _place(self, name: str):
        """The gazetteer's place for a name, or for its end ("Nord Franche-Comté")."""
        return place_of(self.places, name)

    def _mention(
        self, doc: Doc, norm: Normalized, nstart: int, nend: int, label: str, name: str
    ) -> Mention | None:
        start, end = norm.to_original(nstart, nend)
        text = norm.original[start:end]
        if "\n" in text:
            # Only a line break the normaliser joined (hyphenation) can be left inside:
            # keep the longest line of the span.
            offset, best = 0, (0, 0)
            for piece in text.split("\n"):
                if len(piece.strip()) > best[1] - best[0]:
                    lead = len(piece) - len(piece.lstrip())
                    best = (offset + lead, offset + len(piece.rstrip()))
                offset += len(piece) + 1
            start, end = start + best[0], start + best[1]
            text = norm.original[start:end]
        if not text.strip():
            return None
        place = self._place(name) if label == "LOC" else None
        return Mention(
            start=start,
            end=end,
            text=text,
            label=label,
            name=name,
            sentence="",
            region=place.region if place and place.region else None,
            watchlist=entity_key(name) in self.watchlist,
            nstart=nstart,
            nend=nend,
        )


def split_text(text: str, limit: int | None = None) -> list[tuple[int, int]]:
    """[start, end) pieces of at most `limit` (`MAX_PIECE`) characters that cover `text`,
    cut after a paragraph break where there is one, else a line break, else a space."""
    limit = limit or MAX_PIECE
    pieces, start = [], 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = -1
        for mark in ("\n\n", "\n", " "):
            cut = window.rfind(mark)
            if cut > 0:
                cut += len(mark)
                break
        if cut <= 0:
            cut = limit
        pieces.append((start, start + cut))
        start += cut
    pieces.append((start, len(text)))
    return pieces


def _joined(parts: list[tuple[int, Analysis]]) -> Analysis:
    """One text's analysis from its pieces' (each piece's offset, analysis)."""
    if len(parts) == 1 and parts[0][0] == 0:
        return parts[0][1]
    mentions, quotes, tokens = [], [], 0
    for shift, analysis in parts:
        for m in analysis.mentions:
            m.start, m.end = m.start + shift, m.end + shift
            mentions.append(m)
        for q in analysis.quotes:
            q.start, q.end = q.start + shift, q.end + shift
            quotes.append(q)
        tokens += analysis.tokens
    return Analysis(mentions, quotes, tokens)


def _sentence_text(norm: Normalized, s_start: int, s_end: int, mention: Mention) -> str:
    start, end = norm.to_original(s_start, s_end)
    if end - start > MAX_SENTENCE:
        # A "sentence" this long is a run-on list or a menu: keep a window around the name.
        start = max(start, mention.start - MAX_SENTENCE // 2)
        end = min(end, start + MAX_SENTENCE)
    return " ".join(norm.original[start:end].split())


_ANALYZERS: dict[tuple[str, str, str], Analyzer] = {}


def get_analyzer(model: str = DEFAULT_MODEL, data_dir: str | Path | None = None) -> Analyzer:
    """The process's Analyzer for this model and data folder (built once)."""
    directory = str(resolve_data_dir(data_dir))
    key = (model, directory, data_version(directory))
    if key not in _ANALYZERS:
        _ANALYZERS[key] = Analyzer(model, directory)
    return _ANALYZERS[key]
