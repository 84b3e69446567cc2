"""Deals in French business news: funding rounds, acquisitions, mergers, jobs, new sites.

Rules over the spaCy parse and the entities veille's analyser finds (`nlp.analyse`): a
sentence with a trigger word from `data/deals.toml` and the right parties becomes a
`Deal`. The rules run in the order of `RULES`; each reads one sentence and may use the
deals found before it in the same article (a round's investors are often named in the
next sentence). Pure: text in, deals out; nlp/process.py stores them through db/deal_store.py.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from nlp.amounts import Amount, find_amounts, parse_count
from nlp.keys import entity_key
from nlp.model import DEFAULT_MODEL, load_model
from nlp.normalize import Normalized
from nlp.resources import DATA_DIR, ResourceError, data_path

TYPES = ("funding", "acquisition", "merger", "jobs", "site")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_CLAUSE_BREAK = re.compile(r"[,;:()]| - | – ")
# Between an amount and its lender: "500 000 euros de Bpifrance".
_FROM = re.compile(r"^\s*(?:de|d'|du|des|par|auprès de|auprès d')\s*(?:la |l'|le |les )?\s*$")
_TO = re.compile(r"^\s*(?:à|au|aux)\s*(?:la |l'|le |les )?[\w\s'-]{0,30}?$")
_LEAD_WORDS = {"de", "du", "des", "d'"}
_NOT_NAMES = {"elle", "il", "elles", "ils", "on", "ce", "cette", "celle", "celui", "qui"}
# The parser tags "emploiera" as a present: the ending says the future.
_FUTURE = re.compile(r"(?:era|eront|erait|eraient)$")


@dataclass
class Deal:
    """One deal as read in one article; `sentence` is the sentence it came from."""

    type: str
    company: str | None
    counterpart: str | None = None
    amount_eur: float | None = None
    round: str | None = None
    investors: list[str] = field(default_factory=list)
    jobs: int | None = None
    horizon: str | None = None
    place: str | None = None
    kind: str | None = None
    new_name: str | None = None
    past: bool = False
    sentence: str = ""

    def as_dict(self) -> dict:
        """The deal as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class DealRules:
    """The trigger words of data/deals.toml, lower case."""

    funding_verbs: frozenset[str]
    funding_nouns: tuple[str, ...]
    investor_cues: tuple[str, ...]
    investor_verbs: frozenset[str]
    capital_cues: tuple[str, ...]
    kinds: dict[str, tuple[str, ...]]
    rounds: dict[str, tuple[str, ...]]
    not_funding: tuple[str, ...]
    intent: tuple[str, ...]
    past_cues: tuple[str, ...]
    acquisition_verbs: frozenset[str]
    acquisition_nouns: tuple[str, ...]
    merger_verbs: frozenset[str]
    merger_nouns: tuple[str, ...]
    new_name_cues: tuple[str, ...]
    job_verbs: frozenset[str]
    job_words: frozenset[str]
    not_job_words: frozenset[str]
    job_future_only: frozenset[str]
    job_nouns: tuple[str, ...]
    horizon: re.Pattern
    site_verbs: frozenset[str]
    site_kinds: tuple[str, ...]
    public_prefixes: tuple[str, ...]

    @cached_property
    def stems(self) -> frozenset[str]:
        """Folded starts of every trigger verb, for picking the sentences to parse."""
        verbs = (
            self.funding_verbs
            | self.acquisition_verbs
            | self.merger_verbs
            | self.job_verbs
            | self.site_verbs
            | self.investor_verbs
        )
        # A stem of three letters starts too many words ("cre": crédit, création): one more
        # letter of the infinitive keeps the verb's forms ("cree": crée, créé, créera).
        stems = {_stem(v) if len(_stem(v)) >= 4 else _fold(v)[: len(_stem(v)) + 1] for v in verbs}
        return frozenset(stem[:6] for stem in stems) | {"acqui", "repris"}

    @cached_property
    def stem_lengths(self) -> tuple[int, ...]:
        """The lengths of `stems`, for looking words up by prefix."""
        return tuple(sorted({len(stem) for stem in self.stems}))

    @cached_property
    def nouns_pattern(self) -> re.Pattern:
        """Any of `nouns` as whole words (as `_find_all` reads each)."""
        ends = (
            re.escape(n) + (r"(?!\w)" if n[-1:].isalnum() else "")
            for n in sorted(self.nouns, key=len, reverse=True)
        )
        return re.compile(r"(?<!\w)(?:" + "|".join(ends) + ")")

    @cached_property
    def nouns(self) -> tuple[str, ...]:
        """Every trigger noun or phrase."""
        kinds = tuple(w for spellings in self.kinds.values() for w in spellings)
        nouns = self.funding_nouns + self.acquisition_nouns + self.merger_nouns + self.job_nouns
        return nouns + kinds + self.new_name_cues + ("opération",)


