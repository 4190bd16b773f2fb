"""The README demo, then the viewer on its database: a new user's first minute, in Chromium.

``python -m tests.viewer.screenshot docs/viewer.png`` runs ``examples/openai_handoff.py`` three
times in a temporary directory (offline, scripted models), serves ``sqlite:///openai_handoff.db``
from there exactly as the README says, and saves a screenshot of the session page.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.fixtures.processes import REPO_ROOT, child_env

from .server import Viewer, browser_page

EXAMPLE = REPO_ROOT / "examples" / "openai_handoff.py"
SESSION = "customer-42"


def run_demo(directory: Path, runs: int = 3) -> None:
    """``python examples/openai_handoff.py`` ``runs`` times with ``directory`` as cwd."""
    for _ in range(runs):
        subprocess.run(
            [sys.executable, str(EXAMPLE), "--offline"],
            cwd=directory,
            env=child_env(),
            check=True,
            capture_output=True,
            timeout=120,
        )


async def session_page_texts(directory: Path, screenshot: Path | None = None) -> list[str]:
    """Serve the demo database as the README says; the bubbles' texts (and a screenshot)."""
    with Viewer("sqlite:///openai_handoff.db", cwd=directory) as viewer:
        async with browser_page() as page:
            await page.goto(viewer.base + "/")
            await page.click(f"text={SESSION}")
            await page.locator(".live.on").wait_for()
            await page.locator(".message").last.wait_for()
            texts = await page.locator(".message .bubble").all_text_contents()
            if screenshot is not None:
                await page.locator(".message").nth(1).locator("details").first.click()
                await page.screenshot(path=str(screenshot), full_page=True)
            return texts


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/viewer.png").resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        run_demo(Path(directory))
        texts = asyncio.run(session_page_texts(Path(directory), target))
    print(f"{target}: session page with {len(texts)} messages")


if __name__ == "__main__":
    main()
