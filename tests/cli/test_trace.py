"""``sessions-plus trace``: runs recorded by the trace recorder, as a tree or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessions_plus import SQLiteStore
from sessions_plus.traces import TraceRecorder

from .helpers import Tmux, console_script
from .test_commands import cli


async def record(path: Path) -> str:
    async with SQLiteStore(path) as store:
        await store.append("chat", [{"role": "user", "content": "2+2?"}])
        recorder = TraceRecorder(store, "chat", sdk="openai-agents", linger=0)
        run = recorder.start_run("Math", "What is 2+2?", run_id="run-1")
        run.step("Math", thinking="add them")
        run.tool_start("Math", "call-1", "add", {"a": 2, "b": 2})
        run.tool_end("Math", "call-1", "add", result=4)
        run.end("Math", final_response="4")
        await run.flush()
    return f"sqlite:///{path}"


async def test_trace_as_json_and_on_a_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = await record(tmp_path / "t.db")
    status, out, err = await cli(capsys, "trace", url, "chat", "--json")
    assert status == 0, err
    (run,) = json.loads(out)
    assert (run["run_id"], run["query"], run["final_response"]) == ("run-1", "What is 2+2?", "4")
    assert run["steps"][0]["tools"][0]["name"] == "add"
    status, out, _ = await cli(capsys, "trace", url, "chat", "--run", "nope")
    assert status == 3
    status, _, err = await cli(capsys, "trace", url, "nobody")
    assert status == 3 and "no session 'nobody'" in err

    screen = Tmux().run(f"{console_script()} trace {url} chat")
    assert "Run run-1" in screen and "add" in screen and "What is 2+2?" in screen