def load_deal_rules(path: str | Path | None = None) -> DealRules:
    """Read deals.toml (the shipped one by default); ResourceError names a bad key."""
    path = Path(path) if path else data_path("deals.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ResourceError(f"{path}: cannot read the deal words ({exc})") from None

    def words(section: str, key: str) -> tuple[str, ...]:
        value = data.get(section, {})
        for part in key.split(".")[:-1]:
            value = value.get(part, {})
        value = value.get(key.split(".")[-1])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ResourceError(f"{path}: [{section}] {key} must be a list of strings")
        return tuple(v.lower().replace("\u2019", "'") for v in value)

    def table(section: str, key: str) -> dict[str, tuple[str, ...]]:
        value = data.get(section, {}).get(key)
        if not isinstance(value, dict):
            raise ResourceError(f"{path}: [{section}.{key}] must be a table of lists")
        return {name: words(section, f"{key}.{name}") for name in value}

    def optional(section: str, key: str) -> tuple[str, ...]:
        # Keys added after staff copied the file: absent means none.
        return words(section, key) if key in data.get(section, {}) else ()

    horizons = words("jobs", "horizon")
    return DealRules(
        funding_verbs=frozenset(words("funding", "verbs")),
        funding_nouns=words("funding", "nouns"),
        investor_cues=words("funding", "investor_cues"),
        investor_verbs=frozenset(words("funding", "investor_verbs")),
        capital_cues=words("funding", "capital_cues"),
        kinds=table("funding", "kinds"),
        rounds=table("funding", "rounds"),
        not_funding=words("not_funding", "before"),
        intent=words("not_funding", "intent"),
        past_cues=words("past", "cues"),
        acquisition_verbs=frozenset(words("acquisition", "verbs")),
        acquisition_nouns=words("acquisition", "nouns"),
        merger_verbs=frozenset(words("merger", "verbs")),
        merger_nouns=words("merger", "nouns"),
        new_name_cues=words("merger", "new_name_cues"),
        job_verbs=frozenset(words("jobs", "verbs")),
        job_words=frozenset(words("jobs", "job_words")),
        not_job_words=frozenset(optional("jobs", "not_job_words")),
        job_future_only=frozenset(words("jobs", "future_only")),
        job_nouns=words("jobs", "nouns"),
        horizon=re.compile(r"\b(?:" + "|".join(horizons) + r")\b", re.IGNORECASE),
        site_verbs=frozenset(words("site", "verbs")),
        site_kinds=words("site", "kinds"),
        public_prefixes=words("public", "prefixes"),
    )


@dataclass(frozen=True)
class Party:
    """A name that can take part in a deal, with offsets in the normalised text."""

    start: int
    end: int
    name: str


@dataclass
class Sentence:
    """What the rules read of one sentence: its span, text, parties, places, amounts."""

    doc: Doc  # the sentence alone, tagged and lemmatised (offsets relative to the sentence)
    text: str  # normalised, lower case
    cased: str  # normalised
    start: int  # offset of the sentence in the normalised text
    parties: list[Party]
    places: list[Party]
    amounts: list[Amount]  # offsets relative to the sentence
    original: str  # as stored, spaces collapsed
    # Adds the dependencies to `doc` in place; None once done (or when `doc` has them).
    parse: Callable[[Doc], object] | None = None

    def tree(self) -> Doc:
        """`doc` with its dependencies, parsed on the first call.

        Most candidate sentences are decided from words, lemmas and tags alone; the parser
        (the costliest step of reading deals) runs only for the rules that look for a
        verb's subject or a participle's role.
        """
        if self.parse is not None:
            self.parse(self.doc)
            self.parse = None
        return self.doc

    @cached_property
    def tokens(self) -> list:
        """The tokens of `doc`, made once: every rule walks them."""
        return list(self.doc)

    def forms(self, verbs: frozenset[str]) -> list[tuple[int, str]]:
        """(token index, lemma) of the tokens that are forms of `verbs` (see `_verb`)."""
        found = self._forms.get(verbs)
        if found is None:
            found = [(t.i, lemma) for t in self.tokens if (lemma := _verb(t, verbs))]
            self._forms[verbs] = found
        return found

    @cached_property
    def _forms(self) -> dict[frozenset[str], list[tuple[int, str]]]:
        return {}


@dataclass
class Context:
    """One article being read: its rules, reference year and deals found so far."""

    rules: DealRules
    year: int
    deals: list[Deal] = field(default_factory=list)
    main_company: str | None = None
    main_named: int = 0  # how many times the article names its main company

    def last(self, type_: str) -> Deal | None:
        """The latest current deal of this type in the article."""
        for deal in reversed(self.deals):
            if deal.type == type_ and not deal.past:
                return deal
        return None


# --- helpers over one sentence -----------------------------------------------------------


def _find_all(text: str, phrase: str) -> list[int]:
    """Start offsets of `phrase` as whole words in `text`."""
    return [m.start() for m in _phrase_pattern(phrase).finditer(text)]


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(phrase) + (r"(?!\w)" if phrase[-1:].isalnum() else ""))


