"""Connection storms on every backend: 1,000 concurrent calls on one store object, default
settings, all succeed (a burst of web requests is served, not refused), nothing lost.

Redis also checks the server's client count after ``aclose()`` (tests/backends/redis/test_pool.py).
"""

from __future__ import annotations

import asyncio
import collections

import pytest

from tests.fixtures.factory import StoreFactory

pytestmark = pytest.mark.slow

STORM = 1000
SESSIONS = 20


async def test_1000_concurrent_calls_on_one_store_all_succeed(store_factory: StoreFactory) -> None:
    store = store_factory()
    errors: collections.Counter[str] = collections.Counter()

    async def call(i: int) -> None:
        sid = f"storm-{i % SESSIONS}"
        try:
            match i % 5:
                case 0 | 1:
                    await store.append(sid, [{"i": i}])
                case 2:
                    await store.read(sid, limit=5)
                case 3:
                    await store.info(sid)
                case _:
                    await store.put_doc(sid, "state", {"i": i})
        except Exception as exc:
            errors[f"{type(exc).__name__}: {exc}"] += 1

    await asyncio.wait_for(asyncio.gather(*(call(i) for i in range(STORM))), 600)
    assert not errors, errors.most_common(3)
    appended = []
    for n in range(SESSIONS):
        records = await store.read(f"storm-{n}")
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        appended += [r.data["i"] for r in records]
    assert sorted(appended) == [i for i in range(STORM) if i % 5 in (0, 1)]
    await store.aclose()
