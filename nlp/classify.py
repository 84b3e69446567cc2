"""What an article is about: relevance to the tech ecosystem, themes and territory.

Pure: a text (with its headline, the entities the analyser found in it and its outlet's
région) in, a `Classification` out. Everything it weighs is data staff can edit:
themes.toml (terms per theme and for relevance, thresholds), places.csv (communes roll up
to départements and régions) and watchlist.toml (organisations whose name or note names
a place). nlp/process.py (`classify_stored`) stores the results.

Terms are matched on a cheap lemma of each word (`lemma`): case, accents, plural and the
common feminine endings are folded, so one form in themes.toml matches its inflections.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nlp.keys import entity_key, fold
from nlp.resources import (
    DATA_DIR,
    Gazetteer,
    Place,
    ResourceError,
    data_path,
    data_version,
    load_places,
    load_watchlist,
    resolve_data_dir,
)

KINDS = ("region", "departement", "commune")
_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿœŒæÆ]+(?:[-.][0-9A-Za-zÀ-ÖØ-öø-ÿœŒæÆ]+)*")
# Words before a place name in a headline that make a one-word name a place ("à Sens").
_PLACE_WORDS = {"a", "au", "aux", "en", "dans", "de", "d", "du", "pres", "vers", "sur"}
# Leading words of a place name that are not part of it ("Nord Franche-Comté").
_DIRECTIONS = {"nord", "sud", "est", "ouest", "centre", "haut", "haute", "bas", "basse"}
_NOTE_PLACES = re.compile(r"\(([^)]*)\)")
# Feminine endings folded to the masculine, longest first ("fondatrice" → "fondateur").
_FEMININE = (("rice", "eur"), ("euse", "eur"), ("ienne", "ien"), ("ive", "if"), ("nte", "nt"))


# Every word of every article goes through here; the same few thousand words come back.
@lru_cache(maxsize=65_536)
def lemma(word: str) -> str:
    """A cheap lemma: lowercase, no accents, no plural, masculine ("Levées" → "levee").

    Not a dictionary lemmatiser (the analyser loads none): it folds the inflections of
    nouns and adjectives, which is what themes.toml lists. Verbs are written with a
    trailing `*` in themes.toml ("recrut*").
    """
    w = fold(word)
    if len(w) > 4 and w.endswith("eaux"):
        w = w[:-1]
    elif len(w) > 4 and w.endswith("aux"):
        w = w[:-3] + "al"
    elif len(w) > 3 and w[-1] in "sx" and w[-2] not in "su":
        w = w[:-1]
    if len(w) > 5:
        for end, repl in _FEMININE:
            if w.endswith(end):
                return w[: -len(end)] + repl
    return w


def words(text: str) -> list[tuple[str, int]]:
    """(lemma, start offset) of each word; apostrophes and spaces separate words."""
    return [(lemma(m.group()), m.start()) for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class Themes:
    """The contents of themes.toml, with every term turned into a tuple of lemmas."""

    threshold: float = 6.0
    title: float = 3.0
    lead: float = 2.0
    lead_chars: int = 350
    cap: float = 3.0
    watchlist: float = 1.0
    watchlist_cap: float = 3.0
    theme_min: float = 3.0
    theme_share: float = 0.25
    norm_words: int = 250
    # Lemma tuple → [(section, weight)]; section "" is relevance only; [] is a neutral phrase.
    terms: dict[tuple[str, ...], list[tuple[str, float]]] = field(default_factory=dict)
    # Prefix (a term written "recrut*") → [(section, weight)].
    prefixes: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    longest: int = 1


def load_themes(path: str | Path) -> Themes:
    """Read themes.toml; a malformed file raises ResourceError naming the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResourceError(f"{path}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ResourceError(f"{path}: not valid TOML ({exc})") from None
    relevance = data.get("relevance", {})
    if not isinstance(relevance, dict):
        raise ResourceError(f"{path}: [relevance] must be a table")
    numbers = {}
    for key in ("threshold", "title", "lead", "lead_chars", "cap", "watchlist"):
        numbers[key] = relevance.get(key, getattr(Themes, key))
    for key in ("watchlist_cap", "theme_min", "theme_share", "norm_words"):
        numbers[key] = relevance.get(key, getattr(Themes, key))
    for key, value in numbers.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ResourceError(f"{path}: relevance.{key} must be a number ≥ 0, not {value!r}")
    terms: dict[tuple[str, ...], list[tuple[str, float]]] = {}
    prefixes: dict[str, list[tuple[str, float]]] = {}

    def add(section: str, table: object, where: str) -> None:
        if not isinstance(table, dict):
            raise ResourceError(f'{path}: {where} must be a table of "term" = weight')
        for term, weight in table.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool):
                raise ResourceError(f"{path}: {where}, term {term!r}: weight must be a number")
            if term.endswith("*"):
                stem = fold(term[:-1])
                if not stem or " " in stem or not _WORD.fullmatch(stem):
                    raise ResourceError(
                        f"{path}: {where}, term {term!r}: a `*` term must be one word then `*`"
                    )
                prefixes.setdefault(stem, []).append((section, float(weight)))
                continue
            key = tuple(w for w, _ in words(term))
            if not key:
                raise ResourceError(f"{path}: {where}, term {term!r} has no word")
            terms.setdefault(key, []).append((section, float(weight)))

    add("", relevance.get("terms", {}), "relevance.terms")
    neutral = data.get("neutral", {}).get("terms", [])
    if not isinstance(neutral, list) or not all(isinstance(t, str) for t in neutral):
        raise ResourceError(f"{path}: neutral.terms must be a list of strings")
    for term in neutral:
        key = tuple(w for w, _ in words(term))
        if key:
            terms[key] = []
    themes = data.get("themes", {})
    if not isinstance(themes, dict) or not themes:
        raise ResourceError(f'{path}: needs at least one [themes."name"] table')
    for name, table in themes.items():
        if not isinstance(table, dict) or "terms" not in table:
            raise ResourceError(f"{path}: [themes.{name!r}] needs `terms`")
        add(name, table["terms"], f"themes.{name!r}.terms")
    return Themes(
        threshold=float(numbers["threshold"]),
        title=float(numbers["title"]),
        lead=float(numbers["lead"]),
        lead_chars=int(numbers["lead_chars"]),
        cap=float(numbers["cap"]),
        watchlist=float(numbers["watchlist"]),
        watchlist_cap=float(numbers["watchlist_cap"]),
        theme_min=float(numbers["theme_min"]),
        theme_share=float(numbers["theme_share"]),
        norm_words=max(1, int(numbers["norm_words"])),
        terms=terms,
        prefixes=prefixes,
        names=tuple(themes),
        longest=max((len(k) for k in terms), default=1),
    )


