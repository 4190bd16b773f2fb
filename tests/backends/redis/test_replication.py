"""durability="replicated": every write is confirmed by WAIT in the same round trip, or fails
with DurabilityError; a re-sent write is never confirmed without its replica having it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest

from integrations.redis._deployment import replica_in_sync, wait_for
from integrations.redis.ha import ReplicatedRedisCluster
from integrations.redis.servers import RedisServer
from sessions_plus import (
    ConfigurationError,
    DurabilityError,
    RedisStore,
    StoreUnavailableError,
)
from sessions_plus.backends.redis import calls
from sessions_plus.backends.redis import store as store_module
from sessions_plus.backends.redis.replication import NOTHING_WRITTEN, Durability, marker_key
from tests.fixtures.stores.redis import unique_prefix

from .helpers import Monitor, S


class Pair:
    """A standalone master with one replica (REPLICAOF), for this module only."""

    def __init__(self) -> None:
        self.master = RedisServer()
        self.replica = RedisServer()

    def start(self) -> None:
        self.master.start()
        self.replica.start()
        self.replica.command("REPLICAOF", "127.0.0.1", str(self.master.port))
        wait_for(
            lambda: True if replica_in_sync(self.replica.port, self.master.port) else None,
            "the replica to sync",
        )

    @contextlib.contextmanager
    def replica_paused(self) -> Iterator[None]:
        """The replica stops processing (and acknowledging) for 3 s: long enough for the
        block on a slow machine (a paused server does not even take CLIENT UNPAUSE)."""
        self.replica.command("CLIENT", "PAUSE", "3000", "ALL")
        yield

    def close(self) -> None:
        self.replica.close()
        self.master.close()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    servers = Pair()
    servers.start()
    yield servers
    servers.close()


def replicated(url: str, **options: object) -> RedisStore:
    return RedisStore.from_url(url, key_prefix=unique_prefix(), durability="replicated", **options)


def test_options_marker_keys_and_reply_codes() -> None:
    assert {calls.UNDECLARED, calls.LEGACY} == NOTHING_WRITTEN
    assert Durability.of("primary", None, None) is None
    assert Durability.of("replicated", None, None) == Durability(1, 1000)
    assert Durability.of("replicated", 2, 50) == Durability(2, 50)
    bad: list[tuple[str, object, object]] = [
        ("sync", None, None),
        ("primary", 1, None),
        ("replicated", 0, None),
        ("replicated", 1, 0),
        ("replicated", True, None),
        ("replicated", 1, 2.5),
    ]
    for durability, replicas, wait_ms in bad:
        with pytest.raises(ConfigurationError):
            Durability.of(durability, replicas, wait_ms)  # type: ignore[arg-type]
    assert marker_key("p:{a%3Ab}:meta") == "p:{a%3Ab}:wait"
    assert marker_key("p:x:index") == "p:x:{p:x:index}:wait"


async def test_a_replicated_write_is_script_marker_and_wait_in_one_pipeline(pair: Pair) -> None:
    store = replicated(pair.master.url)
    async with store, Monitor("127.0.0.1", pair.master.port) as monitor:
        await store.append(S, ["warm"])  # connects and loads the scripts
        await store.read(S)
        await monitor.commands()
        assert await store.append(S, ["a"]) == [2]
        assert [r.data for r in await store.read(S)] == ["warm", "a"]
        assert await monitor.commands() == ["EVALSHA", "SET", "WAIT", "LRANGE"]
    assert pair.replica.command("EXISTS", f"{store.key_prefix}:{{{S}}}:meta") == b":1"


async def test_unconfirmed_writes_raise_durability_error_and_ran_on_the_primary(
    pair: Pair,
) -> None:
    store = replicated(pair.master.url, wait_ms=100)
    async with store:
        await store.append(S, ["confirmed"])
        with pair.replica_paused(), pytest.raises(DurabilityError) as caught:
            await store.append(S, ["unconfirmed"])
        assert isinstance(caught.value, StoreUnavailableError)
        assert (caught.value.wanted, caught.value.confirmed) == (1, 0)
        assert "outcome is unknown" in str(caught.value)
        assert [r.data for r in await store.read(S)] == ["confirmed", "unconfirmed"]

        async def confirmed_again() -> None:
            while True:
                try:
                    await store.append(S, ["later"])
                    return
                except DurabilityError:
                    await asyncio.sleep(0.1)

        await asyncio.wait_for(confirmed_again(), 30)


async def test_a_replayed_write_is_not_confirmed_before_its_replica_has_it(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-sent append (same write token) writes nothing the second time; its WAIT must still
    cover the first run. Redis 7.0 moves a connection's WAIT offset after any command; 7.2 and
    later only after a command that propagated, which the marker write provides (the
    pipeline test above checks that it is sent)."""
    monkeypatch.setattr(store_module, "token", lambda: "fixed-token")
    prefix = unique_prefix()
    first = RedisStore.from_url(
        pair.master.url, key_prefix=prefix, durability="replicated", wait_ms=100
    )
    again = RedisStore.from_url(
        pair.master.url, key_prefix=prefix, durability="replicated", wait_ms=100
    )
    async with first, again:
        with pair.replica_paused():
            with pytest.raises(DurabilityError):
                await first.append(S, ["once"])
            with pytest.raises(DurabilityError):  # the replay, on another connection
                await again.append(S, ["once"])
        assert [r.data for r in await again.read(S)] == ["once"], "the replay wrote nothing"


async def test_a_server_without_replicas_never_confirms(redis_server: RedisServer) -> None:
    store = replicated(redis_server.url, wait_ms=50)
    async with store:
        with pytest.raises(DurabilityError):
            await store.append(S, ["x"])
        with pytest.raises(DurabilityError):
            await store.put_doc(S, "d", {"v": 1})
        assert await store.get_doc(S, "d") == {"v": 1}  # reads never wait
        assert await store.read(S, limit=1)


async def test_replicated_writes_on_a_cluster_with_replicas(
    redis_replicated_cluster: ReplicatedRedisCluster,
) -> None:
    store = replicated(redis_replicated_cluster.url)
    async with store:
        sessions = [f"s{i}" for i in range(12)]  # spread over the three shards
        await asyncio.gather(*(store.append(s, ["a", "b"]) for s in sessions))
        assert await store.pop(sessions[0]) is not None
        await store.put_doc(sessions[1], "meta", {"k": 1})
        assert await store.delete(sessions[2]) is True
        listed = [info.session_id for info in (await store.list_sessions(limit=100)).sessions]
        assert sorted(listed) == sorted(sessions[:2] + sessions[3:])
        assert [r.data for r in await store.read(sessions[3])] == ["a", "b"]


def test_a_refused_wait_is_a_durability_error_not_a_raw_redis_error() -> None:
    from redis.exceptions import NoPermissionError

    from sessions_plus.backends.redis.replication import Durability

    refused = NoPermissionError("this user has no permissions to run the 'wait' command")
    with pytest.raises(DurabilityError, match="could not be confirmed") as caught:
        Durability(1, 100)._outcome([1], refused)
    assert caught.value.confirmed is None and caught.value.__cause__ is refused
