"""Texts in, mentions and quotes out: normalise, run the pipeline, name things canonically.

Within one article a surname alone takes the full name used in the same article
("Brenas" → "Jean-Pierre Brenas"), an acronym takes the expansion the article gives
("Agence régionale de l'innovation (ARI)"), watchlist aliases take the watchlist name and
places the gazetteer's name and région. Offsets always index the text as given.

The order of passes, each with its data file (nlp/data/) and its tests:
1. `nlp.furniture.mask_furniture` blanks menu lines, breadcrumbs, slugs (furniture.toml);
   `nlp.normalize` cleans typography. Shared by `veille process` and `veille entities`.
2. The spaCy pipeline (`nlp.model.add_veille_components`): veille_sentences,
   veille_ruler (watchlist.toml, places.csv, `bodies`, patterns.jsonl) before the model's
   ner; after it veille_org_phrases (org_phrases.toml: heads, triggers, descriptors,
   demonyms, legal forms and tails, person_triggers, not_entity_triggers), veille_places
   (one-word places) and veille_cleanup (span edges, a positional article, places that
   run on, what is not a name).
3. Per article, `Analyzer._canonical_spans`: repeated mentions, acronyms, names in
   brackets, surnames, generic heads, lone subjects of business verbs, enumerations and
   announced lists (`enumeration_nouns`), demonyms (demonyms.txt), not_names.txt and
   not-entity names, watchlist and gazetteer names, then one label per name.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.components import DIRECTIONS, NOT_NAMES, TRUSTED_PREFIXES, proper_run
from nlp.furniture import Furniture, load_furniture, mask_furniture
from nlp.keys import entity_key
from nlp.model import DEFAULT_MODEL, load_pipeline, strip_article
from nlp.normalize import Normalized, normalize
from nlp.quotes import find_quotes
from nlp.resources import (
    LABELS,
    Gazetteer,
    OrgPhrases,
    WatchEntry,
    data_path,
    data_version,
    load_not_names,
    load_org_phrases,
    load_places,
    load_watchlist,
    resolve_data_dir,
)

TITLES = {
    "m.", "mme", "mlle", "mme.", "me", "dr", "dr.", "pr", "pr.", "maître", "monsieur",
    "madame", "mademoiselle", "docteur", "professeur",
}  # fmt: skip
# Words before a place name: prepositions of place and articles ("à Lyon", "la Norvège").
PLACE_WORDS = {
    "à", "au", "aux", "en", "dans", "vers", "près", "sur", "depuis", "entre", "jusqu'",
    "outre", "le", "la", "les", "l'",
}  # fmt: skip
CLITICS = {"s'", "se", "y", "en", "ne", "n'", "l'", "le", "la", "les", "lui", "leur"}
# Words of today's business news: an article with one of them is about companies, where a
# lone unknown name acting as a subject is a company (see `Analyzer._lone_names`). The euro
# dates the text; the others name what companies are, employ and raise.
BUSINESS = re.compile(
    r"€|\b(?:euros?|start-?ups?|PME|ETI|TPE|SCOP|incubateurs?|entreprises?|salariés|emplois"
    r"|investisseurs|levée|financement|recrute|recrutement|clients)\b",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"\.(?:fr|com|io|net|org|eu|co|ai|app|tech)$", re.IGNORECASE)
ENUM_ID = "veille:enumeration"
# Street words: "rue de la République" is the street's name, not "République".
STREETS = {
    "rue", "avenue", "boulevard", "bd", "place", "quai", "allée", "impasse", "chemin",
    "route", "cours", "square", "passage", "parvis", "esplanade", "pont", "porte",
}  # fmt: skip
# What may stand between two members of an enumeration: a comma, "et", "ou", and a short
# description in brackets ("Kalixo (logiciels), Brevan (tests) et Ondula").
_ENUM_GAP = re.compile(r"^\s*(?:\([^()\n]{1,40}\)\s*)?(?:,|et|ou|, et|, ou)\s*$")
_ENUM_LEAD = {":", "comme", "dont", "notamment", "parmi", "lesquels", "lesquelles"}
ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,9}$")
MAX_SENTENCE = 600
REGION = "Région"
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
        self.places: Gazetteer = load_places(data_path("places.csv", data_dir))
        self.watchlist: dict[str, WatchEntry] = {}
        for entry in load_watchlist(data_path("watchlist.toml", data_dir)):
            for spelling in (entry.name, *entry.aliases):
                self.watchlist.setdefault(entity_key(spelling), entry)
                self.watchlist.setdefault(entity_key(strip_article(spelling)), entry)
        phrases: OrgPhrases = load_org_phrases(data_path("org_phrases.toml", data_dir))
        self.legal_forms = {f.lower() for f in phrases.legal_forms}
        self.head_words = {h for h in phrases.heads if " " not in h and "'" not in h}
        self.enumeration_nouns = phrases.enumeration_nouns
        self.demonyms = phrases.demonyms
        self.furniture: Furniture = load_furniture(data_path("furniture.toml", data_dir))
        self.not_names = load_not_names(data_path("not_names.txt", data_dir))

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

    def _canonical_spans(self, doc: Doc, text: str) -> list[tuple[Span, str, str]]:
        spans: list[tuple[Span, str, str]] = []
        for ent in doc.ents:
            if ent.label_ in LABELS:
                surface = text[ent.start_char : ent.end_char]
                spans.append((ent, ent.label_, self._surface_name(surface, ent.label_)))
        spans = _repeated(doc, text, spans)
        spans = self._acronyms(doc, spans)
        spans = _parenthesised(doc, spans)
        spans = self._surnames(spans)
        spans = self._head_words(spans)
        spans = self._lone_names(doc, spans)
        spans = enumerations(doc, spans, self.enumeration_nouns)
        spans = [s for s in spans if not self._demonym(doc, s[0], s[1], s[2])]
        spans = self._not_names(doc, text, spans)
        out = []
        trusted: dict[str, str] = {}
        for span, label, name in spans:
            entry = self.watchlist.get(entity_key(name)) or self.watchlist.get(
                entity_key(text[span.start_char : span.end_char])
            )
            if entry is not None:
                label, name = entry.label, entry.name
                trusted.setdefault(entity_key(name), label)
            elif label == "LOC":
                place = self.places.lookup(name)
                if place is not None:
                    name = place.name
            if span.id_.startswith(TRUSTED_PREFIXES) or span.id_ == ENUM_ID:
                trusted.setdefault(entity_key(name), label)
            if entity_key(name):
                out.append((span, label, name))
        return _one_label_per_name(out, trusted)

    def _not_names(
        self, doc: Doc, text: str, spans: list[tuple[Span, str, str]]
    ) -> list[tuple[Span, str, str]]:
        """Drop what names none of ours: a word of not_names.txt ("AG", "État") unless staff
        data says otherwise, and every mention of a name a phrase showed to be a storm, a
        ship or a law ("la tempête Ciaran ... Ciaran a touché")."""
        others = {entity_key(s.text) for s in doc.spans.get(NOT_NAMES, [])}
        out = []
        for span, label, name in spans:
            surface = text[span.start_char : span.end_char]
            trusted = span.id_.startswith(("watch:", "pattern:"))
            if not trusted and (surface in self.not_names or entity_key(name) in others):
                continue
            out.append((span, label, name))
        return out

    def _demonym(self, doc: Doc, span: Span, label: str, name: str) -> bool:
        """Whether a "place" is a demonym ("les Picards", "Francs-Comtois"): not one the
        gazetteer knows, and not after a preposition or article of place ("au Lorrain",
        "du Limousin")."""
        # The span as written: "océan Indien" is named "Indien" but is no demonym.
        if label != "LOC" or span.text.lower() not in self.demonyms or self._place(name):
            return False
        before = doc[span.start - 1].lower_ if span.start else ""
        return before not in {"à", "au", "aux", "en", "du", "de", "d'", "dans"}

    def _surface_name(self, surface: str, label: str) -> str:
        words = surface.split()
        if label == "PER":
            while len(words) > 1 and words[0].lower() in TITLES:
                words = words[1:]
        if label == "LOC" and words and words[0].lower() not in STREETS:
            # "département du Finistère", "la vallée du Grésivaudan", "mer Méditerranée":
            # the place's common noun stays in the span, the name is the proper name.
            k = 0
            while k < len(words) - 1 and words[k] == words[k].lower():
                k += 1
            rest = words[k:]
            # "océan Indien" keeps its noun: an adjective alone names nothing.
            if k > 0 and rest[0][:1].isupper() and " ".join(rest).lower() not in self.demonyms:
                words = rest
        if label == "ORG":
            while len(words) > 1 and words[-1].lower().strip(".") in self.legal_forms:
                words = words[:-1]
            if len(words) == 1:
                # "Ondula.fr" is the company Ondula.
                words = [_DOMAIN.sub("", words[0]) or words[0]]
        return " ".join(words).strip("«»\"' ")

    def _acronyms(
        self, doc: Doc, spans: list[tuple[Span, str, str]]
    ) -> list[tuple[Span, str, str]]:
        """Map acronyms to the expansion given in the article: "Expansion (ACR)", "ACR (Expansion)"."""
        expansions: dict[str, tuple[str, str]] = {}
        by_start = {span.start: (span, label, name) for span, label, name in spans}
        for ent in doc.ents:
            after = doc[ent.end : ent.end + 3]
            acronym = _bracketed_acronym(doc, ent.end)
            if acronym:
                # "Agence régionale de l'innovation Lorraine (ARI Lorraine)": the acronym,
                # with a place in it or not, names the expansion.
                info = by_start.get(ent.start)
                if (
                    info
                    and info[1] != "PER"
                    and info[2] != acronym
                    and entity_key(info[2])[:1] == acronym[:1].lower()
                ):
                    expansions.setdefault(acronym, (info[1], info[2]))
            if len(ent) == 1 and ACRONYM.match(ent.text) and after[:1].text == "(":
                inner = by_start.get(ent.end + 1)
                if inner and inner[1] == "ORG" and doc[inner[0].end : inner[0].end + 1].text == ")":
                    expansions.setdefault(ent.text, ("ORG", inner[2]))
        if not expansions:
            return spans
        covered = {i for span, _, _ in spans if len(span) > 1 for i in range(span.start, span.end)}
        out = []
        for span, label, name in spans:
            if len(span) == 1 and span.text in expansions:
                continue
            if span.text in expansions:
                # A multi-word acronym the model labelled ("ARI Lorraine" as a place).
                label, name = expansions[span.text]
            out.append((span, label, name))
        for token in doc:
            if token.text in expansions and token.i not in covered:
                label, name = expansions[token.text]
                out.append((doc[token.i : token.i + 1], label, name))
        for acronym in (a for a in expansions if " " in a):
            # Every "ARI Lorraine" is the agency, whatever the model made of its words.
            at = doc.text.find(acronym)
            while at >= 0:
                span = doc.char_span(at, at + len(acronym))
                if span is not None and not any(
                    s.start < span.end and s.end > span.start and s.id_.startswith(TRUSTED_PREFIXES)
                    for s, _, _ in out
                ):
                    out = [
                        item
                        for item in out
                        if not (item[0].start < span.end and item[0].end > span.start)
                    ]
                    out.append((span, *expansions[acronym]))
                at = doc.text.find(acronym, at + len(acronym))
        out.sort(key=lambda item: item[0].start)
        return out

    def _surnames(self, spans: list[tuple[Span, str, str]]) -> list[tuple[Span, str, str]]:
        """A surname alone ("Brenas", "M. Brenas") takes the nearest full name ending with it.

        The model sometimes labels the lone surname as a place or an organisation: a
        single word equal to the surname of a person named in full in the same article is
        that person (unless it came from staff data).
        """
        full = [
            (span.start, name, [entity_key(w) for w in name.split()])
            for span, label, name in spans
            if label == "PER" and len(name.split()) > 1
        ]
        if not full:
            return spans
        out = []
        for span, label, name in spans:
            words = [entity_key(w) for w in name.split()]
            if label == "PER" or (len(words) == 1 and not span.id_.startswith(TRUSTED_PREFIXES)):
                matches = [
                    (start, full_name)
                    for start, full_name, full_words in full
                    if len(full_words) > len(words) and full_words[-len(words) :] == words
                ]
                if matches:
                    before = [m for m in matches if m[0] < span.start]
                    label, name = "PER", (before[-1] if before else matches[0])[1]
            out.append((span, label, name))
        return out

    def _lone_names(
        self, doc: Doc, spans: list[tuple[Span, str, str]]
    ) -> list[tuple[Span, str, str]]:
        """A one-word "person" or unknown "place" that acts like a company is one.

        The model calls invented company names ("Talvenn lève 4 millions") people or places.
        A person in the news is named in full once (then `_surnames` gives the full name)
        or with a title; a place takes "à", "en", "la"... So a one-word name with none of
        those, not in the gazetteer nor in the model's word vectors, that is the subject of
        a verb somewhere in the article ("X lève", "X s'installe") is taken for an
        organisation. That holds in business news only: in a biography, a sports result or
        an old newspaper the unknown subject is a foreign surname or town as often as not,
        so the rule applies only to an article that speaks of business (`BUSINESS`), or to
        a name in a paragraph that names an organisation as one ("la start-up X", a
        watchlist member).
        """
        business = bool(BUSINESS.search(doc.text))
        orgs = [
            span
            for span, label, _ in spans
            if label == "ORG" and span.id_.startswith(TRUSTED_PREFIXES)
        ]
        if not business and not orgs:
            return spans
        groups: dict[tuple[str, str], list[Span]] = {}
        for span, label, name in spans:
            if label in ("PER", "LOC") and len(span) == 1 and len(name.split()) == 1:
                groups.setdefault((label, entity_key(name)), []).append(span)
        relabel = set()
        for (label, key), found in groups.items():
            if key in self.watchlist or any(s.id_.startswith(TRUSTED_PREFIXES) for s in found):
                continue
            before = {doc[s.start - 1].lower_ for s in found if s.start > 0}
            if label == "PER" and before & TITLES:
                continue
            if label == "LOC" and (
                before & PLACE_WORDS or self.places.lookup(found[0].text) is not None
            ):
                continue
            if found[0][0].has_vector:
                # A word the model's vocabulary knows ("Berlin", "Mozart") is left alone:
                # invented company names are out of its vocabulary.
                continue
            if not business and not any(_same_paragraph(doc, s, o) for s in found for o in orgs):
                continue
            if any(_subject_of_verb(doc, s.end) for s in found):
                relabel.add((label, key))
        if not relabel:
            return spans
        return [
            (span, "ORG" if (label, entity_key(name)) in relabel else label, name)
            for span, label, name in spans
        ]

    def _head_words(self, spans: list[tuple[Span, str, str]]) -> list[tuple[Span, str, str]]:
        """A generic head alone ("la Région", "la Métropole") is the longer name it abbreviates.

        It takes the nearest preceding mention that starts with it in the same article
        ("Région Bourgogne-Franche-Comté"); with none, it names nothing and is dropped,
        except "Région" (see `nlp.process`).
        """
        out = []
        for span, label, name in spans:
            if (
                len(span) == 1
                and span.text in self.head_words
                and not span.id_.startswith(TRUSTED_PREFIXES)
            ):
                longer = [
                    (other, other_label, other_name)
                    for other, other_label, other_name in spans
                    if len(other) > 1 and other.text.split()[0] == span.text
                ]
                if not longer:
                    if span.text != REGION:
                        continue
                    # "la Région" in a regional outlet is its regional council: kept, and
                    # named after the outlet's région when the article is stored.
                    out.append((span, "ORG", REGION))
                    continue
                before = [item for item in longer if item[0].start < span.start]
                _, label, name = before[-1] if before else longer[0]
            out.append((span, label, name))
        return out

    def _place(self, name: str):
        """The gazetteer's place for a name, or for its end ("Nord Franche-Comté")."""
        place = self.places.lookup(name)
        words = name.split()
        if place is None and len(words) > 1 and words[0] in DIRECTIONS:
            place = self.places.lookup(" ".join(words[1:]))
        return place

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


