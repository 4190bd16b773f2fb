"""TTL: one deadline on every key of a session, slid by writes (and reads if asked)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from tests.fixtures.factory import StoreFactory

from .helpers import S, session_keys, tokens_key


async def test_ttl_slides_on_every_key_and_the_session_goes_at_once(
    factory: StoreFactory, raw: aioredis.Redis
) -> None:
    prefix = factory.url().split("key_prefix=")[1]
    store = factory(ttl=1.5)
    reader = factory(ttl=1.5, refresh_on_read=True)
    keys = session_keys(prefix, S, "main", "side")

    async def pttls() -> list[int]:
        return [await raw.pttl(key) for key in keys]

    await store.append(S, ["a"])
    await store.append(S, ["b"], stream="side")
    await store.put_doc(S, "doc", 1)
    first = await pttls()
    assert all(0 < ms <= 1500 for ms in first), first
    assert max(first) - min(first) < 100, "one deadline for every key"

    await asyncio.sleep(0.4)
    await store.read(S)  # a plain read does not slide
    assert all(ms <= 1100 for ms in await pttls())
    await reader.read(S, limit=1)  # refresh_on_read slides every key, other streams too
    assert all(ms > 1200 for ms in await pttls())
    await asyncio.sleep(0.4)
    await store.pop(S, stream="side")  # a write slides
    await store.append(S, ["c"], stream="side")
    assert all(ms > 1200 for ms in await pttls())
    info = await store.info(S)
    assert info is not None and info.expires_at is not None

    # Watch the session expire: one EXISTS over all its keys is always all or nothing.
    counts = set()
    for _ in range(400):
        count = await raw.exists(*keys)
        counts.add(count)
        if count == 0:
            break
        await asyncio.sleep(0.01)
    assert counts == {len(keys), 0}, counts
    assert await store.info(S) is None
    assert await store.append(S, ["fresh"]) == [1]
    assert await raw.pttl(keys[0]) > 0


async def test_the_tokens_of_recent_writes_expire_on_their_own(
    factory: StoreFactory, raw: aioredis.Redis
) -> None:
    """An idle session keeps no retry tokens: they expire minutes after its last write, with
    or without a TTL, and are not part of its data."""
    prefix = factory.url().split("key_prefix=")[1]
    for ttl in (None, 1.0):
        sid = f"tokens-{ttl}"
        store = factory(ttl=ttl)
        for n in range(40):
            await store.append(sid, [n])
        key = tokens_key(prefix, sid)
        assert 240_000 < await raw.pttl(key) <= 300_000
        tokens = await raw.hkeys(key)
        assert 16 <= len(tokens) - 2 <= 32  # the last 16-32 writes, plus w and e
    await asyncio.sleep(1.2)  # the TTL'd session expired, its tokens are still there
    assert await raw.exists(tokens_key(prefix, "tokens-1.0")) == 1
    assert await factory(ttl=1.0).append("tokens-1.0", ["new"]) == [1]  # unique: harmless
    assert 0 < await raw.pttl(tokens_key(prefix, "tokens-1.0")) <= 300_000


async def test_no_ttl_persists_every_key(factory: StoreFactory, raw: aioredis.Redis) -> None:
    prefix = factory.url().split("key_prefix=")[1]
    await factory(ttl=60).append(S, ["a"])
    await factory(ttl=60).put_doc(S, "d", 1)
    await factory().append(S, ["b"])  # ttl=None: the session stops expiring, every key of it
    assert [await raw.pttl(k) for k in session_keys(prefix, S, "main")] == [-1] * 3
