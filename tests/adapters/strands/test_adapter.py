"""The Strands adapter against the real strands.Agent/Swarm/Graph, on every store.

Agents run offline with a scripted model. For stores whose objects share data (every real
backend) each manager gets its own store object and background loop, as separate workers would;
for the process-local memory store they share one repository.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from strands import Agent
from strands.agent.conversation_manager import SlidingWindowConversationManager
from strands.multiagent import GraphBuilder, Swarm
from strands.session import SnapshotSessionManager
from strands.types.exceptions import SessionException
from strands.types.session import Session, SessionType

from sessions_plus import StoreClosedError
from sessions_plus.strands import (
    MESSAGE_FORMAT,
    SHARED_STREAM,
    DynamoDBSessionManager,
    RedisSessionManager,
    SQLiteSessionManager,
    StoreSessionManager,
    StoreSessionRepository,
    StoreStorage,
    agent_stream,
)
from tests.fixtures.factory import StoreFactory
from tests.fixtures.strands import ScriptedModel, handoff, texts

ROOT = Path(__file__).resolve().parents[3]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\x00binary\x00"

MakeManager = Callable[..., StoreSessionManager]


@pytest.fixture
def make_manager(store_factory: StoreFactory) -> Iterator[MakeManager]:
    """Makes managers on the test's store namespace, closing them all at the end.

    Managers share one repository (one store, one loop: a new store object costs a client
    handshake on some backends); ``separate=True`` gives a manager its own store object and
    background loop, as another worker would have (where store objects share data).
    """
    made: list[Any] = []
    common: list[StoreSessionRepository] = []

    def make(session_id: str = "chat", *, separate: bool = False, **options: Any) -> Any:
        if separate and store_factory.shared:
            manager = StoreSessionManager(session_id, store_factory(), close_store=True, **options)
        else:
            if not common:
                common.append(StoreSessionRepository(store_factory(), close_store=True))
            manager = StoreSessionManager(session_id, repository=common[0], **options)
        made.append(manager)
        return manager

    yield make
    for item in reversed(made):
        item.close()
    for repository in common:
        repository.close()


def agent(manager: StoreSessionManager, replies: Any = ("ok",), **options: Any) -> Agent:
    options.setdefault("agent_id", "assistant")
    return Agent(
        model=ScriptedModel(replies), session_manager=manager, callback_handler=None, **options
    )


def stored(manager: StoreSessionManager, agent_id: str = "assistant") -> list[Any]:
    return manager.repository.list_messages(manager.session_id, agent_id)


# ---------------------------------------------------------------------- single agent


def test_two_turns_persist_and_a_fresh_agent_continues(make_manager: MakeManager) -> None:
    first = agent(make_manager(), ["hello", "fine"])
    first("hi")
    first("how are you?")

    manager = make_manager()
    second = agent(manager, ["welcome back"])
    assert texts(second.messages) == ["hi", "hello", "how are you?", "fine"]
    second("still there?")
    # The model saw the whole restored history, and ids continue after the last stored one.
    assert second.model.texts_seen() == ["hi", "hello", "how are you?", "fine", "still there?"]
    messages = stored(manager)
    assert [m.message_id for m in messages] == list(range(6))
    assert texts([m.to_message() for m in messages])[-2:] == ["still there?", "welcome back"]


def test_records_carry_format_and_author(make_manager: MakeManager) -> None:
    manager = make_manager()
    agent(manager, ["pong"])("ping")
    records = manager.repository.run(manager.store.read("chat", stream=agent_stream("assistant")))
    assert [(r.seq, r.format, r.author) for r in records] == [
        (1, MESSAGE_FORMAT, "assistant"),
        (2, MESSAGE_FORMAT, "assistant"),
    ]


def test_list_read_and_limits(make_manager: MakeManager) -> None:
    manager = make_manager()
    agent(manager, ["a1", "a2", "a3"]).__call__("u1")
    bot = manager  # same session, more turns through a restored agent
    again = agent(make_manager(), ["a2", "a3"])
    again("u2")
    again("u3")
    repo = bot.repository
    assert [m.message_id for m in repo.list_messages("chat", "assistant", limit=2, offset=1)] == [
        1,
        2,
    ]
    assert [m.message_id for m in repo.list_messages("chat", "assistant", offset=4)] == [4, 5]
    assert repo.list_messages("chat", "assistant", offset=6) == []
    assert texts([repo.read_message("chat", "assistant", 2).to_message()]) == ["u2"]
    assert repo.read_message("chat", "assistant", 99) is None
    assert repo.read_message("chat", "nobody", 0) is None


async def test_invoke_async_from_a_running_loop(make_manager: MakeManager) -> None:
    manager = make_manager()
    bot = agent(manager, ["one", "two"])
    await bot.invoke_async("first")
    await bot.invoke_async("second")
    restored = agent(make_manager(), ["three"])
    assert texts(restored.messages) == ["first", "one", "second", "two"]


def test_redaction_persists(make_manager: MakeManager) -> None:
    bot = agent(
        make_manager(),
        [{"redactedUserContent": "[REDACTED]", "redactedAssistantContent": "I can't help."}],
    )
    bot("my card number is 4111 1111 1111 1111")
    restored = agent(make_manager())
    assert texts(restored.messages) == ["[REDACTED]", "I can't help."]
    assert not any("4111" in text for text in texts(restored.messages))


def test_agent_and_conversation_manager_state_round_trip(make_manager: MakeManager) -> None:
    window = SlidingWindowConversationManager(window_size=2, should_truncate_results=False)
    bot = agent(make_manager(), ["r1", "r2", "r3"], conversation_manager=window)
    bot.state.set("user", {"name": "Ada", "visits": 3})
    for prompt in ("p1", "p2", "p3"):
        bot(prompt)
    assert window.removed_message_count == 4

    manager = make_manager()
    window2 = SlidingWindowConversationManager(window_size=2, should_truncate_results=False)
    restored = agent(manager, ["r4"], conversation_manager=window2)
    assert restored.state.get("user") == {"name": "Ada", "visits": 3}
    assert window2.removed_message_count == 4
    assert texts(restored.messages) == ["p3", "r3"]
    restored("p4")
    # Appending after a trimmed restore continues after the last stored id, never over it.
    messages = stored(manager)
    assert [m.message_id for m in messages] == list(range(8))
    assert texts([m.to_message() for m in messages]) == [
        "p1",
        "r1",
        "p2",
        "r2",
        "p3",
        "r3",
        "p4",
        "r4",
    ]


def test_image_bytes_round_trip(make_manager: MakeManager) -> None:
    bot = agent(make_manager(), ["a cat"])
    image = {"image": {"format": "png", "source": {"bytes": PNG}}}
    bot([{"text": "what is this?"}, image])
    restored = agent(make_manager())
    block = restored.messages[0]["content"][1]
    assert block["image"]["source"]["bytes"] == PNG
    assert isinstance(block["image"]["source"]["bytes"], bytes)


# ---------------------------------------------------------------------- several agents


def test_agents_are_isolated_by_default(make_manager: MakeManager) -> None:
    manager = make_manager()
    planner = agent(manager, ["plan ready"], agent_id="planner")
    writer = agent(manager, ["draft ready"], agent_id="writer")
    planner("make a plan")
    writer("write it")
    assert writer.model.texts_seen() == ["write it"]
    restored = agent(make_manager(), agent_id="planner")
    assert texts(restored.messages) == ["make a plan", "plan ready"]


def test_shared_conversation(make_manager: MakeManager) -> None:
    planner = agent(make_manager(shared=True), ["1. outline 2. draft"], agent_id="planner")
    writer = agent(
        make_manager(shared=True, separate=True), ["Here is the draft."], agent_id="writer"
    )
    planner("Plan a post about otters")
    writer("Write it")
    assert writer.model.texts_seen() == [
        "Plan a post about otters",
        "1. outline 2. draft",
        "Write it",
    ]
    planner("Review it")
    assert planner.model.texts_seen() == [
        "Plan a post about otters",
        "1. outline 2. draft",
        "Write it",
        "Here is the draft.",
        "Review it",
    ]
    # One stream, authored by agent id; per-agent state stays per agent.
    manager = make_manager(shared=True)
    records = manager.repository.run(manager.store.read("chat", stream=SHARED_STREAM))
    assert [r.author for r in records] == ["planner"] * 2 + ["writer"] * 2 + ["planner"] * 2
    late = agent(manager, ["noted"], agent_id="writer")
    assert texts(late.messages)[-2:] == ["Review it", "1. outline 2. draft"]
    assert late.state.get() == {}


def test_two_workers_on_one_agent_lose_nothing(make_manager: MakeManager) -> None:
    turns = 5
    workers = [agent(make_manager(separate=True), [f"w{n} reply"]) for n in range(2)]
    barrier = threading.Barrier(2)

    def run(n: int) -> None:
        barrier.wait()
        for turn in range(turns):
            workers[n](f"w{n} turn {turn}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _assert_nothing_lost(stored(make_manager()), workers=2, turns=turns)


def _assert_nothing_lost(messages: list[Any], *, workers: int, turns: int) -> None:
    assert [m.message_id for m in messages] == list(range(2 * workers * turns))
    all_texts = texts([m.to_message() for m in messages])
    for n in range(workers):
        prompts = [t for t in all_texts if t.startswith(f"w{n} turn")]
        assert prompts == [f"w{n} turn {turn}" for turn in range(turns)]
        assert all_texts.count(f"w{n} reply") == turns


def test_two_processes_on_one_session_lose_nothing(cross_process_factory: StoreFactory) -> None:
    store_factory = cross_process_factory
    url, turns = store_factory.url(), 4
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fixtures.strands",
                "worker",
                url,
                "procs",
                str(n),
                str(turns),
            ],
            cwd=ROOT,
        )
        for n in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    with StoreSessionRepository(store_factory(), close_store=True) as repo:
        _assert_nothing_lost(repo.list_messages("procs", "assistant"), workers=2, turns=turns)


def test_repository_from_several_threads(make_manager: MakeManager) -> None:
    manager = make_manager()
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            bot = Agent(
                model=ScriptedModel([f"reply {n}"]),
                session_manager=StoreSessionManager(f"thread-{n}", repository=manager.repository),
                agent_id="assistant",
                callback_handler=None,
            )
            bot(f"hello {n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for n in range(6):
        messages = manager.repository.list_messages(f"thread-{n}", "assistant")
        assert texts([m.to_message() for m in messages]) == [f"hello {n}", f"reply {n}"]


# ---------------------------------------------------------------------- sessions


def test_create_session_fails_if_it_exists_and_delete(make_manager: MakeManager) -> None:
    manager = make_manager("exists")
    repo = manager.repository
    with pytest.raises(SessionException):
        repo.create_session(Session(session_id="exists", session_type=SessionType.AGENT))
    agent(manager)("hi")
    manager.delete_session()
    assert repo.read_session("exists") is None
    with pytest.raises(SessionException):
        repo.delete_session("exists")
    fresh = agent(make_manager("exists"))
    assert fresh.messages == []


def test_expired_session_restores_as_new(store_factory: StoreFactory) -> None:
    common = None if store_factory.shared else store_factory(ttl=1)

    def manager() -> StoreSessionManager:
        if common is not None:
            return StoreSessionManager("ttl", common)
        return StoreSessionManager("ttl", store_factory(ttl=1), close_store=True)

    first = manager()
    try:
        agent(first, ["remembered"])("hi")
    finally:
        first.close()
    time.sleep(1.3)
    later = manager()
    try:
        bot = agent(later, ["fresh"])
        assert bot.messages == []
        bot("hello again")
        assert [m.message_id for m in stored(later)] == [0, 1]
    finally:
        later.close()
        if common is not None:
            asyncio.run(common.aclose())


# ---------------------------------------------------------------------- multi-agent


class Crash(BaseException):
    """Stands for the process dying mid-run (not caught as a node failure)."""


def _swarm(manager: StoreSessionManager, writer_reply: Any) -> Swarm:
    researcher = Agent(
        name="researcher",
        model=ScriptedModel([handoff("writer", "facts: otters hold hands"), "handed off"]),
        callback_handler=None,
    )
    writer = Agent(name="writer", model=ScriptedModel([writer_reply]), callback_handler=None)
    return Swarm([researcher, writer], session_manager=manager, id="team")


def test_swarm_state_persists_and_resumes(make_manager: MakeManager) -> None:
    def crash(messages: Any) -> str:
        raise Crash

    swarm = _swarm(make_manager(), crash)
    with pytest.raises(Crash):
        swarm("Write about otters")
    manager = make_manager()
    state = manager.repository.read_multi_agent("chat", "team")
    assert state["node_history"] == ["researcher"]
    assert state["next_nodes_to_execute"] == ["writer"]

    resumed = _swarm(manager, "Otters hold hands while sleeping.")
    result = resumed("Write about otters")
    assert result.status.value == "completed"
    assert [node.node_id for node in result.node_history] == ["researcher", "writer"]
    assert resumed.nodes["researcher"].executor.model.calls == 0  # not run again
    final = make_manager().repository.read_multi_agent("chat", "team")
    assert final["status"] == "completed"


def test_graph_state_persists(make_manager: MakeManager) -> None:
    builder = GraphBuilder()
    builder.add_node(Agent(name="only", model=ScriptedModel(["done"]), callback_handler=None))
    builder.set_session_manager(make_manager())
    builder.set_graph_id("flow")
    builder.set_execution_timeout(60)
    graph = builder.build()
    result = graph("go")
    assert result.status.value == "completed"
    state = make_manager().repository.read_multi_agent("chat", "flow")
    assert state["status"] == "completed"
    assert state["completed_nodes"] == ["only"]


# ---------------------------------------------------------------------- Storage protocol


async def test_store_storage_protocol(store_factory: StoreFactory) -> None:
    storage = StoreStorage(store_factory(), close_store=True)
    try:
        await storage.write("session/a/x.json", b"\x00\xffbytes")
        await storage.write("session/a/deep/y.json", b"y")
        await storage.write("session/b/z.json", b"z")
        await storage.write("top.json", b"t")
        await storage.write("//session//a/x.json", b"again")  # same key, normalized
        assert await storage.read("session/a/x.json") == b"again"
        assert await storage.read("session/a/missing") is None
        assert await storage.list("session/a/") == ["session/a/deep/y.json", "session/a/x.json"]
        assert await storage.list("session/") == [
            "session/a/deep/y.json",
            "session/a/x.json",
            "session/b/z.json",
        ]
        assert await storage.list("") == [
            "session/a/deep/y.json",
            "session/a/x.json",
            "session/b/z.json",
            "top.json",
        ]
        await storage.delete("session/a/x.json")
        await storage.delete("session/a/x.json")  # no-op
        assert await storage.list("session/a") == ["session/a/deep/y.json"]
        with pytest.raises(Exception, match=r"'\.\.'"):
            await storage.write("session/../etc", b"")
    finally:
        await storage.aclose()


def test_snapshot_session_manager_over_store_storage(store_factory: StoreFactory) -> None:
    common = None if store_factory.shared else store_factory()

    def storage() -> StoreStorage:
        if common is not None:
            return StoreStorage(common)
        return StoreStorage(store_factory(), close_store=True)

    with storage() as first_storage:
        bot = agent(SnapshotSessionManager("snap", storage=first_storage), ["in a snapshot"])
        bot.state.set("k", [1, 2])
        bot([{"text": "hi"}, {"image": {"format": "png", "source": {"bytes": PNG}}}])
    with storage() as second_storage:
        restored = agent(SnapshotSessionManager("snap", storage=second_storage), ["again"])
        assert texts(restored.messages) == ["hi", "in a snapshot"]
        assert restored.messages[0]["content"][1]["image"]["source"]["bytes"] == PNG
        assert restored.state.get("k") == [1, 2]
        restored("more")
        keys = asyncio.run(second_storage.list("session/snap/"))
        assert keys == ["session/snap/scopes/agent/assistant/snapshots/snapshot_latest.json"]
    with storage() as third_storage:
        manager = SnapshotSessionManager("snap", storage=third_storage)
        assert texts(agent(manager).messages)[-2:] == ["more", "again"]
        asyncio.run(manager.delete_session())
        assert asyncio.run(third_storage.list("session/snap/")) == []
    if common is not None:
        asyncio.run(common.aclose())


def test_snapshot_session_manager_in_one_process(store_factory: StoreFactory) -> None:
    with StoreStorage(store_factory(), close_store=True) as storage:
        bot = agent(SnapshotSessionManager("snap", storage=storage), ["first"])
        bot("hi")
        restored = agent(SnapshotSessionManager("snap", storage=storage))
        assert texts(restored.messages) == ["hi", "first"]


# ---------------------------------------------------------------------- shutdown


def test_close_and_interpreter_exit_do_not_hang(store_factory: StoreFactory) -> None:
    """Closed, context-managed and forgotten managers and storages all let the process exit."""
    url = store_factory.url() if store_factory.cross_process else "memory://"
    script = (
        "import asyncio\n"
        "from strands import Agent\n"
        "from sessions_plus import open_store\n"
        "from sessions_plus.strands import StoreSessionManager, StoreStorage\n"
        "from sessions_plus.testing import ScriptedModel\n"
        f"URL = {url!r}\n"
        "with StoreSessionManager('s', open_store(URL), close_store=True) as m:\n"
        "    Agent(model=ScriptedModel(), session_manager=m, callback_handler=None)('hi')\n"
        "m.close()\n"
        "forgotten = StoreSessionManager('s', open_store(URL), close_store=True)\n"
        "bot = Agent(model=ScriptedModel(), session_manager=forgotten, callback_handler=None)\n"
        "asyncio.run(bot.invoke_async('again'))\n"
        "storage = StoreStorage(open_store(URL), close_store=True)\n"
        "asyncio.run(storage.write('session/x/k', b'v'))\n"
        "print(len(bot.messages))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("4" if store_factory.cross_process else "2")
    assert "Task was destroyed" not in result.stderr
    assert "never awaited" not in result.stderr


def test_closed_repository_refuses_calls(store_factory: StoreFactory) -> None:
    repo = StoreSessionRepository(store_factory(), close_store=True)
    assert repo.read_session("nothing") is None
    repo.close()
    repo.close()
    assert repo.store.closed
    with pytest.raises(StoreClosedError):
        repo.read_session("nothing")


# ---------------------------------------------------------------------- drop-ins


def _drop_in(url: str, session_id: str, **options: Any) -> StoreSessionManager:
    """The backend's drop-in manager, configured from the test store's URL."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        assert not query, query
        return SQLiteSessionManager(session_id, db_path=parts.path[1:], **options)
    if parts.scheme.startswith("redis"):
        return RedisSessionManager(session_id, url=url, **options)
    if parts.scheme == "dynamodb":
        return DynamoDBSessionManager(
            session_id,
            table_name=parts.netloc or parts.path.strip("/"),
            region_name=query.pop("region", None) or query.pop("region_name", None),
            endpoint_url=query.pop("endpoint_url", None),
            store_options=query,
            **options,
        )
    raise AssertionError(f"no drop-in for {url}")


def test_drop_in_manager(cross_process_factory: StoreFactory) -> None:
    store_factory = cross_process_factory
    with _drop_in(store_factory.url(), "drop-in") as manager:
        agent(manager, ["first"])("hi")
    with _drop_in(store_factory.url(), "drop-in", shared=True) as manager:
        bot = agent(manager, ["second"], agent_id="other")
        assert texts(bot.messages) == []
        bot("hello")
    with _drop_in(store_factory.url(), "drop-in") as manager:
        assert texts(agent(manager).messages) == ["hi", "first"]
        assert manager.store.closed is False
    assert manager.store.closed


def test_sqlite_drop_in_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with SQLiteSessionManager("home") as manager:
        agent(manager, ["stored"])("hi")
    assert (tmp_path / ".strands" / "sessions.db").exists()
    with SQLiteSessionManager("home", tmp_path / ".strands" / "sessions.db") as manager:
        assert texts(agent(manager).messages) == ["hi", "stored"]