def _has_any(text: str, phrases: Iterable[str]) -> bool:
    return any(_find_all(text, p) for p in phrases)


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around [start, end): from the previous comma (or the like) to the next."""
    left = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    after = _CLAUSE_BREAK.search(text, end)
    return left, after.start() if after else len(text)


def _is_past(rules: DealRules, year: int, clause: str) -> bool:
    if _has_any(clause, rules.past_cues):
        return True
    return any(int(y) < year for y in _YEAR.findall(clause))


def _round(rules: DealRules, text: str) -> str | None:
    for name, spellings in rules.rounds.items():
        if _has_any(text, spellings):
            return name
    return None


def _public(rules: DealRules, name: str) -> bool:
    lower = name.lower()
    return lower.startswith(rules.public_prefixes) or lower.startswith(
        tuple("le " + p for p in rules.public_prefixes)
    )


def _party_at(sent: Sentence, start: int, end: int) -> Party | None:
    """The party covering the sentence-relative range [start, end), if any."""
    for party in sent.parties:
        if party.start - sent.start < end and party.end - sent.start > start:
            return party
    return None


def _rel(sent: Sentence, party: Party) -> tuple[int, int]:
    return party.start - sent.start, party.end - sent.start


def _before(sent: Sentence, offset: int) -> list[Party]:
    return [p for p in sent.parties if p.end - sent.start <= offset]


def _after(sent: Sentence, offset: int) -> list[Party]:
    return [p for p in sent.parties if p.start - sent.start >= offset]


def _subject(sent: Sentence, token_i: int) -> Party | None:
    """The party that is the subject of the verb at token_i (through "qui" and apposition)."""
    token = sent.tree()[token_i]
    heads = [token, *([token.head] if token.dep_ in ("xcomp", "conj") else [])]
    for head in heads:
        for child in head.children:
            if child.dep_.startswith("nsubj"):
                for t in child.subtree:
                    party = _party_at(sent, t.idx, t.idx + len(t))
                    if party is not None:
                        return party
    return None


def _nearest_before(sent: Sentence, offset: int, rules: DealRules) -> Party | None:
    candidates = [p for p in _before(sent, offset) if not _public(rules, p.name)]
    return candidates[-1] if candidates else None


def _investors_after(sent: Sentence, start: int, end: int, rules: DealRules) -> list[str]:
    """Parties after an investor cue ("auprès de", "mené par") within [start, end)."""
    cues = sorted(
        at + len(cue)
        for cue in rules.investor_cues
        for at in _find_all(sent.text, cue)
        if start <= at < end
    )
    if not cues:
        return []
    return [p.name for p in sent.parties if cues[0] <= p.start - sent.start < end and p.name]


def _investor_subjects(sent: Sentence, rules: DealRules) -> list[str]:
    """Subjects of "mener", "accorder"...: "Le fonds X mène l'opération"."""
    names = []
    for i, _ in sent.forms(rules.investor_verbs):
        party = _subject(sent, i) or _nearest_before(sent, sent.tokens[i].idx, rules)
        if party is not None and party.name not in names:
            names.append(party.name)
    return names


def _add_unique(names: list[str], more: Iterable[str], exclude: str | None) -> None:
    keys = {entity_key(n) for n in names} | {entity_key(exclude or "")}
    for name in more:
        if entity_key(name) not in keys:
            names.append(name)
            keys.add(entity_key(name))


def _fold(word: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c)
    )


@lru_cache(maxsize=256)
def _stem(lemma: str) -> str:
    """ "lever" → "lev", "racheter" → "rachet": matches "lève", "rachète", "rachetée"."""
    folded = _fold(lemma)
    for ending in ("er", "ir", "re"):
        if folded.endswith(ending) and len(folded) > 4:
            return folded[: -len(ending)]
    return folded


def _verb(token, verbs: frozenset[str]) -> str:
    """The lemma of `verbs` this token is a form of, or "".

    The parser's lemmas miss on unknown words next to the verb ("s'implante" → "impler"),
    so the stem of the infinitive is tried too.
    """
    if token.pos_ not in ("VERB", "AUX", "ADJ"):
        return ""
    return _verb_of(token.lemma_, token.text, verbs)


@lru_cache(maxsize=65_536)
def _verb_of(lemma: str, text: str, verbs: frozenset[str]) -> str:
    # Every rule looks at every verb of a sentence: the answer for a (lemma, form) is kept.
    lemma = lemma.lower()
    if lemma in verbs:
        return lemma
    folded = _fold(text)
    for verb in sorted(verbs):  # sorted: the same answer whatever the hash seed
        stem = _stem(verb)
        if len(stem) >= 4 and folded.startswith(stem) and len(folded) - len(stem) <= 4:
            return verb
    return ""


# --- the rules ---------------------------------------------------------------------------


def funding(sent: Sentence, ctx: Context) -> list[Deal]:
    """Rounds, loans and grants: a funding word and an amount in euros in one sentence."""
    rules = ctx.rules
    text = sent.text
    kind_words = [w for spellings in rules.kinds.values() for w in spellings]
    verbs = bool(sent.forms(rules.funding_verbs))
    trigger = verbs or _has_any(text, rules.funding_nouns) or _has_any(text, kind_words)
    if not trigger:
        if _has_any(text, ("opération",)) or sent.forms(rules.investor_verbs):
            _context_sentence(sent, ctx)
        return []
    # An amount after "rachète", "acquisition"... is a price, not a round.
    bought = [sent.tokens[i].idx for i, _ in sent.forms(rules.acquisition_verbs)]
    bought += [at for n in rules.acquisition_nouns for at in _find_all(text, n)]
    amounts = []
    for amount in sent.amounts:
        left, _ = _clause(text, amount.start, amount.end)
        lead = text[max(left, amount.start - 40) : amount.start]
        if (
            not _has_any(lead, rules.not_funding)
            and not _has_any(text[left : amount.start], rules.intent)
            and not any(b < amount.start for b in bought)
        ):
            amounts.append(amount)
    deals = []
    if not amounts:
        _context_sentence(sent, ctx)
        return []
    for n, amount in enumerate(amounts):
        left, right = _clause(text, amount.start, amount.end)
        clause = text[left:right]
        lead = text[left : amount.start]
        seg_end = amounts[n + 1].start if n + 1 < len(amounts) else len(text)
        kind = next(
            (name for name, spellings in rules.kinds.items() if _has_any(lead, spellings)), None
        )
        company, investors = None, []
        capital = [
            at + len(cue)
            for cue in rules.capital_cues
            for at in _find_all(text, cue)
            if at < seg_end
        ]
        if capital:
            after = _after(sent, capital[0])
            company = after[0] if after else None
            investors = [p.name for p in _before(sent, capital[0])]
        if company is None and kind:
            for p in _after(sent, amount.end):
                s, _ = _rel(sent, p)
                if _TO.match(text[amount.end : s]):
                    company = p
                    break
        if company is None:
            before = [p for p in _before(sent, amount.start) if not _public(rules, p.name)]
            cue_at = min(
                (at for cue in rules.investor_cues for at in _find_all(text, cue)),
                default=len(text),
            )
            before = [p for p in before if p.start - sent.start < cue_at] or before
            if kind is None and before:
                company = before[-1]
            elif kind is None:
                later = [
                    p
                    for p in _after(sent, amount.end)
                    if not _public(rules, p.name) and p.start - sent.start < cue_at
                ]
                company = later[0] if later else None
        if company is None and kind is None:
            company = _leading_name(sent, rules.funding_verbs)
        name = company.name if company else None
        if name is None or _public(rules, name):
            previous = ctx.last("funding")
            # A loan or grant with no borrower named is a public scheme, not a deal.
            name = previous.company if previous else (None if kind else ctx.main_company)
        if name is None or _public(rules, name):
            continue
        if kind:
            for p in _after(sent, amount.end):
                s, _ = _rel(sent, p)
                if _FROM.match(text[amount.end : s]):
                    investors.append(p.name)
                    break
            if kind == "subvention" or not investors:
                investors.extend(_investor_subjects(sent, rules))
        else:
            start = amount.end if n else 0
            investors.extend(_investors_after(sent, start, seg_end, rules))
            investors.extend(_investor_subjects(sent, rules))
        clean: list[str] = []
        _add_unique(clean, investors, name)
        past = _is_past(rules, ctx.year, clause)
        deals.append(
            Deal(
                "funding",
                name,
                amount_eur=amount.value,
                round=kind or _round(rules, clause) or (None if past else _round(rules, text)),
                investors=[] if past else clean,
                past=past,
                sentence=sent.original,
            )
        )
    return deals


def _leading_name(sent: Sentence, verbs: frozenset[str]) -> Party | None:
    """ "Ferrovia boucle...": a capitalised first word right before a trigger verb.

    The parser often mistakes an unknown name for an adjective or a verb at the start of a
    sentence, and the model then finds no entity: the word order still says who raises.
    """
    doc = sent.doc
    if len(doc) < 2 or not doc[0].text[:1].isupper() or doc[0].pos_ in ("DET", "PRON", "ADP"):
        return None
    if doc[0].lower_ in _NOT_NAMES or not _verb(doc[1], verbs):
        return None
    return Party(sent.start, sent.start + len(doc[0]), doc[0].text)


def _context_sentence(sent: Sentence, ctx: Context) -> None:
    """A funding sentence without an amount adds round and investors to the last round."""
    deal = ctx.last("funding")
    if deal is None or deal.round in ctx.rules.kinds:
        return
    deal.round = deal.round or _round(ctx.rules, sent.text)
    investors = _investors_after(sent, 0, len(sent.text), ctx.rules)
    investors += _investor_subjects(sent, ctx.rules)
    _add_unique(deal.investors, investors, deal.company)


def acquisition(sent: Sentence, ctx: Context) -> list[Deal]:
    """ "X rachète Y", "Y est repris par X", "le rachat de Y par X"."""
    rules = ctx.rules
    text = sent.text
    triggers = [
        (t.idx, t.idx + len(t), t)
        for t in (sent.tokens[i] for i, _ in sent.forms(rules.acquisition_verbs))
    ]
    triggers += [
        (at, at + len(n), None) for n in rules.acquisition_nouns for at in _find_all(text, n)
    ]
    for start, end, token in sorted(triggers, key=lambda item: item[0]):
        after = _after(sent, end)
        par = [a for a in _find_all(text, "par") if a >= end]
        passive = token is not None and (
            any(c.dep_ == "aux:pass" for c in sent.tree()[token.i].children)
            or (par and par[0] - end < 25 and token.tag_ != "NOUN" and token.pos_ != "NOUN")
        )
        if passive and par:
            buyers = _after(sent, par[0])
            if not buyers:
                continue
            acquirer = buyers[0]
            targets = [p for p in _before(sent, start) if not _public(rules, p.name)] or [
                p for p in after if p != acquirer
            ]
            target = targets[-1] if _before(sent, start) else (targets[0] if targets else None)
        elif token is None:
            target = after[0] if after else None
            by = [p for p in after[1:] if par and p.start - sent.start > par[0]]
            acquirer = by[0] if by else _nearest_before(sent, start, rules)
            if acquirer is None and ctx.main_company:
                acquirer = Party(-1, -1, ctx.main_company)
        else:
            acquirer = (token is not None and _subject(sent, token.i)) or _nearest_before(
                sent, start, rules
            )
            if acquirer is None and ctx.main_company:
                # "L'entreprise annonce le rachat de Y": the article's company.
                acquirer = Party(-1, -1, ctx.main_company)

            target = after[0] if after else None
        if (
            acquirer is None
            or target is None
            or entity_key(acquirer.name) == entity_key(target.name)
        ):
            continue
        amounts = [a for a in sent.amounts if a.start >= end]
        left, right = _clause(text, start, end)
        past = _is_past(rules, ctx.year, text[left:right])
        return [
            Deal(
                "acquisition",
                acquirer.name,
                counterpart=target.name,
                amount_eur=amounts[0].value if amounts else None,
                past=past,
                sentence=sent.original,
            )
        ]
    return []


def merger(sent: Sentence, ctx: Context) -> list[Deal]:
    """ "X et Y fusionnent", "X fusionne avec Y", "la fusion de X et Y"; new name if stated."""
    rules = ctx.rules
    text = sent.text
    starts = [sent.tokens[i].idx for i, _ in sent.forms(rules.merger_verbs)]
    starts += [at for n in rules.merger_nouns for at in _find_all(text, n)]
    if not starts:
        return []
    at = min(starts)
    new_name = _new_name(sent, rules)
    # The new name is not a party: "la fusion de X et Y, baptisée Z".
    before = [p for p in _before(sent, at) if not _public(rules, p.name) and p.name != new_name]
    after = [p for p in _after(sent, at) if not _public(rules, p.name) and p.name != new_name]
    if len(before) >= 2:
        a, b = before[-2], before[-1]
    elif before and after:
        a, b = before[-1], after[0]
    elif len(after) >= 2:
        a, b = after[0], after[1]
    else:
        return []
    deal = Deal("merger", a.name, counterpart=b.name, sentence=sent.original)
    deal.new_name = new_name
    return [deal]


def _new_name(sent: Sentence, rules: DealRules) -> str | None:
    for cue in rules.new_name_cues:
        for at in _find_all(sent.text, cue):
            for p in _after(sent, at + len(cue)):
                return p.name
            tail = sent.cased[at + len(cue) :].split()
            if tail and tail[0][:1].isupper():
                return tail[0].strip('.,;:«»"')
    return None


def new_names(sent: Sentence, ctx: Context) -> list[Deal]:
    """ "La nouvelle entité s'appellera Z": the new name of the article's merger."""
    deal = ctx.last("merger")
    if deal is not None and deal.new_name is None and deal.sentence != sent.original:
        deal.new_name = _new_name(sent, ctx.rules)
    return []


