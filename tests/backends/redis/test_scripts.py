"""The Lua operations: one FCALL (or native read) per operation on standalone Redis, EVALSHA on a
cluster and without functions; the function library or script cache flushed or lost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from integrations.redis.acl import acl_rules
from integrations.redis.servers import RedisCluster, RedisServer
from sessions_plus import (
    RedisStore,
)
from tests.fixtures.stores.redis import unique_prefix

from .helpers import Monitor, S, stats

ONE_SCRIPT = ["FCALL"]


async def test_every_operation_is_one_round_trip(redis_server: RedisServer) -> None:
    """Every operation is one command (a script, or a native read), except listing (the index,
    then the listed sessions' metadata) and purging (the server's time, then the expiry set)."""
    store = RedisStore.from_url(redis_server.url, key_prefix=unique_prefix(), ttl=60)
    snapshot: list[Any] = []

    async def take_snapshot() -> None:
        snapshot[:] = [await store.snapshot(S)]

    ops: dict[str, tuple[Callable[[], Awaitable[Any]], list[str]]] = {
        "append": (lambda: store.append(S, [{"a": 1}, {"b": 2}, {"c": 3}]), ONE_SCRIPT),
        "read latest-N": (lambda: store.read(S, limit=2), ["LRANGE"]),
        "read data latest-N": (lambda: store.read_data(S, limit=2), ["LRANGE"]),
        "read all": (lambda: store.read(S), ["LRANGE"]),
        "read after": (lambda: store.read(S, after=1), ["LRANGE"]),
        "read range": (lambda: store.read(S, after=1, limit=1, keep="earliest"), ONE_SCRIPT),
        "read before": (lambda: store.read(S, before=2), ONE_SCRIPT),
        "last_seq": (lambda: store.last_seq(S), ONE_SCRIPT),
        "pop": (lambda: store.pop(S), ONE_SCRIPT),
        "replace": (lambda: store.replace(S, 1, {"r": 1}), ONE_SCRIPT),
        "splice": (lambda: store.splice(S, 2, ["x", "y", "z"]), ONE_SCRIPT),
        "trim": (lambda: store.trim(S, keep_last=2), ONE_SCRIPT),
        "put_doc": (lambda: store.put_doc(S, "d", {"v": 1}), ONE_SCRIPT),
        "get_doc": (lambda: store.get_doc(S, "d"), ["HGET"]),
        "list_docs": (lambda: store.list_docs(S), ["HKEYS"]),
        "delete_doc": (lambda: store.delete_doc(S, "d"), ONE_SCRIPT),
        "info": (lambda: store.info(S), ONE_SCRIPT),
        "snapshot": (take_snapshot, ONE_SCRIPT),
        "restore": (lambda: store.restore(snapshot[0], session_id="r", replace=True), ONE_SCRIPT),
        "fork": (lambda: store.fork(S, "f", replace=True), ONE_SCRIPT),
        "list_sessions": (lambda: store.list_sessions(limit=10), ["ZRANGEBYLEX", "FCALL"]),
        "list by prefix": (lambda: store.list_sessions(prefix="s"), ["ZRANGEBYLEX", "FCALL"]),
        "purge_expired": (lambda: store.purge_expired(), ["TIME", "ZRANGEBYSCORE"]),
        "delete if idle": (lambda: store.delete("f", updated_before=1.0), ONE_SCRIPT),
        "clear": (lambda: store.clear(S), ONE_SCRIPT),
        "delete": (lambda: store.delete(S), ONE_SCRIPT),
    }
    async with store:
        for op, _ in ops.values():  # connect and load every script once
            await op()
        async with Monitor(redis_server.host, redis_server.port) as monitor:
            await monitor.commands()
            for name, (op, sent) in ops.items():
                await op()
                assert await monitor.commands() == sent, name


async def test_reads_that_slide_the_ttl_are_one_script(redis_server: RedisServer) -> None:
    store = RedisStore.from_url(
        redis_server.url, key_prefix=unique_prefix(), ttl=60, refresh_on_read=True
    )
    async with store:
        await store.append(S, ["a", "b"])
        await store.put_doc(S, "d", 1)
        reads = [
            lambda: store.read(S, limit=1),
            lambda: store.read_data(S),
            lambda: store.get_doc(S, "d"),
            lambda: store.list_docs(S),
            lambda: store.info(S),
        ]
        for read in reads:  # load the scripts
            await read()
        async with Monitor(redis_server.host, redis_server.port) as monitor:
            await monitor.commands()
            for read in reads:
                await read()
                assert await monitor.commands() == ONE_SCRIPT


async def test_a_stream_another_process_added_costs_one_more_call_once(
    redis_server: RedisServer,
) -> None:
    """A write declares the streams its store saw; when another store added one, the script
    answers with the session's streams (writing nothing) and the write is sent again."""
    prefix = unique_prefix()
    here = RedisStore.from_url(redis_server.url, key_prefix=prefix, ttl=60)
    there = RedisStore.from_url(redis_server.url, key_prefix=prefix, ttl=60)
    async with here, there:
        await here.append(S, ["a"])
        await there.append(S, ["t"], stream="trace")
        async with Monitor(redis_server.host, redis_server.port) as monitor:
            await monitor.commands()
            assert await here.append(S, ["b"]) == [2]
            assert await monitor.commands() == ["FCALL", "FCALL"]
            assert await here.append(S, ["c"]) == [3]
            assert await monitor.commands() == ONE_SCRIPT
        client = redis_server.command
        trace_ttl = int(client("PTTL", f"{prefix}:{{{S}}}:log:trace").strip(b":"))
        assert trace_ttl > 59_000, "the write slid the TTL of the stream it had not seen"


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
            assert sorted(await sent()) == ["EVALSHA", "ZADD"]  # scripts: see scripts.py
            for op, command in (
                (lambda: store.append(S, ["b"]), "EVALSHA"),
                (lambda: store.read(S, limit=1), "LRANGE"),
                (lambda: store.pop(S), "EVALSHA"),
            ):
                await op()
                assert await sent() == [command]
        finally:
            for m in monitors:
                await m.__aexit__()


