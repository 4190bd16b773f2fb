"""The examples run as a user would run them: in a subprocess, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_openai_handoff_second_run_continues_the_first(tmp_path: Path) -> None:
    db = str(tmp_path / "handoff.db")
    first = run_example("openai_handoff.py", "--db", db)
    assert "history: before=0 after=4" in first
    assert "answered by: Billing" in first
    assert "charged twice" in first and "RF-88412" in first

    second = run_example("openai_handoff.py", "--db", db)
    assert "history: before=4 after=8" in second
    assert "answered by: Billing" in second
    assert "How long until the refund" in second and "3-5 business days" in second
