"""Write tokens: a write redis-py re-sends after a lost reply is applied once."""

from __future__ import annotations

import redis.asyncio as aioredis

from tests.fixtures.factory import StoreFactory

from .helpers import S


async def test_a_retried_write_is_applied_once(factory: StoreFactory, raw: aioredis.Redis) -> None:
    """A call redis-py re-sends (reply lost) replays its first result instead of writing again."""
    store = factory()
    await store.append(S, ["first"])
    script = store._scripts["splice"]  # type: ignore[attr-defined]
    conn = await store._conn()  # type: ignore[attr-defined]
    keys = store._keys(conn, S, "main")  # type: ignore[attr-defined]
    args = ["0", S, "main", b"", "", "", "token-1", b'"twice?"']
    assert await script(raw, keys, args) == [2, 0]
    assert await script(raw, keys, args) == [2, 0]  # the retry
    assert [r.data for r in await store.read(S)] == ["first", "twice?"]
    pop = store._scripts["pop"]  # type: ignore[attr-defined]
    first = await pop(raw, keys, ["0", S, "main", "token-2"])
    assert await pop(raw, keys, ["0", S, "main", "token-2"]) == first
    assert [r.data for r in await store.read(S)] == ["first"]
