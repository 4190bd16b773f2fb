"""Key names: hostile ids never collide or leave their hash tag."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.crc import key_slot

from tests.fixtures.factory import StoreFactory

from .helpers import KEY_CHARS

HOSTILE = [
    "a", "A", "a:b", "a}b", "{a}", "a{b", "}", "{", "{}", ":", "*", "a*", "?", "[a]", "\\",
    " ", "a b", "é", "日本語", "\x00", "\n", "%41", "a%", "%", "a:meta", "a}:meta", "x}:{y",
    "sessions_plus:{a}:meta", "-", "~", ".", "a\tb", "🙂",
]  # fmt: skip


async def test_hostile_ids_never_collide_or_escape_their_hash_tag(
    any_factory: StoreFactory,
) -> None:
    prefix = any_factory.url().split("key_prefix=")[1]
    store = any_factory()
    for sid in HOSTILE:
        await store.append(sid, [sid], stream=f"s/{sid}")
        await store.put_doc(sid, sid, sid)
    for sid in HOSTILE:
        assert [r.data for r in await store.read(sid, stream=f"s/{sid}")] == [sid]
        assert await store.get_doc(sid, sid) == sid
        info = await store.info(sid)
        assert info is not None and dict(info.streams) == {f"s/{sid}": 1}
    page = await store.list_sessions(limit=1000)
    assert [i.session_id for i in page.sessions] == sorted(HOSTILE)

    url = any_factory.url().split("?")[0]
    cluster = "+cluster" in url
    client: Any = (
        AsyncRedisCluster.from_url(url.replace("redis+cluster", "redis"))
        if cluster
        else aioredis.Redis.from_url(url)
    )
    try:
        pattern = f"{prefix}:*"
        if cluster:
            keys = [k async for k in client.scan_iter(match=pattern, target_nodes="primaries")]
        else:
            keys = [k async for k in client.scan_iter(match=pattern)]
    finally:
        await client.aclose()
    shape = re.compile(
        rf"^{prefix}:(index|expiry|\{{({KEY_CHARS})\}}:(meta|docs|tok|log:{KEY_CHARS}))$"
    )
    tags: dict[str, set[str]] = {}
    for key in map(bytes.decode, keys):
        match = shape.match(key)
        assert match, key
        if match.group(2):
            tags.setdefault(match.group(2), set()).add(key)
    assert set(tags) == {quote(sid, safe="") for sid in HOSTILE}
    for tag, members in tags.items():
        assert {key_slot(k.encode()) for k in members} == {key_slot(tag.encode())}
        assert len(members) == 4  # meta, docs, tokens (of the append) and the one stream
