"""Smoke test of ``python -m benchmarks.cross_sdk``: a tiny in-process run (no timing asserted)."""

from __future__ import annotations

from benchmarks import cross_sdk
from benchmarks.harness import Config
from sessions_plus import MemoryStore
from sessions_plus.openai_agents import StoreSession

TINY = Config(rounds=1, ops_per_slice=2, warmup=False)


async def test_the_mixed_conversation_reads_back_in_the_openai_shape() -> None:
    store = MemoryStore()
    await cross_sdk.fill_mixed(store, "mixed", 16)
    items = await StoreSession("mixed", store, shared=True, author="triage").get_items(20)
    kinds = [item.get("type", item.get("role")) for item in items]
    assert (
        kinds
        == [
            *("user", "function_call", "function_call_output", "message"),  # OpenAI's own turn
            *("user", "assistant", "assistant"),  # a Strands turn: the tool call is a note
        ]
        * 2
    )


async def test_tiny_run_reports_every_row() -> None:
    rows = await cross_sdk.measure_reads(TINY, ["memory"])
    assert {row.name for row in rows} >= {cross_sdk.NATIVE, cross_sdk.SHARED}
    conversions = cross_sdk.conversion_us(5)
    assert all(us > 0 for us in conversions.values())
    text, _ = cross_sdk.report(rows, conversions)
    assert "| memory | " + cross_sdk.SHARED in text
    moving = await cross_sdk.measure_moving(4, ["memory"])
    assert [m.backend for m in moving] == ["memory"]
    assert moving[0].native_ms > 0 and moving[0].shared_ms > 0
    assert "| memory | half by each SDK |" in cross_sdk.report_moving(moving)
