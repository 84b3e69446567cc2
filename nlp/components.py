"""spaCy components veille adds around the model's NER.

- `veille_org_phrases` (after NER): organisation-shaped phrases from org_phrases.toml
  correct the model: "la start-up X" and "X SAS" make X an ORG, "Université de X" one ORG.
  It runs after the NER rather than before it because a span fixed before the NER stops the
  model from building the longer name around it (a place preset in "Université de Bourgogne"
  leaves the model with "Université de" alone).
- `veille_cleanup` (last): strips elisions, determiners, quotes and punctuation from span
  edges, cuts spans at line breaks and drops what is not a name, judging by the model's own
  part-of-speech tags and lexicon of common nouns rather than by a list of words of ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from spacy.attrs import IS_SPACE, LOWER, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from nlp.resources import OrgPhrases, load_org_phrases

# Span ids that mark where a span came from; spans from staff data are trusted as written.
PHRASE_ID = "veille:phrase"
# doc.spans key of names that are none of PER, ORG, LOC ("la tempête Ciaran").
NOT_NAMES = "veille_not_names"
TRUSTED_PREFIXES = ("watch:", "place:", "pattern:", PHRASE_ID)

ELISIONS = {"l'", "d'", "qu'", "n'", "s'", "j'", "c'", "m'", "t'", "jusqu'", "lorsqu'", "puisqu'"}
# Lowercase words at a span's edge that are grammar, not name (when POS tags are missing).
FUNCTION_WORDS = {
    "le", "la", "les", "de", "du", "des", "à", "au", "aux", "en", "et", "pour", "par", "avec",
    "sur", "dans", "chez",
}  # fmt: skip
DETERMINERS = {
    "le",
    "la",
    "les",
    "l'",
    "un",
    "une",
    "ce",
    "cet",
    "cette",
    "ces",
    "son",
    "sa",
    "ses",
}
# Words that make a new place of the place after them ("Nord Franche-Comté", "Haut-Jura").
DIRECTIONS = {
    "Nord", "Sud", "Est", "Ouest", "Centre", "Haut", "Haute", "Bas", "Basse", "Grand", "Grande",
}  # fmt: skip
OPENING = {"#", "@", "«", '"', "'", "(", "[", "“", "‘", "-", "–", "—", "/", "•", "·", "*"}
# Parts of speech that cannot head a name (the issue: verbs, adverbs, pronouns, determiners,
# conjunctions, interjections; plus adpositions, numbers and symbols).
NOT_A_NAME = {"VERB", "AUX", "ADV", "PRON", "DET", "CCONJ", "SCONJ", "INTJ", "ADP", "NUM", "SYM"}
NAME_POS = {"PROPN", "NOUN", "X"}
# Tags of NOT_A_NAME that the tagger gives a capitalised name it does not recognise, from
# its place alone (never a verb: "Partager" is a button wherever it stands).
CAPITAL_WINS = {"PRON", "ADV", "ADJ", "INTJ"}
MAX_NAME_TOKENS = 8
# Nouns of time that end a complement rather than belong to a name ("de l'année").
TIME_NOUNS = {"an", "année", "mois", "semaine", "jour", "fin", "début", "été", "hiver"}
DEMONYM_ARTICLES = {"le", "la", "l'", "les", "un", "une", "du", "au", "des"}
_TWO_LETTERS = re.compile(r"[^\W\d_].*[^\W\d_]", re.DOTALL)


@dataclass
class _Candidate:
    start: int
    end: int
    kind: str  # head, trigger, legal
    strong: bool = False
    descriptor: bool = False


def _is_trusted(span: Span) -> bool:
    return span.id_.startswith(TRUSTED_PREFIXES)


def _name_like(token: Token) -> bool:
    """Could start or continue a proper name: capitalised, an acronym, "iXblue", "3D Ouest"."""
    text = token.text
    if token.is_space or token.is_punct or not text:
        return False
    if text[0].isupper():
        return True
    if text[0].isdigit():
        return any(c.isalpha() for c in text)
    return text[0].isalpha() and any(c.isupper() for c in text[1:])


def proper_run(doc: Doc, start: int, stop_words: frozenset[str] = frozenset()) -> int:
    """End of the capitalised name starting at token `start` (== start when there is none).

    Hyphens and apostrophes glued to both neighbours are part of the name
    ("Bourgogne-Franche-Comté", "Saint-Martin-d'Hères"); a line break or a new sentence
    ends it.
    """
    n = len(doc)
    if start >= n or not _name_like(doc[start]) or doc[start].text in stop_words:
        return start
    end = start + 1
    while end < n and end - start < MAX_NAME_TOKENS:
        token = doc[end]
        if token.is_sent_start or token.text in stop_words:
            break
        glued = doc[end - 1].whitespace_ == ""
        if (
            token.text == "-"
            and glued
            and not token.whitespace_
            and end + 2 < n
            and doc[end + 1].lower_ in ELISIONS
            and not doc[end + 1].whitespace_
            and _name_like(doc[end + 2])
        ):
            # "Côtes-d'Armor", "Villenave-d'Ornon": the tokenizer splits the elision off.
            end += 3
            continue
        if token.text in {"-", "'", "&"} and end + 1 < n:
            nxt = doc[end + 1]
            if (glued and token.whitespace_ == "" and nxt.is_alpha) or (
                token.text == "&" and _name_like(nxt)
            ):
                end += 2
                continue
            break
        if _name_like(token):
            end += 1
            continue
        break
    return end


def _skip_description(doc: Doc, start: int) -> int:
    """Skip what describes the organisation between a trigger and its name.

    "la start-up beaunoise VitiSense" (the tagger often calls a demonym a noun there),
    "l'éditeur de logiciels Optimia", "le spécialiste de l'usinage Mécaprec". The name must
    follow a noun or an adjective: after a preposition it is a complement, not the name
    ("l'association des maires de France").
    """
    n = len(doc)
    j = start
    while j < min(n, start + 5):
        token = doc[j]
        describes = token.is_lower and token.is_alpha and token.pos_ in {"ADJ", "NOUN", "PROPN"}
        if not (describes or token.lower_ in {"de", "d'", "du", "des", "l'", "la", "en"}):
            break
        j += 1
    # Step back to just after the last noun or adjective.
    while j > start and not (doc[j - 1].is_alpha and doc[j - 1].pos_ in {"ADJ", "NOUN", "PROPN"}):
        j -= 1
    return j


def _run_before(doc: Doc, end: int) -> int:
    """Start of the capitalised name ending just before token `end` ("Numelec" in "Numelec SAS")."""
    start = end
    while start > 0 and end - start < MAX_NAME_TOKENS:
        prev = doc[start - 1]
        if prev.is_space or prev.is_sent_start and not _name_like(prev):
            break
        if _name_like(prev) or (prev.text in {"-", "&", "'"} and start - 1 > 0):
            start -= 1
            if doc[start].is_sent_start:
                break
            continue
        break
    while start < end and not _name_like(doc[start]):
        start += 1
    return start


class OrgPhrasesComponent:
    """Correct the NER with organisation-shaped phrases (see the module docstring)."""

    def __init__(self, nlp: Language, phrases: OrgPhrases):
        tokenize = nlp.tokenizer

        def split(phrase: str) -> tuple[str, ...]:
            # An elision is split off only before a word: "président d'" alone would
            # tokenize as "d" + "'".
            if phrase.endswith("'"):
                return tuple(t.text for t in tokenize(phrase + "a"))[:-1]
            return tuple(t.text for t in tokenize(phrase))

        self.triggers = sorted({split(t.lower()) for t in phrases.triggers}, key=len, reverse=True)
        self.strong = {split(t.lower()) for t in phrases.strong}
        self.descriptors = {split(t.lower()) for t in phrases.descriptors}
        self.heads = sorted({split(h) for h in phrases.heads}, key=len, reverse=True)
        self.connectors = sorted(
            {split(c.lower()) for c in phrases.connectors}, key=len, reverse=True
        )
        self.legal_forms = frozenset(phrases.legal_forms)
        self.tails = frozenset(phrases.tails)
        self.demonyms = frozenset(phrases.demonyms)
        # "la tempête Ciaran", "le navire Eixil": what these nouns name is none of ours.
        self._other_starts: dict[str, list[tuple[str, ...]]] = {}
        for other in sorted({split(o.lower()) for o in phrases.others}, key=len, reverse=True):
            self._other_starts.setdefault(other[0], []).append(other)
        # "fondée par Maialen Etxeberria": a first name and a surname after these are a person.
        self._person_starts: dict[str, list[tuple[str, ...]]] = {}
        for words in sorted({split(p.lower()) for p in phrases.people}, key=len, reverse=True):
            self._person_starts.setdefault(words[0], []).append(words)
        # The model's lexicon of adverbs (see `nlp.model.lexicon`), set after the factory.
        self.adverbs: frozenset[str] = frozenset()
        self._trigger_starts: dict[str, list[tuple[str, ...]]] = {}
        for trigger in self.triggers:
            self._trigger_starts.setdefault(trigger[0], []).append(trigger)
        self._head_starts: dict[str, list[tuple[str, ...]]] = {}
        for head in self.heads:
            self._head_starts.setdefault(head[0], []).append(head)
        strings = nlp.vocab.strings
        self._orth_starts = np.array(
            sorted(strings.add(w) for w in set(self._head_starts) | self.legal_forms | self.tails),
            dtype="uint64",
        )
        self._lower_starts = np.array(
            sorted(
                strings.add(w)
                for w in set(self._trigger_starts)
                | self.demonyms
                | set(self._other_starts)
                | set(self._person_starts)
            ),
            dtype="uint64",
        )

    def __call__(self, doc: Doc) -> Doc:
        candidates = self._find(doc)
        if not candidates:
            return doc
        ents = list(doc.ents)
        others = []
        for cand in candidates:
            if cand.kind == "person":
                ents = self._person(doc, ents, cand)
                continue
            if cand.kind == "other":
                # The model's spans there go; the name is kept aside so that the
                # article's other mentions of it go too.
                others.append(Span(doc, cand.start, cand.end, label="NONE"))
                ents = [
                    e
                    for e in ents
                    if _is_trusted(e) or not (e.start < cand.end and e.end > cand.start)
                ]
                continue
            ents = self._apply(doc, ents, cand)
        doc.ents = sorted(ents, key=lambda s: s.start)
        if others:
            doc.spans[NOT_NAMES] = others
        return doc

    def _match(self, doc: Doc, i: int, phrase: tuple[str, ...], lower: bool) -> bool:
        if i + len(phrase) > len(doc):
            return False
        for k, word in enumerate(phrase):
            token = doc[i + k]
            if (token.lower_ if lower else token.text) != word:
                return False
        return True

    @staticmethod
    def _person(doc: Doc, ents: list[Span], cand: _Candidate) -> list[Span]:
        """The model's span over a name after "fondée par" becomes a person, unless staff
        data gave it; with no span there, the name is added."""
        overlapping = [e for e in ents if e.start < cand.end and e.end > cand.start]
        if any(_is_trusted(e) for e in overlapping):
            return ents
        if overlapping and any(e.label_ == "PER" for e in overlapping):
            return ents
        kept = [e for e in ents if not (e.start < cand.end and e.end > cand.start)]
        return [*kept, Span(doc, cand.start, cand.end, label="PER")]

    def _match_head(self, doc: Doc, i: int, head: tuple[str, ...]) -> bool:
        """A head's first word as written (its capital tells a name from a common noun),
        the rest in any case: "Chambre de Commerce et d'Industrie", "centre Hospitalier"."""
        if i + len(head) > len(doc) or doc[i].text != head[0]:
            return False
        return all(doc[i + k].lower_ == word.lower() for k, word in enumerate(head[1:], 1))

    def _head_end(self, doc: Doc, i: int, size: int) -> int | None:
        """End of the organisation named from the head at token i (`size` tokens), or None.

        Rules in order: adjectives after the head ("Pôle métropolitain"); a connector and a
        name ("Université de Franche-Comté"); a capitalised head's common-noun complement
        ("Agence régionale de l'innovation"); a capitalised head with adjectives alone
        ("Conseil constitutionnel"); then the name goes on ("Région Pays de la Loire") and
        may close with a complement ("École Sévigné du numérique").
        """
        n = len(doc)
        token = doc[i]
        j = i + size
        while j < min(n, i + size + 3) and doc[j].is_lower and doc[j].pos_ == "ADJ":
            j += 1
        connected = self._connector(doc, j)
        end = proper_run(doc, connected, self.legal_forms)
        if end == connected and connected > j and token.is_title:
            # "Agence régionale de l'innovation", "Banque des territoires": a capitalised
            # head with a common-noun complement.
            end = self._complement(doc, connected)
            if end > connected:
                end = self._name_after_complement(doc, end)
        if end > connected:
            end = self._name_goes_on(doc, end)
            if token.is_title:
                end = self._closing_complement(doc, end)
            return end
        if (
            connected == j
            and j > i + size
            and token.is_title
            and not token.is_sent_start
            and token.text not in {"Haut", "Haute"}
        ):
            # "le Conseil constitutionnel", "le Centre spatial guyanais": a capitalised
            # head mid-sentence with its adjectives is the body's whole name.
            return j
        return None

    def _closing_complement(self, doc: Doc, end: int) -> int:
        """A common-noun complement after a head's name: "École Sévigné du numérique",
        "Haut Conseil de l'évaluation de la recherche" (not a date: "de l'année")."""
        k = self._connector(doc, end)
        if k == end:
            return end
        closed = self._complement(doc, k)
        if closed > k and not any(doc[m].lower_ in TIME_NOUNS for m in range(k, closed)):
            return closed
        return end

    def _connector(self, doc: Doc, j: int) -> int:
        """Index after a connector ("de", "du", "d'", "de la"...) at j, or j."""
        for conn in self.connectors:
            if self._match(doc, j, conn, lower=True):
                return j + len(conn)
        return j

    def _complement(self, doc: Doc, j: int) -> int:
        """End of a common-noun complement at j ("l'innovation", "la recherche scientifique").

        An article, a noun, adjectives, and at most two more "et"/"de" steps ("des
        sciences de la vigne et du vin"); a name may close it ("Chambre de commerce de Lyon"). Needs the tagger; j when there is none.
        """
        n = len(doc)
        end = j
        for step in range(3):
            k = end
            if step:
                # A second noun only after "et" or "de": "de développement et d'innovation".
                if k < n and doc[k].lower_ == "et":
                    k += 1
                k = self._connector(doc, k)
                if k == end:
                    break
            if k < n and doc[k].lower_ in {"la", "l'", "les", "le"}:
                k += 1
            if not (k < n and doc[k].is_lower and doc[k].pos_ == "NOUN"):
                break
            k += 1
            while k < n and doc[k].is_lower and doc[k].pos_ == "ADJ":
                k += 1
            end = k
        if end > j:
            closing = self._connector(doc, end)
            if closing > end:
                name_end = proper_run(doc, closing, self.legal_forms)
                if name_end > closing:
                    end = name_end
        return end

    def _find(self, doc: Doc) -> list[_Candidate]:
        out: list[_Candidate] = []
        n = len(doc)
        # Only the few tokens that can start a phrase are looked at one by one: going
        # through every token in Python would cost more than the model's NER.
        ids = doc.to_array([ORTH, LOWER])
        hits = np.flatnonzero(
            np.isin(ids[:, 0], self._orth_starts) | np.isin(ids[:, 1], self._lower_starts)
        )
        for i in hits.tolist():
            token = doc[i]
            # "un lycée professionnel de X" is a school of X, not a name; "le lycée X" is.
            generic = token.is_lower and i > 0 and doc[i - 1].lower_ in {"un", "une", "des"}
            if token.text in self._head_starts and not generic:
                for head in self._head_starts[token.text]:
                    if not self._match_head(doc, i, head):
                        continue
                    end = self._head_end(doc, i, len(head))
                    if end is not None:
                        out.append(_Candidate(i, end, "head"))
                    break
            # "la start-up X", "la PME X"; a capitalised "Société" starts a name instead,
            # but a sentence may begin with a trigger ("Chez Dubreuil, ...").
            lower_ok = token.is_lower or token.is_upper
            lower_ok = lower_ok or (token.is_sent_start and token.text not in self._head_starts)
            if lower_ok and token.lower_ in self._trigger_starts:
                for trigger in self._trigger_starts[token.lower_]:
                    if not self._match(doc, i, trigger, lower=True):
                        continue
                    j = i + len(trigger)
                    j = _skip_description(doc, j)
                    if j < n and doc[j].text in {"«", '"'}:
                        j += 1
                    end = proper_run(doc, j, self.legal_forms)
                    strong = trigger in self.strong
                    descriptor = trigger in self.descriptors
                    if end > j:
                        out.append(_Candidate(j, end, "trigger", strong, descriptor))
                    elif trigger[-1] not in {"de", "d'", "chez"}:
                        # "X, directrice de Y" describes a person; "X, une start-up" a firm.
                        before = self._apposed(doc, i)
                        if before is not None:
                            out.append(_Candidate(before[0], before[1], "trigger", strong))
                    break
            if token.is_lower and token.lower_ in self._person_starts:
                for words in self._person_starts[token.lower_]:
                    if self._match(doc, i, words, lower=True):
                        j = i + len(words)
                        end = proper_run(doc, j, self.legal_forms)
                        # Two or three capitalised words: a first name and a surname.
                        if 2 <= end - j <= 3 and all(doc[m].is_title for m in range(j, end)):
                            out.append(_Candidate(j, end, "person"))
                        break
            if token.is_lower and token.lower_ in self._other_starts:
                for other in self._other_starts[token.lower_]:
                    if self._match(doc, i, other, lower=True):
                        j = _skip_description(doc, i + len(other))
                        end = proper_run(doc, j, self.legal_forms)
                        # "le plan France 2030" names "France 2030", not every "France".
                        while end > j and end < n and doc[end].is_digit:
                            end += 1
                        if end > j:
                            out.append(_Candidate(j, end, "other"))
                        break
            if (
                token.is_lower
                and token.lower_ in self.demonyms
                and i > 0
                and doc[i - 1].lower_ in DEMONYM_ARTICLES
            ):
                # "le rennais Kalidor", "la bisontine Ondula": a demonym between an article
                # and a name describes a firm, as a trade noun does.
                end = proper_run(doc, i + 1, self.legal_forms)
                if end > i + 1:
                    out.append(_Candidate(i + 1, end, "trigger", descriptor=True))
            if token.text in self.legal_forms and i > 0 and not token.is_sent_start:
                start = _run_before(doc, i)
                if start < i:
                    out.append(_Candidate(start, i + 1, "legal"))
            elif token.text in self.tails and i > 0 and not token.is_sent_start:
                # "Nantes Métropole": a name, then the tail; never "La Métropole".
                start = _run_before(doc, i)
                while start < i and doc[start].lower_ in DETERMINERS:
                    start += 1
                if start < i and doc[i - 1].pos_ != "DET":
                    # English names go on after the tail: "Ottawa School Transportation
                    # Authority", "Kestrel University Hospital".
                    end = i + 1
                    if end < n and not doc[end].is_sent_start:
                        end = proper_run(doc, end, self.legal_forms)
                    out.append(_Candidate(start, max(end, i + 1), "legal"))
        return out

    def _name_after_complement(self, doc: Doc, end: int) -> int:
        """A name right after a head's complement, or after "pour (la)", is the body's
        own: "Société d'économie mixte Énergies Vosges", "Agence de développement pour
        la Bretagne"."""
        n = len(doc)
        k = end
        if k < n and doc[k].lower_ == "pour":
            k += 1
            if k < n and doc[k].lower_ in {"la", "le", "l'", "les"}:
                k += 1
        if k < n and not doc[k].is_sent_start:
            run = proper_run(doc, k, self.legal_forms)
            if run > k:
                return run
        return end

    def _name_goes_on(self, doc: Doc, end: int) -> int:
        """Extend a head's name over "de"/"du"/"d'" + name: "Région Pays de la Loire",
        "CCI Portes de Normandie", "Université Côte d'Azur" (not over "à" or "en")."""
        n = len(doc)
        while end < n:
            k = end
            if doc[k].lower_ not in {"de", "du", "des", "d'"}:
                break
            k = self._connector(doc, k)
            if k >= n or doc[k].is_sent_start or not _name_like(doc[k]):
                break
            run = proper_run(doc, k, self.legal_forms)
            if run == k:
                break
            end = run
        return end

    def _apposed(self, doc: Doc, i: int) -> tuple[int, int] | None:
        """The name before ", une start-up", ", éditeur de logiciels" (trigger at i).

        Only with no article or an indefinite one: "À Tours, la start-up X" names X, not
        Tours; and not after a preposition of place ("à Lyon, une start-up ...").
        """
        k = i - 1
        if k > 0 and doc[k].lower_ in {"un", "une"}:
            k -= 1
        if k <= 0 or doc[k].text != ",":
            return None
        start = _run_before(doc, k)
        # "Selon X, ...", "Pour X, ...": a capitalised first word that is grammar. The
        # tagger calls an unknown name at a sentence start an adverb as often as a noun
        # ("Sarment, jeune pousse..."): an adverb the lexicon does not know is a name.
        while start < k and (
            doc[start].lower_ in DETERMINERS
            or (
                doc[start].pos_ in NOT_A_NAME
                and not (
                    doc[start].pos_ == "ADV"
                    and self.adverbs
                    and doc[start].lower_ not in self.adverbs
                )
            )
        ):
            start += 1
        if start >= k or any(doc[m].is_space for m in range(start, k)):
            return None
        if start > 0 and doc[start - 1].lower_ in {"à", "au", "aux", "en", "dans", "vers", "sur"}:
            return None
        return start, k

    def _apply(self, doc: Doc, ents: list[Span], cand: _Candidate) -> list[Span]:
        if not _TWO_LETTERS.search(doc[cand.start : cand.end].text):
            # An initial ("chez M. veuve Benoit") is no organisation's name.
            return ents
        overlapping = [e for e in ents if e.start < cand.end and e.end > cand.start]
        start, end = cand.start, cand.end
        if cand.kind == "trigger":
            at_start = [e for e in overlapping if e.start == cand.start]
            if at_start:
                ent = at_start[0]
                # "le fabricant Loubet": a one-word "person" after a trade noun is the
                # firm; "le cabinet Martin Dupuis" may still be a person.
                if (
                    ent.label_ == "PER"
                    and not cand.strong
                    and (len(ent) > 1 or not cand.descriptor)
                ):
                    return ents
                if _is_trusted(ent) and ent.label_ == "ORG":
                    return ents
                end = ent.end
            before = [e for e in overlapping if e.start < cand.start]
            if before:
                # The model took the trigger in ("association Silicon Comté"): keep its end.
                end = max(end, before[0].end)
            end = max([end] + [e.end for e in overlapping if e.start > cand.start])
        elif cand.kind == "head":
            if any(e.start < cand.start for e in overlapping):
                return ents
            longest = max([end] + [e.end for e in overlapping])
            # The model's longer span is kept only where it goes on with a name.
            if all(_name_like(doc[k]) or doc[k].text in {"-", "&"} for k in range(end, longest)):
                end = longest
        else:  # legal form: the name before it, as the model delimited it when it did
            before = [e for e in overlapping if e.start < cand.start]
            if before:
                start = min(e.start for e in before)
        if any(doc[k].is_space and "\n" in doc[k].text for k in range(start, end)):
            return ents
        span = Span(doc, start, end, label="ORG", span_id=PHRASE_ID)
        return [e for e in ents if e.end <= start or e.start >= end] + [span]


@Language.factory(
    "veille_org_phrases",
    default_config={"path": None},
)
def make_org_phrases(nlp: Language, name: str, path: str | None) -> OrgPhrasesComponent:
    """Factory of `veille_org_phrases`; `path` is an org_phrases.toml file."""
    return OrgPhrasesComponent(nlp, load_org_phrases(path) if path else OrgPhrases())


class PlacesComponent:
    """Add one-word places ("Dole", "Laval") where the model found nothing and tags a proper noun.

    A PhraseMatcher rather than token patterns: thousands of names cost nothing this way.
    """

    def __init__(self, nlp: Language, places: list[tuple[str, str]]):
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        for text, name in places:
            self.matcher.add("place:" + name, [nlp.make_doc(text)])

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        taken = {i for ent in ents for i in range(ent.start, ent.end)}
        model_ents = {(e.start, e.end): e for e in ents if not _is_trusted(e)}
        added, replaced = [], set()
        for key, start, end in self.matcher(doc):
            text = doc[start:end].text
            # A dateline in capitals ("LISIEUX. La CCI...") is the place even where the
            # model called it something else; the tagger's POS is unreliable on capitals.
            shouting = text.isupper() and len(text) > 2
            if shouting and (start, end) in model_ents:
                replaced.add((start, end))
            elif (not shouting and doc[end - 1].pos_ != "PROPN") or any(
                i in taken for i in range(start, end)
            ):
                continue
            added.append(Span(doc, start, end, label="LOC", span_id=key))
            taken.update(range(start, end))
        if added:
            kept = [e for e in ents if (e.start, e.end) not in replaced]
            doc.ents = sorted([*kept, *added], key=lambda span: span.start)
        return doc


@Language.factory("veille_places", default_config={"places": []})
def make_places(nlp: Language, name: str, places: list[list[str]]) -> PlacesComponent:
    """Factory of `veille_places`; `places` is a list of [text as written, canonical name]."""
    return PlacesComponent(nlp, [(text, canonical) for text, canonical in places])


class SentencesComponent:
    """Sentence starts from punctuation and line breaks, for what veille needs of sentences.

    The model's `senter` costs about a twentieth of the whole processing time; news text
    marks its sentences well enough for a mention's sentence and a quote's extent: a full
    stop, "!", "?" or "…" (then a closing quote) before a capital, a digit or an opening
    quote, and every line break. The French tokenizer keeps the dot of "M." or "J.-C."
    inside the token, so abbreviations do not end sentences.
    """

    ENDS = (".", "!", "?", "…", "...", "!!", "?!", "!?")

    def __init__(self, nlp: Language):
        strings = nlp.vocab.strings
        self._ends = np.array(sorted(strings.add(p) for p in self.ENDS), dtype="uint64")

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        ids = doc.to_array([ORTH, IS_SPACE])
        starts = np.full(n, -1, dtype="int32")
        starts[0] = 1
        for i in np.flatnonzero(np.isin(ids[:, 0], self._ends) | (ids[:, 1] == 1)).tolist():
            token = doc[i]
            if token.is_space and "\n" not in token.text:
                continue
            j = i + 1
            while j < n and (doc[j].text in {"»", '"', ")"} or doc[j].is_space):
                j += 1
            if j >= n:
                continue
            nxt = doc[j].text
            if token.is_space or nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in '«"-–—':
                starts[j] = 1
        doc.from_array([SENT_START], starts.reshape(-1, 1).astype("uint64"))
        return doc


@Language.factory("veille_sentences")
def make_sentences(nlp: Language, name: str) -> SentencesComponent:
    """Factory of `veille_sentences`."""
    return SentencesComponent(nlp)


# --- clean-up -------------------------------------------------------------------------


def _breaks_line(token: Token) -> bool:
    return token.is_space and ("\n" in token.text)


def _strippable_left(token: Token, span_start: int) -> bool:
    if token.is_space or token.is_punct or token.text in OPENING:
        return True
    lower = token.lower_
    if lower in ELISIONS:
        return True
    if token.is_lower and (token.pos_ in {"DET", "ADP"} or lower in FUNCTION_WORDS):
        return True
    nxt = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    # A capitalised determiner before a lowercase word is grammar ("La start-up ...", "Cet
    # essor"); before a capital it belongs to the name ("La Poste", "à La Rochelle").
    if (token.pos_ == "DET" or lower in DETERMINERS) and nxt is not None and nxt.is_lower:
        return True
    # A number spelled out ("Trois cents domaines ...") is not part of a name.
    return token.pos_ == "NUM" and token.is_alpha


def _strippable_right(token: Token) -> bool:
    if token.is_space or token.text in {"»", '"', "'", ",", ";", ":", "!", "?", ".", "…", "(", "["}:
        return True
    if token.is_punct and token.text not in {")", "]"}:
        return True
    if token.lower_ in ELISIONS:
        return True
    return token.is_lower and (
        token.pos_ in {"DET", "ADP", "CCONJ"} or token.lower_ in FUNCTION_WORDS
    )


def _pieces(span: Span) -> list[tuple[int, int]]:
    """Token ranges of `span` between line breaks."""
    out, start = [], span.start
    for token in span:
        if _breaks_line(token):
            if token.i > start:
                out.append((start, token.i))
            start = token.i + 1
    if span.end > start:
        out.append((start, span.end))
    return out


def _positional_capital(doc: Doc, i: int) -> bool:
    """Whether token i is capitalised by where it stands: first of a sentence or a line,
    perhaps after opening punctuation ("« Leader, nous le sommes »")."""
    while True:
        token = doc[i]
        if i == 0 or token.is_sent_start or _breaks_line(doc[i - 1]):
            return True
        if doc[i - 1].text not in OPENING:
            return False
        i -= 1


def _capitalised_elsewhere(doc: Doc, token: Token) -> bool:
    """Whether the doc writes `token` the same way where position does not explain it."""
    orths = doc.to_array([ORTH])
    return any(
        not _positional_capital(doc, int(i))
        for i in np.flatnonzero(orths == token.orth)
        if i != token.i
    )


def _keep(
    doc: Doc,
    start: int,
    end: int,
    trusted: bool,
    has_pos: bool,
    known: frozenset[str],
    common_nouns: frozenset[str] = frozenset(),
) -> bool:
    tokens = doc[start:end]
    text = tokens.text
    # No capital: a lowercase phrase or a number. Fewer than two letters: "X", "n'".
    if text == text.lower() or (not trusted and not _TWO_LETTERS.search(text)):
        return False
    if trusted:
        return True
    if not has_pos:
        return True
    if len(tokens) == 1 and _unknown_capitalised(tokens[0]) and _before_verb(doc, tokens[0].i + 1):
        # The model tags a word it has never seen from its shape and place alone
        # ("Braxion emploie..." → NOUN, "Sentalis y installe..." → VERB): that tag says
        # nothing of a capitalised word out of its vocabulary, the subject of a verb.
        return True
    if len(tokens) == 1:
        token = tokens[0]
        positional = _positional_capital(doc, token.i)
        # The tagger guesses the class of a capitalised word from its place ("à Osaka les
        # ..." → PRON, "Wuhan, Chengdu, ..." → ADV); a pronoun, adverb or adjective is not
        # capitalised in mid-sentence, so there the capital the NER saw wins.
        capital_wins = (
            token.pos_ in CAPITAL_WINS and token.is_title and token.is_alpha and not positional
        )
        if token.pos_ not in NAME_POS and not capital_wins:
            return False
        line_start = token.i == 0 or _breaks_line(doc[token.i - 1])
        line_end = token.i + 1 == len(doc) or _breaks_line(doc[token.i + 1])
        # A common noun alone at the start of a sentence or line ("Verdict :", "Leader du
        # marché") is capitalised by position, not because it is a name; a word alone on its
        # line is a menu item or a button ("Partager", "Imprimer"), not running text. With
        # the model's lexicon at hand, a "noun" it does not know as a common noun is a
        # name the tagger mistook ("Barcelone l'emporte").
        if (
            token.pos_ != "PROPN"
            and (token.is_sent_start or line_start)
            and not (
                token.pos_ == "NOUN" and common_nouns and not _common_noun(token, common_nouns)
            )
        ):
            return False
        if line_start and line_end:
            return False
        # Tagged a proper noun only because of its capital: a word of the language (in the
        # model's vocabulary in lowercase) opening a sentence before "de"/":" is a label or
        # a noun phrase ("Leader du marché, ...", "Verdict : ..."), not a name.
        if (token.is_sent_start or line_start) and token.i + 1 < len(doc):
            nxt = doc[token.i + 1].lower_
            vectors = doc.vocab.vectors
            if (
                nxt in {"de", "du", "des", "d'", ":"}
                and vectors.size
                and doc.vocab.strings[token.lower_] in vectors
                and token.lower_ not in known
            ):
                return False
        # A common noun of the model's own lexicon, capitalised only by its position and
        # not the subject of a verb ("Leader sur son marché, la société..."): a bare
        # common noun does not start a French clause, a name does ("Orange ouvre...").
        # It stays a name where the article writes it capitalised mid-sentence.
        return not (
            token.lower_ in common_nouns
            and token.lower_ not in known
            and positional
            and not _before_verb(doc, token.i + 1)
            and not _capitalised_elsewhere(doc, token)
        )
    return any(t.pos_ in NAME_POS for t in tokens)


def _common_noun(token: Token, common_nouns: frozenset[str]) -> bool:
    """Whether the lexicon knows the word as a common noun, in the singular or the plural."""
    lower = token.lower_
    return lower in common_nouns or (lower[-1:] in {"s", "x"} and lower[:-1] in common_nouns)


def _unknown_capitalised(token: Token) -> bool:
    """A capitalised word out of the model's vocabulary (never so for a vector-less model)."""
    return bool(token.doc.vocab.vectors.size) and token.is_title and not token.has_vector


def _before_verb(doc: Doc, i: int) -> bool:
    """Whether a verb comes at token i, after clitics and pronouns ("s'installe")."""
    while i < len(doc) and doc[i].pos_ == "PRON" and doc[i].is_lower:
        i += 1
    return i < len(doc) and doc[i].pos_ in {"VERB", "AUX"}


def _positional_article(doc: Doc, start: int, end: int) -> int:
    """Start of a name after an article capitalised only by its place: "La France est..."
    names France when the text writes "France" elsewhere without that article ("en
    France", "la France"); "La Rochelle" keeps its article, written "à La Rochelle"."""
    article = doc[start]
    if article.text not in {"La", "Le", "Les", "L'"} or not _positional_capital(doc, start):
        return start
    text = doc.text
    rest = doc[start + 1 : end].text
    at = text.find(rest)
    while at >= 0:
        before = text[max(0, at - len(article.text) - 1) : at].strip()
        if at != doc[start + 1].idx and before != article.text and not text[at - 1 : at].isalnum():
            return start + 1
        at = text.find(rest, at + 1)
    return start


def _runaway_end(doc: Doc, start: int, end: int) -> int:
    """End of a place the model ran on into the sentence: "Côte d'Azur des gains de
    productivité" is "Côte d'Azur". A lowercase preposition then a common noun after the
    last capitalised word is the sentence going on, not the name."""
    last = max((k for k in range(start, end) if _name_like(doc[k])), default=start)
    k = last + 1
    while k < end and doc[k].text in {"-", "'"}:
        k += 1
    tail = doc[k:end]
    if (
        len(tail) >= 2
        and tail[0].is_lower
        and tail[0].pos_ == "ADP"
        and any(t.is_lower and t.pos_ == "NOUN" for t in tail[1:])
    ):
        return k
    return end


def _join_directions(doc: Doc, spans: list[Span]) -> list[Span]:
    """ "Nord" + "Franche-Comté" → "Nord Franche-Comté": one place, not two.

    The gazetteer fixes "Franche-Comté" before the NER, which then cannot extend it.
    """
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.label_ == "LOC"
            and span.label_ == "LOC"
            and prev.end == span.start
            and len(prev) == 1
            and prev.text in DIRECTIONS
        ):
            out[-1] = Span(doc, prev.start, span.end, label="LOC", span_id=span.id)
        else:
            out.append(span)
    return out