_COUNT_LEAD = re.compile(
    r"^\s*(?:(?:déjà|dès maintenant|encore|au moins|plus de|près de|environ|jusqu'à|"
    r"d'ici \S+ \S+|à terme)\s+)*"
)


def jobs(sent: Sentence, ctx: Context) -> list[Deal]:
    """ "X recrute 15 salariés", "créera une trentaine d'emplois", "40 recrutements"."""
    rules = ctx.rules
    text = sent.text
    found: list[Deal] = []
    for i, lemma in sent.forms(rules.job_verbs):
        token = sent.tokens[i]
        if lemma in rules.job_future_only and not (
            "Fut" in token.morph.get("Tense") or _FUTURE.search(token.lower_)
        ):
            continue
        end = token.idx + len(token)
        rest = text[end:]
        lead = _COUNT_LEAD.match(rest)
        count = parse_count(rest[lead.end() :]) if lead else None
        if count is None or count < 2 or (1900 < count < 2100):
            continue
        tail = rest[lead.end() :].split()
        words = re.findall(r"\w+", " ".join(tail[:6]))
        if any(w in rules.not_job_words for w in words[:4]):
            # "recruter deux joueurs", "embaucher des bénévoles": not jobs.
            continue
        if lemma not in ("recruter", "embaucher") and not any(w in rules.job_words for w in words):
            continue
        company = _subject(sent, token.i) or _nearest_before(sent, token.idx, rules)
        # "Elle recrute...": the article's deal or company, if the article is about one (a
        # company named once among others may not be the "elle").
        main = ctx.main_company if ctx.main_named > 1 else None
        name = company.name if company else (ctx.deals[-1].company if ctx.deals else main)
        if name is None:
            continue
        left, right = _clause(text, token.idx, end + lead.end() + len(" ".join(tail[:3])))
        deal = Deal("jobs", name, jobs=count, sentence=sent.original)
        # "ont créé 400 emplois depuis 2023", "a déjà recruté 12 personnes", "depuis sa
        # création, X a recruté 25 ingénieurs": history. A verb in the future never is.
        future = "Fut" in token.morph.get("Tense") or _FUTURE.search(token.lower_)
        participle = "Part" in token.morph.get("VerbForm") and "Past" in token.morph.get("Tense")
        deal.past = not future and (
            _is_past(rules, ctx.year, text[left:right])
            or (participle and bool(_find_all(text, "depuis")))
        )
        found.append(_with_place(deal, sent, rules))
    # A sentence may give history and an announcement: "a déjà recruté 12 personnes et
    # en embauchera 20 autres"; the announcement wins.
    current = [d for d in found if not d.past]
    return current[:1] or found[:1]


