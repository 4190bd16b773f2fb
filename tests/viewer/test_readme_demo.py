"""A new user runs the README demo, then ``sessions-plus serve sqlite:///openai_handoff.db``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from .screenshot import run_demo, session_page_texts


async def test_serve_right_after_the_demo_shows_the_conversation(tmp_path: Path) -> None:
    await asyncio.to_thread(run_demo, tmp_path, 2)
    shot = tmp_path / "viewer.png"
    texts = await session_page_texts(tmp_path, shot)
    assert texts[0] == "Hi, I was charged twice for my March invoice (INV-2031)."
    assert any("refund reference is RF-88412" in text for text in texts)
    assert "Thanks! How long until the refund shows up on my card?" in texts
    assert any("transfer_to_billing" in text for text in texts)  # the handoff, collapsible
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
