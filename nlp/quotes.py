"""Who said what: French quotation forms linked to the speaking person or organisation.

Forms found (on the normalised text, with the article's mentions):
  « … », explique X      « … », a confié X      « … », sourit-elle (the last person named)
  X explique : « … »     Selon X, …             …, selon X.        X a déclaré (que) …
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Verbs of speech, present tense (3rd person) and past participle: "explique X",
# "a expliqué X", "X a expliqué que".
_PRESENT = (
    "explique expliquait confirme déclare affirme souligne précise indique ajoute ajoutait assure "
    "estime raconte résume poursuit insiste note observe rappelle reconnaît reconnait sourit "
    "lance conclut commente détaille martèle prévient témoigne confie confiait glisse analyse "
    "avance relève juge dit disait annonce admet espère ironise plaide complète nuance tempère "
    "abonde argumente développe reprend continue répond décrit signale clame tranche soutient "
    "avoue renchérit appuie défend justifie promet s'exclame s'amuse s'enthousiasme se félicite "
    "se réjouit regrette déplore s'inquiète s'étonne interroge"
)
_PARTICIPLE = (
    "expliqué confirmé déclaré affirmé souligné précisé indiqué ajouté assuré estimé raconté "
    "résumé poursuivi insisté noté observé rappelé reconnu lancé conclu commenté détaillé "
    "martelé prévenu témoigné confié glissé analysé avancé relevé jugé dit annoncé admis "
    "plaidé complété répondu décrit signalé promis soutenu avoué"
)


def _alternation(words: str) -> str:
    forms = sorted({w.replace("_", " ") for w in re.findall(r"(?:s'|se )?\w+", words)}, key=len)
    return "|".join(re.escape(f) for f in reversed(forms))


_VERB = rf"(?:{_alternation(_PRESENT)})"
_PAST = rf"(?:a|avait|ont)(?:-t-(?:il|elle|on))?\s+(?:{_alternation(_PARTICIPLE)})"
_PRONOUN = r"(?:(?:-t-|-)(?P<pron>il|elle|ils|elles|on)\b)"
# After a closing quotation mark: ", explique Marie Dupont" / ", sourit-elle" / ", a-t-il dit".
AFTER = re.compile(
    rf"^\s*,?\s*(?:(?P<verb>{_VERB}){_PRONOUN}?|a-t-(?P<pron2>il|elle|on)\s+(?:{_alternation(_PARTICIPLE)})|{_PAST})\b",
    re.IGNORECASE,
)
# Before an opening quotation mark: "Marie Dupont explique : «", "Pour elle : «".
BEFORE = re.compile(r":\s*$")
SELON = re.compile(r"\b(?:selon|d'après)\s+", re.IGNORECASE)
# "X a déclaré que ...", "X, directrice de Y, estime que ...".
SAID = re.compile(
    rf"(?:\s*,[^,.;«»\n]{{1,90}},|\s*,)?\s+(?:{_PAST}|(?:{_VERB}))\s*(?:que\b|qu'|:)\s*",
    re.IGNORECASE,
)
QUOTED = re.compile(r"«\s*(?P<q>[^«»\n]+?)\s*»|\"(?P<d>[^\"\n]+?)\"")
SPEAKER_LABELS = ("PER", "ORG")
MIN_WORDS = 4
# Words that start a claim rather than an apposition after "Selon X,".
_CLAIM_WORDS = (
    "le la les l' un une des il elle ils elles on nous vous ce cette ces c' cela ça "
    "son sa ses leur leurs notre nos votre vos tout tous toute toutes plus si en"
)
CLAIM_STARTS = set(_CLAIM_WORDS.split())
WINDOW = 80


@dataclass(frozen=True)
class FoundQuote:
    """A quote in normalised offsets, with the index of its speaker's mention (or None)."""

    start: int
    end: int
    speaker: int | None


class _Spoken:
    """The article's mentions that can speak, by position."""

    def __init__(self, spans: Sequence[tuple[int, int, str]]):
        self.spans = [(s, e, label, i) for i, (s, e, label) in enumerate(spans)]

    def after(self, pos: int, limit: int) -> int | None:
        hits = [m for m in self.spans if pos <= m[0] <= limit and m[2] in SPEAKER_LABELS]
        per = [m for m in hits if m[2] == "PER"]
        best = (per or hits)[:1]
        return best[0][3] if best else None

    def before(self, pos: int, floor: int) -> int | None:
        """The first person (else organisation) named between floor and pos: the subject."""
        hits = [m for m in self.spans if floor <= m[0] and m[1] <= pos and m[2] in SPEAKER_LABELS]
        per = [m for m in hits if m[2] == "PER"]
        best = (per or hits)[:1]
        return best[0][3] if best else None

    def last_person(self, pos: int) -> int | None:
        hits = [m for m in self.spans if m[1] <= pos and m[2] == "PER"]
        return hits[-1][3] if hits else None


