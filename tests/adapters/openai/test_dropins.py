"""The drop-in sessions: same constructors as the SDK's, over sessions-plus stores."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from agents import Agent, Runner, set_tracing_disabled
from agents import SQLiteSession as SdkSQLiteSession
from agents.extensions.memory import RedisSession as SdkRedisSession
from agents.testing import ScriptedModel, assistant_message
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

from integrations.dynamodb.server import REGION
from sessions_plus import ConfigurationError, SQLiteStore, StoreClosedError
from sessions_plus.openai_agents import DynamoDBSession, RedisSession, SQLiteSession
from tests.adapters.openai.test_session import _replay, user

set_tracing_disabled(True)


def parameters(function: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


SHARED_OPTIONS = ["shared", "author", "foreign_tools", "label_authors"]
"""Keyword-only additions of every drop-in: a shared conversation (see test_shared.py)."""


def test_constructors_mirror_the_sdk() -> None:
    assert parameters(SQLiteSession.__init__)[:6] == parameters(SdkSQLiteSession.__init__)
    sdk_redis = parameters(SdkRedisSession.__init__)
    assert parameters(RedisSession.__init__)[: len(sdk_redis)] == sdk_redis
    assert parameters(RedisSession.__init__)[len(sdk_redis) :] == [
        (name, inspect.Parameter.KEYWORD_ONLY) for name in SHARED_OPTIONS
    ]
    assert parameters(RedisSession.from_url) == parameters(SdkRedisSession.from_url)
    assert [name for name, _ in parameters(SQLiteSession.__init__)[6:]] == ["ttl", *SHARED_OPTIONS]
    sdk_defaults = inspect.signature(SdkSQLiteSession.__init__).parameters
    ours = inspect.signature(SQLiteSession.__init__).parameters
    for name in ("db_path", "sessions_table", "messages_table", "session_settings"):
        assert ours[name].default == sdk_defaults[name].default
    assert [name for name, _ in parameters(DynamoDBSession.__init__)] == [
        "self",
        "session_id",
        "table_name",
        "region_name",
        "endpoint_url",
        "ttl",
        "create_table",
        "session_settings",
        *SHARED_OPTIONS,
    ]


# ---------------------------------------------------------------------- SQLiteSession


async def test_drop_in_sqlite_file_matches_sdk_on_same_calls(tmp_path: Path) -> None:
    sdk = SdkSQLiteSession("parity", tmp_path / "sdk.db")
    ours = SQLiteSession("parity", tmp_path / "ours.db")
    try:
        assert await _replay(ours, 7) == await _replay(sdk, 7)
    finally:
        sdk.close()
        ours.close()


# ---------------------------------------------------------------------- drop-in SQLiteSession


async def test_drop_in_sqlite_constructor_and_close(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    first = SQLiteSession("c", db)
    second = SQLiteSession("c", str(db), session_settings={"limit": 1})
    assert first.store is second.store  # one store per file and process
    assert (first.db_path, first.sessions_table, first.messages_table) == (
        db,
        "agent_sessions",
        "agent_messages",
    )
    await first.add_items([user("a"), user("b")])
    assert await second.get_items() == [user("b")]
    first.close()
    first.close()  # idempotent
    with pytest.raises(RuntimeError):  # StoreClosedError is a RuntimeError, like the SDK's
        await first.get_items()
    assert await second.get_items(limit=5) == [user("a"), user("b")]  # store still open
    second.close()
    assert second.store.closed
    # The file holds a plain SQLiteStore with the default prefix: interoperable.
    async with SQLiteStore(db) as store:
        assert [r.data for r in await store.read("c")] == [user("a"), user("b")]


async def test_drop_in_sqlite_memory_sessions_are_private_like_the_sdk() -> None:
    a, b = SQLiteSession("same"), SQLiteSession("same")
    await a.add_items([user("only in a")])
    assert await b.get_items() == []
    assert a.store is not b.store
    a.close()
    b.close()


async def test_drop_in_sqlite_custom_table_names_are_a_separate_namespace(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tables.db"
    default = SQLiteSession("s", db)
    custom = SQLiteSession("s", db, "chat_sessions", "chat_messages")
    await default.add_items([user("default")])
    await custom.add_items([user("custom")])
    assert await default.get_items() == [user("default")]
    assert await custom.get_items() == [user("custom")]
    assert custom.store.tables.prefix == "chat_messages"  # type: ignore[attr-defined]
    await custom.aclose()
    await default.aclose()


async def test_drop_in_sqlite_ttl_expires_the_conversation(tmp_path: Path) -> None:
    session = SQLiteSession("brief", tmp_path / "ttl.db", ttl=1.0)
    await session.add_items([user("soon gone")])
    assert await session.get_items() == [user("soon gone")]
    await asyncio.sleep(1.2)
    assert await session.get_items() == []
    session.close()


async def test_drop_in_add_items_on_closed_session_raises_before_empty_fast_path() -> None:
    session = SQLiteSession("closed")
    session.close()
    with pytest.raises(StoreClosedError):
        await session.add_items([])


# ---------------------------------------------------------------------- RedisSession


def prefix() -> str:
    return f"dropin{uuid.uuid4().hex[:10]}"


async def one_turn(session: Any) -> list[Any]:
    model = ScriptedModel([[assistant_message("Hello from Redis.")]])
    await Runner.run(Agent(name="Assistant", model=model), "hi", session=session)
    return await session.get_items()


@pytest.mark.parametrize("server", ["redis_server", "redis_cluster"])
async def test_redis_from_url_owns_its_client(server: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(server).url
    session = RedisSession.from_url("conv", url=url, key_prefix=prefix(), ttl=60)
    assert await session.ping() is True
    assert len(await one_turn(session)) == 2
    assert await session.get_items(limit=-1) == []  # the SDK's RedisSession reads nothing
    info = await session.store.info("conv")
    assert info is not None and info.expires_at is not None  # ttl reached the store
    await session.close()
    await session.close()  # idempotent
    with pytest.raises(StoreClosedError):
        await session.get_items()
    with pytest.raises(RuntimeError):  # as the SDK: a closed owned session raises
        await session.ping()


@pytest.mark.parametrize("server", ["redis_server", "redis_cluster"])
async def test_redis_with_a_client_you_own(server: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(server).url
    client: Any
    if server == "redis_cluster":
        client = AsyncRedisCluster.from_url(url.replace("redis+cluster://", "redis://"))
    else:
        client = aioredis.Redis.from_url(url)
    try:
        key_prefix = prefix()
        session = RedisSession("conv", redis_client=client, key_prefix=key_prefix)
        await session.add_items([user("a"), user("b")])  # writes work on a cluster too
        assert await session.pop_item() == user("b")
        await session.close()  # releases only what the store made; stays usable, like the SDK
        assert await session.get_items() == [user("a")]
        assert await client.ping()
        other = RedisSession("conv", redis_client=client, key_prefix=key_prefix)
        assert await other.get_items() == [user("a")]
        assert await RedisSession("conv", redis_client=client).get_items() == []  # other prefix
    finally:
        await client.aclose()


async def test_redis_from_url_rejects_unknown_keywords(redis_server: Any) -> None:
    with pytest.raises(TypeError):
        RedisSession.from_url("conv", url=redis_server.url, bogus=1)


# ---------------------------------------------------------------------- DynamoDBSession


async def test_dynamodb_sessions_share_one_store_and_close_with_the_last(
    dynamodb_server: Any,
) -> None:
    options = {
        "table_name": f"dropin-{uuid.uuid4().hex[:12]}",
        "region_name": REGION,
        "endpoint_url": dynamodb_server.endpoint_url,
        "ttl": 3600,
    }
    first = DynamoDBSession("conv", **options)
    second = DynamoDBSession("other", **options, session_settings={"limit": 1})
    assert first.store is second.store
    assert len(await one_turn(first)) == 2
    assert await second.get_items() == []
    await second.add_items([user("x"), user("y")])
    assert await second.get_items() == [user("y")]
    info = await first.store.info("conv")
    assert info is not None and info.expires_at is not None  # ttl reached the store
    await first.close()
    with pytest.raises(StoreClosedError):
        await first.get_items()
    assert await second.get_items(limit=5) == [user("x"), user("y")]  # store still open
    await second.aclose()
    assert second.store.closed


async def test_drop_in_sqlite_honours_a_custom_sessions_table(tmp_path: Path) -> None:
    """The SDK's ``sessions_table`` names the table of session metadata, as in the SDK."""
    import sqlite3

    db = tmp_path / "named.db"
    session = SQLiteSession("s", db, "my_sessions", "my_messages")
    await session.add_items([user("hello")])
    session.close()
    with sqlite3.connect(db) as conn:
        names = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert {"my_sessions", "my_messages_records"} <= names
        assert "my_messages_sessions" not in names
        assert conn.execute("SELECT session_id FROM my_sessions").fetchall() == [("s",)]
    again = SQLiteSession("s", db, "my_sessions", "my_messages")
    assert await again.get_items() == [user("hello")]
    again.close()
    # The same tables under another sessions table would mix two sets of session rows: refused.
    wrong = SQLiteSession("s", db, "other_sessions", "my_messages")
    with pytest.raises(ConfigurationError, match="sessions table is not 'other_sessions'"):
        await wrong.get_items()
    wrong.close()
