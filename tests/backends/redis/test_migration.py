"""The previous layout: sessions written by its scripts (legacy_lua/, the scripts of the last
release) are read as they are, migrated in place by their first write, or all at once."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis.asyncio as aioredis

from integrations.redis.servers import RedisCluster, RedisServer
from sessions_plus import RedisStore
from sessions_plus.backends.redis.scripts import Script
from tests.fixtures.stores.redis import unique_prefix

_LEGACY = Path(__file__).with_name("legacy_lua")
_TOKENS = itertools.count()


class LegacyWriter:
    """Writes sessions exactly as the previous release did (its scripts and arguments)."""

    def __init__(self, client: Any, prefix: str, *, cluster: bool = False) -> None:
        common = (_LEGACY / "common.lua").read_bytes()
        self.scripts = {
            name: Script(common + b"\n" + (_LEGACY / f"{name}.lua").read_bytes())
            for name in ("splice", "put_doc")
        }
        self.client, self.prefix, self.cluster = client, prefix, cluster

    def _keys(self, sid: str, *more: str) -> list[str]:
        base = f"{self.prefix}:{{{quote(sid, safe='')}}}:"
        keys = [base + "meta", *(base + "log:" + quote(m, safe="") for m in more)]
        return keys if self.cluster else [*keys, f"{self.prefix}:index"]

    async def append(
        self, sid: str, items: list[Any], *, stream: str = "main", ttl_ms: int = 0,
        format: str | None = None, author: str | None = None,
    ) -> int:  # fmt: skip
        header = b"" if format is None and author is None else json.dumps([format, author])
        args = [ttl_ms, sid, stream, header, "", "", f"legacy-{next(_TOKENS)}"]
        args += [json.dumps(item) for item in items]
        first, created = await self.scripts["splice"](self.client, self._keys(sid, stream), args)
        if created and self.cluster:
            await self.client.zadd(f"{self.prefix}:index", {sid: 0}, nx=True)
        return int(first)

    async def put_doc(self, sid: str, name: str, value: Any, *, ttl_ms: int = 0) -> None:
        args = [ttl_ms, sid, name, json.dumps(value), ""]
        await self.scripts["put_doc"](self.client, self._keys(sid), args)


async def _types(client: Any, prefix: str, sid: str, *streams: str) -> list[str]:
    base = f"{prefix}:{{{quote(sid, safe='')}}}:"
    return [(await client.type(base + "log:" + s)).decode() for s in streams]


@pytest.fixture
async def client(redis_server: RedisServer) -> Any:
    raw = aioredis.Redis.from_url(redis_server.url)
    yield raw
    await raw.aclose()


async def _write_old_sessions(old: LegacyWriter) -> None:
    assert await old.append("a", ["u1", "a1"], format="openai.responses", author="bot") == 1
    assert await old.append("a", ["u2"], format="openai.responses", author="bot") == 3
    await old.append("a", [{"step": 1}], stream="trace")
    await old.put_doc("a", "state", {"k": 1})
    await old.append("b", ["x", "y"], ttl_ms=60_000)
    await old.append("c", ["kept"], ttl_ms=60_000)
    await old.put_doc("docs-only", "d", 1)


async def test_every_read_reads_the_previous_layout_and_changes_nothing(
    redis_server: RedisServer, client: Any
) -> None:
    prefix = unique_prefix()
    await _write_old_sessions(LegacyWriter(client, prefix))
    before = time.time()
    async with RedisStore.from_url(redis_server.url, key_prefix=prefix, read_only=True) as ro:
        records = await ro.read("a")
        assert [(r.seq, r.data, r.format, r.author) for r in records] == [
            (1, "u1", "openai.responses", "bot"),
            (2, "a1", "openai.responses", "bot"),
            (3, "u2", "openai.responses", "bot"),
        ]
        assert all(before - 60 < r.created_at <= time.time() + 1 for r in records)
        assert await ro.read_data("a", limit=2) == ["a1", "u2"]
        assert await ro.read_data("a", after=1, limit=1, keep="earliest") == ["a1"]
        assert await ro.read_data("a", before=3) == ["u1", "a1"]
        assert await ro.read_data("a", stream="trace") == [{"step": 1}]
        assert await ro.get_doc("a", "state") == {"k": 1}
        info = await ro.info("a")
        assert info is not None and info.streams == {"main": 3, "trace": 1}
        assert await ro.last_seq("a") == 3
        b = await ro.info("b")
        assert b is not None and b.expires_at is not None
        page = (await ro.list_sessions()).sessions
        assert [i.session_id for i in page] == ["a", "b", "c", "docs-only"]
        assert [i.expires_at is not None for i in page] == [False, True, True, False]
        snapshot = await ro.snapshot("a")
        assert snapshot is not None
        assert [r.data for r in snapshot.streams["main"].records] == ["u1", "a1", "u2"]
        assert snapshot.docs == {"state": {"k": 1}}
    assert await _types(client, prefix, "a", "main", "trace") == ["hash", "hash"]


async def test_the_first_write_migrates_a_session_in_place(
    redis_server: RedisServer, client: Any
) -> None:
    prefix = unique_prefix()
    await _write_old_sessions(LegacyWriter(client, prefix))
    async with RedisStore.from_url(redis_server.url, key_prefix=prefix, ttl=60) as store:
        assert await store.append("a", ["a2"], format="openai.responses") == [4]
        assert await _types(client, prefix, "a", "main", "trace") == ["list", "list"]
        records = await store.read("a")
        assert [(r.seq, r.data, r.author) for r in records] == [
            (1, "u1", "bot"), (2, "a1", "bot"), (3, "u2", "bot"), (4, "a2", None),
        ]  # fmt: skip
        assert await store.read_data("a", stream="trace") == [{"step": 1}]
        base = f"{prefix}:{{a}}:"
        assert await client.exists(base + "req", base + "res") == 0, "old retry keys dropped"
        popped = await store.pop("b")  # a pop migrates too
        assert popped is not None and (popped.seq, popped.data) == (2, "y")
        assert await store.trim("b", keep_last=0) == 1
        assert await store.append("b", ["z"]) == [2]
        assert await store.put_doc("docs-only", "d", 2) is True
        assert await store.get_doc("docs-only", "d") == 2

        # migrate_layout moves the rest now, keeping their TTL; then there is nothing left.
        pttl = await client.pttl(base.replace("{a}", "{c}") + "log:main")
        assert await store.migrate_layout() == 1
        assert await _types(client, prefix, "c", "main") == ["list"]
        after = await client.pttl(base.replace("{a}", "{c}") + "log:main")
        assert 0 < after <= pttl
        assert await store.read_data("c") == ["kept"]
        assert await store.migrate_layout() == 0
        info = await store.info("c")
        assert info is not None and info.expires_at is not None


async def test_a_cluster_session_of_the_previous_layout(redis_cluster: RedisCluster) -> None:
    from redis.asyncio.cluster import RedisCluster as ClusterClient

    prefix = unique_prefix()
    client = ClusterClient(host="127.0.0.1", port=redis_cluster.port)
    try:
        old = LegacyWriter(client, prefix, cluster=True)
        await old.append("a", ["one", "two"])
        await old.append("a", ["t"], stream="trace")
        async with RedisStore.from_url(redis_cluster.url, key_prefix=prefix) as store:
            assert await store.read_data("a", limit=1) == ["two"]
            assert await store.append("a", ["three"]) == [3]
            assert await store.read_data("a") == ["one", "two", "three"]
            assert await store.read_data("a", stream="trace") == ["t"]
            assert [i.session_id for i in (await store.list_sessions()).sessions] == ["a"]
    finally:
        await client.aclose()


async def test_a_migrated_session_keeps_one_deadline_for_every_key(
    redis_server: RedisServer, client: Any
) -> None:
    prefix = unique_prefix()
    old = LegacyWriter(client, prefix)
    await old.append("t", ["x"], ttl_ms=30_000)
    await old.put_doc("t", "d", 1, ttl_ms=30_000)
    async with RedisStore.from_url(redis_server.url, key_prefix=prefix, ttl=60) as store:
        await store.append("t", ["y"])  # migrates, then slides every key to 60 s
        base = f"{prefix}:{{t}}:"
        pttls = [await client.pttl(base + k) for k in ("meta", "docs", "log:main")]
        assert all(59_000 < ms <= 60_000 for ms in pttls), pttls