def enumerations(
    doc: Doc, spans: list[tuple[Span, str, str]], nouns: frozenset[str]
) -> list[tuple[Span, str, str]]:
    """Names listed together are of one kind: organisations, where the list follows a
    plural business noun ("des entreprises sont installées : X, Y (tests) et Z") or one
    member is an organisation by staff data or a phrase. Members the model missed between
    listed names ("X (logiciels), Y (tests) et Z") are added."""
    spans = _announced_lists(doc, spans, nouns)
    if not spans:
        return spans
    spans = sorted(spans, key=lambda item: item[0].start)
    taken = {i for span, _, _ in spans for i in range(span.start, span.end)}
    groups: list[list[int]] = [[0]]
    for k in range(1, len(spans)):
        prev, cur = spans[k - 1][0], spans[k][0]
        gap = doc.text[prev.end_char : cur.start_char]
        if (
            _ENUM_GAP.match(gap)
            and "\n" not in gap
            and _listable(spans[k - 1])
            and _listable(spans[k])
        ):
            groups[-1].append(k)
        else:
            groups.append([k])
    out = list(spans)
    added: list[tuple[Span, str, str]] = []
    for group in groups:
        members = [spans[k] for k in group]
        first = members[0][0]
        lead = doc[max(0, first.start - 12) : first.start]
        by_noun = (
            first.start > 0
            and doc[first.start - 1].lower_ in _ENUM_LEAD
            and any(f" {noun} " in f" {' '.join(t.lower_ for t in lead)} " for noun in nouns)
            and not any(t.is_sent_start for t in doc[first.start - 1 : first.start])
        )
        by_member = any(
            label == "ORG" and span.id_.startswith(TRUSTED_PREFIXES) for span, label, _ in members
        )
        if not (by_noun or by_member):
            continue
        # Names the model missed after a listed one: "(tests) et Sabrak", ", Sabrak".
        extra: list[Span] = []
        last = members[-1][0]
        i = last.end
        while i < len(doc):
            j = i
            if doc[j].text == "(":
                while j < len(doc) and doc[j].text != ")" and j - i < 10:
                    j += 1
                j += 1
            if j < len(doc) and doc[j].text == ",":
                j += 1
            if j < len(doc) and doc[j].lower_ in {"et", "ou"}:
                j += 1
            if j == i or j >= len(doc) or j in taken:
                break
            end = proper_run(doc, j)
            if end == j or any(k in taken for k in range(j, end)) or not _letters(doc[j:end]):
                break
            extra.append(doc[j:end])
            i = end
        if len(members) + len(extra) < 2:
            continue
        for k in group:
            span, _, name = out[k]
            if not span.id_.startswith(TRUSTED_PREFIXES):
                # Marked, so that the article's other mentions of the name follow it.
                span = Span(doc, span.start, span.end, label="ORG", span_id=ENUM_ID)
            out[k] = (span, "ORG", name)
        for span in extra:
            taken.update(range(span.start, span.end))
            name = _DOMAIN.sub("", span.text) or span.text
            added.append(
                (Span(doc, span.start, span.end, label="ORG", span_id=ENUM_ID), "ORG", name)
            )
    if not added:
        return out
    return sorted(out + added, key=lambda item: item[0].start)


