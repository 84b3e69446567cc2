"""Organisation phrases (spaCy component `veille_org_phrases`, after the NER).

Decides: phrases of org_phrases.toml correct the model's spans. A public body's head and
its name ("Université de Franche-Comté", "Communauté de communes du Val de X") is one ORG;
a trade or descriptor noun before a name ("la start-up X", "le bijoutier X"), an article
and a demonym ("le rennais X") or a legal form or tail ("X SAS", "Nantes Métropole") makes
it an ORG; a person phrase ("fondée par Prénom Nom") makes a PER; a not-entity phrase
("la tempête X", "le plan X") removes the name and records it in `doc.spans[NOT_NAMES]`.
It runs after the NER rather than before it because a span fixed before the NER stops the
model from building the longer name around it (a place preset in "Université de
Bourgogne" leaves the model with "Université de" alone).

Data: org_phrases.toml (`heads`, `connectors`, `triggers`, `strong_triggers`,
`descriptors`, `legal_forms`, `tails`, `person_triggers`, `speech_verbs`,
`not_entity_triggers`), demonyms.txt. Tests: tests/test_rules_org_phrases.py. The public bodies' rules are in
`nlp/rules/public_bodies.py` (tests/test_rules_public_bodies.py).

Each phrase family is one finder (`FINDERS`), tried in order at every token that can
start a phrase; the candidates they return are applied in the order found.
"""

from __future__ import annotations

import numpy as np
from spacy.attrs import LOWER, ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.resources import OrgPhrases, load_org_phrases
from nlp.rules.base import (
    DETERMINERS,
    MAX_NAME_TOKENS,
    NOT_NAMES,
    PHRASE_ID,
    TWO_LETTERS,
    is_trusted,
    name_like,
    proper_run,
)
from nlp.rules.base import PhraseCandidate as _Candidate
from nlp.rules.public_bodies import PublicBodies

# Parts of speech that cannot head a name (the issue: verbs, adverbs, pronouns, determiners,
# conjunctions, interjections; plus adpositions, numbers and symbols).
NOT_A_NAME = {"VERB", "AUX", "ADV", "PRON", "DET", "CCONJ", "SCONJ", "INTJ", "ADP", "NUM", "SYM"}
DEMONYM_ARTICLES = {"le", "la", "l'", "les", "un", "une", "du", "au", "des"}


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
        if prev.is_space or prev.is_sent_start and not name_like(prev):
            break
        if name_like(prev) or (prev.text in {"-", "&", "'"} and start - 1 > 0):
            start -= 1
            if doc[start].is_sent_start:
                break
            continue
        break
    while start < end and not name_like(doc[start]):
        start += 1
    return start


def _closes(doc: Doc, i: int) -> bool:
    """Whether token i ends a clause: the end, a line break or a punctuation mark."""
    return (
        i >= len(doc) or doc[i].is_space or doc[i].text in {",", ".", ";", ":", "»", ")", "!", "?"}
    )


def _aged(doc: Doc) -> list[_Candidate]:
    """People given their age: "Lina (34 ans)", "Maëlle, 9 ans, ..." — a firm's age is
    said otherwise ("dix ans d'existence")."""
    ans = doc.vocab.strings["ans"]
    out = []
    for i in np.flatnonzero(doc.to_array([LOWER]) == ans).tolist():
        if i < 3 or not doc[i - 1].like_num or doc[i - 2].text not in {"(", ","}:
            continue
        if i + 1 < len(doc) and doc[i + 1].text not in {")", ",", ".", ";"}:
            continue
        end = i - 2
        start = _run_before(doc, end)
        if 0 < end - start <= 3 and all(doc[k].is_title for k in range(start, end)):
            out.append(_Candidate(start, end, "person"))
    return out


