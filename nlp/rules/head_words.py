"""Head words: a generic head alone ("la Région") is the longer name it abbreviates.

Decides: "la Métropole" takes the nearest preceding mention that starts with it
("Métropole du Grand Nancy"); with none it is dropped, except "Région" (`REGION`, named
after the outlet's région by `nlp.process`). Data: org_phrases.toml `heads` (one-word
ones). Tests: tests/test_rules_head_words.py.
"""

from __future__ import annotations

from nlp.rules.base import TRUSTED_PREFIXES, Context, Named

REGION = "Région"


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see `head_words`."""
    return head_words(spans, ctx.data.head_words)


def head_words(spans: list[Named], words: frozenset[str]) -> list[Named]:
    """A generic head alone ("la Région", "la Métropole") is the longer name it abbreviates.

    It takes the nearest preceding mention that starts with it in the same article
    ("Région Bourgogne-Franche-Comté"); with none, it names nothing and is dropped,
    except "Région" (see `nlp.process`).
    """
    out = []
    for span, label, name in spans:
        if len(span) == 1 and span.text in words and not span.id_.startswith(TRUSTED_PREFIXES):
            longer = [
                (other, other_label, other_name)
                for other, other_label, other_name in spans
                if len(other) > 1 and other.text.split()[0] == span.text
            ]
            if not longer:
                if span.text != REGION:
                    continue
                # "la Région" in a regional outlet is its regional council: kept, and
                # named after the outlet's région when the article is stored.
                out.append((span, "ORG", REGION))
                continue
            before = [item for item in longer if item[0].start < span.start]
            _, label, name = before[-1] if before else longer[0]
        out.append((span, label, name))
    return out