@dataclass(frozen=True)
class Found:
    """An entity the analyser found: canonical name, label, offset in the text."""

    name: str
    label: str
    start: int = 0
    watchlist: bool = False


@dataclass(frozen=True)
class PlaceWeight:
    """One place an article is about, with its share of its kind (0–1)."""

    name: str
    kind: str
    weight: float


@dataclass
class Classification:
    """What one article is about."""

    score: float
    relevant: bool
    themes: list[str]
    places: list[PlaceWeight]

    def names(self, kind: str) -> list[str]:
        """Places of one kind ("region", "departement", "commune"), most concerned first."""
        return [p.name for p in self.places if p.kind == kind]

    def as_json(self) -> dict:
        """The fields `veille classify` prints."""
        return {
            "relevant": self.relevant,
            "score": round(self.score, 2),
            "themes": self.themes,
            "regions": self.names("region"),
            "departements": self.names("departement"),
            "communes": self.names("commune"),
        }


class Classifier:
    """themes.toml, places.csv and the watchlist, applied to articles."""

    # How much a place named inside an organisation's name counts ("French Tech Besançon").
    ORG_PLACE = 0.5
    # The outlet's région, as if named once in the body.
    PRIOR = 1.0
    # A place is kept when it has at least this share of the top place of its kind.
    KEEP = 0.34

    def __init__(self, themes: Themes, places: Gazetteer, watch_places: dict[str, list[Place]]):
        self.themes = themes
        self.places = places
        self.watch_places = watch_places
        self.departements = {p.department_code: p for p in places.places if p.kind == "departement"}

    # --- relevance and themes ---------------------------------------------------------

    def _lead_end(self, text: str) -> int:
        """Where the lead ends: the first sentence end after `lead_chars` characters."""
        if len(text) <= self.themes.lead_chars:
            return len(text)
        stop = re.search(r"[.!?»]\s", text[self.themes.lead_chars :])
        return self.themes.lead_chars + (stop.end() if stop else 0)

    def term_points(self, text: str, title: str = "") -> dict[str, float]:
        """Points per section ("" = relevance terms, else a theme name), capped per term."""
        t = self.themes
        lead_end = self._lead_end(text)
        hits: dict[tuple[str, ...] | str, float] = {}
        for tokens, factor_of in (
            (words(title), lambda _: t.title),
            (words(text), lambda at: t.lead if at < lead_end else 1.0),
        ):
            lemmas = [w for w, _ in tokens]
            i = 0
            while i < len(lemmas):
                for n in range(min(t.longest, len(lemmas) - i), 0, -1):
                    key = tuple(lemmas[i : i + n])
                    if key in t.terms:
                        hits[key] = hits.get(key, 0.0) + factor_of(tokens[i][1])
                        i += n
                        break
                else:
                    for stem in t.prefixes:
                        if lemmas[i].startswith(stem):
                            hits[stem] = hits.get(stem, 0.0) + factor_of(tokens[i][1])
                            break
                    i += 1
        points: dict[str, float] = {}
        for key, count in hits.items():
            sections = t.terms[key] if isinstance(key, tuple) else t.prefixes[key]
            for section, weight in sections:
                points[section] = points.get(section, 0.0) + weight * min(count, t.cap)
        return points

    def relevance(
        self, points: dict[str, float], entities: Iterable[Found], n_words: int = 0
    ) -> float:
        """The score: the best theme's points, the others' at half, relevance terms, watchlist.

        Divided by the square root of the length in units of `norm_words` words beyond
        that: a long text collects stray terms ("données", "réseau") without being about them.
        """
        t = self.themes
        ranked = sorted((p for s, p in points.items() if s), reverse=True)
        score = points.get("", 0.0) + (ranked[0] if ranked else 0.0) + sum(ranked[1:]) / 2
        watched = {entity_key(e.name) for e in entities if e.watchlist and e.label == "ORG"}
        score += min(len(watched) * t.watchlist, t.watchlist_cap)
        return score / max(1.0, n_words / t.norm_words) ** 0.5

    def pick_themes(self, points: dict[str, float]) -> list[str]:
        """Themes reaching `theme_min` and `theme_share` of the best one, most points first."""
        top = max((p for s, p in points.items() if s), default=0.0)
        least = max(self.themes.theme_min, self.themes.theme_share * top)
        found = [(p, s) for s, p in points.items() if s and p >= least]
        return [s for _, s in sorted(found, key=lambda item: (-item[0], item[1]))]

    # --- territory --------------------------------------------------------------------

    def _lookup(self, name: str) -> Place | None:
        place = self.places.lookup(name)
        parts = name.split()
        if place is None and len(parts) > 1 and fold(parts[0]) in _DIRECTIONS:
            place = self.places.lookup(" ".join(parts[1:]))
        return place

    def _places_in(self, name: str) -> list[Place]:
        """Places named inside a longer name, longest spans first ("French Tech Dijon")."""
        parts = name.replace("(", " ").replace(")", " ").split()
        found, i = [], 0
        while i < len(parts):
            if fold(parts[i]) in _DIRECTIONS and i + 1 < len(parts):
                # "Nord Franche-Comté" is about Franche-Comté, not the Nord département.
                i += 1
                continue
            for n in range(min(5, len(parts) - i), 0, -1):
                chunk = " ".join(parts[i : i + n]).strip(",;:.")
                place = self.places.lookup(chunk) if chunk[:1].isupper() else None
                if place is not None:
                    found.append(place)
                    i += n
                    break
            else:
                i += 1
        return found

    def _title_places(self, title: str, body: set[str]) -> list[Place]:
        """Places in the headline: unambiguous names, or names the body also calls places."""
        out = []
        parts = title.split()
        i = 0
        while i < len(parts):
            for n in range(min(5, len(parts) - i), 0, -1):
                raw = " ".join(parts[i : i + n])
                chunk = raw.strip(",;:.!?«»\"'()")
                place = self.places.lookup(chunk) if chunk[:1].isupper() else None
                if place is None:
                    continue
                before = fold(parts[i - 1]).strip(",;:") if i else ""
                sure = (
                    len(re.split(r"[\s\-']+", chunk)) > 1
                    or place.name in body
                    or before in _PLACE_WORDS
                    or before.endswith(("d'", "l'"))
                    or (i == 0 and (raw.endswith(":") or parts[n : n + 1] == [":"]))
                )
                if sure:
                    out.append(place)
                    i += n
                    break
            else:
                i += 1
        return out

    def territory(
        self,
        text: str,
        title: str = "",
        entities: Sequence[Found] = (),
        outlet_region: str | None = None,
    ) -> list[PlaceWeight]:
        """Communes, départements and régions, most concerned first within each kind."""
        t = self.themes
        lead_end = self._lead_end(text)
        evidence: list[tuple[Place, float]] = []
        body_places: set[str] = set()
        for e in entities:
            factor = t.title if e.start < 3 else t.lead if e.start < lead_end else 1.0
            if e.label == "LOC":
                place = self._lookup(e.name)
                if place is not None:
                    evidence.append((place, factor))
                    body_places.add(place.name)
            elif e.label == "ORG":
                inside = self.watch_places.get(entity_key(e.name))
                if inside is None:
                    inside = self._places_in(e.name)
                evidence += [(p, factor * self.ORG_PLACE) for p in inside]
        evidence += [(p, t.title) for p in self._title_places(title, body_places)]
        # (kind, name) → [weight, pieces of evidence, named in the headline or dateline].
        weights: dict[tuple[str, str], list] = {}

        def add(kind: str, name: str, w: float, strong: bool) -> None:
            if name:
                entry = weights.setdefault((kind, name), [0.0, 0, False])
                entry[0] += w
                entry[1] += 1
                entry[2] = entry[2] or strong

        for place, w in evidence:
            strong = w >= t.title
            if place.kind == "commune":
                add("commune", place.name, w, strong)
            if place.kind in ("commune", "departement"):
                dep = self.departements.get(place.department_code)
                add("departement", dep.name if dep else "", w, strong)
            add("region", place.region, w, strong)
        prior = None
        if outlet_region:
            region = self.places.lookup(outlet_region)
            prior = region.region if region else outlet_region
            if ("region", prior) in weights:
                weights[("region", prior)][0] += self.PRIOR
            elif not any(kind == "region" for kind, _ in weights):
                # The outlet's région is the answer only when the text names no place.
                add("region", prior, self.PRIOR, False)
        out: list[PlaceWeight] = []
        for kind in KINDS:
            ranked = sorted(
                (
                    (w, n, strong, name)
                    for (k, name), (w, n, strong) in weights.items()
                    if k == kind
                ),
                key=lambda item: (-item[0], item[3]),
            )
            if not ranked:
                continue
            # A place named once, in passing (not in the headline), is not what it is about.
            kept = [ranked[0]] + [
                item
                for item in ranked[1:]
                if item[0] >= self.KEEP * ranked[0][0] and (item[1] > 1 or item[2])
            ]
            total = sum(item[0] for item in kept)
            out += [PlaceWeight(name, kind, round(w / total, 3)) for w, _, _, name in kept]
        return out

    # --- all of it --------------------------------------------------------------------

    def classify(
        self,
        text: str,
        title: str = "",
        entities: Sequence[Found] = (),
        outlet_region: str | None = None,
    ) -> Classification:
        """Relevance, themes and territory of one article."""
        title = title or ""
        text = text or ""
        points = self.term_points(text, title)
        score = self.relevance(points, entities, len(_WORD.findall(text)))
        relevant = score >= self.themes.threshold
        return Classification(
            score=score,
            relevant=relevant,
            themes=self.pick_themes(points) if relevant else [],
            places=self.territory(text, title, entities, outlet_region),
        )


