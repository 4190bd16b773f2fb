"""``purge --idle-for``, ``fork``, ``trim`` and read-only read commands, on every backend."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from sessions_plus.purge import parse_duration, purge_idle
from tests.fixtures.factory import StoreFactory

from .test_commands import cli, lines

IDLE = 1.5


async def test_purge_idle_sessions(
    cross_process_factory: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    store = cross_process_factory()
    for sid in ("old-1", "old-2", "keep:old"):
        await store.append(sid, ["x"])
    await asyncio.sleep(IDLE + 0.5)
    await store.append("fresh", ["y"])
    await store.put_doc("old-2", "touched", True)  # a document write counts as a write
    url = cross_process_factory.url()

    status, out, _ = await cli(capsys, "purge", url, "--idle-for", f"{IDLE}s", "--dry-run")
    report = json.loads(out)
    assert (
        status == 0 and report["dry_run"] and sorted(report["session_ids"]) == ["keep:old", "old-1"]
    )
    assert await store.info("old-1") is not None  # a dry run removes nothing

    status, out, _ = await cli(capsys, "purge", url, "--idle-for", f"{IDLE}s", "--prefix", "old")
    assert status == 0 and json.loads(out)["session_ids"] == ["old-1"]
    status, out, _ = await cli(capsys, "list", url)
    assert sorted(s["session_id"] for s in lines(out)) == ["fresh", "keep:old", "old-2"]


async def test_a_session_written_during_the_sweep_is_never_removed(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    ids = [f"s{n:02d}" for n in range(12)]
    for sid in ids:
        await store.append(sid, ["x"])
    await asyncio.sleep(IDLE + 0.5)
    written_during = {"s03", "s04", "s09"}

    async def progress(info: Any, removed: bool) -> None:
        # After s02, s03's turn comes next (it was listed idle): another writer gets there first.
        following = {"s02": "s03", "s03": "s04", "s08": "s09"}.get(info.session_id)
        if following:
            await store.append(following, ["written during the sweep"])

    report = await purge_idle(store, idle_for=IDLE, progress=progress)
    assert (report.idle, report.purged, report.kept) == (12, 9, 3)
    left = [sid for sid in ids if await store.info(sid) is not None]
    assert set(left) == written_during
    assert await store.read_data("s04") == ["x", "written during the sweep"]


def test_durations() -> None:
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("1d12h") == 36 * 3600
    assert parse_duration("90m") == parse_duration("90min") == 5400
    assert parse_duration("45") == 45 and parse_duration("1.5s") == 1.5
    for bad in ("", "soon", "3x", "-1d", "1d soon"):
        with pytest.raises(ValueError):
            parse_duration(bad)


async def test_fork_and_trim(
    cross_process_factory: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    store = cross_process_factory()
    await store.append("src", [{"n": n} for n in range(1, 11)], format="f", author="a")
    await store.put_doc("src", "state", {"k": 1})
    url = cross_process_factory.url()

    status, out, _ = await cli(capsys, "fork", url, "src", "half", "--upto", "5", "--json")
    assert status == 0 and json.loads(out)["streams"] == {"main": 5}
    assert [r.data["n"] for r in await store.read("half")] == [1, 2, 3, 4, 5]
    assert await store.get_doc("half", "state") == {"k": 1}
    status, _, err = await cli(capsys, "fork", url, "src", "half")
    assert status == 1 and "ConflictError" in err
    assert (await cli(capsys, "fork", url, "src", "half", "--replace"))[0] == 0
    assert await store.last_seq("half") == 10
    status, _, err = await cli(capsys, "fork", url, "nobody", "x")
    assert status == 1 and "SessionNotFoundError" in err

    status, out, _ = await cli(capsys, "trim", url, "src", "--keep-last", "3", "--json")
    assert status == 0 and json.loads(out) == {"trimmed": 7, "session_id": "src", "stream": "main"}
    assert [r.seq for r in await store.read("src")] == [8, 9, 10]
    await store.append("src", [{"n": 11}])
    assert await store.last_seq("src") == 11  # a trimmed seq is never reused
    status, _, err = await cli(capsys, "trim", url, "nobody", "--keep-last", "1")
    assert status == 1 and "SessionNotFoundError" in err


async def test_read_commands_never_create_a_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nonexist.db"
    url = f"sqlite:///{missing}"
    for argv in (
        ["show", url, "x"],
        ["list", url],
        ["info", url, "x"],
        ["export", url, "x"],
        ["tail", url, "x"],
        ["serve", url, "--port", "0"],
        ["migrate", url, f"sqlite:///{tmp_path / 'target.db'}"],
    ):
        status, _, err = await cli(capsys, *argv)
        assert status == 1 and "StoreNotFoundError" in err and str(missing) in err, argv
        assert not missing.exists(), argv
    assert not (tmp_path / "target.db").exists()


async def test_read_commands_on_a_missing_dynamodb_table(
    capsys: pytest.CaptureFixture[str], dynamodb_server: Any
) -> None:
    import boto3

    url = f"dynamodb://no-such-table?region=us-east-1&endpoint_url={dynamodb_server.endpoint_url}"
    for argv in (["list", url], ["show", url, "x"], ["info", url, "x"]):
        status, _, err = await cli(capsys, *argv)
        assert status == 1 and "StoreNotFoundError" in err and "no-such-table" in err, argv
    client = boto3.client(
        "dynamodb", endpoint_url=dynamodb_server.endpoint_url, region_name="us-east-1"
    )
    assert "no-such-table" not in client.list_tables()["TableNames"]
