"""Folding trace events into runs, and the model's JSON shapes (no store, no SDK)."""

from __future__ import annotations

import json
from typing import Any

from sessions_plus.records import Record
from sessions_plus.traces import TRACE_FORMAT, Reasoning, TraceEvent, Usage, fold
from sessions_plus.traces.events import event_from_record, to_json_value


def ev(seq: int, kind: str, run: str = "r1", agent: str | None = "a", **fields: Any) -> TraceEvent:
    data = {"v": 1, "type": kind, "run_id": run, "ts": 1000.0 + seq, "agent": agent, "sdk": "x"}
    data.update(fields)
    event = event_from_record(Record(seq, data, 2000.0 + seq, TRACE_FORMAT, agent))
    assert event is not None
    return event


def one(events: list[TraceEvent]) -> Reasoning:
    runs = fold(events)
    assert len(runs) == 1
    return runs[0]


def test_a_running_run_has_running_tools_with_no_result() -> None:
    run = one(
        [
            ev(1, "run_start", query="q"),
            ev(2, "step", step=1, thinking="t", tool_calls=[{"call_id": "c1", "name": "slow"}]),
            ev(3, "tool_start", call_id="c1", name="slow", inputs={"n": 1}),
        ]
    )
    assert run.status == "running" and run.ended_at is None and run.final_response is None
    assert run.started_at == 1001.0 and run.query == "q" and run.agent == "a" and run.sdk == "x"
    [tool] = run.steps[0].tools
    assert (tool.name, tool.inputs, tool.result, tool.status) == ("slow", {"n": 1}, None, "running")
    assert tool.started_at == 1003.0 and tool.ended_at is None
    assert (run.first_seq, run.last_seq, run.total_steps) == (1, 3, 1)


CALLS = [("c1", "f"), ("c2", "g")]


def test_two_tool_calls_of_one_step_ending_out_of_order() -> None:
    run = one(
        [
            ev(1, "run_start"),
            ev(2, "step", step=1, tool_calls=[{"call_id": c, "name": n} for c, n in CALLS]),
            ev(3, "step", step=2, agent="b"),  # another agent's step in between (a Graph)
            ev(4, "tool_start", call_id="c1", name="f", inputs=[1]),
            ev(5, "tool_start", call_id="c2", name="g", inputs=[2]),
            ev(6, "tool_end", call_id="c2", name="g", result="G", error=None),
            ev(7, "tool_end", call_id="c1", name="f", result=None, error="KeyError: 'k'"),
        ]
    )
    first, second = run.steps
    assert [t.call_id for t in first.tools] == ["c1", "c2"] and second.tools == []
    f, g = first.tools
    assert (f.status, f.error, f.result) == ("failed", "KeyError: 'k'", None)
    assert (g.status, g.error, g.result, g.ended_at) == ("completed", None, "G", 1006.0)


def test_tools_without_call_ids_and_without_a_step() -> None:
    run = one(
        [
            ev(1, "tool_start", call_id=None, name="f", inputs=1),  # no run_start, no step
            ev(2, "tool_start", call_id=None, name="f", inputs=2),
            ev(3, "tool_end", call_id=None, name="f", result="second"),
            ev(4, "tool_end", call_id="lost-start", name="g", result="g"),
        ]
    )
    assert run.started_at == 1001.0 and run.status == "running"
    [step] = run.steps
    assert step.step_number == 1 and step.thinking is None
    assert [(t.inputs, t.result) for t in step.tools] == [(1, None), (2, "second"), (None, "g")]
    assert step.tools[2].started_at is None and step.tools[2].status == "completed"


def test_tools_go_to_the_latest_step_of_their_agent() -> None:
    run = one(
        [
            ev(1, "step", agent="a"),
            ev(2, "step", agent="b"),
            ev(3, "tool_start", agent="a", call_id="x", name="f"),
            ev(4, "tool_start", agent="c", call_id="y", name="g"),
        ]
    )
    assert [t.call_id for t in run.steps[0].tools] == ["x"]
    assert [t.call_id for t in run.steps[1].tools] == ["y"]
    assert [s.step_number for s in run.steps] == [1, 2]


