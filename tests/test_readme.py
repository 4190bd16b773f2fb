"""Every name the README (and the docs) show being imported from sessions-plus exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IMPORT = re.compile(r"^\s*from (sessions_plus[\w.]*) import \(?([\w, \n]+?)\)?\s*$", re.M)


def _shown_imports() -> list[tuple[str, str]]:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found: set[tuple[str, str]] = set()
    for path in documents:
        if not path.is_file():
            continue
        for module, names in IMPORT.findall(path.read_text(encoding="utf-8")):
            for name in names.replace("\n", " ").split(","):
                name = name.strip().split(" as ")[0].strip()
                if name:
                    found.add((module, name))
    return sorted(found)


SHOWN = _shown_imports()


def test_the_readme_shows_imports() -> None:
    assert len(SHOWN) >= 10, SHOWN


@pytest.mark.parametrize(("module", "name"), SHOWN, ids=[f"{m}.{n}" for m, n in SHOWN])
def test_every_shown_import_works(module: str, name: str) -> None:
    imported = importlib.import_module(module)
    if not hasattr(imported, name):  # a submodule: ``from sessions_plus import strands``
        importlib.import_module(f"{module}.{name}")
    assert hasattr(imported, name), f"from {module} import {name} fails"
