"""veille's entity rules: the spaCy components around the model's NER, then the passes
over each article's named spans. The order of both is declared here and nowhere else.

1. `nlp.furniture.mask_furniture` blanks menu lines, breadcrumbs and slugs and
   `nlp.normalize` cleans typography (before the pipeline; see `nlp.analyse`).
2. `COMPONENTS`: the spaCy components, added in this order by
   `nlp.model.add_veille_components`, those before the model's `ner` first.
3. `PASSES`: the analyser's passes (`nlp.analyse.Analyzer`), applied in this order to the
   `(span, label, name)` triples of one doc; each is a module of this package with an
   `apply(ctx, spans)` function.

Each module's docstring says what it decides, the data files it reads (in nlp/data/) and
its tests (tests/test_rules_<module>.py). To add a rule, see README.md beside this file.
"""

from __future__ import annotations

# The component modules register their `veille_*` factories with spaCy on import.
from nlp.rules import (
    acronyms,
    brackets,
    cleanup,  # noqa: F401
    credits,
    demonyms,
    enumerations,
    head_words,
    lone_names,
    not_names,
    one_label,
    org_phrases,  # noqa: F401
    places,  # noqa: F401
    repeated,
    sentences,  # noqa: F401
    staff_names,
    surface,
    surnames,
)
from nlp.rules.base import Pass

# spaCy components in pipeline order: (name, placed before the model's `ner`). Each
# `veille_*` factory is registered by its module (sentences, org_phrases, places,
# cleanup); `veille_ruler` is spaCy's entity_ruler loaded with staff data (nlp/model.py).
COMPONENTS: tuple[tuple[str, bool], ...] = (
    ("veille_sentences", True),  # sentences.py
    ("veille_ruler", True),  # watchlist.toml, places.csv, org_phrases `bodies`, patterns.jsonl
    ("veille_org_phrases", False),  # org_phrases.py
    ("veille_places", False),  # places.py
    ("veille_cleanup", False),  # cleanup.py
)

# The analyser's passes, in order: (name, function).
PASSES: tuple[tuple[str, Pass], ...] = (
    ("surface", surface.apply),  # the doc's entities, named from their text
    ("repeated", repeated.apply),  # other occurrences of a found name
    ("acronyms", acronyms.apply),  # an acronym takes its expansion
    ("brackets", brackets.apply),  # "Faurecia (Forvia)"
    ("credits", credits.apply),  # "Photo : Radio Armor / Jean Kervella"
    ("surnames", surnames.apply),  # "Brenas" → "Jean-Pierre Brenas"
    ("head_words", head_words.apply),  # "la Région" → "Région Bretagne"
    ("lone_names", lone_names.apply),  # "Talvenn lève..." is a company
    ("enumerations", enumerations.apply),  # lists of organisations
    ("demonyms", demonyms.apply),  # "les Picards" is no place
    ("not_names", not_names.apply),  # "AG", "la tempête Ciaran"
    ("staff_names", staff_names.apply),  # watchlist and gazetteer names
    ("one_label", one_label.apply),  # one label per name
)