def _with_place(deal: Deal, sent: Sentence, rules: DealRules) -> Deal:
    deal.place = sent.places[0].name if sent.places else None
    horizon = rules.horizon.search(sent.cased)
    if deal.type == "jobs" and horizon:
        deal.horizon = horizon.group(0)
    return deal


def site(sent: Sentence, ctx: Context) -> list[Deal]:
    """ "X s'implante à Belfort", "ouvre une usine", "installe son siège à Dijon"."""
    rules = ctx.rules
    text = sent.text
    for i, lemma in sent.forms(rules.site_verbs):
        token = sent.tokens[i]
        if "Part" in token.morph.get("VerbForm") and sent.tree()[token.i].dep_ in ("acl", "amod"):
            # "une entreprise de 45 salariés implantée à Besançon" describes, not announces.
            continue
        at = token.idx + len(token)
        window = text[at : at + 60]
        kind = next((k for k in rules.site_kinds if _find_all(window, k)), None)
        places = [p for p in sent.places if p.start - sent.start >= at] or sent.places
        if kind is None and (lemma != "implanter" or not places):
            continue
        company = _subject(sent, token.i) or _nearest_before(sent, token.idx, rules)
        name = company.name if company else ctx.main_company
        if name is None:
            continue
        if kind is None:
            kind = next((k for k in rules.site_kinds if _find_all(text[at:], k)), None)
        return [
            Deal(
                "site",
                name,
                place=places[0].name if places else None,
                kind=kind,
                sentence=sent.original,
            )
        ]
    return []


