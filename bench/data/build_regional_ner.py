"""Build regional_ner.jsonl from the hand-annotated markup in regional_ner.md.

Usage:
    python bench/data/build_regional_ner.py            # rewrite regional_ner.jsonl
    python bench/data/build_regional_ner.py --check    # fail if the JSONL is stale
    python bench/data/build_regional_ner.py --source bench/data/regional_dev.md [--check]
                                                       # same for the development set

Without --output, the JSONL is written beside the source with the same stem
(regional_dev.md -> regional_dev.jsonl), so building another set never touches
regional_ner.jsonl.

Markup: documents start with a ``## doc-NN`` heading, paragraphs are separated by
blank lines, entities are written ``[span text](LABEL)`` with LABEL in PER, ORG, LOC.
Lines before the first heading are a preamble and are ignored. A single line break
inside a paragraph is kept as ``\\n`` in the text (real pages have them).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "regional_ner.md"
TARGET = HERE / "regional_ner.jsonl"
LABELS = ("PER", "ORG", "LOC")

HEADING = re.compile(r"^## (doc-\d{2,})\s*$")
# The span may not contain brackets or line breaks, so a missing "]" or "(LABEL)"
# shows up as a stray bracket in the plain text and is reported there.
ENTITY = re.compile(r"\[([^\[\]\n]*)\]\(([^()\n]*)\)")
STRAY = re.compile(r"[\[\]]")


class MarkupError(ValueError):
    """Malformed markup, with the file and line it was found on."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        where = f"{path.name}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass
class Paragraph:
    """One paragraph of a document with its plain text and gold entities."""

    id: str
    doc_id: str
    text: str
    entities: list[tuple[int, int, str]]

    def as_json(self) -> str:
        """Return the JSONL line for this paragraph."""
        record = {
            "id": self.id,
            "doc_id": self.doc_id,
            "text": self.text,
            "entities": [list(e) for e in self.entities],
        }
        return json.dumps(record, ensure_ascii=False)


def parse_paragraph(
    lines: list[tuple[int, str]], path: Path, doc_id: str, number: int
) -> Paragraph:
    """Strip the markup of one paragraph and compute end-exclusive offsets."""
    text_parts: list[str] = []
    entities: list[tuple[int, int, str]] = []
    marked: list[tuple[int, str]] = []
    length = 0
    for index, (lineno, line) in enumerate(lines):
        if index:
            text_parts.append("\n")
            length += 1
        position = 0
        for match in ENTITY.finditer(line):
            plain = line[position : match.start()]
            check_plain(plain, path, lineno, position)
            text_parts.append(plain)
            length += len(plain)
            span, label = match.group(1), match.group(2)
            column = match.start() + 1
            if label not in LABELS:
                raise MarkupError(
                    path,
                    lineno,
                    f"unknown label {label!r} at column {column} (use one of {', '.join(LABELS)})",
                )
            if not span or span != span.strip(" \t\u00a0\u202f"):
                raise MarkupError(
                    path,
                    lineno,
                    f"span {span!r} at column {column} is empty or has surrounding spaces",
                )
            entities.append((length, length + len(span), label))
            marked.append((lineno, span))
            text_parts.append(span)
            length += len(span)
            position = match.end()
        rest = line[position:]
        check_plain(rest, path, lineno, position)
        text_parts.append(rest)
        length += len(rest)
    text = "".join(text_parts)
    for (start, end, _label), (lineno, span) in zip(entities, marked, strict=True):
        # Guards the offset arithmetic above rather than the markup itself.
        if text[start:end] != span:
            raise MarkupError(path, lineno, f"offsets {start}:{end} do not give {span!r}")
    return Paragraph(f"{doc_id}-p{number}", doc_id, text, entities)


def check_plain(plain: str, path: Path, lineno: int, offset: int) -> None:
    """Reject brackets left in text outside a well-formed ``[span](LABEL)``."""
    stray = STRAY.search(plain)
    if stray:
        raise MarkupError(
            path,
            lineno,
            f"unmatched {stray.group()!r} at column {offset + stray.start() + 1} "
            "(entities are written [span text](LABEL))",
        )


def parse(path: Path) -> list[Paragraph]:
    """Parse the markup file into paragraphs, raising MarkupError on bad markup."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MarkupError(path, 0, f"cannot read file: {error}") from error
    paragraphs: list[Paragraph] = []
    seen_docs: set[str] = set()
    doc_id: str | None = None
    doc_line = 0
    block: list[tuple[int, str]] = []
    count = 0

    def flush() -> None:
        nonlocal block, count
        if block and doc_id is not None:
            count += 1
            paragraphs.append(parse_paragraph(block, path, doc_id, count))
        block = []

    def close_doc() -> None:
        if doc_id is not None and count == 0:
            raise MarkupError(path, doc_line, f"document {doc_id} has no paragraphs")

    for lineno, line in enumerate(raw.splitlines(), start=1):
        # Only ASCII blanks are trimmed: a trailing non-breaking space is content.
        line = line.rstrip(" \t")
        heading = HEADING.match(line)
        if heading:
            flush()
            close_doc()
            doc_id = heading.group(1)
            if doc_id in seen_docs:
                raise MarkupError(path, lineno, f"duplicate document heading {doc_id}")
            seen_docs.add(doc_id)
            doc_line, count = lineno, 0
        elif line.startswith("#") and doc_id is not None:
            raise MarkupError(path, lineno, "stray heading (documents start with '## doc-NN')")
        elif doc_id is None:
            continue  # preamble
        elif not line.strip(" \t"):
            flush()
        else:
            block.append((lineno, line))
    flush()
    close_doc()
    if not paragraphs:
        raise MarkupError(path, 0, "no '## doc-NN' documents found")
    return paragraphs


def summary(paragraphs: list[Paragraph]) -> str:
    """Return counts of documents, paragraphs, words and entities per label."""
    docs = Counter(p.doc_id for p in paragraphs)
    words = Counter()
    for p in paragraphs:
        words[p.doc_id] += len(p.text.split())
    labels = Counter(label for p in paragraphs for _s, _e, label in p.entities)
    empty = sum(1 for p in paragraphs if not p.entities)
    per_label = ", ".join(f"{label} {labels[label]}" for label in LABELS)
    return (
        f"{len(docs)} documents, {len(paragraphs)} paragraphs "
        f"({empty} without entities), {sum(words.values())} words "
        f"(per document {min(words.values())}-{max(words.values())}); "
        f"{sum(labels.values())} entities: {per_label}"
    )


def main(argv: list[str] | None = None) -> int:
    """Convert the markup to JSONL (or check that the JSONL is up to date)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument(
        "--output", type=Path, default=None, help="default: the source's name with .jsonl"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the output file is not up to date"
    )
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = TARGET if args.source == SOURCE else args.source.with_suffix(".jsonl")
    try:
        paragraphs = parse(args.source)
    except MarkupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    content = "".join(p.as_json() + "\n" for p in paragraphs)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != content:
            command = Path(__file__).name
            if args.source != SOURCE:
                command += f" --source {args.source}"
            if args.output != args.source.with_suffix(".jsonl"):
                command += f" --output {args.output}"
            print(f"{args.output} is stale: run {command}", file=sys.stderr)
            return 1
        print(f"{args.output.name} is up to date: {summary(paragraphs)}")
        return 0
    # Write beside and rename so a failed run never leaves a half-written file.
    tmp = args.output.with_suffix(".jsonl.tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(args.output)
    print(f"wrote {args.output.name}: {summary(paragraphs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