def _announces(doc: Doc, i: int, nouns: frozenset[str]) -> int | None:
    """Where the list starts when token i announces names of organisations, else None.

    "des entreprises du numérique : X", "cinq jeunes entreprises, dont X", "des PME
    comme X", and "Parmi elles, X" after a sentence about entreprises: a plural business
    noun (`enumeration_nouns`) shortly before the lead word.
    """
    token = doc[i]
    lower = token.lower_
    start = i + 1
    window = 12
    if lower == "parmi":
        if i + 1 >= len(doc) or doc[i + 1].lower_ not in {"elles", "eux", "lesquelles", "lesquels"}:
            return None
        start = i + 2
        if start < len(doc) and doc[start].text == ",":
            start += 1
        window = 60  # the pronoun refers back to the sentence before
    elif lower not in {":", "dont", "notamment", "comme"}:
        return None
    lead = f" {doc[max(0, i - window) : i].text.lower()} "
    if not any(_word_in(noun, lead) for noun in nouns):
        return None
    return start


def _word_in(word: str, text: str) -> bool:
    """Whether `word` stands in `text` as a whole word ("start-up", not "startups")."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if not text[at - 1].isalnum() and not text[end].isalnum():
            return True
        at = text.find(word, at + 1)
    return False


def _list_members(doc: Doc, start: int) -> list[tuple[int, int]]:
    """Token ranges of the names listed from `start`: "X (logiciels), Y et Z.fr"."""
    members: list[tuple[int, int]] = []
    k, n = start, len(doc)
    while k < n:
        if doc[k].pos_ in {"DET", "ADP", "PRON", "CCONJ", "SCONJ", "AUX", "VERB"}:
            break
        end = proper_run(doc, k)
        if end == k or (members and doc[k].is_sent_start) or not _letters(doc[k:end]):
            break
        members.append((k, end))
        k = end
        if k < n and doc[k].text == "(":
            close = k
            while close < n and doc[close].text != ")" and close - k < 10:
                close += 1
            k = close + 1
        gap = k
        if gap < n and doc[gap].text == ",":
            gap += 1
        if gap < n and doc[gap].lower_ in {"et", "ou"}:
            gap += 1
            if gap < n and doc[gap].lower_ in {"encore", "aussi", "enfin"}:
                gap += 1
        if gap == k:
            break
        k = gap
    return members


def _announced_lists(
    doc: Doc, spans: list[tuple[Span, str, str]], nouns: frozenset[str]
) -> list[tuple[Span, str, str]]:
    """Names listed after a plural business noun are organisations, found or not.

    "Cinq jeunes entreprises, dont Kalixo et Brevan": both are ORG even where the model
    saw nothing or a person; a person named in full stays a person.
    """
    leads = [
        i for i, t in enumerate(doc) if t.lower_ in {":", "dont", "notamment", "comme", "parmi"}
    ]
    if not leads or not nouns:
        return spans
    by_range = {(span.start, span.end): k for k, (span, _, _) in enumerate(spans)}
    out = list(spans)
    taken = {i for span, _, _ in spans for i in range(span.start, span.end)}
    for i in leads:
        start = _announces(doc, i, nouns)
        if start is None:
            continue
        for a, b in _list_members(doc, start):
            k = by_range.get((a, b))
            if k is not None:
                span, label, name = out[k]
                if span.id_.startswith(TRUSTED_PREFIXES) or not _listable(out[k]):
                    continue
                out[k] = (Span(doc, a, b, label="ORG", span_id=ENUM_ID), "ORG", name)
            elif not any(m in taken for m in range(a, b)):
                text = doc[a:b].text
                name = _DOMAIN.sub("", text) or text
                out.append((Span(doc, a, b, label="ORG", span_id=ENUM_ID), "ORG", name))
                taken.update(range(a, b))
    return sorted(out, key=lambda item: item[0].start)


def _letters(span: Span) -> bool:
    """Whether a span has two letters at least: "G" in "G.-F. Gallot" is an initial."""
    return sum(c.isalpha() for c in span.text) >= 2


def _bracketed_acronym(doc: Doc, i: int) -> str | None:
    """The acronym in brackets at token i: "(ARI)", "(ARI Lorraine)", else None."""
    if i >= len(doc) or doc[i].text != "(":
        return None
    close = i + 1
    while close < len(doc) and close - i <= 4 and doc[close].text != ")":
        close += 1
    if close >= len(doc) or doc[close].text != ")" or close == i + 1:
        return None
    inner = doc[i + 1 : close]
    if not ACRONYM.match(inner[0].text) or not all(_name_word(t.text) for t in inner):
        return None
    return inner.text


def _name_word(text: str) -> bool:
    return text[:1].isupper() or text in {"-", "&"}


def _listable(item: tuple[Span, str, str]) -> bool:
    """Whether a name can be a member of a list of organisations: a person named in full
    after a comma is an apposition ("le président de la Commission, Jean Gallot"), and a
    single letter is an initial."""
    span, label, name = item
    letters = sum(c.isalpha() for c in span.text)
    return letters >= 2 and not (label == "PER" and len(name.split()) > 1)


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


def _same_paragraph(doc: Doc, a: Span, b: Span) -> bool:
    """Whether no line break separates spans `a` and `b`."""
    return "\n" not in doc.text[min(a.end_char, b.end_char) : max(a.start_char, b.start_char)]


def _subject_of_verb(doc: Doc, i: int) -> bool:
    """Whether a verb follows at token i, after clitics: "lève", "s'offre", "y installe"."""
    while i < len(doc) and doc[i].lower_ in CLITICS:
        i += 1
    return i < len(doc) and doc[i].pos_ in {"VERB", "AUX"}


def _repeated(
    doc: Doc, norm_text: str, spans: list[tuple[Span, str, str]]
) -> list[tuple[Span, str, str]]:
    """Every other occurrence of a name the article names once is a mention too.

    The model often finds a name in one sentence and misses it in the next ("Datacomté a
    inauguré..." / "dont Datacomté"); the same words in the same article are the same name.
    """
    if not spans:
        return spans
    taken = {i for span, _, _ in spans for i in range(span.start, span.end)}
    # Names that are none of ours ("le plan Norvège 2030") hold no mention either.
    taken |= {i for span in doc.spans.get(NOT_NAMES, []) for i in range(span.start, span.end)}
    known: dict[str, tuple[str, str]] = {}
    for span, label, name in spans:
        surface = norm_text[span.start_char : span.end_char]
        if len(surface) > 2 and not surface.islower():
            known.setdefault(surface, (label, name))
    if not known:
        return spans
    # The normalised text the doc was made from: doc.text rebuilds it token by token.
    text = norm_text
    added = []
    for surface in sorted(known, key=len, reverse=True):
        at = text.find(surface)
        while at >= 0:
            end = at + len(surface)
            bounded = (at == 0 or not text[at - 1].isalnum()) and (
                end == len(text) or not text[end].isalnum()
            )
            span = doc.char_span(at, end) if bounded else None
            if span is not None and not any(i in taken for i in range(span.start, span.end)):
                label, name = known[surface]
                added.append((span, label, name))
                taken.update(range(span.start, span.end))
            at = text.find(surface, end)
    if not added:
        return spans
    return sorted(spans + added, key=lambda item: item[0].start)


def _parenthesised(doc: Doc, spans: list[tuple[Span, str, str]]) -> list[tuple[Span, str, str]]:
    """A name in brackets right after an organisation is another name of one: "Faurecia (Forvia)"."""
    orgs_end = {span.end for span, label, _ in spans if label == "ORG"}
    out = []
    for span, label, name in spans:
        if (
            label != "ORG"
            and span.start >= 2
            and doc[span.start - 1].text == "("
            and span.start - 1 in orgs_end
            and span.end < len(doc)
            and doc[span.end].text == ")"
        ):
            label = "ORG"
        out.append((span, label, name))
    return out


def _one_label_per_name(
    spans: list[tuple[Span, str, str]], trusted: dict[str, str]
) -> list[tuple[Span, str, str]]:
    """One label per name within an article: staff data's, else the most frequent.

    The model may call the same company a person in one sentence and an organisation in
    the next; an article names one thing by one name. Ties go to the first label seen.
    """
    votes: dict[str, Counter] = {}
    for _, label, name in spans:
        votes.setdefault(entity_key(name), Counter())[label] += 1
    out = []
    for span, label, name in spans:
        key = entity_key(name)
        if key in trusted:
            label = trusted[key]
        elif len(votes[key]) > 1:
            label = votes[key].most_common(1)[0][0]
        out.append((span, label, name))
    return out


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
