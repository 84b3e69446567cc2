"""Pure article extraction: (html, url, source) → Article, or None for pages that are not articles.

One lxml parse and one trafilatura text extraction on that tree; metadata from trafilatura's own
helpers on the same tree; our own reads (canonical link, JSON-LD, paywall markers, per-source
selectors, French dates) are XPath lookups and regexes on small strings.
No Scrapy, no network, no database: callable from the spider, the CLI and the tests alike.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urljoin, urlsplit

import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.cssselect import CSSSelector
from trafilatura.utils import load_html
from w3lib.encoding import html_to_unicode, read_bom

from common.items import Article
from crawler.dates import (
    DATE_IN_TEXT,
    PARIS,
    find_french_date,
    iter_french_dates,
    parse_french_date,
    to_iso,
)
from crawler.urls import canonicalize_url

try:
    from trafilatura import metadata as _tm

    _tm.examine_meta, _tm.extract_meta_json, _tm.extract_title, _tm.extract_author  # noqa: B018
    _tm.extract_sitename  # noqa: B018
except (ImportError, AttributeError):  # pragma: no cover - depends on the installed trafilatura
    _tm = None

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from common.sources import Source

log = logging.getLogger(__name__)

# Reader comments are not the article: leaving them out also prunes comment sections before
# the main text is searched, which trafilatura's defaults do not.
TRAFILATURA_OPTIONS = {"include_comments": False}

# schema.org types that say "this page is one article".
ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "askpublicnewsarticle", "blogposting",
    "liveblogposting", "socialmediaposting", "techarticle", "scholarlyarticle", "report",
}  # fmt: skip
# ...and types that say "this page lists other pages".
LISTING_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage", "blog"}

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

# Lines that are page furniture wherever they appear: "Lire aussi" teasers, share buttons,
# ad labels, cookie and newsletter prompts. Only whole short blocks are dropped.
BOILERPLATE = re.compile(
    r"""^\W*(?:
        (?:à|a)?\s*lire\s+(?:aussi|également|egalement)\b.*
      | (?:à|a)\s+(?:voir|écouter|découvrir)\s+(?:aussi|également)\b.*
      | voir\s+aussi\s*:.*
      | (?:read|see)\s+(?:also|more)\s*:.*
      | (?:partager|partagez|share)(?:\s+(?:cet\s+article|sur\s+\w+|this(?:\s+article)?))?
      | (?:facebook|twitter|x|linkedin|whatsapp|e-?mail|imprimer|envoyer|copier\s+le\s+lien|tweeter)
      | publicité|advertisement|sponsorisé
      | (?:nous|ce\s+site)\s+utilis\w+\s+des\s+cookies\b.*
      | en\s+poursuivant\s+votre\s+navigation\b.*
      | (?:inscrivez-vous|abonnez-vous)\s+(?:à|a)\s+(?:notre|la)\s+newsletter\b.*
      | (?:accepter|refuser|paramétrer)(?:\s+(?:les|tous\s+les)\s+cookies)?
      | (?:s['’]abonner|je\s+m['’]abonne|abonnez-vous|déjà\s+abonné|se\s+connecter)\b.*
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
BOILERPLATE_MAX = 160
MIN_TEXT = 100  # characters
# Consent banners speak to the reader about cookies; news about cookies (a CNIL fine) does not
# say "vous" or "nous".
COOKIE_WORD = re.compile(r"\bcookies?\b", re.IGNORECASE)
READER_WORDS = re.compile(r"\b(?:vous|votre|vos|nous|nos|you|your|we|our)\b", re.IGNORECASE)
COOKIE_NOTICE_MAX = 400
# Bylines and date lines at the top of an article body ("Par ...", "Publié le ...").
HEADER_BLOCKS = 5
HEADER_LINE = re.compile(
    # "Par" + a capitalised name, so that "Par ailleurs, ..." stays.
    r"^\W*(?:(?:[Pp]ar|PAR|[Bb]y|BY)\s+[A-ZÀ-Ý][\w'’.-]*(?:\s+[A-ZÀ-Ý][\w'’.-]*)"
    r"|(?i:publi[ée]e?s?|published|mis[e]?\s+à\s+jour|modifi[ée]e?|updated|cr[ée]{2}e?)\b)"
)
# "Par Anne Fauvarque, France Bleu Besançon": the words before a byline's names.
BYLINE_PREFIX = re.compile(
    r"^\W*(?:propos\s+recueillis\s+par|texte\s*(?:et\s+photos?)?\s*:?|r[ée]dig[ée]\s+par|"
    r"[ée]crit\s+par|publi[ée]\s+par|auteur(?:e|s|\(e\))?\s*:?|par|by|de)\s+",
    re.IGNORECASE,
)
BYLINE_NOISE = re.compile(r"\([^)]*\)|\[[^]]*\]|\S+@\S+|@\w+|https?://\S+")
BYLINE_AND = re.compile(r"\s+(?:et|and|&)\s+", re.IGNORECASE)
# Signatures that name no one.
GENERIC_AUTHORS = {"rédaction", "la rédaction", "redaction", "admin", "administrateur", "webmaster"}
NAME_OK = re.compile(r"^[^\W\d_][^\d@/]{0,58}$")

# The most frequent words of each language, to tell French from English text.
FRENCH_WORDS = frozenset({"le", "la", "les", "des", "est", "une", "du", "dans", "pour", "que", "qui", "sur", "pas", "avec", "par", "au", "aux", "ont", "été"})  # fmt: skip
ENGLISH_WORDS = frozenset({"the", "of", "and", "to", "is", "in", "that", "for", "it", "was", "on", "with", "as", "are", "by", "this", "have"})  # fmt: skip

# Non-ASCII letters of French text. Other single-byte encodings read as Windows-1252 give mostly
# other letters (Cyrillic "Привет" in Windows-1251 reads "Ïðèâåò"), so a page whose letters are
# not these is not French Windows-1252. Punctuation (’ « » € …) says nothing either way.
FRENCH_LETTERS = frozenset("àâäçéèêëîïôöùûüÿæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ")
FRENCH_LETTERS_SHARE = 0.9  # a few quoted foreign names ("Núñez") are allowed
NON_ASCII = re.compile(r"[^\x00-\x7f]")

# Soft hyphens and zero-width characters split words for search and NLP; they are invisible.
# U+FFFD marks bytes that were not text in the page's encoding: noise, not content.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\ufffd"))
TITLE_SEPARATOR = re.compile(r"\s+(?:[|\-–—•·»]|::)\s+")


class Metadata(NamedTuple):
    """What veille takes from trafilatura's metadata."""

    title: str | None
    author: str | None
    sitename: str | None
    date: str | None  # YYYY-MM-DD (htmldate)


_LINE_TAGS = {"p", "head", "list", "item", "quote", "table", "row", "code", "div"}


def extract(
    html: bytes | str,
    url: str,
    source: Source | None = None,
    *,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> Article | None:
    """Extract the article of one HTML page; None when the page is not an article."""
    fetched = fetched_at or datetime.now(PARIS)
    text_html = _decode(html, content_type)
    if not text_html or not text_html.strip():
        return None
    try:
        tree = load_html(text_html)
    except (ValueError, etree.ParserError, TypeError):
        return None
    if tree is None or tree.find(".//body") is None:
        return None
    try:
        return _extract_tree(tree, text_html, url, source, fetched)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        # What malformed markup makes lxml or trafilatura raise: a page without an article.
        # Anything else is a bug and propagates (the spider records it as a fetch error).
        log.warning("extraction failed for %s: %s", url, exc)
        return None


def _decode(html: bytes | str, content_type: str | None) -> str:
    """The page's text: its declared encoding, unless its bytes plainly say otherwise."""
    if isinstance(html, str):
        return html
    if not html:
        return ""
    # w3lib reads BOM, then the HTTP header, then <meta charset>, and maps a declared
    # ISO-8859-1 to Windows-1252 as browsers do, so ’ « » from Windows-1252 bytes survive.
    # Undecodable bytes become U+FFFD; it never raises on them.
    encoding, text = html_to_unicode(content_type, html)
    if read_bom(html)[0] is not None or html.isascii():
        return text  # a byte order mark is written by the editor that saved the file
    name = codecs.lookup(encoding).name
    if name.startswith(("utf-16", "utf-32")):
        return text  # not ASCII-compatible: neither check below applies
    if name != "utf-8":
        # Declared Windows-1252 (or any other) but the bytes are valid UTF-8: "Ã©" mojibake.
        # Text in another encoding is almost never valid UTF-8 once it has non-ASCII bytes,
        # which is why trafilatura itself tries UTF-8 first.
        try:
            return html.decode("utf-8")
        except UnicodeDecodeError:
            return text
    if "\ufffd" in text:
        return _windows_1252_misdeclared(html, text) or text
    return text


def _windows_1252_misdeclared(html: bytes, utf8_text: str) -> str | None:
    """The page read as Windows-1252 when its bytes are French Windows-1252, not UTF-8.

    Small sites declare UTF-8 (or nothing) and serve Windows-1252 bytes: "é" as 0xE9, which
    UTF-8 turns into U+FFFD. Neither w3lib nor the standard library second-guesses a declared
    encoding, and a general detector (charset-normalizer, which trafilatura uses) answers with
    whichever of a dozen single-byte encodings scores best on the page: the question here is
    only UTF-8 or Windows-1252, and the bytes answer it.
    """
    replaced = utf8_text.count("\ufffd")
    invalid = replaced - html.count("\ufffd".encode())  # the page's own U+FFFD are text
    valid = len(utf8_text) - len(utf8_text.encode("ascii", "ignore")) - replaced
    # A UTF-8 page with a stray byte has far more valid sequences than invalid ones, and keeps
    # its one U+FFFD; Windows-1252 text is almost never valid UTF-8.
    if invalid <= valid:
        return None
    try:
        text = html.decode("cp1252")  # strict: 0x81, 0x8D, 0x8F, 0x90, 0x9D are not text
    except UnicodeDecodeError:
        return None
    letters = [c for c in NON_ASCII.findall(text) if c.isalpha()]
    if sum(c in FRENCH_LETTERS for c in letters) < FRENCH_LETTERS_SHARE * len(letters):
        return None
    return text


def _extract_tree(
    tree: HtmlElement, raw: str, url: str, source: Source | None, fetched: datetime
) -> Article | None:
    selectors = source.selectors if source else None
    _strip_inert(tree)
    meta = _read_meta(tree)
    ld = _read_json_ld(tree)
    is_article_page = bool(ld["types"] & ARTICLE_TYPES) or meta.get("og:type") == "article"
    if not is_article_page and (_is_home(url) or ld["types"] & LISTING_TYPES):
        return None

    sel_text = _select_text(tree, selectors.text) if selectors and selectors.text else None
    sel_title = _select_first(tree, selectors.title) if selectors and selectors.title else None
    sel_author = _select_first(tree, selectors.author) if selectors and selectors.author else None
    sel_date = (
        _select_first(tree, selectors.date, attrs=("datetime", "content"))
        if selectors and selectors.date
        else None
    )

    # Metadata first, as bare_extraction itself does before its text stage prunes the tree.
    doc = _metadata(tree, url)
    if sel_text:
        blocks = sel_text  # the source told us where the text is
    else:
        body = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
        if body is None or body.body is None:
            return None
        blocks = _render_blocks(body.body)
    paywalled = _paywalled(tree, raw, ld, blocks)
    blocks, header = _drop_header_lines([b for b in blocks if not _is_boilerplate(b)])
    if not sel_text and not is_article_page and _looks_like_listing(tree, blocks):
        return None
    title = sel_title or _clean_title(doc.title or meta.get("og:title"), doc.sitename, url)
    text = "\n\n".join(blocks).strip()
    # A few words ("Accueil", a menu) are no article; a teaser may be short but is flagged.
    if not text or (len(text) < MIN_TEXT and not paywalled):
        return None

    published, modified = _dates(doc.date, ld, meta, sel_date, tree, fetched)
    author = _clean_authors(sel_author or ld["person"] or doc.author)
    if author is None:
        # Bylines printed in the page: "Par ..." lines dropped from the text, then elements
        # marked as author or byline.
        bylines = [h for h in header if re.match(r"^\W*(?:par|by)\s", h, re.IGNORECASE)]
        author = next(filter(None, map(_clean_authors, bylines)), None) or _byline_author(tree)
    return Article(
        url=url,
        canonical_url=_canonical(tree, meta, url),
        source=source.name if source else "",
        title=" ".join(title.split()) if title else None,
        author=author,
        published=published,
        modified=modified,
        lang=_lang(tree, meta, text),
        text=text,
        paywalled=paywalled,
        fetched_at=to_iso(fetched),
    )


# ---- tree preparation ----------------------------------------------------------------------

_INERT = etree.XPath(
    "//script[@src or not(contains(@type, 'json'))] | //style | //svg | //comment()"
)


def _strip_inert(tree: HtmlElement) -> None:
    """Drop what no extractor reads (code, styles, inline SVG, HTML comments) before trafilatura
    copies and walks the tree several times (htmldate even searches the serialised page).

    JSON scripts (JSON-LD, state data with dates) and <noscript> stay: some pages keep their
    text in <noscript> for readers without JavaScript.
    """
    for el in _INERT(tree):
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:
            previous = el.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


# ---- page metadata -------------------------------------------------------------------------


def _metadata(tree: HtmlElement, url: str) -> Metadata:
    """Title, author, site name and publication day, from trafilatura's metadata helpers.

    trafilatura.extract_metadata also collects categories, tags and licence, which veille does
    not store and which cost about a tenth of a whole extraction; its steps are followed here
    without them. The helpers are module functions rather than top-level API, so a trafilatura
    that moved them falls back to extract_metadata.
    """
    if _tm is None:  # pragma: no cover - depends on the installed trafilatura
        doc = trafilatura.extract_metadata(tree, default_url=url)
        return Metadata(doc.title, doc.author, doc.sitename, doc.date)
    found = _tm.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # a single word in <meta name=author> is usually the outlet
    try:
        found = _tm.extract_meta_json(tree, found)
    except Exception as exc:  # trafilatura guards this call the same way
        log.debug("JSON-LD metadata error on %s: %s", url, exc)
    title = found.title or _tm.extract_title(tree)
    author = found.author or _tm.extract_author(tree)
    sitename = found.sitename or _tm.extract_sitename(tree)
    day = find_date(
        tree,
        url=url,
        original_date=True,
        extensive_search=True,
        max_date=datetime.now(PARIS).date().isoformat(),
    )
    return Metadata(title, author, sitename.lstrip("@") if sitename else None, day)


def _read_meta(tree: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = el.get("content")
        if key and value and key not in found:
            found[key] = value.strip()
    return found


def _read_json_ld(tree: HtmlElement) -> dict:
    info: dict = {"types": set(), "published": None, "modified": None, "free": None, "person": None}
    for script in tree.xpath('//script[contains(@type, "ld+json")]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
                continue
            if not isinstance(item, dict):
                continue
            stack.extend(v for k, v in item.items() if k in ("@graph", "mainEntity", "hasPart"))
            kinds = item.get("@type")
            kinds = {str(k).lower() for k in (kinds if isinstance(kinds, list) else [kinds]) if k}
            info["types"] |= kinds
            if not kinds & ARTICLE_TYPES and "isAccessibleForFree" not in item:
                continue
            free = item.get("isAccessibleForFree")
            if free is not None and str(free).strip().lower() in ("false", "0", "no"):
                info["free"] = False
            if kinds & ARTICLE_TYPES:
                info["published"] = info["published"] or _as_str(item.get("datePublished"))
                info["modified"] = info["modified"] or _as_str(item.get("dateModified"))
                info["person"] = info["person"] or _ld_people(item.get("author"))
    return info


def _as_str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ld_people(value: object) -> str | None:
    # Only authors typed Person: outlets also list themselves (Organization) as the author.
    items = value if isinstance(value, list) else [value]
    names = [
        i.get("name")
        for i in items
        if isinstance(i, dict) and "person" in str(i.get("@type", "")).lower()
    ]
    names = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    return "; ".join(names) or None


def _squash(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _clean_title(title: str | None, sitename: str | None, url: str) -> str | None:
    """Drop the outlet's name from a page title ("Titre - Le Journal" → "Titre")."""
    if not title:
        return None
    title = " ".join(title.split())
    seps = list(TITLE_SEPARATOR.finditer(title))
    if not seps:
        return title
    bounds = [0, *(m.start() for m in seps), len(title)]
    starts = [0, *(m.end() for m in seps)]
    parts = [title[starts[i] : bounds[i + 1]] for i in range(len(starts))]
    try:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        host = ""
    labels = host.split(".")[:-1]
    site_keys = {_squash(sitename)} if sitename else set()
    if labels:
        site_keys.add(max(labels, key=len))
    site_keys = {k for k in site_keys if len(k) >= 2}

    def is_site(part: str) -> bool:
        squashed = _squash(part)
        return bool(squashed) and any(k in squashed or squashed in k for k in site_keys)

    # The outlet's name and what follows it (tagline, date) go; the first part always stays.
    for i in range(1, len(parts)):
        if is_site(parts[i]):
            return title[: seps[i - 1].start()]
    if is_site(parts[0]):
        return title[seps[0].end() :]
    return title


def _is_home(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.netloc) and parts.path in ("", "/") and not parts.query


def _canonical(tree: HtmlElement, meta: dict[str, str], url: str) -> str:
    links = tree.xpath(
        '//link[@rel and translate(@rel, "CANONICAL", "canonical")="canonical"]/@href'
    )
    for candidate in [*links, meta.get("og:url")]:
        if not candidate or not candidate.strip():
            continue
        absolute = urljoin(url, candidate.strip())
        # Some CMSs point every page's canonical at the home page; that would merge all articles.
        if _is_home(absolute) and not _is_home(url):
            continue
        if absolute.startswith(("http://", "https://")):
            return canonicalize_url(absolute)
    return canonicalize_url(url)


def _lang(tree: HtmlElement, meta: dict[str, str], text: str) -> str | None:
    """The page's language: its declaration, unless the text is plainly French or English
    while the page says otherwise (templates often keep lang="en")."""
    declared = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    declared = (
        declared or meta.get("content-language") or meta.get("og:locale") or meta.get("language")
    )
    code = re.split(r"[-_\s,]", declared.strip().lower())[0] if declared else ""
    code = code if 2 <= len(code) <= 3 and code.isalpha() else None
    if code not in (None, "fr", "en"):
        return code
    words = re.findall(r"[a-zà-ÿ]+", text[:3000].lower())
    fr = sum(w in FRENCH_WORDS for w in words)
    en = sum(w in ENGLISH_WORDS for w in words)
    if fr >= 5 and fr > 2 * en:
        return "fr"
    if en >= 5 and en > 2 * fr:
        return "en"
    return code


# ---- paywall, listing pages ----------------------------------------------------------------


def _paywalled(tree: HtmlElement, raw: str, ld: dict, blocks: list[str]) -> bool:
    """Subscriber-only teaser: declared in JSON-LD, or a paywall box or banner in the page."""
    if ld["free"] is False:
        return True
    if any(len(b) <= BOILERPLATE_MAX and PAYWALL_TEXT.search(b) for b in blocks):
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
    # Banners are short; a long text node is prose that may merely mention subscribers.
    return any(
        len(t) <= 160 and PAYWALL_TEXT.search(" ".join(t.split())) for t in _PAYWALL_TEXTS(tree)
    )


_HEADLINE_LINKS = etree.XPath("//a[@href][string-length(normalize-space(.)) >= 20]")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_INLINE_PARENTS = {"p", "span", "em", "strong", "b", "i", "small", "blockquote", "td", "body"}
CARD_MAX = 800  # characters: a teaser is a title, a standfirst and a date, not an article


def _cards(tree: HtmlElement) -> list[tuple[str, bool]]:
    """Teaser cards, smallest first (nested cards hold each other's text): short <article>
    elements, and the short block around each link written like a headline (a link inside
    running text is not a card). Each comes with True when it was found by its link."""
    found = {" ".join(el.text_content().split()): False for el in tree.iterfind(".//article")}
    for link in _HEADLINE_LINKS(tree):
        if len(link.text_content().split()) < 4:
            continue
        card = link.getparent()
        if card is not None and card.tag in _HEADINGS:
            card = card.getparent()
        if card is not None and card.tag not in _INLINE_PARENTS:
            found[" ".join(card.text_content().split())] = True
    return sorted(
        ((t, by_link) for t, by_link in found.items() if 0 < len(t) <= CARD_MAX),
        key=lambda c: len(c[0]),
    )


def _looks_like_listing(tree: HtmlElement, blocks: list[str]) -> bool:
    """True when the 'main text' trafilatura found is spread over teaser cards (section, tag and
    home pages) rather than held in one article body."""
    cards = _cards(tree)
    if len(cards) < 2:
        return False
    used: set[int] = set()
    in_cards = total = 0
    # Line by line: when trafilatura falls back to dumping a small page, one block holds it all.
    for line in (line for block in blocks for line in block.split("\n")):
        total += len(line)
        if len(line) < 10:  # "|", "Accueil": found in any card by chance
            continue
        index = next((i for i, (card, _) in enumerate(cards) if line in card), None)
        if index is not None:
            used.add(index)
            in_cards += len(line)
    # Several teasers extracted, or one teaser (found by its headline link: a short post in an
    # <article> beside sidebar teasers is still an article) among several cards.
    spread = len(used) >= 2 or (len(used) == 1 and len(cards) >= 3 and cards[min(used)][1])
    return spread and in_cards >= 0.6 * total


# ---- text ----------------------------------------------------------------------------------


def _render_blocks(body: etree._Element) -> list[str]:
    """trafilatura's body as text blocks: one per paragraph, heading, list, quote or table."""
    blocks = []
    if body.text and body.text.strip():
        blocks.append(body.text.strip())
    for child in body:
        text = _norm_lines(_inline(child))
        if text:
            blocks.append(text)
        if child.tail and child.tail.strip():
            blocks.append(_norm_lines(child.tail))
    return blocks


def _inline(el: etree._Element) -> str:
    if el.tag == "row":
        return " | ".join(" ".join(_inline(c).split()) for c in el if c.tag == "cell")
    parts = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag in _LINE_TAGS:
            parts.append("\n" + _inline(child) + "\n")
        else:  # inline markup: hi, ref, del...
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _norm_lines(text: str) -> str:
    text = text.translate(INVISIBLE)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _is_boilerplate(block: str) -> bool:
    if len(block) <= COOKIE_NOTICE_MAX and COOKIE_WORD.search(block) and READER_WORDS.search(block):
        return True
    if len(block) > BOILERPLATE_MAX:
        return False
    # A paywall banner that trafilatura kept in the text is a message, not the article.
    return bool(BOILERPLATE.match(block) or PAYWALL_TEXT.search(block))


def _drop_header_lines(blocks: list[str]) -> tuple[list[str], list[str]]:
    """Drop the byline and date line that open many article bodies: they are stored in their
    own fields. (The headline stays: readers and searches expect it with the text.)
    Returns the blocks kept and the lines dropped."""
    kept, header = [], []
    for i, block in enumerate(blocks):
        if i < HEADER_BLOCKS and len(block) <= 120 and HEADER_LINE.match(block):
            header.append(block)
            continue
        kept.append(block)
    return kept, header


@lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector | None:
    try:
        return CSSSelector(selector)
    except Exception:  # cssselect raises several error types for a bad selector
        log.warning("invalid CSS selector in sources file: %r", selector)
        return None


def _select(tree: HtmlElement, selector: str) -> list:
    compiled = _css(selector)
    return compiled(tree) if compiled is not None else []


def _select_first(tree: HtmlElement, selector: str, attrs: tuple[str, ...] = ()) -> str | None:
    for el in _select(tree, selector):
        for attr in attrs:
            if el.get(attr):
                return el.get(attr).strip()
        text = " ".join(el.text_content().split())
        if text:
            return text
    return None


_SEL_SKIP = {"script", "style", "noscript", "nav", "aside", "form", "button", "iframe", "svg"}
_SEL_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "tr"}  # fmt: skip
_SEL_CONTAINERS = {"div", "section", "article", "ul", "ol", "table"}


def _select_text(tree: HtmlElement, selector: str) -> list[str] | None:
    """Text blocks of the elements a source's `text` selector names; None when nothing matches.

    A plain walk of our own: the source has already said where the text is, and running
    trafilatura again on the subtree would re-apply the guessing the selector replaces.
    """
    blocks: list[str] = []
    for root in _select(tree, selector):
        pieces: list[str] = []
        _collect(root, pieces, blocks)
        _flush(pieces, blocks)
    return blocks or None


def _collect(el: etree._Element, pieces: list[str], blocks: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SEL_SKIP or not tag:
        if el.tail:
            pieces.append(el.tail)
        return
    is_block = tag in _SEL_BLOCKS or tag in _SEL_CONTAINERS
    if is_block:
        _flush(pieces, blocks)
    if tag == "br":
        pieces.append("\n")
    if el.text:
        pieces.append(el.text)
    for child in el:
        _collect(child, pieces, blocks)
    if is_block:
        _flush(pieces, blocks)
    if el.tail:
        pieces.append(el.tail)


def _flush(pieces: list[str], blocks: list[str]) -> None:
    text = _norm_lines("".join(pieces))
    if text:
        blocks.append(text)
    pieces.clear()


# ---- authors -------------------------------------------------------------------------------


_BYLINE_ELEMENTS = etree.XPath(
    "//*[@itemprop='author' or @rel='author' or contains(@class, 'auteur')"
    " or contains(@class, 'author') or contains(@class, 'signature') or contains(@class, 'byline')]"
)


def _byline_author(tree: HtmlElement) -> str | None:
    for el in _BYLINE_ELEMENTS(tree)[:10]:
        text = " ".join(el.text_content().split())
        if 3 <= len(text) <= 120:
            names = _clean_authors(text)
            if names:
                return names
    return None


def clean_authors(raw: str | None) -> str | None:
    """Names only, joined with ", ": 'Par Anne Fauvarque, France Bleu Besançon' → 'Anne Fauvarque'."""
    return _clean_authors(raw)


def _clean_authors(raw: str | None) -> str | None:
    """Names only: 'Par Anne Fauvarque, France Bleu Besançon' → 'Anne Fauvarque'."""
    if not raw:
        return None
    names: list[str] = []
    for chunk in re.split(r"[;|\n]", raw):
        for name in _byline_names(chunk):
            if name.casefold() not in (n.casefold() for n in names):
                names.append(name)
    return ", ".join(names) or None


def _byline_names(chunk: str) -> list[str]:
    text = BYLINE_NOISE.sub(" ", chunk)
    # A date glued to the byline ("Par Anne Fauvarque le 3 mars 2024") is not part of a name.
    date = DATE_IN_TEXT.search(text)
    if date:
        text = text[: date.start()]
    text = re.sub(r"\s+(?:le|publié|mis\s+à\s+jour)\s*$", "", " ".join(text.split()), flags=re.I)
    text = BYLINE_PREFIX.sub("", text).strip(" ,-–—:|·•/")
    if not text:
        return []
    # "A, B et C, Outlet": commas list names up to the last "et"; after the last name a comma
    # introduces the affiliation. Without "et", the first comma ends the name.
    joined = BYLINE_AND.split(text)
    if len(joined) > 1:
        names = [n for part in joined[:-1] for n in part.split(",")]
        names.append(joined[-1].split(",")[0])
    else:
        names = [text.split(",")[0]]
    cleaned = []
    for name in names:
        name = " ".join(name.split()).strip(" -–—:")
        if (
            NAME_OK.match(name)
            and len(name.split()) <= 6
            and name.casefold() not in GENERIC_AUTHORS
        ):
            cleaned.append(name)
    return cleaned


# ---- dates ---------------------------------------------------------------------------------

_DATE_META_PUBLISHED = (
    "article:published_time", "datepublished", "og:article:published_time", "publication_date",
    "date", "dc.date", "dc.date.issued", "dcterms.date", "sailthru.date", "pubdate",
)  # fmt: skip
_DATE_META_MODIFIED = (
    "article:modified_time",
    "datemodified",
    "og:updated_time",
    "dcterms.modified",
)
_DATE_ELEMENTS = etree.XPath(
    "//time | //*[@class or @id or @itemprop][contains(@class, 'date') or contains(@class, 'publi')"
    " or contains(@class, 'byline') or contains(@class, 'time') or contains(@id, 'date')"
    " or contains(@itemprop, 'date') or contains(@class, 'meta') or contains(@class, 'info')]"
)


def _dates(
    day: str | None,
    ld: dict,
    meta: dict[str, str],
    sel_date: str | None,
    tree: HtmlElement,
    fetched: datetime,
) -> tuple[str | None, str | None]:
    """Published and modified dates: selector, then page metadata, then French dates in the page."""

    def parse(value: str | None) -> datetime | None:
        return parse_french_date(value, relative_base=fetched) if value else None

    machine = parse(ld["published"]) or next(
        (d for d in (parse(meta.get(k)) for k in _DATE_META_PUBLISHED) if d), None
    )
    modified = parse(ld["modified"]) or next(
        (d for d in (parse(meta.get(k)) for k in _DATE_META_MODIFIED) if d), None
    )
    published = parse(sel_date)
    if published is None and machine and (day is None or machine.date().isoformat() == day):
        published = machine
    if published is None:
        # htmldate is the best judge of the day; a French date printed in the page on that
        # day adds the time, and pages without metadata get their date from the text alone.
        shown, shown_modified = _visible_dates(tree, fetched, whole_page=day is None)
        modified = modified or shown_modified
        if day is None or (shown and shown.date().isoformat() == day):
            published = shown
        else:
            published = parse(day)
    return (to_iso(published) if published else None, to_iso(modified) if modified else None)


def _visible_dates(
    tree: HtmlElement, fetched: datetime, *, whole_page: bool
) -> tuple[datetime | None, datetime | None]:
    """Dates printed in the page: in date-like elements, else (when asked) anywhere in it."""
    published = modified = None
    for el in _DATE_ELEMENTS(tree):
        value = el.get("datetime")
        found = parse_french_date(value, relative_base=fetched) if value else None
        if found is not None:
            published = published or found
            continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > 300:
            continue
        for found, is_update in iter_french_dates(text, relative_base=fetched):
            if is_update:
                modified = modified or found
            else:
                published = published or found
        if published and modified:
            break
    if published is None and whole_page:
        body = tree.find(".//body")
        text = " ".join(_visible_text(body).split())[:5000] if body is not None else ""
        hit = find_french_date(text, relative_base=fetched)
        if hit:
            published = hit[0]
    return published, modified


def _visible_text(el: etree._Element) -> str:
    return " ".join(
        t for t in el.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    )
