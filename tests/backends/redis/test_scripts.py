"""The script loader: one EVALSHA per operation, the script cache flushed or lost on restart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from integrations.redis.servers import RedisCluster, RedisServer
from sessions_plus import (
    RedisStore,
)
from tests.fixtures.stores.redis import unique_prefix

from .helpers import Monitor, S, stats


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
