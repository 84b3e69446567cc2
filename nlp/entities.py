"""Entities of plain-text files (`veille entities FILE...`), pure text in, mentions out.

The staff corrections (merge, relabel, ignore) are stored by the NLP stage, nlp/process.py,
the one module of nlp/ that writes to the database.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from common.errors import VeilleError
from nlp.analyse import get_analyzer
from nlp.model import DEFAULT_MODEL


class EntitiesError(VeilleError, ValueError):
    """Bad input for an entities command; the message names the file or the name."""


def read_text_file(path: str) -> str:
    """A file's text exactly as stored (no newline translation), or stdin for "-"."""
    try:
        if path == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        raise EntitiesError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EntitiesError(f"{path}: is a folder, not a text file") from None
    except UnicodeDecodeError as exc:
        raise EntitiesError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise EntitiesError(f"{path}: cannot read ({exc.strerror})") from None


def entities_of_files(
    paths: Sequence[str], model: str = DEFAULT_MODEL, data_dir: str | Path | None = None
) -> Iterator[dict]:
    """{"file", "text", "label", "start", "end", "name"} for each mention in each file."""
    texts = [read_text_file(path) for path in paths]
    analyzer = get_analyzer(model, data_dir)
    for path, analysis in zip(paths, analyzer.analyse(texts), strict=True):
        for m in analysis.mentions:
            yield {
                "file": path,
                "text": m.text,
                "label": m.label,
                "start": m.start,
                "end": m.end,
                "name": m.name,
            }
