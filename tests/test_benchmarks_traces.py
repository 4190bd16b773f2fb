"""Smoke test of ``python -m benchmarks.traces``: both SDKs' scripted runs, counted, in process.

No timing is asserted (performance is for the benchmark to report): only that a traced run
records its 33 events (start, 11 steps, 10 tool starts and ends, end) with at most one store
append per event.
"""

from __future__ import annotations

import pytest

from benchmarks.traces import measure, render


@pytest.mark.parametrize("sdk", ["openai-agents", "strands"])
async def test_a_traced_run_costs_at_most_one_append_per_event(sdk: str) -> None:
    row = await measure(sdk, "memory", "memory://", rounds=2, warmup=0)
    assert row.events_per_run == 33
    assert 1 <= row.appends_per_run <= row.events_per_run
    assert row.base_ms > 0 and row.traced_ms > 0
    assert f"| {sdk} | memory | 2 |" in render([row])
