"""``tail`` on every backend other processes can open; ``--follow`` sees their appends."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import child_env

from .test_commands import cli, lines


async def test_tail_shows_the_latest_records(
    cross_process_factory: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    store = cross_process_factory()
    await store.append("t", [{"role": "user", "content": f"m{n}"} for n in range(1, 6)])
    status, out, _ = await cli(capsys, "tail", cross_process_factory.url(), "t", "-n", "2")
    assert status == 0 and [r["data"]["content"] for r in lines(out)] == ["m4", "m5"]
    status, _, err = await cli(capsys, "tail", cross_process_factory.url(), "nobody")
    assert status == 3 and "no session 'nobody'" in err


async def test_follow_prints_what_other_processes_append(
    cross_process_factory: StoreFactory,
) -> None:
    store = cross_process_factory()
    await store.append("f", [{"role": "user", "content": "before"}])
    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sessions_plus",
        "tail",
        cross_process_factory.url(),
        "f",
        "--follow",
        "--json",
        "--interval",
        "0.1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(),
    )
    try:
        assert tail.stdout is not None
        first = json.loads(await asyncio.wait_for(tail.stdout.readline(), 60))
        assert first["data"]["content"] == "before" and first["seq"] == 1
        writer = cross_process_factory.open()  # this process writes; tail runs in another
        await writer.append("f", [{"role": "assistant", "content": "a"}], author="bot")
        await writer.append(
            "f", [{"role": "user", "content": "b"}, {"role": "user", "content": "c"}]
        )
        got = [json.loads(await asyncio.wait_for(tail.stdout.readline(), 60)) for _ in range(3)]
        assert [(r["seq"], r["data"]["content"]) for r in got] == [(2, "a"), (3, "b"), (4, "c")]
        assert got[0]["author"] == "bot"
        await writer.clear("f")  # a cleared stream: what is appended next still shows up
        await writer.append("f", [{"role": "user", "content": "after clear"}])
        again = json.loads(await asyncio.wait_for(tail.stdout.readline(), 60))
        assert (again["seq"], again["data"]["content"]) == (1, "after clear")
    finally:
        tail.terminate()
        await tail.wait()
