"""examples/cross_sdk_support.py runs offline end to end: three processes, two SDKs, one store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.factory import StoreFactory

ROOT = Path(__file__).resolve().parents[2]


def run(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "cross_sdk_support.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def check(out: str) -> None:
    # The specialist found the order and the item only in the triage's turn (its tool call).
    assert "[specialist] Return R-55 is set up for your blue kettle" in out
    # The triage's second turn saw the specialist's return number.
    assert "[triage] Your refund for return R-55 is issued" in out
    assert "the shared conversation (10 records):" in out
    assert out.count("openai.responses") == 6 and out.count("strands.message") == 4


@pytest.mark.slow
def test_default_store(tmp_path: Path) -> None:
    check(run(tmp_path, "--session", "support-1"))
    assert (tmp_path / "cross_sdk.db").exists()


@pytest.mark.slow
def test_on_redis(tmp_path: Path, redis_store_factory: StoreFactory) -> None:
    check(run(tmp_path, "--store", redis_store_factory.url(), "--session", "support-2"))