def watch_places(gazetteer: Gazetteer, path: str | Path) -> dict[str, list[Place]]:
    """Watchlist organisations → the places their name, or else their note, names.

    "French Tech Bourgogne-Franche-Comté" → the région; "French Tech Est", whose note says
    "Capitale French Tech (Strasbourg)" → Strasbourg.
    """
    probe = Classifier(Themes(), gazetteer, {})
    out: dict[str, list[Place]] = {}
    for entry in load_watchlist(path):
        if entry.label != "ORG":
            continue
        found = probe._places_in(entry.name)
        if not found and entry.note:
            for inside in _NOTE_PLACES.findall(entry.note):
                found += probe._places_in(inside.replace(",", " , "))
        for spelling in (entry.name, *entry.aliases):
            out[entity_key(spelling)] = found
    return out


@lru_cache(maxsize=4)
def _classifier(directory: str, version: str) -> Classifier:
    places = load_places(data_path("places.csv", directory))
    themes = data_path("themes.toml", directory)
    if not themes.exists():
        # A data folder of staff's own places or watchlist keeps the shipped themes.
        themes = DATA_DIR / "themes.toml"
    return Classifier(
        load_themes(themes),
        places,
        watch_places(places, data_path("watchlist.toml", directory)),
    )


def get_classifier(data_dir: str | Path | None = None) -> Classifier:
    """The process's Classifier for a data folder (rebuilt when its files change)."""
    directory = str(resolve_data_dir(data_dir))
    return _classifier(directory, data_version(directory))


