"""Who said what: French quotation forms linked to the speaking person or organisation.

Forms found (on the normalised text, with the article's mentions):
  « … », explique X      « … », a confié X      « … », sourit-elle (the last person named)
  X explique : « … »     Selon X, …             …, selon X.        X a déclaré (que) …
  Selon le directeur de X, Jean Dupont, …       Selon elle, …

The speaker is who spoke, not where the words were read: no quote when the named
organisation is the author of a document ("selon une étude de X", "le rapport de X souligne
que") or is only near the source ("selon des proches de X", "selon nos informations"), when
the name completes someone else's role ("l'avocate de X") or sits in a relative clause, and
none for "selon" meaning "depending on" ("les tarifs varient selon la taille de X").
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
# "selon que ..." is "depending on whether", never a source.
SELON = re.compile(r"\b(?:selon|d'après)\s+(?!qu(?:e\b|'))", re.IGNORECASE)
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
# Nouns heading a source that is not the one speaking: a document ("selon une étude de
# l'association X": X published it, X said nothing), the press, or people near X ("selon
# des proches de X"). A constant beside the speech verbs rather than a data file: it is part
# of the grammar of these rules, not something staff tune per outlet, and the tagger cannot
# draw the line (it tags "étude" and "directeur" alike NOUN; only the word tells them apart).
_INDIRECT_WORDS = (
    "étude études rapport rapports sondage sondages enquête enquêtes chiffre chiffres donnée "
    "données statistique statistiques note notes bilan bilans baromètre baromètres estimation "
    "estimations prévision prévisions projection projections calcul calculs classement "
    "classements palmarès recensement indicateur indicateurs analyse analyses document "
    "documents publication publications travaux audit diagnostic simulation simulations "
    "courrier courriers lettre lettres texte textes loi décret arrêté convention contrat accord "
    "projet plan information informations presse médias journaux rumeur rumeurs source sources "
    "proche proches entourage décompte comptage"
)
INDIRECT_SOURCES = frozenset(_INDIRECT_WORDS.split())
# Words that end the head of a noun phrase: "le directeur | de X", "un sondage Ifop | pour".
_PREPOSITIONS = {
    "de", "du", "des", "d'", "par", "pour", "à", "au", "aux", "sur", "chez", "avec", "en",
    "dans", "auprès", "selon", "entre", "contre", "sous", "après", "avant", "lors",
}  # fmt: skip
# The preposition right before a name (after an article or a title): "de l'", "à M.".
_LINK = re.compile(
    r"(?:^|[^\w'])(de|du|des|d'|chez|à|au|aux|avec|sur|contre|par|dans|en|entre|vers|sans)"
    r"\s*(?:(?:le|la|les|l')\s*)?(?:(?:m\.|mme|mlle|me|dr|pr)\s+)?$",
    re.IGNORECASE,
)
# An organisation after these completes a role that speaks for it: "le directeur de X".
_ROLE_LINKS = {"de", "du", "des", "d'", "chez"}
# A relative pronoun: a name after it belongs to a subordinate clause, not the subject.
_RELATIVE = re.compile(r"\b(?:qui|que|dont|où|lequel|laquelle|lesquel(?:le)?s)\b|\bqu'", re.I)
# A clause boundary before a subject: "Dans son rapport, X souligne que ...".
_CLAUSE_MARK = re.compile(r"[,;:.!?«»()\n]")
# "Selon elle" is the person last named; "selon nous" is the outlet or an unnamed group.
_PERSON_PRONOUNS = {"lui", "elle"}
_OTHER_PRONOUNS = {"moi", "toi", "nous", "vous", "eux", "elles"}
_ARTICLES = {"le", "la", "les", "l'"}
_PLURAL_DETERMINERS = {
    "les", "des", "nos", "vos", "leurs", "ses", "ces", "mes", "tes", "plusieurs", "certains",
    "certaines", "quelques",
}  # fmt: skip


@dataclass(frozen=True)
class FoundQuote:
    """A quote in normalised offsets, with the index of its speaker's mention (or None)."""

    start: int
    end: int
    speaker: int | None


class _Spoken:
    """The article's mentions that can speak, by position."""

    def __init__(self, text: str, spans: Sequence[tuple[int, int, str]]):
        self.spans = [(s, e, label, i) for i, (s, e, label) in enumerate(spans)]
        # Names that complete another noun ("l'avocate de X", "présent à l'AG") are not
        # the subject; `last_person` still sees them, as a pronoun may refer to them.
        self.speakers = [m for m in self.spans if _can_speak(text, m[0], m[2])]

    def after(self, pos: int, limit: int) -> int | None:
        hits = [m for m in self.speakers if pos <= m[0] <= limit]
        per = [m for m in hits if m[2] == "PER"]
        best = (per or hits)[:1]
        return best[0][3] if best else None

    def before(self, pos: int, floor: int) -> int | None:
        """The first person (else organisation) named between floor and pos: the subject."""
        hits = [m for m in self.speakers if floor <= m[0] and m[1] <= pos]
        per = [m for m in hits if m[2] == "PER"]
        best = (per or hits)[:1]
        return best[0][3] if best else None

    def last_person(self, pos: int) -> int | None:
        hits = [m for m in self.spans if m[1] <= pos and m[2] == "PER"]
        return hits[-1][3] if hits else None


