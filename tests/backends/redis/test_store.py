"""Redis-specific behaviour of RedisStore, checked on the real servers (tests/backends/redis.py).

The shared contract (including 32 concurrent tasks and 4 processes on one session) runs in
tests/test_conformance.py on both Redis backends; this file checks what only Redis has: commands
per operation counted by the server (MONITOR), the key layout and hash tags, TTL on every key,
the script cache, outages, listing without SCAN, client ownership and event loops.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.crc import key_slot

from integrations.redis.servers import RedisCluster, RedisServer
from sessions_plus import (
    ConfigurationError,
    ConversationStore,
    RedisStore,
    StoreUnavailableError,
    open_store,
)
from sessions_plus.backends.redis.store import escape
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python
from tests.fixtures.stores.redis import unique_prefix

S = "session-1"
KEY_CHARS = r"[A-Za-z0-9_.~%-]+"


def stats(server_command: Callable[..., bytes], section: str = "commandstats") -> dict[str, int]:
    """``INFO commandstats`` as {command: calls}."""
    text = server_command("INFO", section).decode()
    calls: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
        if match:
            calls[match.group(1)] = int(match.group(2))
    return calls


class Monitor:
    """Every command clients send to one server, from its MONITOR stream (scripts' inner calls,
    tagged ``lua``, are left out)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def __aenter__(self) -> Monitor:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(b"MONITOR\r\n")
        assert await self.reader.readline() == b"+OK\r\n"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    async def commands(self) -> list[str]:
        """Names of the commands sent since the last call (ends at a marker ECHO we send)."""
        marker = uuid.uuid4().hex
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(f"ECHO {marker}\r\n".encode())
        await reader.readline()
        writer.close()
        names: list[str] = []
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 10)).decode()
            if marker in line:
                return names
            if "lua]" in line:
                continue
            match = re.search(r'\] "([^"]+)"', line)
            if match:
                names.append(match.group(1).upper())


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def factory(redis_store_factory: StoreFactory) -> StoreFactory:
    return redis_store_factory


@pytest.fixture(params=["redis", "redis-cluster"])
def any_factory(request: pytest.FixtureRequest) -> StoreFactory:
    name = "redis_store_factory" if request.param == "redis" else "redis_cluster_store_factory"
    factory: StoreFactory = request.getfixturevalue(name)
    return factory


@pytest.fixture(scope="module")
def own_server() -> Iterator[RedisServer]:
    """A private server this module may flush, stop and restart."""
    with RedisServer() as server:
        yield server


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


def session_keys(prefix: str, session_id: str, *streams: str) -> list[str]:
    base = f"{prefix}:{{{escape(session_id)}}}:"
    return [base + "meta", base + "docs", base + "req", base + "res"] + [
        base + "log:" + escape(stream) for stream in streams
    ]


# ---------------------------------------------------------------------------- round trips


async def test_every_operation_is_one_command(redis_server: RedisServer) -> None:
    store = RedisStore.from_url(redis_server.url, key_prefix=unique_prefix(), ttl=60)
    ops: dict[str, Callable[[], Awaitable[Any]]] = {
        "append": lambda: store.append(S, [{"a": 1}, {"b": 2}]),
        "read latest-N": lambda: store.read(S, limit=2),
        "read all": lambda: store.read(S),
        "read range": lambda: store.read(S, after=1, limit=1, keep="earliest"),
        "last_seq": lambda: store.last_seq(S),
        "pop": lambda: store.pop(S),
        "replace": lambda: store.replace(S, 1, {"r": 1}),
        "splice": lambda: store.splice(S, 1, ["x", "y"]),
        "put_doc": lambda: store.put_doc(S, "d", {"v": 1}),
        "get_doc": lambda: store.get_doc(S, "d"),
        "list_docs": lambda: store.list_docs(S),
        "delete_doc": lambda: store.delete_doc(S, "d"),
        "info": lambda: store.info(S),
        "list_sessions": lambda: store.list_sessions(limit=10),
        "purge_expired": lambda: store.purge_expired(),
        "clear": lambda: store.clear(S),
        "delete": lambda: store.delete(S),
    }
    async with store:
        for op in ops.values():  # connect and load every script once
            await op()
        async with Monitor(redis_server.host, redis_server.port) as monitor:
            await monitor.commands()
            for name, op in ops.items():
                await op()
                assert await monitor.commands() == ["EVALSHA"], name