def found_in(analysis) -> list[Found]:
    """The analyser's mentions (nlp.analyse.Analysis) as classifier input."""
    return [Found(m.name, m.label, m.start, m.watchlist) for m in analysis.mentions]


def split_headline(text: str) -> tuple[str, str]:
    """(headline, body) of a plain-text article: a short first line without a final full
    stop, followed by more lines, is its headline; otherwise there is none."""
    first, newline, rest = text.lstrip().partition("\n")
    first = first.strip()
    if newline and rest.strip() and 0 < len(first) <= 200 and not first.endswith("."):
        return first, rest.strip("\n")
    return "", text


def classify_files(
    paths: Sequence[str],
    model: str | None = None,
    outlet_region: str | None = None,
    data_dir: str | Path | None = None,
) -> Iterable[dict]:
    """One `veille classify` JSON object per plain-text file ("-" is standard input)."""
    from nlp.analyse import get_analyzer
    from nlp.entities import read_text_file
    from nlp.model import DEFAULT_MODEL

    classifier = get_classifier(data_dir)
    if outlet_region is not None:
        place = classifier.places.lookup(outlet_region)
        if place is None or place.kind not in ("region", "former_region"):
            raise ResourceError(
                f"--region {outlet_region!r}: not a région of places.csv "
                "(e.g. Bourgogne-Franche-Comté, Bretagne)"
            )
        outlet_region = place.region
    heads = [split_headline(read_text_file(path)) for path in paths]
    analyzer = get_analyzer(model or DEFAULT_MODEL, data_dir)
    for path, (title, body), analysis in zip(
        paths, heads, analyzer.analyse([b for _, b in heads]), strict=True
    ):
        result = classifier.classify(body, title, found_in(analysis), outlet_region)
        yield {"file": path, **result.as_json()}
