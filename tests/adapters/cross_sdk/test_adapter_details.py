"""Details of the shared mode of each adapter: options, limits, drop-ins, restore, redaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from strands import Agent as StrandsAgent
from strands.types.exceptions import SessionException
from strands.types.session import SessionMessage

from sessions_plus import ConfigurationError, MemoryStore
from sessions_plus.conversation import SHARED_STREAM
from sessions_plus.openai_agents import RedisSession, SQLiteSession, StoreSession
from sessions_plus.strands import StoreSessionManager, StoreSessionRepository
from sessions_plus.testing import ScriptedModel
from tests.fixtures.factory import StoreFactory

OA, ST = "openai.responses", "strands.message"


def strands_record(role: str, text: str) -> dict[str, Any]:
    return {
        "message": {"role": role, "content": [{"text": text}]},
        "redact_message": None,
        "created_at": "2025-01-01T00:00:00+00:00",
        "updated_at": "2025-01-01T00:00:00+00:00",
    }


async def strands_says(store: Any, session_id: str, *turns: tuple[str, str]) -> None:
    for role, text in turns:
        await store.append(
            session_id, [strands_record(role, text)], stream=SHARED_STREAM, format=ST, author="spec"
        )


# ---------------------------------------------------------------------- OpenAI side


def test_a_shared_session_uses_the_shared_stream() -> None:
    store = MemoryStore()
    assert StoreSession("s", store, shared=True).stream == SHARED_STREAM
    assert StoreSession("s", store).stream == "main"
    assert StoreSession("s", store, shared=True, stream=SHARED_STREAM).shared
    with pytest.raises(ConfigurationError):
        StoreSession("s", store, shared=True, stream="main")
    with pytest.raises(ConfigurationError):
        StoreSession("s", store, shared=True, foreign_tools="json")  # type: ignore[arg-type]
    session = StoreSession("s", store, shared=True, foreign_tools="native", label_authors=True)
    assert (session.foreign_tools, session.label_authors) == ("native", True)


async def test_limits_count_items_and_follow_session_settings() -> None:
    store = MemoryStore()
    session = StoreSession("s", store, shared=True, session_settings={"limit": 2})
    await session.add_items([{"role": "user", "content": "one"}])
    await strands_says(store, "s", ("assistant", "two"), ("user", "three"))
    assert await session.get_items() == [
        {"role": "assistant", "content": "two"},
        {"role": "user", "content": "three"},
    ]
    assert len(await session.get_items(limit=-1)) == 3  # as the SDK's SQLiteSession
    assert await session.get_items(limit=1) == [{"role": "user", "content": "three"}]
    assert await session.get_items(limit=0) == []


async def test_clear_session_empties_the_shared_conversation_for_everyone() -> None:
    store = MemoryStore()
    session = StoreSession("s", store, shared=True)
    await session.add_items([{"role": "user", "content": "one"}])
    await strands_says(store, "s", ("assistant", "two"))
    await session.clear_session()
    assert await store.read("s", stream=SHARED_STREAM) == []


async def test_compaction_snapshots_are_declined_in_shared_mode() -> None:
    session = StoreSession("s", MemoryStore(), shared=True)
    assert await session._get_compaction_snapshot(5) is None
    plain = StoreSession("s", MemoryStore())
    assert await plain._get_compaction_snapshot(5) is not None


async def test_pop_of_a_record_with_nothing_to_show_is_a_note() -> None:
    store = MemoryStore()
    session = StoreSession("s", store, shared=True)
    thinking = {
        "message": {
            "role": "assistant",
            "content": [{"reasoningContent": {"reasoningText": {"text": "hmm"}}}],
        },
        "redact_message": None,
    }
    await store.append("s", [thinking], stream=SHARED_STREAM, format=ST, author="spec")
    await store.append("s", [{"broken": 1}], stream=SHARED_STREAM, format=ST, author="spec")
    broken = await session.pop_item()
    assert broken is not None and "could not be converted" in broken["content"]
    assert await session.pop_item() == {
        "role": "assistant",
        "content": "[record 1 (strands.message) holds nothing to show here]",
    }


async def test_drop_ins_join_the_shared_conversation(
    tmp_path: Path, redis_store_factory: StoreFactory
) -> None:
    db = tmp_path / "chat.db"
    writer = SQLiteSession("s", db, shared=True, author="triage")
    await writer.add_items([{"role": "user", "content": "hello"}])
    await strands_says(writer.store, "s", ("assistant", "hi from strands"))
    reader = SQLiteSession("s", db, shared=True, author="other", label_authors=True)
    assert await reader.get_items() == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "[spec] hi from strands"},
    ]
    assert await SQLiteSession("s", db).get_items() == []  # not shared: its own stream
    writer.close()
    reader.close()

    url = redis_store_factory.url()
    redis = RedisSession.from_url("r", url=url, shared=True, author="triage")
    await redis.add_items([{"role": "user", "content": "on redis"}])
    await strands_says(redis.store, "r", ("assistant", "strands on redis"))
    assert [item["content"] for item in await redis.get_items()] == [
        "on redis",
        "strands on redis",
    ]
    assert redis.author == "triage" and redis.shared
    await redis.close()
    with pytest.raises(TypeError):
        RedisSession.from_url("r", url=url, colour="blue")


# ---------------------------------------------------------------------- Strands side


def agent_on(manager: StoreSessionManager, replies: list[Any]) -> StrandsAgent:
    return StrandsAgent(
        agent_id="spec",
        model=ScriptedModel(replies),
        session_manager=manager,
        callback_handler=None,
    )


async def test_restore_counts_offset_and_limit_in_rendered_messages() -> None:
    store = MemoryStore()
    for text in ("q1", "a1", "a1 more", "q2"):
        role = "user" if text.startswith("q") else "assistant"
        await store.append("s", [{"role": role, "content": text}], stream=SHARED_STREAM, format=OA)
    with StoreSessionRepository(store, shared=True) as repository:
        listed = repository.list_messages("s", "spec")
        assert [m.to_message()["content"] for m in listed] == [
            [{"text": "q1"}],
            [{"text": "a1"}, {"text": "a1 more"}],
            [{"text": "q2"}],
        ]
        assert [m.message_id for m in listed] == [0, 2, 3]  # the last record each one holds
        assert repository.listed_through("s", "spec") == 4
        assert [m.message_id for m in repository.list_messages("s", "spec", offset=1)] == [2, 3]
        assert [m.message_id for m in repository.list_messages("s", "spec", limit=1)] == [0]
        # A converted message is never written back, and reads convert one record.
        with pytest.raises(SessionException):
            repository.update_message("s", "spec", listed[1])
        one = repository.read_message("s", "spec", 1)
        assert one is not None and one.to_message()["content"] == [{"text": "a1"}]


async def test_a_new_specialist_merges_into_its_last_message_and_resyncs_nothing() -> None:
    store = MemoryStore()
    await store.append("s", [{"role": "user", "content": "hi"}], stream=SHARED_STREAM, format=OA)
    with StoreSessionManager("s", store, shared=True) as manager:
        model = ScriptedModel(["spec answer"])
        spec = StrandsAgent(
            agent_id="spec", model=model, session_manager=manager, callback_handler=None
        )
        assert [m["content"] for m in spec.messages] == [[{"text": "hi"}]]
        spec("question")  # Strands appends its prompt after the converted user turn: one turn
        assert [m["content"] for m in model.seen[0]] == [[{"text": "hi"}, {"text": "question"}]]
        await store.append(
            "s",
            [{"role": "assistant", "content": "triage adds"}],
            stream=SHARED_STREAM,
            format=OA,
            author="triage",
        )
        assert manager.sync_conversation(spec) == 1
        assert spec.messages[-1]["content"] == [{"text": "spec answer"}, {"text": "triage adds"}]
        assert manager.sync_conversation(spec) == 0
        # The stored message of the agent stays as it was written.
        stored = await store.read("s", stream=SHARED_STREAM)
        assert stored[2].data["message"]["content"] == [{"text": "spec answer"}]


async def test_the_strands_agents_own_records_stay_redactable() -> None:
    store = MemoryStore()
    await store.append("s", [{"role": "user", "content": "hi"}], stream=SHARED_STREAM, format=OA)
    with StoreSessionManager("s", store, shared=True) as manager:
        spec = agent_on(manager, ["answer"])
        spec("secret 4111")
        latest = SessionMessage.from_message({"role": "user", "content": [{"text": "x"}]}, 0)
        latest.message_id = 1  # the agent's own prompt (seq 2)
        manager.repository.update_message("s", "spec", latest)
        stored = await store.read("s", stream=SHARED_STREAM)
        assert stored[1].format == ST and stored[1].data["message"]["content"] == [{"text": "x"}]