def test_handoff_marks_the_handing_agents_step_and_the_finisher_is_the_agent() -> None:
    run = one(
        [
            ev(1, "run_start", agent="triage"),
            ev(2, "step", agent="triage", step=1),
            ev(3, "handoff", agent="triage", to_agent="billing"),
            ev(4, "step", agent="billing", step=2),
            ev(5, "run_end", agent="billing", final_response={"ok": True}, dropped=0),
        ]
    )
    assert [s.handoff for s in run.steps] == ["billing", None]
    assert [s.agent for s in run.steps] == ["triage", "billing"]
    assert run.agent == "billing" and run.final_response == {"ok": True}
    assert run.status == "completed" and run.ended_at == 1005.0 and not run.incomplete


def test_failed_run_and_incomplete_run() -> None:
    failed, lossy = fold(
        [
            ev(1, "run_start", run="r1"),
            ev(2, "run_start", run="r2"),
            ev(3, "run_failed", run="r1", error="MaxTurnsExceeded: 3", dropped=0),
            ev(4, "run_end", run="r2", dropped=2),
        ]
    )
    assert (failed.run_id, failed.status, failed.error) == ("r1", "failed", "MaxTurnsExceeded: 3")
    assert not failed.incomplete and failed.ended_at == 1003.0
    assert (lossy.run_id, lossy.status, lossy.incomplete) == ("r2", "completed", True)


def test_usage_sums_the_steps_and_unknown_events_are_ignored() -> None:
    u1 = Usage(1, 10, 5, 15, cached_tokens=3)
    u2 = Usage(1, 20, 7, 27, reasoning_tokens=4, cache_write_tokens=2)
    run = one(
        [
            ev(1, "step", usage=u1.to_dict()),
            ev(2, "from_the_future", anything=[1, 2]),
            ev(3, "step", usage=u2.to_dict(), future_field=True),
            ev(4, "step", usage={"input_tokens": "many", "requests": True}),
        ]
    )
    assert run.usage == u1 + u2 == Usage(2, 30, 12, 42, 3, 2, 4)
    assert run.steps[2].usage == Usage()
    assert [s.step_number for s in run.steps] == [1, 2, 3]


def test_records_that_are_not_trace_events_are_skipped() -> None:
    good = {"type": "step", "run_id": "r"}
    assert event_from_record(Record(1, good, 5.0, "other.format")) is None
    assert event_from_record(Record(1, ["not", "a", "dict"], 5.0, TRACE_FORMAT)) is None
    assert event_from_record(Record(1, {"type": "step"}, 5.0, TRACE_FORMAT)) is None
    event = event_from_record(Record(7, good, 5.0, TRACE_FORMAT))
    assert event is not None and event.timestamp == 5.0 and event.agent is None
    assert event.to_dict() == {"seq": 7, "written_at": 5.0, **good}


def test_to_dict_is_plain_json() -> None:
    run = one(
        [
            ev(1, "run_start", query=["item"]),
            ev(2, "step", thinking="t", usage=Usage(1, 1, 1, 2).to_dict()),
            ev(3, "tool_start", call_id="c", name="f", inputs={"a": 1}),
            ev(4, "tool_end", call_id="c", name="f", result="r"),
            ev(5, "run_end", final_response="done"),
        ]
    )
    data = run.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["total_steps"] == 1 and data["status"] == "completed"
    assert data["steps"][0]["tools"][0] == {
        "call_id": "c",
        "name": "f",
        "inputs": {"a": 1},
        "result": "r",
        "error": None,
        "status": "completed",
        "started_at": 1003.0,
        "ended_at": 1004.0,
    }
    assert data["usage"]["total_tokens"] == 2


class _Model:
    def model_dump(self, mode: str) -> dict[str, Any]:
        assert mode == "json"
        return {"kind": "model", "t": (1, 2)}


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")


def test_to_json_value_makes_any_value_storable() -> None:
    nested: list[Any] = []
    cursor = nested
    for _ in range(50):
        cursor.append([])
        cursor = cursor[0]
    value = to_json_value(
        {
            1: float("nan"),
            "b": b"\x00\x01",
            "s": {3},
            "m": _Model(),
            "o": object,
            "u": _Unprintable(),
            "deep": nested,
        }
    )
    json.dumps(value, allow_nan=False)
    assert value["1"] == "nan" and value["b"] == "<2 bytes>" and value["s"] == [3]
    assert value["m"] == {"kind": "model", "t": [1, 2]}
    assert value["u"] == "<unprintable _Unprintable>"