class CleanupComponent:
    """Tidy entity spans and drop what is not a name (see the module docstring)."""

    def __init__(
        self,
        has_pos: bool = True,
        known: frozenset[str] = frozenset(),
        common_nouns: frozenset[str] = frozenset(),
    ):
        self.has_pos = has_pos
        # Lowercased one-word places and watchlist names: never dropped as common words.
        self.known = known
        # The model's lexicon of common nouns (see `nlp.model.common_nouns`).
        self.common_nouns = common_nouns

    def __call__(self, doc: Doc) -> Doc:
        kept: list[Span] = []
        ents = doc.ents
        # Known from the pipeline rather than doc.has_annotation, which visits every token.
        has_pos = self.has_pos
        for ent in ents:
            trusted = _is_trusted(ent)
            for start, end in _pieces(ent):
                while start < end and _strippable_left(doc[start], start):
                    start += 1
                while end > start and _strippable_right(doc[end - 1]):
                    end -= 1
                # "Ploumanac'h", "Penmarc'h": the tokenizer cuts the Breton "c'h" after
                # the apostrophe, and the model's span often ends there.
                while (
                    start < end < len(doc)
                    and doc[end - 1].text.endswith("'")
                    and not doc[end - 1].whitespace_
                    and doc[end].is_alpha
                    and doc[end].is_lower
                    and not _breaks_line(doc[end])
                ):
                    end += 1
                if not trusted and end - start > 1:
                    start = _positional_article(doc, start, end)
                    if ent.label_ == "LOC":
                        end = _runaway_end(doc, start, end)
                if end > start and _keep(
                    doc, start, end, trusted, has_pos, self.known, self.common_nouns
                ):
                    if (start, end) == (ent.start, ent.end):
                        kept.append(ent)
                    else:
                        kept.append(Span(doc, start, end, label=ent.label, span_id=ent.id))
        doc.ents = _join_directions(doc, kept)
        return doc


@Language.factory("veille_cleanup", default_config={"has_pos": True, "known": []})
def make_cleanup(nlp: Language, name: str, has_pos: bool, known: list[str]) -> CleanupComponent:
    """Factory of `veille_cleanup`; `has_pos`: whether the pipeline tags parts of speech;
    `known`: one-word names (places, watchlist) never taken for common words. Its
    `common_nouns` are set after (`nlp.model.add_veille_components`): tens of thousands of
    words have no place in the pipeline's config."""
    return CleanupComponent(has_pos, frozenset(k.lower() for k in known))