def _can_speak(text: str, start: int, label: str) -> bool:
    """Whether the name at `start` can be a speaker rather than a complement.

    "le directeur de X" speaks for the organisation X, but "l'avocate de X" is not the
    person X, and "présent à l'AG" or "interrogée par X" do not name who speaks. "Pour X"
    and "selon X" introduce an opinion, so they are not in `_LINK`.
    """
    if label not in SPEAKER_LABELS:
        return False
    link = _LINK.search(text, max(0, start - 40), start)
    if link is None:
        return True
    return label == "ORG" and link.group(1).lower() in _ROLE_LINKS


def _words(text: str) -> int:
    return len(text.split())


def _tokens(phrase: str) -> list[str]:
    """Lowercase words, elisions apart: "l'association" gives "l'", "association"."""
    return re.findall(r"\w+'|\w+(?:-\w+)*", phrase.lower())


def _indirect_source(phrase: str) -> bool:
    """Whether the words before a name make it the author of a document, not a speaker.

    Only the head of the phrase counts, the words before its first preposition: "une étude
    de", "le rapport annuel de", "des proches de" are indirect; "le directeur de l'étude" and
    "un porte-parole de" are people speaking.
    """
    words = _tokens(phrase)
    if words[:1] and words[0] in {"de", "du", "des", "d'"}:
        words = words[1:]  # a partitive article: "des chiffres de X"
    for word in words:
        if word in _PREPOSITIONS:
            return False
        if word in INDIRECT_SOURCES:
            return True
    return False


def _clean(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in '«»",:;-—–'):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in '«»",.;:(['):
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


def _clause_start(text: str, pos: int, floor: int) -> int:
    """Where the clause holding `pos` starts: after the last punctuation since `floor`."""
    marks = [m.end() for m in _CLAUSE_MARK.finditer(text, floor, pos)]
    return marks[-1] if marks else floor


def _clause_end(text: str, pos: int, ceiling: int) -> int:
    """Where the clause from `pos` ends: the next punctuation, or `ceiling`."""
    m = _CLAUSE_MARK.search(text, pos, ceiling)
    return m.start() if m else ceiling


def _incise(text: str, match: re.Match, after: re.Match) -> bool:
    """Whether the verb after a closing quotation mark introduces its speaker.

    "« … », explique X", "« … ? » s'interroge X" and "« … » raconte-t-il" are incises, and
    so is "« … » explique X" when the quote opens its sentence; "Le programme « … » annonce
    un appel à projets" is a title followed by its verb.
    """
    if after.group("pron") or after.group("pron2"):
        return True
    if "," in after.group(0) or re.search(r"[,!?…]\s*[»\"]$", match.group(0)):
        return True
    before = text[: match.start()].rstrip(" \t-—–")
    return not before or before[-1] in '.!?…:\n»"'


_SECOND_APPOSITION = re.compile(r"\s*,\s*(?:le|la|les|l')\s*[^,.;:!?«»]{1,60},")


def _apposition(text: str, comma: int, spoken: _Spoken) -> int | None:
    """The person named between two commas after a role: "Selon le directeur, Jean Dupont, le …".

    The word after the second comma must start a claim, so that "Selon la saison, Jean
    Dupont, maraîcher à Dole, vend …" names no speaker.
    """
    if comma >= len(text) or text[comma] != ",":
        return None
    for start, end, label, index in spoken.spans:
        if start > comma and label == "PER" and not text[comma + 1 : start].strip():
            rest = re.match(r"\s*,\s*(\w+'?)", text[end:])
            if not rest or rest.group(1).lower() not in CLAIM_STARTS:
                return None
            if _SECOND_APPOSITION.match(text, end):
                # "Selon la préfecture, Marie Durand, la maire, a dit que …": her role
                # between two more commas makes her the sentence's subject, not the source.
                return None
            return index
    return None


