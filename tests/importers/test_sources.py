"""Each import source reads what the SDK's own classes wrote, in its real layout."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sessions_plus.importers import ImportSourceError, open_source
from sessions_plus.importers.base import SourceSession

from .sdk_data import (
    ITEMS_A,
    ITEMS_B,
    write_advanced_sqlite_session,
    write_async_sqlite_session,
    write_sqlite_sessions,
    write_strands_files,
)


async def read_all(url: str) -> dict[str, SourceSession]:
    async with open_source(url) as source:
        found: dict[str, SourceSession] = {}
        async for session_id in source.session_ids():
            session = await source.read(session_id)
            assert session is not None
            found[session_id] = session
        return found


def data(session: SourceSession, stream: str = "main") -> list[Any]:
    return [record.data for record in session.streams[stream].records]


async def test_agents_sqlite_sessions_with_default_and_custom_tables(tmp_path: Path) -> None:
    db = tmp_path / "agents.db"
    written = await write_sqlite_sessions(db)
    sessions = await read_all(f"agents-sqlite:///{db}")
    assert sorted(sessions) == ["ada", "bob"]
    assert data(sessions["ada"]) == written["ada"] == ITEMS_A
    assert data(sessions["bob"]) == ITEMS_B
    ada = sessions["ada"]
    assert {r.format for r in ada.streams["main"].records} == {"openai.responses"}
    assert ada.streams["main"].first == 1 and ada.notes == []
    assert 0 < ada.created_at <= ada.updated_at

    custom = tmp_path / "custom.db"
    await write_sqlite_sessions(custom, sessions_table="s_t", messages_table="m_t")
    with pytest.raises(ImportSourceError, match="no table"):
        await read_all(f"agents-sqlite:///{custom}")
    sessions = await read_all(f"agents-sqlite:///{custom}?sessions_table=s_t&messages_table=m_t")
    assert data(sessions["ada"]) == ITEMS_A


async def test_a_row_that_is_not_json_is_listed_not_dropped_silently(tmp_path: Path) -> None:
    db = tmp_path / "agents.db"
    await write_sqlite_sessions(db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO agent_messages (session_id, message_data) VALUES ('bob', '{broken')"
        )
    bob = (await read_all(f"agents-sqlite:///{db}"))["bob"]
    assert data(bob) == ITEMS_B
    assert len(bob.notes) == 1 and "is not JSON: not imported" in bob.notes[0]


async def test_the_source_file_is_never_changed(tmp_path: Path) -> None:
    db = tmp_path / "agents.db"
    await write_sqlite_sessions(db)
    before = db.read_bytes()
    await read_all(f"agents-sqlite:///{db}")
    assert db.read_bytes() == before
    with pytest.raises(ImportSourceError, match="no SQLite file"):
        open_source(f"agents-sqlite:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists()


async def test_async_sqlite_session_files(tmp_path: Path) -> None:
    db = tmp_path / "async.db"
    items = await write_async_sqlite_session(db)
    sessions = await read_all(f"agents-sqlite:///{db}")
    assert data(sessions["async-chat"]) == items == ITEMS_A


async def test_advanced_sqlite_branches_and_usage(tmp_path: Path) -> None:
    db = tmp_path / "advanced.db"
    main, branch = await write_advanced_sqlite_session(db)
    session = (await read_all(f"agents-sqlite:///{db}"))["adv"]
    assert data(session) == main
    assert data(session, "branch:retry") == branch
    assert any("branch 'retry' imported as stream 'branch:retry'" in n for n in session.notes)


async def test_agents_redis_sessions(redis_server: Any) -> None:
    from agents.extensions.memory import RedisSession

    prefix = "imp-test:agents"
    written: dict[str, list[Any]] = {}
    for session_id, items in (("ada", ITEMS_A), ("user:{7}", ITEMS_B)):
        session = RedisSession.from_url(session_id, url=redis_server.url, key_prefix=prefix)
        try:
            await session.clear_session()
            await session.add_items(items)
            written[session_id] = await session.get_items()
        finally:
            await session.close()
    other = RedisSession.from_url("elsewhere", url=redis_server.url, key_prefix="other:prefix")
    await other.add_items(ITEMS_B)
    await other.close()

    address = redis_server.url.split("://", 1)[1]
    sessions = await read_all(f"agents-redis://{address}?key_prefix={prefix}")
    assert sorted(sessions) == ["ada", "user:{7}"]
    assert data(sessions["ada"]) == written["ada"] == ITEMS_A
    assert data(sessions["user:{7}"]) == ITEMS_B
    assert any("no time per message" in note for note in sessions["ada"].notes)


def check_strands(sessions: dict[str, SourceSession], seen: dict[str, Any]) -> None:
    duo = sessions["duo"]
    assert sorted(duo.streams) == ["agent:critic", "agent:helper"]
    for agent_id in ("helper", "critic"):
        stream = duo.streams[f"agent:{agent_id}"]
        assert stream.first == 1
        assert [r.data["message"] for r in stream.records] == seen[agent_id]
        assert {(r.format, r.author) for r in stream.records} == {("strands.message", agent_id)}
        assert all("message_id" not in r.data for r in stream.records)
        state = duo.docs[f"agent:{agent_id}"]["state"]
        assert state == {"mood": f"{agent_id}-happy"}
    assert duo.docs["session"]["session_id"] == "duo"
    swarm = sessions["swarm"]
    state = swarm.docs["multi_agent:otter-post"]
    assert state["status"] == "completed" and state["node_history"] == ["researcher", "writer"]
    assert duo.notes == [] and swarm.notes == []


async def test_strands_file_session_manager_directories(tmp_path: Path) -> None:
    storage = tmp_path / "strands"
    seen = write_strands_files(storage)
    sessions = await read_all(f"strands-file:///{storage}")
    assert sorted(sessions) == ["duo", "swarm"]
    check_strands(sessions, seen)


async def test_strands_s3_session_manager_buckets(tmp_path: Path, dynamodb_server: Any) -> None:
    """S3SessionManager writes to moto's S3 over HTTP (the same moto server as DynamoDB)."""
    import boto3
    from strands.session.s3_session_manager import S3SessionManager

    storage = tmp_path / "strands"
    seen = write_strands_files(storage)  # the same turns, then copied object by object
    endpoint = dynamodb_server.endpoint_url
    boto = boto3.Session(region_name="us-east-1")
    s3 = boto.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="strands-import")
    # S3SessionManager itself writes one more session, so the real S3 writer is covered too.
    manager = S3SessionManager(
        session_id="s3-native",
        bucket="strands-import",
        prefix="app/v1",
        boto_session=boto,
        endpoint_url=endpoint,
    )
    from strands import Agent

    from sessions_plus.testing import ScriptedModel

    Agent(
        agent_id="solo",
        model=ScriptedModel(["from s3"]),
        session_manager=manager,
        callback_handler=None,
    )("hi s3")
    for path in storage.rglob("*.json"):
        key = "app/v1/" + path.relative_to(storage).as_posix()
        s3.put_object(Bucket="strands-import", Key=key, Body=path.read_bytes())

    url = f"strands-s3://strands-import/app/v1?region=us-east-1&endpoint_url={endpoint}"
    sessions = await read_all(url)
    assert sorted(sessions) == ["duo", "s3-native", "swarm"]
    check_strands(sessions, seen)
    solo = sessions["s3-native"].streams["agent:solo"]
    assert [r.data["message"]["content"][0]["text"] for r in solo.records] == ["hi s3", "from s3"]


def test_source_urls_are_checked() -> None:
    for url, match in (
        ("nosuch:///x", "unknown import source"),
        ("agents-sqlite://host/x.db", "three slashes"),
        ("strands-s3:///prefix", "needs a bucket"),
        ("strands-file:///tmp?bogus=1", "unknown option"),
        ("agents-sqlite:///x.db?sessions_table=drop table", "not a table name"),
    ):
        with pytest.raises(ImportSourceError, match=match):
            open_source(url)