# The order in which the rules read each sentence.
RULES: tuple[Callable[[Sentence, Context], list[Deal]], ...] = (
    funding,
    acquisition,
    merger,
    new_names,
    jobs,
    site,
)


# --- reading an article ------------------------------------------------------------------


def _merge(deals: list[Deal], deal: Deal) -> None:
    """Add a deal unless the article already has it (then fill what the other lacks)."""
    for old in deals:
        same = (
            old.type == deal.type
            and old.past == deal.past
            and entity_key(old.company or "") == entity_key(deal.company or "")
        )
        if same and deal.type == "funding":
            same = (
                old.past == deal.past
                and (old.round in ("prêt", "subvention")) == (deal.round in ("prêt", "subvention"))
                and (
                    old.amount_eur is None
                    or deal.amount_eur is None
                    or abs(old.amount_eur - deal.amount_eur) <= 0.02 * old.amount_eur
                )
            )
        elif same and deal.type in ("acquisition", "merger"):
            same = entity_key(old.counterpart or "") == entity_key(deal.counterpart or "")
        if same:
            for name, value in deal.as_dict().items():
                if getattr(old, name) in (None, [], "") and value not in (None, []):
                    setattr(old, name, value)
            _add_unique(old.investors, deal.investors, old.company)
            return
    deals.append(deal)


def find_deals(
    doc: Doc,
    norm: Normalized,
    mentions: Iterable,
    parse: Callable[[Doc, list[tuple[int, int]]], list[Doc]],
    is_place: Callable[[str], bool] = lambda name: False,
    *,
    year: int | None = None,
    rules: DealRules | None = None,
    tree: Callable[[list[Doc]], object] | None = None,
) -> list[Deal]:
    """The deals of one article from the analyser's doc and mentions.

    `parse(doc, [(start, end), ...])` gives each of these sentences of `doc` alone, with
    tags and lemmas (see `SentenceParser`): only the sentences with an amount or a trigger
    word are read, all in one call. `tree(docs)` adds the dependencies to some of them in
    place, those that have a verb whose subject a rule may look for; without it, `parse`
    must give them. `is_place(name)` says whether a LOC name is
    a known place (then it locates a site but is never a company); `year` is the
    article's year, for telling past rounds from current ones.
    """
    rules = rules or _default_rules()
    # doc.text joins every token again at each call: read it once.
    full = doc.text
    bounds, amounts = [], []
    for start, end in _sentences(doc, full):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or not len(span):
            continue
        start, end = span.start_char, span.end_char
        found = find_amounts(full[start:end])
        if found or is_candidate(rules, full[start:end]):
            bounds.append((start, end))
            amounts.append(found)
    if not bounds:
        return []
    parties, places = _parties(doc, full, mentions, is_place)
    ctx = Context(rules, year or date.today().year)
    ctx.main_company = _main_company(parties, mentions, rules)
    ctx.main_named = sum(1 for m in mentions if m.name == ctx.main_company) or sum(
        1 for p in parties if p.name == ctx.main_company
    )
    sentences = []
    for (start, end), found, parsed in zip(bounds, amounts, parse(doc, bounds), strict=True):
        text = full[start:end]
        o_start, o_end = norm.to_original(start, end)
        sentences.append(
            Sentence(
                doc=parsed,
                text=text.lower(),
                cased=text,
                start=start,
                parties=[p for p in parties if start <= p.start and p.end <= end],
                places=[p for p in places if start <= p.start and p.end <= end],
                amounts=found,
                original=" ".join(norm.original[o_start:o_end].split()),
                parse=None if tree is None else lambda one: tree([one]),
            )
        )
    if tree is not None:
        # The parser is the costliest step: it runs, in one batch, on the sentences with a
        # verb whose subject or role a rule may ask (`_subject`, passives, participles);
        # any other sentence a rule asks it of is parsed then (`Sentence.tree`).
        verbs = (rules.investor_verbs, rules.acquisition_verbs, rules.job_verbs, rules.site_verbs)
        needed = [s for s in sentences if any(s.forms(v) for v in verbs)]
        tree([s.doc for s in needed])
        for sent in needed:
            sent.parse = None
    for sent in sentences:
        for rule in RULES:
            for deal in rule(sent, ctx):
                _merge(ctx.deals, deal)
    return ctx.deals


def _main_company(parties: list[Party], mentions: Iterable, rules: DealRules) -> str | None:
    """The company an article is about: its most named organisation, else its first party.

    "Elle recrute..." and "L'entreprise a levé..." refer to it.
    """
    orgs = Counter(m.name for m in mentions if m.label == "ORG" and not _public(rules, m.name))
    if orgs:
        return orgs.most_common(1)[0][0]
    companies = [p for p in parties if not _public(rules, p.name)]
    return companies[0].name if companies else None


_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý])")


def _sentences(doc: Doc, text: str) -> Iterator[tuple[int, int]]:
    """The doc's sentences, cut again after a full stop the sentencer kept ("3,5 M€. Talmeo")."""
    for span in doc.sents:
        start = span.start_char
        for cut in _SPLIT.finditer(text, span.start_char, span.end_char):
            yield start, cut.start()
            start = cut.end()
        yield start, span.end_char


def is_candidate(rules: DealRules, text: str) -> bool:
    """Whether a sentence may hold a deal: a word starting like a trigger verb, or a noun."""
    words = {_fold(w)[:8] for w in re.findall(r"\w+", text)}
    stems = rules.stems
    if any(w[:n] in stems for w in words for n in rules.stem_lengths):
        return True
    # Whole words, as the rules read them: "reprise" is not in "entreprise".
    return rules.nouns_pattern.search(text.lower()) is not None