async def test_cluster_operations_are_one_command_after_the_first_write(
    redis_cluster: RedisCluster,
) -> None:
    store = RedisStore.from_url(redis_cluster.url, key_prefix=unique_prefix())
    monitors = [Monitor("127.0.0.1", port) for port in redis_cluster.ports]
    async with store:
        await store.append(S, ["warm-up"])  # connect to the nodes, load the scripts
        await store.read(S, limit=1)
        await store.pop(S)
        await store.delete(S)
        for m in monitors:
            await m.__aenter__()
        try:

            async def sent() -> list[str]:
                return [c for m in monitors for c in await m.commands()]

            await sent()
            await store.append(S, ["a"])  # creates the session: script + ZADD to the index
            assert sorted(await sent()) == ["EVALSHA", "ZADD"]
            for op in (
                lambda: store.append(S, ["b"]),
                lambda: store.read(S, limit=1),
                lambda: store.pop(S),
            ):
                await op()
                assert await sent() == ["EVALSHA"]
        finally:
            for m in monitors:
                await m.__aexit__()


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


# ---------------------------------------------------------------------------- concurrency

CHILD = """
import asyncio, json, sys
from sessions_plus import open_store

async def main(url, sid, writer):
    store = open_store(url)
    out = []
    for b in range(8):
        items = [{"w": writer, "b": b, "k": 0}, {"w": writer, "b": b, "k": 1}]
        out.append(await store.append(sid, items))
    await store.aclose()
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


async def test_tasks_and_processes_append_at_once(any_factory: StoreFactory) -> None:
    """32 tasks on two stores and 4 processes write one session at the same time."""
    sid = "shared {conversation}: é"
    procs = [await start_python(CHILD, any_factory.url(), sid, f"p{n}") for n in range(4)]
    stores = [any_factory(), any_factory()]
    expected: dict[str, list[Any]] = {}
    assigned: dict[int, Any] = {}

    async def task(index: int) -> None:
        name = f"t{index}"
        expected[name] = []
        for b in range(4):
            items = [{"w": name, "b": b, "k": k} for k in range(1 + (index + b) % 3)]
            seqs = await stores[index % 2].append(sid, items)
            assert seqs == list(range(seqs[0], seqs[0] + len(items)))
            for seq, item in zip(seqs, items, strict=True):
                assert seq not in assigned
                assigned[seq] = item
            expected[name] += items

    await asyncio.gather(*(task(i) for i in range(32)))
    for n, proc in enumerate(procs):
        out = await output_of(proc)
        name = f"p{n}"
        expected[name] = []
        for b, seqs in enumerate(json.loads(out)):
            items = [{"w": name, "b": b, "k": 0}, {"w": name, "b": b, "k": 1}]
            assert seqs == [seqs[0], seqs[0] + 1]
            for seq, item in zip(seqs, items, strict=True):
                assert seq not in assigned
                assigned[seq] = item
            expected[name] += items
    records = await stores[0].read(sid)
    assert [r.seq for r in records] == list(range(1, len(assigned) + 1))
    assert all(r.data == assigned[r.seq] for r in records)
    for name, items in expected.items():
        assert [r.data for r in records if r.data["w"] == name] == items, name


# ---------------------------------------------------------------------------- TTL


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


async def test_no_ttl_persists_every_key(factory: StoreFactory, raw: aioredis.Redis) -> None:
    prefix = factory.url().split("key_prefix=")[1]
    await factory(ttl=60).append(S, ["a"])
    await factory(ttl=60).put_doc(S, "d", 1)
    await factory().append(S, ["b"])  # ttl=None: the session stops expiring, every key of it
    assert [await raw.pttl(k) for k in session_keys(prefix, S, "main")] == [-1] * 5


# ---------------------------------------------------------------------------- outages


async def test_script_cache_flush_and_restart_are_invisible(own_server: RedisServer) -> None:
    store = RedisStore.from_url(own_server.url, key_prefix=unique_prefix())
    async with store:
        assert await store.append(S, ["a"]) == [1]
        own_server.command("SCRIPT", "FLUSH")
        own_server.command("CONFIG", "RESETSTAT")
        assert await store.append(S, ["b"]) == [2]
        calls = stats(own_server.command)
        assert calls.get("eval") == 1, calls  # NOSCRIPT answered by EVAL, which caches it
        assert await store.append(S, ["c"]) == [3]
        assert stats(own_server.command).get("evalsha") == 2

        own_server.restart()  # empty: no data, no scripts, stale pooled connections
        assert await store.read(S) == []
        assert await store.append(S, ["after restart"]) == [1]


async def test_server_down_raises_store_unavailable_then_recovers(own_server: RedisServer) -> None:
    store = RedisStore.from_url(own_server.url, key_prefix=unique_prefix(), socket_timeout=2)
    async with store:
        await store.append(S, ["a"])
        own_server.stop()
        try:
            for call in (store.append(S, ["b"]), store.read(S), store.list_sessions()):
                with pytest.raises(StoreUnavailableError):
                    await asyncio.wait_for(call, 30)  # a hang guard, not a timing assertion
        finally:
            own_server.start()
        assert await store.append(S, ["back"]) == [1]  # same store object, new server


# ---------------------------------------------------------------------------- keys and ids

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
        rf"^{prefix}:(index|expiry|\{{({KEY_CHARS})\}}:(meta|docs|req|res|log:{KEY_CHARS}))$"
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
        assert len(members) == 5  # meta, docs, req, res and the one stream


# ---------------------------------------------------------------------------- listing


async def test_listing_uses_the_index_not_scan(
    factory: StoreFactory, redis_server: RedisServer, raw: aioredis.Redis
) -> None:
    prefix = factory.url().split("key_prefix=")[1]
    store = factory()
    short = factory(ttl=1.0)  # long enough for a slow machine to list them all before expiry
    for n in range(12):
        await store.append(f"s{n:02}", [n])
    for n in range(5):
        await short.append(f"gone{n}", [n])
    redis_server.command("CONFIG", "RESETSTAT")
    seen = []
    cursor = None
    while True:
        page = await store.list_sessions(limit=5, cursor=cursor)
        seen += [i.session_id for i in page.sessions]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted([f"s{n:02}" for n in range(12)] + [f"gone{n}" for n in range(5)])
    calls = stats(redis_server.command)
    assert "scan" not in calls and "keys" not in calls, calls

    await asyncio.sleep(1.2)
    assert await raw.zcard(f"{prefix}:index") == 17
    assert await store.purge_expired() == 0  # Redis removed the data itself
    assert await raw.zcard(f"{prefix}:index") == 12
    assert await raw.zcard(f"{prefix}:expiry") == 0
    for n in range(3):
        await short.append(f"late{n}", [n])
    await asyncio.sleep(1.2)
    assert [i.session_id for i in (await store.list_sessions()).sessions] == [
        f"s{n:02}" for n in range(12)
    ]
    assert await raw.zcard(f"{prefix}:index") == 12, "listing drops expired entries it meets"
    assert "scan" not in stats(redis_server.command)


async def test_cluster_listing_skips_and_drops_gone_sessions(
    redis_cluster_store_factory: StoreFactory,
) -> None:
    store = redis_cluster_store_factory()
    for n in range(7):
        await store.append(f"s{n}", [n])
    await store.delete("s3")
    page = await store.list_sessions(limit=3)
    assert [i.session_id for i in page.sessions] == ["s0", "s1", "s2"]
    page = await store.list_sessions(limit=3, cursor=page.next_cursor)
    assert [i.session_id for i in page.sessions] == ["s4", "s5", "s6"]
    assert page.next_cursor is None
    assert await store.purge_expired() == 0


# ---------------------------------------------------------------------------- clients


async def test_a_handed_in_client_is_used_and_never_closed(redis_server: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    store = RedisStore(client, key_prefix=unique_prefix())
    assert await store.append(S, [{"é": "ü"}], author="me") == [1]

    def other_loop() -> list[Any]:
        async def run() -> list[Any]:
            await store.append(S, ["from a thread"])
            return [r.data for r in await store.read(S)]

        return asyncio.run(run())

    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.extend(other_loop()))
    thread.start()
    await asyncio.to_thread(thread.join)
    assert result == [{"é": "ü"}, "from a thread"]
    await store.aclose()
    assert await client.ping() is True, "the caller's client stays open"
    await client.aclose()


async def test_a_handed_in_cluster_client_works_from_two_loops(redis_cluster: RedisCluster) -> None:
    client = AsyncRedisCluster(host="127.0.0.1", port=redis_cluster.port)
    store = RedisStore(client, key_prefix=unique_prefix(), ttl=30)
    await store.append(S, ["here"])

    def in_thread() -> None:
        asyncio.run(store.append(S, ["there"]))

    await asyncio.to_thread(in_thread)
    assert [r.data for r in await store.read(S)] == ["here", "there"]
    await store.aclose()
    assert await client.ping() is True
    await client.aclose()


async def test_one_store_from_two_threads_at_once(factory: StoreFactory) -> None:
    store = factory()
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        async def run() -> None:
            for i in range(10):
                await store.append(S, [{"w": name, "i": i}])

        try:
            asyncio.run(run())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"t{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join)
    assert not errors
    records = await store.read(S)
    assert [r.seq for r in records] == list(range(1, 21))
    for name in ("t0", "t1"):
        assert [r.data["i"] for r in records if r.data["w"] == name] == list(range(10))


# ---------------------------------------------------------------------------- URLs


def test_urls_and_options(redis_server: RedisServer) -> None:
    url = redis_server.url
    store = open_store(f"{url}?ttl=5&refresh_on_read=true&key_prefix=p&socket_timeout=1")
    assert isinstance(store, RedisStore)
    assert (store.ttl, store.refresh_on_read, store.key_prefix) == (5.0, True, "p")
    assert isinstance(open_store(url.replace("redis://", "rediss://")), RedisStore)
    for bad in (
        f"{url}?nonsense=1",
        f"{url}?ttl=abc",
        f"{url}?key_prefix=a{{b}}",
        f"{url}?socket_timeout=soon",
        "redis+cluster://127.0.0.1:1/3",
        "redis:///0",
    ):
        with pytest.raises(ConfigurationError):
            open_store(bad)
    with pytest.raises(ConfigurationError):
        RedisStore.from_url(url, decode_responses=True, colour="blue")
    with pytest.raises(ConfigurationError):
        RedisStore(object())  # type: ignore[arg-type]


async def test_cluster_query_option_and_retries(redis_cluster: RedisCluster) -> None:
    host, port = redis_cluster.nodes[0]
    store = open_store(f"redis://{host}:{port}?cluster=true&key_prefix={unique_prefix()}")
    async with store:
        assert isinstance(store, RedisStore)
        assert await store.append(S, ["a"]) == [1]
        assert store.cluster is True


async def test_store_reads_back_after_reopen(factory: StoreFactory) -> None:
    store: ConversationStore = factory.open(ttl=60)
    await store.append(S, ["a"], format="f", author="x")
    again = factory.open()
    [record] = await again.read(S)
    assert (record.data, record.format, record.author) == ("a", "f", "x")


async def test_unreachable_cluster_raises_store_unavailable() -> None:
    from integrations.redis.servers import free_port

    store = open_store(f"redis+cluster://127.0.0.1:{free_port()}?key_prefix=nowhere")
    async with store:
        with pytest.raises(StoreUnavailableError):
            await asyncio.wait_for(store.append(S, ["a"]), 30)
