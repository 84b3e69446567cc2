"""One label per name: an article names one thing by one name.

Decides: every mention of a name takes one label, its strongest evidence's: the
watchlist's, else the first label of a mention from staff data, a phrase or an
enumeration (`TRUSTED_PREFIXES`, `ENUM_ID`), else the most frequent label (ties go to
the first seen). Runs last, after `staff_names`. Data: none.
Tests: tests/test_rules_one_label.py.
"""

from __future__ import annotations

from collections import Counter

from nlp.keys import entity_key
from nlp.rules.base import ENUM_ID, TRUSTED_PREFIXES, Context, Named


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: the labels of trusted mentions, then `one_label_per_name`."""
    trusted: dict[str, str] = {}
    for span, label, name in spans:
        # After `staff_names`, a watchlist mention is marked `watch:`.
        if span.id_.startswith(TRUSTED_PREFIXES) or span.id_ == ENUM_ID:
            trusted.setdefault(entity_key(name), label)
    return one_label_per_name(spans, trusted)


def one_label_per_name(spans: list[Named], trusted: dict[str, str]) -> list[Named]:
    """One label per name within an article: staff data's, else the most frequent.

    The model may call the same company a person in one sentence and an organisation in
    the next; an article names one thing by one name. Ties go to the first label seen.
    """
    votes: dict[str, Counter] = {}
    for _, label, name in spans:
        votes.setdefault(entity_key(name), Counter())[label] += 1
    out = []
    for span, label, name in spans:
        key = entity_key(name)
        if key in trusted:
            label = trusted[key]
        elif len(votes[key]) > 1:
            label = votes[key].most_common(1)[0][0]
        out.append((span, label, name))
    return out
