"""Imports go one way: common/ <- db/ <- crawler/, nlp/ <- ops/ <- pipeline.py.

Parsed with `ast`, so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("common", "db", "crawler", "nlp", "ops")
# What each package must never import.
FORBIDDEN = {
    "common": {"db", "crawler", "nlp", "ops", "pipeline"},
    "db": {"crawler", "nlp", "ops", "pipeline"},
    "crawler": {"nlp", "ops", "pipeline"},
    "nlp": {"ops", "pipeline"},
    "ops": {"pipeline"},
}


def imported_packages(source: str) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import in a module's source.

    Relative imports are left out: they cannot leave the top-level package they are in.
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def violations(root: Path) -> list[str]:
    """`path:line imports package` for every import against the layering."""
    found = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, name in sorted(imported_packages(path.read_text(encoding="utf-8"))):
                if name in forbidden:
                    found.append(f"{path.relative_to(root)}:{line} imports {name}")
    return found


def test_imports_go_one_way():
    assert violations(REPO) == []


@pytest.mark.parametrize(
    ("package", "line", "culprit"),
    [
        ("db", "from crawler.items import Article", "crawler"),
        ("db", "    import nlp.model", "nlp"),
        ("db", "from ops.daily import run_lock", "ops"),
        ("crawler", "from ops import daily", "ops"),
        ("crawler", "import json, nlp.model as model", "nlp"),
        ("nlp", "from ops.daily import now_iso", "ops"),
        ("common", "from db.schema import open_db", "db"),
    ],
)
def test_check_catches_a_backward_import(tmp_path, package, line, culprit):
    for name in PACKAGES:
        (tmp_path / name).mkdir()
    body = f"def f():\n{line}\n" if line.startswith(" ") else f"{line}\n"
    (tmp_path / package / "bad.py").write_text(body, encoding="utf-8")
    (tmp_path / package / "good.py").write_text("import json\nfrom common import items\n")
    lineno = 2 if line.startswith(" ") else 1
    assert violations(tmp_path) == [f"{package}/bad.py:{lineno} imports {culprit}"]


def test_only_the_nlp_stage_touches_the_database():
    # nlp/ is pure text -> entities; nlp/process.py, the stage, is its one reader and writer.
    touching = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "nlp").rglob("*.py")
        if any(name == "db" for _, name in imported_packages(path.read_text(encoding="utf-8")))
    )
    assert touching == ["nlp/process.py"]


def test_the_spiders_only_navigate():
    # Storing and counting are the item pipeline's, the middlewares' and the extension's:
    # a spider that imports db/ has started keeping books again.
    touching = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "crawler" / "spiders").rglob("*.py")
        if any(name == "db" for _, name in imported_packages(path.read_text(encoding="utf-8")))
    )
    assert touching == []
