"""A page's bytes as text: its declared encoding, unless its bytes plainly say otherwise."""

from __future__ import annotations

import codecs
import re

from w3lib.encoding import html_to_unicode, read_bom

# Non-ASCII letters of French text. Other single-byte encodings read as Windows-1252 give mostly
# other letters (Cyrillic "Привет" in Windows-1251 reads "Ïðèâåò"), so a page whose letters are
# not these is not French Windows-1252. Punctuation (’ « » € …) says nothing either way.
FRENCH_LETTERS = frozenset("àâäçéèêëîïôöùûüÿæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ")
FRENCH_LETTERS_SHARE = 0.9  # a few quoted foreign names ("Núñez") are allowed
NON_ASCII = re.compile(r"[^\x00-\x7f]")


def decode_html(html: bytes | str, content_type: str | None = None) -> str:
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