def _parties(
    doc: Doc, text: str, mentions: Iterable, is_place: Callable[[str], bool]
) -> tuple[list[Party], list[Party]]:
    """Names that can be parties (organisations, unknown names) and known places."""
    parties, places, covered = [], [], set()
    for m in mentions:
        s, e = m.nstart, m.nend
        covered.update(range(s, e))
        before = text[max(0, s - 2) : s].lower()
        if is_place(m.name) or (m.label == "LOC" and before in ("à ", "au")):
            # A known place is never a company, whatever label the model gave it.
            places.append(Party(s, e, m.name))
        elif m.label == "ORG" or m.label == "LOC" or len(m.name.split()) == 1:
            # "Verrerie de Passavant": an organisation's name goes on with "de" + a name.
            span = doc.char_span(s, e, alignment_mode="expand")
            if span is not None and m.label == "ORG" and span.end + 1 < len(doc):
                nxt, name = doc[span.end], doc[span.end + 1]
                if (
                    nxt.lower_ in _LEAD_WORDS
                    and name.text[:1].isupper()
                    and name.idx not in covered
                ):
                    e = name.idx + len(name)
                    parties.append(Party(s, e, f"{m.name} {nxt.text} {name.text}"))
                    continue
            parties.append(Party(s, e, m.name))
    # Proper nouns the model did not name ("Cyberjura boucle..."): a capitalised word
    # tagged PROPN, outside every mention, not a known place.
    for token in doc:
        # Cheap tests first: has_vector is a vocabulary look-up.
        if (
            token.text[:1].isupper()
            and len(token.text) > 2
            and token.idx not in covered
            and (token.pos_ == "PROPN" or not token.has_vector)
            and not is_place(token.text)
        ):
            parties.append(Party(token.idx, token.idx + len(token), token.text))
    parties.sort(key=lambda p: p.start)
    places.sort(key=lambda p: p.start)
    return parties, places


_RULES_CACHE: dict[str, DealRules] = {}


def _default_rules() -> DealRules:
    key = str(data_path("deals.toml"))
    if key not in _RULES_CACHE:
        _RULES_CACHE[key] = load_deal_rules(key)
    return _RULES_CACHE[key]


def rules_for(data_dir: str | Path | None = None) -> DealRules:
    """The deal words of a data folder (cached per file); the shipped ones if it has none.

    A staff data folder made before deals existed has no deals.toml: the shipped words
    apply rather than an error.
    """
    path = data_path("deals.toml", data_dir)
    key = str(path if path.exists() else data_path("deals.toml", DATA_DIR))
    if key not in _RULES_CACHE:
        _RULES_CACHE[key] = load_deal_rules(key)
    return _RULES_CACHE[key]


@lru_cache(maxsize=2)
def parser(model: str = DEFAULT_MODEL) -> Language:
    """The model with its parser and lemmatizer, for deal sentences (the analyser has neither)."""
    return load_model(model, exclude=["ner"])


class SentenceParser:
    """Lemmas, then dependencies on demand, for the sentences of an analysed doc that may
    hold a deal.

    veille's analyser leaves the parser and lemmatizer out for speed. The sentences are
    cut from the analyser's doc with its tokens, tags and tok2vec output (`doc.tensor`),
    so only the attribute ruler and lemmatizer run on them; the parser runs later, on the
    sentences a rule asks dependencies of (`tree`): the model's parser listens to the same
    tok2vec and reads `doc.tensor` at prediction time. A doc without a tensor (a pipeline
    without tok2vec) has its sentences parsed from their text at once.
    """

    STEPS = ("attribute_ruler", "lemmatizer")

    def __init__(self, model: str = DEFAULT_MODEL):
        self.nlp = parser(model)
        self.steps = [self.nlp.get_pipe(name) for name in self.STEPS if name in self.nlp.pipe_names]
        self.parser = self.nlp.get_pipe("parser") if "parser" in self.nlp.pipe_names else None
        ruler = "attribute_ruler"
        self.ruler = self.nlp.get_pipe(ruler) if ruler in self.nlp.pipe_names else None

    def __call__(self, doc: Doc, bounds: list[tuple[int, int]]) -> list[Doc]:
        """Each sentence [start, end) of `doc` (token-aligned) as a tagged, lemmatised doc
        of its own (also parsed when `doc` has no tensor)."""
        spans = [doc.char_span(start, end) for start, end in bounds]
        if doc.tensor is None or doc.tensor.shape[0] != len(doc) or not doc.tensor.size:
            text = doc.text
            return list(self.nlp.pipe(text[start:end] for start, end in bounds))
        # The doc's attributes as one array, sliced for each sentence: `as_doc` alone
        # would convert the whole doc again for each of them. Sentences do not overlap, so
        # the fix-ups `as_doc` makes on its slice touch no other sentence's rows.
        head = doc._get_array_attrs()
        array = doc.to_array(head)
        docs = [span.as_doc(array_head=head, array=array) for span in spans]
        for step in self.steps:
            docs = list(step.pipe(docs))
        return docs

    def tree(self, docs: list[Doc]) -> None:
        """Add the dependencies to sentence docs of `__call__`, in place (once)."""
        docs = [doc for doc in docs if not doc.has_annotation("DEP")]
        if self.parser is None or not docs:
            return
        for doc in self.parser.pipe(docs):
            if self.ruler is not None and any(token.is_space for token in doc):
                # The model runs its attribute ruler after the parser; its one rule on
                # dependencies (a space token's) is applied again now that there are some.
                self.ruler(doc)