def _words(text: str) -> int:
    return len(text.split())


def _clean(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in '«»",:;-—–'):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in '«»",.;:'):
        end -= 1
    return start, end


def _sentence_end(text: str, pos: int, sentences: Sequence[tuple[int, int]]) -> int:
    for s, e in sentences:
        if s <= pos < e:
            return e
    return len(text)


def _sentence_start(text: str, pos: int, sentences: Sequence[tuple[int, int]]) -> int:
    start = 0
    for s, e in sentences:
        if s <= pos < e:
            start = s
            break
    return max(start, text.rfind("\n", 0, pos) + 1)


def _stop(text: str, start: int, end: int) -> int:
    """`end`, or earlier if a sentence or paragraph ends in between."""
    m = re.search(r"[.!?\n«]", text[start:end])
    return start + m.start() if m else end


def find_quotes(
    text: str,
    sentences: Sequence[tuple[int, int]],
    mentions: Sequence[tuple[int, int, str]],
) -> list[FoundQuote]:
    """Quotes of a normalised text, given its sentences and (start, end, label) mentions."""
    spoken = _Spoken(mentions)
    found: list[FoundQuote] = []

    def add(start: int, end: int, speaker: int | None) -> None:
        start, end = _clean(text, start, end)
        if speaker is None or _words(text[start:end]) < MIN_WORDS:
            return
        if any(q.start < end and start < q.end for q in found):
            return
        found.append(FoundQuote(start, end, speaker))

    for match in QUOTED.finditer(text):
        group = "q" if match.group("q") is not None else "d"
        q_start, q_end = match.span(group)
        tail = text[match.end() : match.end() + WINDOW]
        after = AFTER.match(tail)
        if after:
            pronoun = after.groupdict().get("pron") or after.groupdict().get("pron2")
            if pronoun:
                add(q_start, q_end, spoken.last_person(match.start()))
            else:
                verb_end = match.end() + after.end()
                limit = _stop(text, verb_end, verb_end + WINDOW)
                add(q_start, q_end, spoken.after(verb_end, limit))
            continue
        head = text[max(0, match.start() - 2 * WINDOW) : match.start()]
        if BEFORE.search(head):
            floor = match.start() - len(head)
            # The speaker is named in the same sentence, before the colon.
            cut = max(head.rfind("."), head.rfind("\n"), head.rfind("!"), head.rfind("?"))
            if cut >= 0:
                floor += cut + 1
            speaker = spoken.before(match.start(), floor)
            if speaker is None and re.search(r"\b(?:il|elle)\b", text[floor : match.start()], re.I):
                speaker = spoken.last_person(floor)
            add(q_start, q_end, speaker)

    for match in SELON.finditer(text):
        limit = _stop(text, match.end(), match.end() + WINDOW)
        speaker = spoken.after(match.end(), limit)
        if speaker is None:
            continue
        s_start = _sentence_start(text, match.start(), sentences)
        s_end = _sentence_end(text, match.start(), sentences)
        s_end = min(
            s_end, text.find("\n", match.start()) if "\n" in text[match.start() : s_end] else s_end
        )
        if not text[s_start : match.start()].strip(' "«-—–'):
            # "Selon X, the claim." — the claim follows the comma after the speaker.
            comma = text.find(",", mentions[speaker][1], s_end)
            if comma >= 0:
                # Skip an apposition: "Selon Marie Dupont, directrice de X, le projet ...".
                nxt = text.find(",", comma + 1, s_end)
                first = text[comma + 1 :].split(maxsplit=1)[:1]
                if nxt >= 0 and first and first[0].lower() not in CLAIM_STARTS:
                    comma = nxt
                add(comma + 1, s_end, speaker)
        else:
            # "The claim, selon X."
            add(s_start, match.start(), speaker)

    for index, (start, end, label) in enumerate(mentions):
        if label not in SPEAKER_LABELS:
            continue
        said = SAID.match(text, end)
        if said is None:
            continue
        s_end = _sentence_end(text, start, sentences)
        newline = text.find("\n", said.end(), s_end)
        add(said.end(), newline if newline >= 0 else s_end, index)

    return sorted(found, key=lambda q: q.start)