class OrgPhrasesComponent(PublicBodies):
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
        people = {split(p.lower()) for p in phrases.people + phrases.speakers}
        for words in sorted(people, key=len, reverse=True):
            self._person_starts.setdefault(words[0], []).append(words)
        # "explique Nardo.": after these, one word is a person too.
        self._speech = frozenset(split(p.lower()) for p in phrases.speakers)
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
        candidates = self._find(doc) + _aged(doc)
        if not candidates:
            return doc
        ents = list(doc.ents)
        others = []
        for cand in candidates:
            if cand.kind in {"person", "person_word"}:
                ents = self._person(doc, ents, cand)
                continue
            if cand.kind == "other":
                # The model's spans there go; the name is kept aside so that the
                # article's other mentions of it go too.
                others.append(Span(doc, cand.start, cand.end, label="NONE"))
                ents = [
                    e
                    for e in ents
                    if is_trusted(e) or not (e.start < cand.end and e.end > cand.start)
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
        if any(is_trusted(e) for e in overlapping):
            return ents
        if overlapping and any(e.label_ == "PER" for e in overlapping):
            return ents
        if cand.kind == "person_word" and any(e.label_ == "ORG" for e in overlapping):
            return ents
        kept = [e for e in ents if not (e.start < cand.end and e.end > cand.start)]
        return [*kept, Span(doc, cand.start, cand.end, label="PER")]

    def _find(self, doc: Doc) -> list[_Candidate]:
        out: list[_Candidate] = []
        # Only the few tokens that can start a phrase are looked at one by one: going
        # through every token in Python would cost more than the model's NER.
        ids = doc.to_array([ORTH, LOWER])
        hits = np.flatnonzero(
            np.isin(ids[:, 0], self._orth_starts) | np.isin(ids[:, 1], self._lower_starts)
        )
        for i in hits.tolist():
            for finder in FINDERS:
                finder(self, doc, i, out)
        return out

    def _find_trigger(self, doc: Doc, i: int, out: list[_Candidate]) -> None:
        """A trade or descriptor noun before a name ("la start-up X"), or after it in
        apposition ("X, une start-up")."""
        n = len(doc)
        token = doc[i]
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
                    # "Selon X, la jeune pousse nantaise, ..." too, when a comma closes
                    # the apposition: without it ("Selon Marie Durand, la start-up
                    # vise ...") "la start-up" is the subject, not X's description.
                    closed = j < n and doc[j].text == ","
                    before = self._apposed(doc, i, definite=closed)
                    if before is not None:
                        out.append(_Candidate(before[0], before[1], "trigger", strong))
                break

    def _find_person(self, doc: Doc, i: int, out: list[_Candidate]) -> None:
        """A first name and a surname after a person phrase ("fondée par")."""
        token = doc[i]
        if token.is_lower and token.lower_ in self._person_starts:
            for words in self._person_starts[token.lower_]:
                if self._match(doc, i, words, lower=True):
                    j = i + len(words)
                    end = proper_run(doc, j, self.legal_forms)
                    # Two or three capitalised words: a first name and a surname.
                    if 2 <= end - j <= 3 and all(doc[m].is_title for m in range(j, end)):
                        out.append(_Candidate(j, end, "person"))
                    elif (
                        words in self._speech
                        and end - j == 1
                        and doc[j].is_title
                        and _closes(doc, end)
                    ):
                        # After a speech verb, one word then the sentence's punctuation:
                        # "explique Nardo." — a person unless a firm was seen there.
                        out.append(_Candidate(j, end, "person_word"))
                    break

    def _find_not_entity(self, doc: Doc, i: int, out: list[_Candidate]) -> None:
        """A name after a not-entity phrase ("la tempête X", "le plan X")."""
        n = len(doc)
        token = doc[i]
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

    def _find_demonym(self, doc: Doc, i: int, out: list[_Candidate]) -> None:
        """A name after an article and a demonym ("le rennais X")."""
        token = doc[i]
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

    def _find_legal_form(self, doc: Doc, i: int, out: list[_Candidate]) -> None:
        """A name before a legal form or a tail ("X SAS", "Nantes Métropole")."""
        n = len(doc)
        token = doc[i]
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

    def _apposed(self, doc: Doc, i: int, definite: bool = False) -> tuple[int, int] | None:
        """The name before ", une start-up", ", éditeur de logiciels" (trigger at i).

        Only with no article or an indefinite one: "À Tours, la start-up X" names X, not
        Tours; and not after a preposition of place ("à Lyon, une start-up ..."). With
        `definite`, a definite article too ("Selon X, l'éditeur rennais, ...").
        """
        k = i - 1
        articles = {"un", "une", "le", "la", "l'"} if definite else {"un", "une"}
        if k > 0 and doc[k].lower_ in articles:
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
        if not TWO_LETTERS.search(doc[cand.start : cand.end].text):
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
                if is_trusted(ent) and ent.label_ == "ORG":
                    return ents
                end = ent.end
            before = [e for e in overlapping if e.start < cand.start]
            if before:
                # The model took the trigger in ("association Silicon Comté"): keep its end.
                end = max(end, before[0].end)
            end = max([end] + [e.end for e in overlapping if e.start > cand.start])
        elif cand.kind == "head":
            # A span that starts before the head only by its article ("Le Pôle
            # métropolitain" as MISC) does not make the head part of another name.
            if any(
                e.start < cand.start
                and not all(doc[k].lower_ in DETERMINERS for k in range(e.start, cand.start))
                for e in overlapping
            ):
                return ents
            longest = max([end] + [e.end for e in overlapping])
            # The model's longer span is kept only where it goes on with a name.
            if all(name_like(doc[k]) or doc[k].text in {"-", "&"} for k in range(end, longest)):
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


# The phrase families, tried in this order at each token that can start one. A new family
# is a `_find_*` method here, its words in org_phrases.toml and its start words in
# `OrgPhrasesComponent.__init__` (`_orth_starts` / `_lower_starts`).
FINDERS = (
    OrgPhrasesComponent._find_head,
    OrgPhrasesComponent._find_trigger,
    OrgPhrasesComponent._find_person,
    OrgPhrasesComponent._find_not_entity,
    OrgPhrasesComponent._find_demonym,
    OrgPhrasesComponent._find_legal_form,
)