class DealReader:
    """An `Analyzer.analyse` hook: the deals of each text, read from the analyser's docs."""

    def __init__(
        self,
        analyzer,
        years: Sequence[int | None] | None = None,
        rules: DealRules | None = None,
        model: str = DEFAULT_MODEL,
    ):
        self.years = years
        self.rules = rules
        self.parse = SentenceParser(model)
        self.is_place = lambda name: analyzer.places.lookup(name) is not None
        self.found: dict[int, list[Deal]] = {}

    def __call__(self, number: int, doc: Doc, norm: Normalized, analysis) -> None:
        year = self.years[number] if self.years is not None else None
        deals = find_deals(
            doc,
            norm,
            analysis.mentions,
            self.parse,
            self.is_place,
            year=year,
            rules=self.rules,
            tree=self.parse.tree,
        )
        self.found.setdefault(number, []).extend(deals)

    def pop(self, number: int) -> list[Deal]:
        """The deals of text `number` (each piece's), forgotten once taken."""
        return self.found.pop(number, [])


def analyse_with_deals(
    texts: Sequence[str],
    analyzer,
    years: Sequence[int | None] | None = None,
    rules: DealRules | None = None,
    model: str = DEFAULT_MODEL,
) -> Iterator[tuple[object, list[Deal]]]:
    """(analysis, deals) of each text, in order, from one pass of the analyser.

    `analyzer` is an `nlp.analyse.Analyzer`; the deals are read from the very docs its
    analysis comes from, so `veille process` parses each text once.
    """
    reader = DealReader(analyzer, years, rules, model)
    for number, analysis in enumerate(analyzer.analyse(texts, on_doc=reader)):
        yield analysis, reader.pop(number)


def analyse_then_deals(
    texts: Sequence[str],
    analyzer,
    years: Sequence[int | None] | None = None,
    rules: DealRules | None = None,
    model: str = DEFAULT_MODEL,
) -> tuple[list, Callable[[], list[list[Deal]]]]:
    """The analyses of `texts` now, and a function that reads their deals later.

    Same results as `analyse_with_deals`; the analyser's docs are kept until the function
    is called, so `veille process` can read the deals of one batch in a second thread
    while the analyser goes on with the next (the parser and the model's matrix products
    release the GIL, so on two cores neither waits for the other).
    """
    kept: list[tuple[int, Doc, Normalized, object]] = []
    analyses = list(analyzer.analyse(texts, on_doc=lambda *piece: kept.append(piece)))

    def deals() -> list[list[Deal]]:
        found = read_deals(kept, len(analyses), analyzer, years, rules, model)
        kept.clear()  # the docs are no longer needed
        return found

    return analyses, deals


# One analysed piece of a text as another process receives it: (text number, the doc as
# `Doc.to_dict` gives it, its Normalized, its analysis).
SentPiece = tuple[int, dict, Normalized, object]


def analyse_to_send(texts: Sequence[str], analyzer) -> tuple[list, list[SentPiece]]:
    """The analyses of `texts` and their docs as dicts of arrays, for reading deals in
    another process (the whole is pickled).

    `Doc.to_dict` keeps the tokens, tags, sentences and `doc.tensor` the deals' parser
    reads, so `read_deals` on the docs made again gives the deals `analyse_with_deals` does.
    It is what `Doc.to_bytes` packs with msgpack, which here took twice as long both ways
    (srsly looks its msgpack extensions up in the installed packages at each call). The
    pieces' analyses are the very objects the texts' analyses are made of: pickled
    together, they stay shared.
    """
    sent: list[SentPiece] = []

    def keep(number: int, doc: Doc, norm: Normalized, analysis) -> None:
        sent.append((number, doc.to_dict(exclude=["user_data"]), norm, analysis))

    analyses = list(analyzer.analyse(texts, on_doc=keep))
    return analyses, sent


def read_deals(
    pieces: Iterable[tuple[int, Doc | dict, Normalized, object]],
    count: int,
    analyzer,
    years: Sequence[int | None] | None = None,
    rules: DealRules | None = None,
    model: str = DEFAULT_MODEL,
) -> list[list[Deal]]:
    """The deals of `count` texts from their analysed pieces (docs, or their dicts as
    `analyse_to_send` gives them, made again in the analyser's vocabulary)."""
    reader = DealReader(analyzer, years, rules, model)
    for number, doc, norm, analysis in pieces:
        if isinstance(doc, dict):
            doc = Doc(analyzer.nlp.vocab).from_dict(doc)
        reader(number, doc, norm, analysis)
    return [reader.pop(number) for number in range(count)]


def extract_deals(
    texts: Iterable[str],
    analyzer,
    years: Iterable[int | None] | None = None,
    rules: DealRules | None = None,
    model: str = DEFAULT_MODEL,
) -> Iterator[list[Deal]]:
    """The deals of each text, in order, as `veille process` finds them."""
    texts = list(texts)
    years = list(years) if years is not None else None
    for _, deals in analyse_with_deals(texts, analyzer, years, rules, model):
        yield deals


def deals_of_files(paths: Sequence[str], model: str = DEFAULT_MODEL) -> Iterator[dict]:
    """One dict per deal in each plain-text file ("-" reads standard input), "file" first."""
    from nlp.analyse import get_analyzer
    from nlp.entities import read_text_file

    texts = [read_text_file(path) for path in paths]
    analyzer = get_analyzer(model)
    for path, deals in zip(paths, extract_deals(texts, analyzer, model=model), strict=True):
        for deal in deals:
            row = deal.as_dict()
            yield {"file": path, **row}
