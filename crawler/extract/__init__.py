"""Pure article extraction: (html, url, source) → Article, or None for pages that are not articles.

One lxml parse; trafilatura's public API (`bare_extraction(..., with_metadata=True)`) for the
main text and the metadata it knows; our own reads on the same tree for what it does not carry.
No Scrapy, no network, no database: callable from the spider, the CLI and the tests alike.
Split by concern, as trafilatura splits its own modules:

- core.py              extract(): the order of the stages below
- decoding.py          a page's bytes as text
- text.py              trafilatura's body as text blocks, page furniture dropped
- metadata.py          <meta> tags, title without the outlet's name, canonical URL, language
- jsonld.py            page types, times, access and Person authors from schema.org JSON-LD
- page_dates.py        published and modified times
- bylines.py           authors' names apart from the outlet or agency credited
- paywall.py           subscriber-only teasers
- listing.py           home, section and tag pages (not articles)
- source_selectors.py  per-source CSS selectors from the sources file
"""

from crawler.extract.bylines import Byline, clean_authors, read_byline
from crawler.extract.core import extract

__all__ = ["Byline", "clean_authors", "extract", "read_byline"]
