"""The spaCy components veille adds around the model's NER, now one module each in
`nlp.rules` (sentences, org_phrases, places, cleanup; their order in
`nlp.rules.COMPONENTS`). Importing this module registers their factories; the names
below are kept for code that imported them from here."""

from nlp.rules import COMPONENTS
from nlp.rules.base import (
    DIRECTIONS,
    NOT_NAMES,
    PHRASE_ID,
    TRUSTED_PREFIXES,
    proper_run,
)
from nlp.rules.cleanup import CleanupComponent
from nlp.rules.org_phrases import OrgPhrasesComponent
from nlp.rules.places import PlacesComponent
from nlp.rules.sentences import SentencesComponent

__all__ = [
    "COMPONENTS",
    "DIRECTIONS",
    "NOT_NAMES",
    "PHRASE_ID",
    "TRUSTED_PREFIXES",
    "CleanupComponent",
    "OrgPhrasesComponent",
    "PlacesComponent",
    "SentencesComponent",
    "proper_run",
]
