"""``migrate``: whole sessions between any two stores, resumable, verified."""

from __future__ import annotations

import asyncio
import contextlib

from sessions_plus import ConversationStore, MemoryStore
from sessions_plus.migrate import fingerprint, migrate
from tests.fixtures.factory import StoreFactory


async def seed(store: ConversationStore, sessions: int = 6, prefix: str = "s") -> None:
    for n in range(sessions):
        sid = f"{prefix}{n:02d}"
        await store.append(
            sid,
            [{"role": "user", "content": f"hello {n}"}, {"role": "assistant", "content": "hi"}],
            format="openai.responses",
            author="bot",
        )
        await store.append(sid, [{"n": i} for i in range(n)] or [{"n": -1}], stream="agent:x")
        await store.put_doc(sid, "state", {"n": n, "nested": [1, {"a": None}]})
    await store.append(f"{prefix}00", ["a", "b", "c", "d"], stream="trimmed")
    await store.trim(f"{prefix}00", stream="trimmed", keep_last=1)  # seqs 4..4 remain
    await store.append(f"{prefix}01", ["gone"], stream="emptied")
    await store.trim(f"{prefix}01", stream="emptied", keep_last=0)  # empty, remembers last=1


async def assert_same(source: ConversationStore, target: ConversationStore, ids: list[str]) -> None:
    for sid in ids:
        a, b = await source.snapshot(sid), await target.snapshot(sid)
        assert a is not None and b is not None, sid
        assert fingerprint(a) == fingerprint(b), sid
        assert b.created_at == a.created_at or abs(b.created_at - a.created_at) < 1e-3
        for name, stream in a.streams.items():
            times = [round(r.created_at, 3) for r in stream.records]
            assert [round(r.created_at, 3) for r in b.streams[name].records] == times


async def test_every_backend_to_another_store_and_back(store_factory: StoreFactory) -> None:
    source = store_factory()
    await seed(source)
    ids = [f"s{n:02d}" for n in range(6)]
    async with MemoryStore() as copy:
        report = await migrate(source, copy, workers=3, verify=True)
        assert (report.listed, report.count("copied"), report.ok) == (6, 6, True)
        assert all(r.verified for r in report.results)
        await assert_same(source, copy, ids)
        trimmed = (await copy.snapshot("s00")).streams["trimmed"]  # type: ignore[union-attr]
        assert (trimmed.first, trimmed.last, [r.data for r in trimmed.records]) == (4, 4, ["d"])
        assert await copy.last_seq("s01", stream="emptied") == 1

        back = store_factory() if store_factory.shared else source  # another store object
        await back.delete("s00")
        await back.delete("s03")
        report = await migrate(copy, back, resume=True, prefix="s0")
        assert (report.count("copied"), report.count("skipped"), report.ok) == (2, 4, True)
        await assert_same(copy, back, ids)


async def test_existing_sessions_conflict_unless_resume(store_factory: StoreFactory) -> None:
    target = store_factory()
    async with MemoryStore() as source:
        await seed(source, sessions=4)
        first = await migrate(source, target, prefix="s00")
        assert first.count("copied") == 1
        await target.append("s01", ["partial copy"])  # as a non-atomic backend could leave it
        await target.append("s02", [{"role": "user", "content": "hello 2"}])  # differs too

        again = await migrate(source, target)
        assert (again.count("conflict"), again.count("copied"), again.ok) == (3, 1, False)
        assert await target.read_data("s01") == ["partial copy"]  # left alone without --resume

        resumed = await migrate(source, target, resume=True, verify=True)
        assert resumed.ok and resumed.count("skipped") == 2 and resumed.count("replaced") == 2
        await assert_same(source, target, [f"s{n:02d}" for n in range(4)])


async def test_expired_sessions_are_not_copied(store_factory: StoreFactory) -> None:
    source = store_factory(ttl=1.0)
    await source.append("old", ["x"])
    await asyncio.sleep(2.0)
    await source.append("fresh", ["y"])
    async with MemoryStore() as target:
        report = await migrate(source, target)
        assert [r.session_id for r in report.results] == ["fresh"]
        assert await target.info("old") is None
        assert await target.read_data("fresh") == ["y"]


async def test_cancelled_half_way_then_resumed(store_factory: StoreFactory) -> None:
    """Ctrl-C (a cancelled run) half way: every session in the target is whole, and the resumed
    run copies each of the others once."""
    total = store_factory.scaled(400, 120, 40)
    source = store_factory()
    for n in range(total):
        await source.append(f"u{n:04d}", [{"n": n}, {"m": n}], format="f")
    async with MemoryStore() as target:
        done = 0

        def on_session(result: object) -> None:
            nonlocal done
            done += 1
            if done == total // 3:
                run.cancel()  # as Ctrl-C does: in-flight copies stop at their next await

        run = asyncio.create_task(migrate(source, target, workers=4, on_session=on_session))
        with contextlib.suppress(asyncio.CancelledError):
            await run
        copied = (await target.list_sessions(limit=1000)).sessions
        assert total // 3 <= len(copied) < total
        for info in copied:  # whole or not at all
            a, b = await source.snapshot(info.session_id), await target.snapshot(info.session_id)
            assert a is not None and b is not None and fingerprint(a) == fingerprint(b)

        resumed = await migrate(source, target, workers=4, resume=True, verify=True)
        assert (resumed.count("skipped"), resumed.count("replaced")) == (len(copied), 0)
        assert resumed.count("copied") == total - len(copied) and resumed.ok
        assert len((await target.list_sessions(limit=1000)).sessions) == total
