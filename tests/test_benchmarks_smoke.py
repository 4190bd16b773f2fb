"""Smoke test of the benchmark harness: a tiny in-process run, its JSON rows and its checks.

No timing is asserted: only that every workload ran, rows have the documented schema, and the
concurrent writers lost and duplicated nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures.processes import REPO_ROOT, child_env

ONLY = [r"^memory/", r"^sqlite/(sessions_plus\.SQLiteSession|agents\.SQLiteSession)/"]

ROW_KEYS = {
    "implementation": str,
    "backend": str,
    "workload": str,
    "ops_per_s": float,
    "p50_ms": float,
    "p99_ms": float,
}
OPTIONAL_INT = ("lost", "duplicated")
OPTIONAL_FLOAT = ("requests_per_op",)


def test_tiny_run_writes_schema_rows_and_loses_nothing(tmp_path: Path) -> None:
    """``python -m benchmarks --smoke`` end to end, as a user runs it (not imported)."""
    out = tmp_path / "bench.json"
    only = [arg for pattern in ONLY for arg in ("--only", pattern)]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--no-strands", *only, "--json", str(out)],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| workload |" in done.stdout

    payload = json.loads(out.read_text())
    assert payload["skipped"] == [], payload["skipped"]
    rows = payload["rows"]
    implementations = {(r["backend"], r["implementation"]) for r in rows}
    assert implementations == {
        ("memory", "sessions_plus.StoreSession(MemoryStore)"),
        ("sqlite", "sessions_plus.SQLiteSession"),
        ("sqlite", "agents.SQLiteSession"),
    }
    workloads = {r["workload"] for r in rows}
    assert workloads == {
        "append 1 item",
        "append 4-item turn",
        "get_items(limit=20) @10",
        "get_items(limit=20) @20",
        "get_items(limit=20) @120",
        "get_items() @40",
        "4 writers, one session",
    }
    assert len(rows) == len(implementations) * len(workloads)
    for row in rows:
        for key, kind in ROW_KEYS.items():
            assert isinstance(row[key], kind), (key, row)
        for key in OPTIONAL_INT:
            assert row[key] is None or isinstance(row[key], int), (key, row)
        for key in OPTIONAL_FLOAT:
            assert key in row and row[key] is None, (key, row)  # no server backend here
        assert row["ops_per_s"] > 0 and row["p99_ms"] >= row["p50_ms"] > 0
        if row["workload"] == "4 writers, one session":
            assert row["lost"] == 0 and row["duplicated"] == 0, row
        else:
            assert row["lost"] is None and row["duplicated"] is None, row
    # Ratios are filled against agents.SQLiteSession for our SQLite rows.
    ours = [r for r in rows if r["implementation"] == "sessions_plus.SQLiteSession"]
    assert all(r["sdk_baseline"] == "agents.SQLiteSession" for r in ours)
    assert all(isinstance(r["vs_sdk"], float) for r in ours)
    assert any(t["target"].startswith("SQLite append") for t in payload["targets"])
