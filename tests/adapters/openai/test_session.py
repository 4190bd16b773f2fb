"""The OpenAI Agents SDK Session protocol over every store: behaviour, SDK parity, compaction."""

from __future__ import annotations

import asyncio
import logging
import random
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from agents import Agent, Runner, set_tracing_disabled
from agents import SQLiteSession as SdkSQLiteSession
from agents.extensions.memory import EncryptedSession
from agents.memory import OpenAIResponsesCompactionSession, SessionSettings
from agents.testing import ScriptedModel, assistant_message

from sessions_plus import MemoryStore
from sessions_plus.openai_agents import OPENAI_FORMAT, SQLiteSession, StoreSession
from tests.fixtures.factory import StoreFactory

set_tracing_disabled(True)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def reply(text: str, item_id: str = "msg_1") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


@pytest.fixture(params=["memory_store_factory", "sqlite_file_store_factory"])
def local_factory(request: pytest.FixtureRequest) -> StoreFactory:
    """In-process backends only, for tests of adapter logic that no backend changes."""
    factory: StoreFactory = request.getfixturevalue(request.param)
    return factory


SUMMARY = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "Summary: the user asked about a refund."}],
}


# ---------------------------------------------------------------------- Session protocol


async def test_empty_session(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession("empty", store)
    assert await session.get_items() == []
    assert await session.get_items(limit=3) == []
    assert await session.pop_item() is None
    await session.clear_session()
    await session.add_items([])
    assert await store.info("empty") is None  # add_items([]) wrote nothing


async def test_get_items_all_and_latest_n(store_factory: StoreFactory) -> None:
    session = StoreSession("latest", store_factory())
    items = [user(f"q{i}") for i in range(5)]
    await session.add_items(items[:2])
    await session.add_items(items[2:])
    assert await session.get_items() == items
    assert await session.get_items(limit=2) == items[-2:]
    assert await session.get_items(limit=1) == items[-1:]
    assert await session.get_items(limit=5) == items
    assert await session.get_items(limit=50) == items
    assert await session.get_items(limit=0) == []
    assert await session.get_items(limit=-1) == items  # SQLite's LIMIT -1, as in the SDK


async def test_session_settings_limit(store_factory: StoreFactory) -> None:
    store = store_factory()
    items = [user(f"q{i}") for i in range(6)]
    await StoreSession("limited", store).add_items(items)
    typed = StoreSession("limited", store, session_settings=SessionSettings(limit=2))
    assert typed.session_settings == SessionSettings(limit=2)
    assert await typed.get_items() == items[-2:]
    assert await typed.get_items(limit=4) == items[-4:]  # an explicit limit wins
    as_dict = StoreSession("limited", store, session_settings={"limit": 3})
    assert isinstance(as_dict.session_settings, SessionSettings)
    assert await as_dict.get_items() == items[-3:]
    assert StoreSession("limited", store).session_settings == SessionSettings()


def test_unknown_settings_key_raises_type_error_like_the_sdk() -> None:
    with pytest.raises(TypeError) as sdk_error:
        SdkSQLiteSession("s", session_settings={"limit": 1, "bogus": 2})
    with pytest.raises(TypeError) as ours:
        StoreSession("s", MemoryStore(), session_settings={"limit": 1, "bogus": 2})
    assert str(ours.value) == str(sdk_error.value)
    with pytest.raises(TypeError):
        SQLiteSession("s", session_settings={"bogus": 2})


async def test_pop_and_clear(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession("pop", store)
    await session.add_items([user("a"), reply("b"), user("c")])
    assert await session.pop_item() == user("c")
    assert await session.get_items() == [user("a"), reply("b")]
    await session.clear_session()
    assert await session.get_items() == []
    assert await session.pop_item() is None
    await session.add_items([user("again")])
    assert [record.seq for record in await store.read("pop")] == [1]
    assert await session.get_items() == [user("again")]


async def test_clear_session_keeps_documents_and_delete_session_removes_all(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    session = StoreSession("docs", store)
    await session.add_items([user("a")])
    await store.put_doc("docs", "profile", {"name": "Ada"})
    await session.clear_session()
    assert await session.get_items() == []
    assert await store.get_doc("docs", "profile") == {"name": "Ada"}
    assert await session.delete_session() is True
    assert await store.info("docs") is None


async def test_items_round_trip_as_equal_json_values(store_factory: StoreFactory) -> None:
    session = StoreSession("round-trip", store_factory())
    items: list[Any] = [
        user('héllo 👋 \u0000 "quoted" \\ back'),
        {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": '{"x": 1}'},
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "think"}],
            "encrypted_content": None,
        },
        {"nested": {"list": [1, 2.5, -3e-7, True, False, None, [], {}], "big": 2**63 + 1}},
        reply("done", item_id="msg_2"),
    ]
    await session.add_items(items)
    assert await session.get_items() == items
    assert await session.pop_item() == items[-1]


async def test_records_carry_format_and_author(store_factory: StoreFactory) -> None:
    store = store_factory()
    await StoreSession("hdr", store, author="triage").add_items([user("hi")])
    await StoreSession("hdr", store).add_items([reply("hello")])
    records = await store.read("hdr")
    assert [(r.format, r.author) for r in records] == [
        (OPENAI_FORMAT, "triage"),
        (OPENAI_FORMAT, None),
    ]


async def test_sessions_sharing_a_store_are_isolated(store_factory: StoreFactory) -> None:
    store = store_factory()
    ids = ["alice", "bob", "a:b", "a", "{tag}*", "emoji 🙂/x"]
    for index, sid in enumerate(ids):
        await StoreSession(sid, store).add_items([user(f"{sid}-{index}")])
    for index, sid in enumerate(ids):
        assert await StoreSession(sid, store).get_items() == [user(f"{sid}-{index}")]
    await StoreSession("alice", store).clear_session()
    assert await StoreSession("bob", store).get_items() == [user("bob-1")]
    if store_factory.shared:  # a second store object (another "worker") sees the same data
        assert await StoreSession("a:b", store_factory()).get_items() == [user("a:b-2")]


async def test_concurrent_appends_lose_and_duplicate_nothing(store_factory: StoreFactory) -> None:
    stores = [store_factory(), store_factory()] if store_factory.shared else [store_factory()]
    sessions = [StoreSession("busy", stores[i % len(stores)]) for i in range(4)]

    async def writer(w: int) -> None:
        for k in range(3):
            await sessions[w].add_items([user(f"w{w}-{k}-a"), user(f"w{w}-{k}-b")])

    await asyncio.gather(*(writer(w) for w in range(4)))
    texts = [item["content"] for item in await sessions[0].get_items()]
    assert sorted(texts) == sorted(
        f"w{w}-{k}-{p}" for w in range(4) for k in range(3) for p in "ab"
    )
    for index in range(0, len(texts), 2):  # every batch stays together
        assert texts[index].endswith("-a") and texts[index + 1] == texts[index][:-1] + "b"
    for w in range(4):  # and each writer's batches keep their order
        mine = [t for t in texts if t.startswith(f"w{w}-") and t.endswith("-a")]
        assert mine == [f"w{w}-{k}-a" for k in range(3)]


async def test_store_session_never_closes_the_store(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession("mine", store)
    await session.add_items([user("x")])
    del session
    assert not store.closed
    assert await StoreSession("mine", store).get_items() == [user("x")]


def test_invalid_arguments_fail_fast() -> None:
    from sessions_plus import InvalidSessionIdError

    with pytest.raises(InvalidSessionIdError):
        StoreSession("", MemoryStore())
    with pytest.raises(TypeError):
        StoreSession("s", object())  # type: ignore[arg-type]


# ---------------------------------------------------------------------- parity with the SDK


async def _replay(session: Any, seed: int) -> list[Any]:
    """Run one seeded random sequence of Session calls; return everything they returned."""
    rng = random.Random(seed)
    outputs: list[Any] = []
    counter = 0
    for _ in range(50):
        op = rng.choice(["add", "add", "add", "get", "get", "pop", "clear"])
        if op == "add":
            batch = []
            for _ in range(rng.randint(0, 3)):
                counter += 1
                batch.append(user(f"m{counter}") if counter % 2 else reply(f"r{counter}"))
            outputs.append(("add", await session.add_items(batch)))
        elif op == "get":
            limit = rng.choice([None, None, 0, 1, 2, 3, 7, 100, -1])
            outputs.append(("get", limit, await session.get_items(limit)))
        elif op == "pop":
            outputs.append(("pop", await session.pop_item()))
        elif rng.random() < 0.3:
            outputs.append(("clear", await session.clear_session()))
    outputs.append(("final", await session.get_items()))
    return outputs


async def test_same_outputs_as_sdk_sqlite_session(store_factory: StoreFactory) -> None:
    store = store_factory()
    for seed in (1, 2):
        sdk = SdkSQLiteSession(f"parity-{seed}", session_settings={"limit": 4 + seed})
        ours = StoreSession(f"parity-{seed}", store, session_settings={"limit": 4 + seed})
        try:
            expected = await _replay(sdk, seed)
        finally:
            sdk.close()
        assert await _replay(ours, seed) == expected


# ---------------------------------------------------------------------- compaction


class FakeResponses:
    """Stands in for ``client.responses``: ``compact`` returns a scripted result, offline."""

    def __init__(self, output: list[Any], during: Any = None) -> None:
        self.output = output
        self.during = during
        self.calls: list[dict[str, Any]] = []

    async def compact(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.during is not None:
            await self.during()
        return SimpleNamespace(output=list(self.output), usage=None)


def fake_client(output: list[Any], during: Any = None) -> Any:
    return SimpleNamespace(responses=FakeResponses(output, during))


def spy_store(store: Any) -> list[str]:
    """Record which writing methods of ``store`` get called."""
    calls: list[str] = []
    for name in ("append", "splice", "clear", "pop", "delete"):
        original = getattr(store, name)

        def make(name: str = name, original: Any = original) -> Any:
            async def spy(*args: Any, **kwargs: Any) -> Any:
                calls.append(name)
                return await original(*args, **kwargs)

            return spy

        setattr(store, name, make())
    return calls


async def test_manual_compaction_replaces_history_atomically(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession("compact", store)
    history = [user("I was charged twice"), reply("Let me check", "m1"), user("thanks")]
    await session.add_items(history)
    calls = spy_store(store)
    client = fake_client([SUMMARY])
    wrapped = OpenAIResponsesCompactionSession("compact", session, client=client)
    await wrapped.run_compaction({"force": True})
    assert client.responses.calls[0]["input"] == history
    assert calls == ["splice"]  # the atomic hook, not clear_session + add_items
    assert await session.get_items() == [SUMMARY]
    assert [r.seq for r in await store.read("compact")] == [1]


async def test_runner_compaction_uses_the_atomic_snapshot(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession("auto", store)
    snapshots: list[int] = []
    original = session._get_compaction_snapshot

    async def spy(limit: int, **kwargs: Any) -> Any:
        snapshots.append(limit)
        return await original(limit, **kwargs)

    session._get_compaction_snapshot = spy  # type: ignore[method-assign]
    client = fake_client([SUMMARY])
    wrapped = OpenAIResponsesCompactionSession(
        "auto", session, client=client, should_trigger_compaction=lambda context: True
    )
    agent = Agent(name="Support", model=ScriptedModel([[assistant_message("Hello!")]]))
    calls = spy_store(store)
    await Runner.run(agent, "hi", session=wrapped)
    assert snapshots and client.responses.calls
    assert "clear" not in calls and calls[-1] == "splice"
    assert await session.get_items() == [SUMMARY]


async def test_append_during_compaction_leaves_history_intact(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_factory()
    other_worker = StoreSession("race", store_factory() if store_factory.shared else store)
    session = StoreSession("race", store)

    async def concurrent_append() -> None:  # another worker writes while compact() runs
        await other_worker.add_items([user("meanwhile")])

    client = fake_client([SUMMARY], during=concurrent_append)
    wrapped = OpenAIResponsesCompactionSession(
        "race", session, client=client, should_trigger_compaction=lambda context: True
    )
    agent = Agent(name="Support", model=ScriptedModel([[assistant_message("Hello!")]]))
    with caplog.at_level(logging.WARNING):
        await Runner.run(agent, "hi", session=wrapped)
    assert client.responses.calls
    items = await session.get_items()
    assert items[0] == user("hi") and items[-1] == user("meanwhile") and len(items) == 3
    assert "stored suffix changed" in caplog.text


async def test_compaction_under_the_sdk_encrypted_session(local_factory: StoreFactory) -> None:
    store = local_factory()
    client = fake_client([SUMMARY])
    compacting = OpenAIResponsesCompactionSession(
        "sealed",
        StoreSession("sealed", store),
        client=client,
        should_trigger_compaction=lambda context: True,
    )
    session = EncryptedSession("sealed", compacting, encryption_key="k" * 44, ttl=600)
    agent = Agent(name="Support", model=ScriptedModel([[assistant_message("Hello!")]]))
    calls = spy_store(store)
    await Runner.run(agent, "hi", session=session)
    assert client.responses.calls and calls[-1] == "splice" and "clear" not in calls
    assert await session.get_items() == [SUMMARY]
    [record] = await store.read("sealed")
    assert set(record.data) == {"__enc__", "v", "kid", "payload"}  # stored encrypted


async def test_replace_suffix_is_conditional(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = StoreSession("suffix", store)
    other = StoreSession("suffix", store_factory() if store_factory.shared else store)
    base = [user("u1"), reply("a1", "m1"), user("u2"), reply("a2", "m2")]
    await session.add_items(base)

    snapshot = await session._get_compaction_snapshot(10)
    assert snapshot is not None and snapshot.complete and snapshot.items == base
    await other.add_items([user("late")])
    assert await snapshot.replace_suffix(2, [SUMMARY]) is False  # appended meanwhile
    assert await session.get_items() == [*base, user("late")]

    snapshot = await session._get_compaction_snapshot(10)
    assert snapshot is not None
    await other.pop_item()
    await other.add_items([user("swapped")])  # same last seq, other content (ABA)
    assert await snapshot.replace_suffix(2, [SUMMARY]) is False
    assert await session.get_items() == [*base, user("swapped")]

    snapshot = await session._get_compaction_snapshot(3)
    assert snapshot is not None and not snapshot.complete  # older items exist
    assert snapshot.items == [user("u2"), reply("a2", "m2"), user("swapped")]
    assert await snapshot.replace_suffix(0, [SUMMARY]) is True
    assert await session.get_items() == [user("u1"), reply("a1", "m1"), SUMMARY]
    assert await snapshot.replace_suffix(3, []) is False  # empty suffix: nothing to replace


async def test_replace_suffix_prunes_a_wholly_expired_prefix() -> None:
    store = MemoryStore()
    session = StoreSession("prune", store)
    await session.add_items([{"old": 1}, {"old": 2}, user("new"), reply("r", "m")])

    def expired(item: Any) -> bool:
        return "old" in item

    snapshot = await session._get_compaction_snapshot(2, prune_prefix=expired)
    assert snapshot is not None and snapshot.items == [user("new"), reply("r", "m")]
    assert await snapshot.replace_suffix(0, [SUMMARY]) is True
    assert await session.get_items() == [SUMMARY]  # the expired prefix went with it

    await session.add_items([user("fresh"), {"old": 3}, user("q"), reply("a", "m2")])
    snapshot = await session._get_compaction_snapshot(2, prune_prefix=expired)
    assert snapshot is not None
    assert await snapshot.replace_suffix(0, [SUMMARY]) is True
    # A live item before the suffix: nothing of the prefix is dropped.
    assert await session.get_items() == [SUMMARY, user("fresh"), {"old": 3}, SUMMARY]


async def test_subclass_that_transforms_items_declines_the_atomic_hooks() -> None:
    class Shouting(StoreSession):
        async def add_items(self, items: list[Any]) -> None:
            await super().add_items(
                [{**item, "content": item["content"].upper()} for item in items]
            )

    session = Shouting("loud", MemoryStore())
    await session.add_items([user("hi")])
    assert await session._get_compaction_snapshot(5) is None
    assert await Shouting._atomic_replace_items(session, [SUMMARY]) is False
    assert await session.get_items() == [user("HI")]


# ---------------------------------------------------------------------- optional dependency


def test_missing_sdk_raises_missing_dependency_error() -> None:
    code = (
        "import sys; sys.modules['agents'] = None\n"
        "import sessions_plus\n"
        "try:\n"
        "    import sessions_plus.openai_agents\n"
        "except sessions_plus.MissingDependencyError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert 'pip install "sessions-plus[openai-agents]"' in out.stdout
