"""Subscriber-only teasers: declared in JSON-LD, or a paywall box or banner in the page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extract.jsonld import JsonLd

# Subscriber-only teasers, as French and English outlets word them. Checked against text outside
# links, so a "Réservé aux abonnés" badge on a related-article link does not flag the page.
PAYWALL_TEXT = re.compile(
    r"(?:article|contenu|la suite|lecture)\s+(?:de cet article\s+)?(?:est\s+)?réservée?s?\s+aux\s+abonnés"
    r"|^\W*(?:article\s+)?réservée?s?\s+aux\s+abonnés\W*$"
    r"|cet\s+article\s+est\s+réservé"
    r"|il\s+vous\s+reste\s+\d+\s*%\s+de\s+(?:cet\s+|l['’])article"
    r"|abonnez-vous\s+pour\s+(?:lire|continuer|poursuivre|accéder)"
    r"|pour\s+lire\s+la\s+suite\s+de\s+cet\s+article"
    r"|subscribers?\s+only|subscribe\s+to\s+(?:continue|read\s+the\s+full)",
    re.IGNORECASE,
)
# Banners are short; a longer block is prose that may merely mention subscribers.
BANNER_MAX = 160  # characters
# Substrings one of which a marked page must contain (case variants spelled out: lowering a
# whole page costs more than these tests).
PAYWALL_CLASS_HINTS = ("aywall", "AYWALL", "premium-", "bowall", "bo-wall", "ubscriber-only")
PAYWALL_TEXT_HINTS = (
    "ux abonnés", "UX ABONNÉS", "ux abonn&eacute;s", "article est réservé", "l vous reste",
    "ubscribers only", "ubscriber only", "UBSCRIBERS ONLY", "UBSCRIBER ONLY",
)  # fmt: skip
_PAYWALL_TEXTS = etree.XPath(
    "//body//text()[contains(., 'bonn') or contains(., 'BONN') or contains(., 'ubscri')"
    " or contains(., 'UBSCRI') or contains(., 'article est réservé')"
    " or contains(., 'vous reste')][not(ancestor::a or ancestor::nav or ancestor::footer)]"
)
_PAYWALL_BOXES = etree.XPath(
    "//*[contains(@class, 'aywall') or contains(@id, 'aywall') or contains(@class, 'premium-')"
    " or contains(@class, 'bowall') or contains(@class, 'bo-wall')"
    " or contains(@class, 'ubscriber-only')]"
)
PAYWALL_WORDS = re.compile(r"abonn|subscri", re.IGNORECASE)
PAYWALL_CLASS = re.compile(
    r"paywall|premium-(?:wall|banner|content-lock)|abo-?wall|subscriber-only"
)


def is_paywall_banner(block: str) -> bool:
    """A short block that tells the reader the rest is for subscribers."""
    return len(block) <= BANNER_MAX and PAYWALL_TEXT.search(block) is not None


def is_paywalled(tree: HtmlElement, raw: str, ld: JsonLd, blocks: list[str]) -> bool:
    """Subscriber-only teaser: declared in JSON-LD, or a paywall box or banner in the page."""
    if ld.free is False:
        return True
    if any(is_paywall_banner(b) for b in blocks):
        return True
    # Substring tests on the raw page cost microseconds; the tree is searched only on a hint.
    if any(hint in raw for hint in PAYWALL_CLASS_HINTS):
        for el in _PAYWALL_BOXES(tree):
            marker = f"{el.get('class', '')} {el.get('id', '')}".lower()
            if el.tag in ("script", "style", "noscript", "template"):
                continue
            if not PAYWALL_CLASS.search(marker):
                continue
            # Sites also put the class on empty boxes, on the article body itself (hidden by
            # script for non-subscribers) and on metering pop-ups: a teaser's box is a short
            # message that speaks of subscribing.
            message = " ".join(el.text_content().split())
            if 20 <= len(message) <= 600 and PAYWALL_WORDS.search(message):
                return True
    if not any(hint in raw for hint in PAYWALL_TEXT_HINTS):
        return False
    return any(
        len(t) <= BANNER_MAX and PAYWALL_TEXT.search(" ".join(t.split()))
        for t in _PAYWALL_TEXTS(tree)
    )
