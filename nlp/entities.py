"""What the `veille entities` commands do: list the entities of plain-text files, and store
staff corrections (merge, relabel, ignore) that later `veille process` runs apply."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from common.errors import VeilleError
from db import entity_store
from db.schema import open_db
from nlp.analyse import get_analyzer
from nlp.keys import entity_key
from nlp.model import DEFAULT_MODEL
from nlp.resources import LABELS


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


def add_correction(
    db_path: str | Path,
    action: str,
    name: str,
    target: str | None = None,
    label: str | None = None,
) -> entity_store.Rule:
    """Validate and store a merge/relabel/ignore rule; raise EntitiesError on bad input."""
    if not entity_key(name):
        raise EntitiesError(f"{name!r} is not a name (no letters or digits)")
    if label is not None and label not in LABELS:
        raise EntitiesError(f"label must be one of {', '.join(LABELS)}, not {label!r}")
    if action == "merge":
        if not target or not entity_key(target):
            raise EntitiesError(f"{target!r} is not a name to merge into")
        if entity_key(target) == entity_key(name):
            raise EntitiesError(f"{name!r} and {target!r} are already the same entity")
    if action == "relabel" and label is None:
        raise EntitiesError("relabel needs a label (PER, ORG or LOC)")
    db = open_db(db_path)
    try:
        return entity_store.add_rule(
            db, action, name.strip(), target.strip() if target else None, label
        )
    finally:
        db.conn.close()


def list_corrections(db_path: str | Path) -> list[entity_store.Rule]:
    """The stored rules, oldest first."""
    db = open_db(db_path)
    try:
        return entity_store.list_rules(db)
    finally:
        db.conn.close()


def forget_correction(db_path: str | Path, rule_id: int) -> entity_store.Rule:
    """Remove a stored rule and return it; EntitiesError when there is none with this id."""
    db = open_db(db_path)
    try:
        rule = entity_store.delete_rule(db, rule_id)
    finally:
        db.conn.close()
    if rule is None:
        raise EntitiesError(f"no correction #{rule_id}; `veille entities rules` lists them")
    return rule


def describe_rule(rule: entity_store.Rule) -> str:
    """A rule as one line of English."""
    only = f" (only as {rule.label})" if rule.label and rule.action != "relabel" else ""
    if rule.action == "merge":
        return f"#{rule.id} merge {rule.name!r} into {rule.target!r}{only}"
    if rule.action == "relabel":
        return f"#{rule.id} relabel {rule.name!r} as {rule.label}"
    return f"#{rule.id} ignore {rule.name!r}{only}"