async def test_a_flushed_library_a_flushed_script_cache_and_a_restart_are_invisible(
    own_server: RedisServer,
) -> None:
    store = RedisStore.from_url(own_server.url, key_prefix=unique_prefix())
    async with store:
        assert await store.append(S, ["a"]) == [1]
        own_server.command("FUNCTION", "FLUSH")
        own_server.command("CONFIG", "RESETSTAT")
        assert await store.append(S, ["b"]) == [2]  # Function not found: loaded again
        calls = stats(own_server.command)
        assert (calls.get("fcall"), calls.get("function|load")) == (2, 1), calls
        assert await store.append(S, ["c"]) == [3]
        assert stats(own_server.command).get("fcall") == 3

        own_server.restart()  # empty: no data, no library, stale pooled connections
        assert await store.read(S) == []
        assert await store.append(S, ["after restart"]) == [1]

    scripts = RedisStore.from_url(own_server.url, key_prefix=unique_prefix())
    scripts._calls.functions = False  # as on a cluster, or without FUNCTION
    async with scripts:
        assert await scripts.append(S, ["a"]) == [1]
        own_server.command("SCRIPT", "FLUSH")
        own_server.command("CONFIG", "RESETSTAT")
        assert await scripts.append(S, ["b"]) == [2]
        calls = stats(own_server.command)
        assert calls.get("eval") == 1, calls  # NOSCRIPT answered by EVAL, which caches it
        assert await scripts.append(S, ["c"]) == [3]
        assert stats(own_server.command).get("evalsha") == 2


@pytest.mark.parametrize("denied", ["-fcall", "-function|load"])
async def test_a_user_without_functions_runs_the_scripts(
    redis_server: RedisServer, denied: str
) -> None:
    prefix = unique_prefix()
    user = f"nofn-{prefix}"
    rules = [rule for rule in acl_rules(prefix, "pw") if rule != "+" + denied[1:]]
    redis_server.command("ACL", "SETUSER", user, *rules, denied)
    redis_server.command("FUNCTION", "FLUSH")  # not loaded by anyone yet
    url = f"redis://{user}:pw@{redis_server.host}:{redis_server.port}/0"
    try:
        async with RedisStore.from_url(url, key_prefix=prefix) as store:
            assert await store.append(S, ["a", "b"]) == [1, 2]
            assert store._calls.functions is False
            assert await store.read_data(S) == ["a", "b"]
            assert (await store.list_sessions()).sessions[0].session_id == S
    finally:
        redis_server.command("ACL", "DELUSER", user)


async def test_the_strict_keys_check_fails_a_call_on_an_undeclared_key(
    redis_server: RedisServer,
) -> None:
    """The check the cluster and ACL suites run under (redis_strict_keys.lua) really bites."""
    import redis.asyncio as aioredis
    from redis.exceptions import ResponseError

    from sessions_plus.backends.redis.scripts import load_library

    strict = Path(__file__).parents[2] / "fixtures" / "stores" / "redis_strict_keys.lua"
    probe = b"register('probe', function()\n  return rcall('HGET', ARGV[1], 'f') or 'nil'\nend)\n"
    library = load_library(strict.read_bytes() + b"\n" + probe)
    name = library["info"].function.replace("_info", "_probe")
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.execute_command("FUNCTION", "LOAD", "REPLACE", library.code)
        assert await client.fcall(name, 1, "declared", "declared") == b"nil"
        with pytest.raises(ResponseError, match="undeclared key not-declared"):
            await client.fcall(name, 1, "declared", "not-declared")
    finally:
        await client.execute_command("FUNCTION", "DELETE", library.name)
        await client.aclose()


async def test_the_stored_time_is_the_servers_time_in_milliseconds(
    redis_server: RedisServer,
) -> None:
    """Scripts build the stored ms from TIME's strings without a number (lib/session.lua):
    every microsecond count, padded or not, gives the same digits as the arithmetic."""
    import redis.asyncio as aioredis

    from sessions_plus.backends.redis.scripts import load_library

    library = load_library(b"-- the time probe")
    name = library["info"].function.replace("_info", "_ms_of")
    probe = b"\nREGISTER('ms_of', function(keys, argv)\n  return ms_of(argv[1], argv[2])\nend)\n"
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.execute_command("FUNCTION", "LOAD", "REPLACE", library.code + probe)
        for seconds, micros in [(1764680000, 0), (1764680000, 7), (1764680001, 999),
                                (1764680001, 1000), (1764680002, 45678), (1764680002, 123456),
                                (1764680003, 999999), (0, 5000)]:  # fmt: skip
            got = await client.fcall(name, 0, str(seconds), str(micros))
            assert int(got) == seconds * 1000 + micros // 1000, (seconds, micros)
    finally:
        await client.execute_command("FUNCTION", "DELETE", library.name)
        await client.aclose()
