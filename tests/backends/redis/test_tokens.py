"""Write tokens: a write redis-py re-sends after a lost reply is applied once."""

from __future__ import annotations

import redis.asyncio as aioredis

from sessions_plus import RedisStore
from tests.fixtures.factory import StoreFactory

from .helpers import S


async def test_a_retried_write_is_applied_once(factory: StoreFactory, raw: aioredis.Redis) -> None:
    """A call redis-py re-sends (reply lost) replays its first result instead of writing again."""
    store = factory()
    assert isinstance(store, RedisStore)
    await store.append(S, ["first"])
    calls = store._calls
    conn = await store._conn()
    keys, args = calls.frame(conn, S, ["main"], [b"", "", "", "token-1", "", b'"twice?"'])
    assert await calls.library["splice"].script(raw, keys, args) == [2, 0, 0]
    assert await calls.library["splice"].script(raw, keys, args) == [2, 0, 0]  # the retry
    assert [r.data for r in await store.read(S)] == ["first", "twice?"]
    keys, args = calls.frame(conn, S, ["main"], ["token-2"])
    first = await calls.library["pop"].script(raw, keys, args)
    assert first[:2] == [2, b"2 " + first[1].split(b" ", 2)[1] + b' \n"twice?"']
    assert (await calls.library["pop"].script(raw, keys, args))[:2] == first[:2]
    assert [r.data for r in await store.read(S)] == ["first"]
