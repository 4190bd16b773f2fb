"""The docs site: it builds strictly, every typed error has its FAQ entry, nothing is orphaned."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

import sessions_plus.errors
from sessions_plus import SessionsPlusError

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _error_classes() -> list[str]:
    return sorted(
        name
        for name, value in vars(sessions_plus.errors).items()
        if inspect.isclass(value)
        and issubclass(value, SessionsPlusError)
        and value.__module__ == sessions_plus.errors.__name__
    )


def test_every_typed_error_has_a_faq_entry() -> None:
    faq = (DOCS / "faq.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### `(\w+)`$", faq, re.M))
    missing = sorted(set(_error_classes()) - headings)
    assert not missing, f"docs/faq.md has no '### `Name`' entry for {missing}"
    assert len(headings) >= 20


def test_every_page_is_in_the_navigation() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)

    def files(nav: object) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [f for entry in nav for f in files(entry)]
        if isinstance(nav, dict):
            return [f for value in nav.values() for f in files(value)]
        return []

    listed = set(files(config["nav"]))
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert pages == listed, (sorted(pages - listed), sorted(listed - pages))


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """What .ci/run runs: any warning (broken link, missing page, bad reference) fails."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "index.html").is_file()
    reference = (tmp_path / "reference" / "store" / "index.html").read_text(encoding="utf-8")
    assert "ConversationStore" in reference and "append" in reference  # from the docstrings
    assert ":class:" not in reference  # Sphinx roles were turned into Markdown
