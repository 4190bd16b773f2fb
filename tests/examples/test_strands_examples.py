"""The Strands examples run offline, end to end, in subprocesses (default SQLite file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_shared_conversation_example(tmp_path: Path) -> None:
    result = run(tmp_path, "strands_shared_conversation.py", "--session", "post-1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[writer] Draft: Where otters live" in out  # the writer saw the planner's plan
    assert "[planner] Review: the draft covers all 3 parts" in out  # and the planner the draft
    assert "the shared conversation (6 messages)" in out
    assert (tmp_path / "strands_shared.db").exists()


def test_swarm_example_resumes_after_a_stop(tmp_path: Path) -> None:
    stopped = run(tmp_path, "strands_swarm.py", "--stop-part-way")
    assert stopped.returncode == 3, stopped.stderr
    assert "simulated crash" in stopped.stdout

    resumed = run(tmp_path, "strands_swarm.py")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming otter-post: done ['researcher'], next ['writer']" in resumed.stdout
    assert "status: completed; nodes: ['researcher', 'writer']" in resumed.stdout
    assert "nodes that ran in this process: ['writer']" in resumed.stdout