def find_quotes(
    text: str,
    sentences: Sequence[tuple[int, int]],
    mentions: Sequence[tuple[int, int, str]],
) -> list[FoundQuote]:
    """Quotes of a normalised text, given its sentences and (start, end, label) mentions."""
    spoken = _Spoken(text, mentions)
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
        if after and _incise(text, match, after):
            pronoun = after.groupdict().get("pron") or after.groupdict().get("pron2")
            if pronoun:
                add(q_start, q_end, spoken.last_person(match.start()))
            else:
                verb_end = match.end() + after.end()
                limit = _stop(text, verb_end, verb_end + WINDOW)
                speaker = spoken.after(verb_end, limit)
                # "« … », souligne une étude de X": the study speaks, not X; "…, ajoute un élu
                # sur le rôle qu'a joué X": X is named in a relative clause.
                between = text[verb_end : mentions[speaker][0]] if speaker is not None else ""
                if _indirect_source(between) or _RELATIVE.search(between):
                    speaker = None
                add(q_start, q_end, speaker)
            continue
        head = text[max(0, match.start() - 2 * WINDOW) : match.start()]
        if BEFORE.search(head):
            floor = match.start() - len(head)
            # The speaker is named in the same sentence, before the colon.
            cut = max(head.rfind("."), head.rfind("\n"), head.rfind("!"), head.rfind("?"))
            if cut >= 0:
                floor += cut + 1
            speaker = spoken.before(match.start(), floor)
            if speaker is not None:
                named = mentions[speaker][0]
                if _indirect_source(text[_clause_start(text, named, floor) : named]):
                    continue  # "Le rapport de X conclut : « … »"
            if speaker is None and re.search(r"\b(?:il|elle)\b", text[floor : match.start()], re.I):
                speaker = spoken.last_person(floor)
            add(q_start, q_end, speaker)

    for match in SELON.finditer(text):
        s_start = _sentence_start(text, match.start(), sentences)
        s_end = _sentence_end(text, match.start(), sentences)
        s_end = min(
            s_end, text.find("\n", match.start()) if "\n" in text[match.start() : s_end] else s_end
        )
        # The source is the phrase after "selon", up to the next punctuation.
        source_end = _clause_end(text, match.end(), s_end)
        speaker = spoken.after(match.end(), source_end)
        head = text[match.end() : mentions[speaker][0] if speaker is not None else source_end]
        if _indirect_source(head) or _RELATIVE.search(head):
            continue
        first = _tokens(head)[:1]
        pronoun = bool(first) and first[0] in _PERSON_PRONOUNS | _OTHER_PRONOUNS
        if pronoun:
            # "Selon elle, …": not whoever is named next.
            speaker = spoken.last_person(match.start()) if first[0] in _PERSON_PRONOUNS else None
        elif first and first[0] not in _PLURAL_DETERMINERS:
            # "Selon le directeur de X, Jean Dupont, …": the name after the role speaks (but
            # in "Selon les organisateurs, Jean Dupont, le maire, a …" he is the subject).
            named = _apposition(text, source_end, spoken)
            if named is not None:
                speaker = named
        if speaker is None:
            continue
        if not text[s_start : match.start()].strip(' "«-—–'):
            # "Selon X, the claim." — the claim follows the comma after the speaker.
            claim_from = max(match.end(), mentions[speaker][1])
            comma = text.find(",", claim_from, s_end)
            if comma >= 0:
                # Skip an apposition: "Selon Marie Dupont, directrice de X, le projet ...",
                # but not a name, which is the claim's subject: "Selon Tissot, Sorelec ...".
                nxt = text.find(",", comma + 1, s_end)
                word = text[comma + 1 :].split(maxsplit=1)[:1]
                following = min((m[0] for m in spoken.spans if m[0] > comma), default=s_end)
                a_name = not text[comma + 1 : following].strip()
                if (
                    not pronoun
                    and nxt >= 0
                    and word
                    and word[0].lower() not in CLAIM_STARTS
                    and not a_name
                ):
                    comma = nxt
                add(comma + 1, s_end, speaker)
        else:
            # "The claim, selon X." Without the comma only a name right after "selon" is a
            # source: "les tarifs varient selon la taille de X" is "depending on".
            lead = text[s_start : match.start()].rstrip()
            direct = not pronoun and all(w in _ARTICLES for w in _tokens(head))
            if lead.endswith((",", "-", "—", "–", "(")) or direct:
                add(s_start, match.start(), speaker)

    # "X a déclaré que …": a speaker for each claim, the best placed if several names
    # precede the verb ("La directrice de X, Jean Dupont, estime que": Jean Dupont).
    said: dict[int, list[tuple[bool, bool, int]]] = {}
    for index, (start, end, label) in enumerate(mentions):
        if label not in SPEAKER_LABELS:
            continue
        match = SAID.match(text, end)
        if match is None or not _can_speak(text, start, label):
            continue
        subject = text[_clause_start(text, start, _sentence_start(text, start, sentences)) : start]
        if _indirect_source(subject):
            continue  # "Une étude de X indique que …"
        # The name opening its clause is the subject; a name after "de" completes a role.
        said.setdefault(match.end(), []).append((bool(subject.strip()), label != "PER", index))
    for claim_start, options in sorted(said.items()):
        index = min(options)[2]
        s_end = _sentence_end(text, mentions[index][0], sentences)
        newline = text.find("\n", claim_start, s_end)
        add(claim_start, newline if newline >= 0 else s_end, index)

    return sorted(found, key=lambda q: q.start)
