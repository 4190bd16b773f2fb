"""The ``sessions-plus`` command line, on every backend another process can open."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sessions_plus import SQLiteStore, open_store
from sessions_plus.cli import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE, main
from tests.fixtures.factory import StoreFactory

ROOT = Path(__file__).resolve().parents[2]
SID = "user {1}: héllo"  # braces, colon, space, non-ASCII: ids pass through the shell untouched


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI (its own event loop, as from a shell) and return (status, stdout, stderr)."""
    capsys.readouterr()
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return await asyncio.to_thread(run, capsys, *argv)


def lines(out: str) -> list[Any]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


async def seed(factory: StoreFactory) -> None:
    store = factory()
    await store.append(SID, [{"role": "user", "content": "hi"}], format="openai", author="me")
    await store.append(SID, [{"role": "assistant", "content": "hello"}], format="openai")
    await store.append(SID, [{"n": 1}, {"n": 2}], stream="agent:b", author="b")
    await store.put_doc(SID, "state", {"k": [1, 2]})
    await store.append("other", ["x"])


async def test_list_info_show_delete(
    cross_process_factory: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(cross_process_factory)
    url = cross_process_factory.url()

    status, out, _ = await cli(capsys, "list", url)
    assert status == 0
    listed = {s["session_id"]: s for s in lines(out)}
    assert set(listed) == {SID, "other"}
    assert listed[SID]["streams"] == {"main": 2, "agent:b": 2}
    status, out, _ = await cli(capsys, "list", url, "--limit", "1")
    assert status == 0 and len(lines(out)) == 1

    status, out, _ = await cli(capsys, "info", url, SID)
    info = json.loads(out)
    assert status == 0 and info["docs"] == ["state"] and info["expires_at"] is None

    status, out, _ = await cli(capsys, "show", url, SID)
    records = lines(out)
    assert [r["seq"] for r in records] == [1, 2]
    assert records[0] == {**records[0], "format": "openai", "author": "me"}
    assert [r["data"]["content"] for r in records] == ["hi", "hello"]
    status, out, _ = await cli(capsys, "show", url, SID, "--stream", "agent:b", "--limit", "1")
    assert [r["data"] for r in lines(out)] == [{"n": 2}]

    status, out, err = await cli(capsys, "show", url, "nobody")
    assert status == EXIT_NOT_FOUND and out == "" and "no session 'nobody'" in err
    assert (await cli(capsys, "delete", url, SID))[0] == 0
    assert (await cli(capsys, "delete", url, SID))[0] == EXIT_NOT_FOUND
    assert await cross_process_factory().info(SID) is None


async def test_export_import_round_trip_across_backends(
    cross_process_factory: StoreFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    await seed(cross_process_factory)
    source = cross_process_factory()
    dump = tmp_path / "session.json"
    status, _, _ = await cli(capsys, "export", cross_process_factory.url(), SID, "-o", str(dump))
    assert status == 0

    # Into SQLite (another kind of store), then back into the source under a new id.
    sqlite_url = f"sqlite:///{tmp_path / 'copy.db'}"
    status, out, _ = await cli(capsys, "import", sqlite_url, str(dump))
    assert status == 0 and json.loads(out) == {"imported": SID}
    async with SQLiteStore(tmp_path / "copy.db") as copy:
        await assert_same_session(source, SID, copy, SID)
    status, _, _ = await cli(
        capsys, "import", cross_process_factory.url(), str(dump), "--session-id", "copy"
    )
    assert status == 0
    await assert_same_session(source, SID, source, "copy")

    # An existing target is refused unless --replace; nothing is written on refusal.
    status, _, err = await cli(capsys, "import", sqlite_url, str(dump))
    assert status == EXIT_FAILED and "already exists" in err
    async with SQLiteStore(tmp_path / "copy.db") as copy:
        await copy.append(SID, ["extra"])
    assert (await cli(capsys, "import", sqlite_url, str(dump), "--replace"))[0] == 0
    async with SQLiteStore(tmp_path / "copy.db") as copy:
        await assert_same_session(source, SID, copy, SID)


async def assert_same_session(a: Any, a_id: str, b: Any, b_id: str) -> None:
    info_a, info_b = await a.info(a_id), await b.info(b_id)
    assert info_a is not None and info_b is not None
    assert dict(info_a.streams) == dict(info_b.streams)
    for stream in info_a.streams:
        ra = await a.read(a_id, stream=stream)
        rb = await b.read(b_id, stream=stream)
        assert [(r.seq, r.data, r.format, r.author) for r in ra] == [
            (r.seq, r.data, r.format, r.author) for r in rb
        ]
    assert await a.list_docs(a_id) == await b.list_docs(b_id)
    for name in await a.list_docs(a_id):
        assert await a.get_doc(a_id, name) == await b.get_doc(b_id, name)


def test_import_rejects_what_is_not_an_export(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    bad = tmp_path / "bad.json"
    for document in (
        [],
        {"format": "something-else"},
        {"format": "sessions-plus/export-1", "session": {}, "streams": {}},
        {"format": "sessions-plus/export-1", "session": {"session_id": "s"}, "streams": {"m": [1]}},
    ):
        bad.write_text(json.dumps(document))
        status, _, err = run(capsys, "import", url, str(bad))
        assert status == EXIT_FAILED and "ValueError" in err, document
    bad.write_text("{not json")
    status, _, err = run(capsys, "import", url, str(bad))
    assert status == EXIT_FAILED and "JSONDecodeError" in err


def test_stdin_stdout_pipe_between_two_stores(tmp_path: Path) -> None:
    """``export`` to stdout piped into ``import`` from stdin, as separate processes."""

    async def fill() -> None:
        async with open_store(f"sqlite:///{tmp_path / 'a.db'}") as store:
            await store.append("s", [{"text": "ünïcode ✓"}, [1, 2.5, None, True]])
            await store.put_doc("s", "d", "v")

    asyncio.run(fill())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    exported = subprocess.run(
        [sys.executable, "-m", "sessions_plus", "export", f"sqlite:///{tmp_path / 'a.db'}", "s"],
        capture_output=True,
        check=True,
        env=env,
        cwd=tmp_path,
    )
    imported = subprocess.run(
        [sys.executable, "-m", "sessions_plus", "import", f"sqlite:///{tmp_path / 'b.db'}", "-"],
        input=exported.stdout,
        capture_output=True,
        check=True,
        env=env,
        cwd=tmp_path,
    )
    assert json.loads(imported.stdout) == {"imported": "s"}

    async def check() -> None:
        async with open_store(f"sqlite:///{tmp_path / 'b.db'}") as store:
            assert await store.read_data("s") == [{"text": "ünïcode ✓"}, [1, 2.5, None, True]]
            assert await store.get_doc("s", "d") == "v"

    asyncio.run(check())


def test_purge_and_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    async def fill() -> None:
        async with SQLiteStore(tmp_path / "t.db", ttl=0.05) as store:
            await store.append("gone", ["x"])
        await asyncio.sleep(0.1)

    asyncio.run(fill())
    url = f"sqlite:///{tmp_path / 't.db'}"
    status, out, _ = run(capsys, "purge", url)
    assert status == 0 and json.loads(out) == {"purged": 1}
    assert run(capsys, "list", url)[1] == ""
    assert run(capsys, "list")[0] == EXIT_USAGE
    assert run(capsys, "show", url, "s", "--limit", "0")[0] == EXIT_USAGE
    status, _, err = run(capsys, "list", "nosuchscheme://x")
    assert status == EXIT_FAILED and "unknown store URL scheme" in err


def test_console_script_is_installed() -> None:
    # pip puts scripts beside the interpreter (a venv's or pyenv's bin/); PATH may hold shims.
    beside = Path(sys.executable).parent / "sessions-plus"
    script = str(beside) if beside.exists() else shutil.which("sessions-plus")
    assert script is not None, "pip install -e . installs the sessions-plus command"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    assert "export" in result.stdout and "import" in result.stdout


async def test_export_as_one_sdk_shape(
    cross_process_factory: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    store = cross_process_factory()
    await store.append(
        "mixed",
        [{"role": "user", "content": "What is 2+2?"}],
        format="openai.responses",
    )
    await store.append(
        "mixed",
        [{"message": {"role": "assistant", "content": [{"text": "4"}]}}],
        format="strands.message",
        author="math",
    )
    url = cross_process_factory.url()
    status, out, _ = await cli(capsys, "export", url, "mixed", "--as", "openai")
    items = json.loads(out)
    assert status == 0 and items[0] == {"role": "user", "content": "What is 2+2?"}
    assert items[1]["role"] == "assistant" and "4" in json.dumps(items[1])
    status, out, _ = await cli(capsys, "export", url, "mixed", "--as", "strands")
    messages = json.loads(out)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"][0]["text"] == "What is 2+2?"
    status, _, err = await cli(capsys, "export", url, "nobody", "--as", "openai")
    assert status == EXIT_NOT_FOUND and "no session 'nobody'" in err
