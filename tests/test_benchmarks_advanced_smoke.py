"""Smoke test of ``python -m benchmarks.advanced``: every workload runs and reports a row.

No timing is asserted: only that the harness works end to end on in-process backends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures.processes import REPO_ROOT, child_env


def test_smoke_run_reports_every_workload(tmp_path: Path) -> None:
    out = tmp_path / "advanced.json"
    command = ["-m", "benchmarks.advanced", "--smoke", "--backends", "memory,sqlite"]
    done = subprocess.run(
        [sys.executable, *command, "--json", str(out)],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| workload |" in done.stdout
    rows = json.loads(out.read_text())
    measured = {
        (row["workload"], row["backend"], row["implementation"])
        for row in rows
        if not row["skipped"]
    }
    for workload in ("add_items (2-item turn)", "store_run_usage @100 items"):
        assert (workload, "sqlite", "agents AdvancedSQLiteSession") in measured
        assert (workload, "sqlite", "AdvancedSession") in measured
        assert (workload, "memory", "AdvancedSession") in measured
    for workload in ("fork 1,000 records", "trim 1,000 -> 100 records"):
        assert (workload, "memory", "store") in measured
    for row in rows:
        if not row["skipped"]:
            assert row["ops_per_s"] > 0 and row["p99_ms"] >= row["p50_ms"] > 0, row
        if row["implementation"] == "AdvancedSession" and row["backend"] == "sqlite":
            assert isinstance(row["vs_sdk"], float), row
