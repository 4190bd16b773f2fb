"""Smoke test of ``python -m benchmarks.server_instructions``: a redis-server under callgrind,
counted per operation for ours, the SDK's session and the floor (no count is asserted beyond
what the design fixes: every operation of ours is one round trip)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures.processes import REPO_ROOT, child_env


def test_a_tiny_run_counts_every_implementation(tmp_path: Path) -> None:
    out = tmp_path / "instructions.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.server_instructions", "--ops", "40", "--rounds", "1",
         "--json", str(out)],
        cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "I/O events" in done.stdout and "instructions' time" in done.stdout
    counts = json.loads(out.read_text())
    assert set(counts) == {
        "sessions_plus.RedisSession",
        "agents RedisSession",
        "floor: RPUSH/LRANGE",
    }
    for ops in counts.values():
        assert set(ops) == {"read latest 20", "append 2 items", "append 1 item"}
        for (count,) in ops.values():
            assert count["instructions"] > 1_000
    for count in counts["sessions_plus.RedisSession"].values():
        # one request and one reply per operation (plus the counter's own few, over 40)
        assert 1.9 <= count[0]["events"] <= 2.2, count
