"""``sessions-plus migrate`` from a shell: summary, JSON, and killed half way then resumed."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from sessions_plus import SQLiteStore
from sessions_plus.migrate import fingerprint
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import child_env

SESSIONS = 2000


async def fill(path: Path, sessions: int) -> None:
    async with SQLiteStore(path) as store:
        sem = asyncio.Semaphore(16)

        async def one(n: int) -> None:
            async with sem:
                sid = f"user-{n:05d}"
                await store.append(sid, [{"role": "user", "content": f"q{n}"}, {"a": n}])
                await store.put_doc(sid, "meta", {"n": n})

        await asyncio.gather(*(one(n) for n in range(sessions)))


def migrate_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sessions_plus", "migrate", *args]


async def test_migrate_json_summary_on_every_backend(
    cross_process_factory: StoreFactory, tmp_path: Path
) -> None:
    source = tmp_path / "source.db"
    await fill(source, 12)
    url = f"sqlite:///{source}"
    result = await asyncio.to_thread(
        subprocess.run,
        migrate_command(url, cross_process_factory.url(), "--verify", "--workers", "4", "--json"),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["listed"], report["copied"], report["verified"], report["ok"]) == (
        12,
        12,
        12,
        True,
    )
    target = cross_process_factory()
    assert await target.read_data("user-00007") == [{"role": "user", "content": "q7"}, {"a": 7}]

    again = await asyncio.to_thread(
        subprocess.run,
        migrate_command(url, cross_process_factory.url(), "--json"),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=300,
    )
    assert again.returncode == 1 and json.loads(again.stdout)["conflict"] == 12


async def test_killed_half_way_then_resumed_copies_each_session_once(tmp_path: Path) -> None:
    source_path, target_path = tmp_path / "source.db", tmp_path / "target.db"
    await fill(source_path, SESSIONS)
    src, dst = f"sqlite:///{source_path}", f"sqlite:///{target_path}"
    process = subprocess.Popen(
        migrate_command(src, dst, "--workers", "2"),
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        copied = 0
        deadline = time.monotonic() + 300
        while copied < SESSIONS // 10 and time.monotonic() < deadline and process.poll() is None:
            await asyncio.sleep(0.05)
            copied = await count(target_path) if target_path.exists() else 0
        assert process.poll() is None, "migrate finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    partial = await count(target_path)
    assert 0 < partial < SESSIONS  # really killed half way

    resumed = await asyncio.to_thread(
        subprocess.run,
        migrate_command(src, dst, "--resume", "--verify", "--json"),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    # SQLite restores a session atomically: every session the kill left in the target is
    # whole (skipped as identical), none is partial (replaced), the rest are copied once.
    assert (report["skipped"], report["replaced"]) == (partial, 0)
    assert report["copied"] == SESSIONS - partial
    assert report["verified"] == SESSIONS and report["mismatched"] == 0

    async with SQLiteStore(source_path) as source, SQLiteStore(target_path) as target:
        assert await count(target_path) == SESSIONS
        for n in range(0, SESSIONS, 97):
            sid = f"user-{n:05d}"
            a, b = await source.snapshot(sid), await target.snapshot(sid)
            assert a is not None and b is not None and fingerprint(a) == fingerprint(b)
            assert (await target.info(sid)).item_count == 2  # type: ignore[union-attr]


async def count(path: Path) -> int:
    async with SQLiteStore(path) as store:
        total, cursor = 0, None
        while True:
            page = await store.list_sessions(limit=1000, cursor=cursor)
            total += len(page.sessions)
            cursor = page.next_cursor
            if cursor is None:
                return total
