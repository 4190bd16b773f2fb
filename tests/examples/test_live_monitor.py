"""examples/live_monitor.py: an agent in one process, a monitor printing its steps in another."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sdk", ["openai", "strands"])
def test_the_monitor_prints_each_step_then_the_run(tmp_path: Path, sdk: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    args = ["--db", str(tmp_path / "live.db"), "--sdk", sdk, "--delay", "0.2"]
    outputs = []
    for _ in range(2):  # a second run on the same session shows only the new run
        done = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "live_monitor.py"), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    for out in outputs:
        lines = out.splitlines()
        assert lines[0] == "monitor: following the trace of session live-demo"
        events = [line for line in lines if line.startswith("+")]
        wanted = ["run started", "step 1", "→ weather", "✓ weather → 21 C, sunny"]
        wanted += ["step 2", "→ weather", "✓ weather → 9 C, rainy", "step 3", "→ weather"]
        wanted += ["✓ weather → 18 C, cloudy", "step 4", "run completed"]
        assert len(events) == len(wanted), out
        for line, text in zip(events, wanted, strict=True):
            assert text in line, (text, line)
        assert out.count("run started") == 1
        assert "completed  " in out and "4 steps" in out  # the tree of the run
        assert lines[-1].startswith("agent: answered: Paris 21 C and sunny")
    first_seq = [line.split("#")[1].split()[0] for line in outputs[1].splitlines() if "#" in line]
    assert first_seq[0] != "1", "the second monitor followed only the new run"
