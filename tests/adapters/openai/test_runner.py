"""The real OpenAI Agents SDK Runner, driven offline by ScriptedModel, on sessions-plus sessions."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, RunConfig, Runner, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message, function_call

from sessions_plus import open_store
from sessions_plus.openai_agents import SQLiteSession, StoreSession
from tests.fixtures.factory import StoreFactory

set_tracing_disabled(True)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["memory_store_factory", "sqlite_file_store_factory"])
def local_factory(request: pytest.FixtureRequest) -> StoreFactory:
    """In-process backends only, for tests of adapter logic that no backend changes."""
    factory: StoreFactory = request.getfixturevalue(request.param)
    return factory


def said(items: Any) -> list[tuple[str, str]]:
    """(role or type, text) of every message and call in a model input or a history."""
    out: list[tuple[str, str]] = []
    for item in items:
        if item.get("type") in ("function_call", "function_call_output"):
            out.append((item["type"], item.get("name") or item["output"]))
            continue
        content = item["content"]
        text = content if isinstance(content, str) else "".join(c["text"] for c in content)
        out.append((item["role"], text))
    return out


def scripted(*replies: str) -> ScriptedModel:
    return ScriptedModel(
        [[assistant_message(text, item_id=f"msg_{i}")] for i, text in enumerate(replies)]
    )


async def test_three_turns_model_sees_the_full_history(store_factory: StoreFactory) -> None:
    session = StoreSession("three", store_factory())
    model = scripted("Hi Ada!", "You like tea.", "Your name is Ada and you like tea.")
    agent = Agent(name="Assistant", instructions="Be brief.", model=model)
    for question in ("I am Ada.", "I like tea.", "What do you know about me?"):
        await Runner.run(agent, question, session=session)
    first, second, third = (said(call.input) for call in model.calls)
    assert first == [("user", "I am Ada.")]
    assert second == [("user", "I am Ada."), ("assistant", "Hi Ada!"), ("user", "I like tea.")]
    assert third == [
        *second,
        ("assistant", "You like tea."),
        ("user", "What do you know about me?"),
    ]
    assert said(await session.get_items()) == [
        *third,
        ("assistant", "Your name is Ada and you like tea."),
    ]


def test_run_sync_from_sync_code_and_a_plain_thread(store_factory: StoreFactory) -> None:
    session = StoreSession("sync", store_factory())
    model = scripted("one", "two")
    agent = Agent(name="Assistant", model=model)
    assert Runner.run_sync(agent, "first", session=session).final_output == "one"
    results: list[Any] = []
    worker = threading.Thread(
        target=lambda: results.append(Runner.run_sync(agent, "second", session=session))
    )
    worker.start()
    worker.join(60)
    assert results and results[0].final_output == "two"
    assert said(model.calls[1].input) == [
        ("user", "first"),
        ("assistant", "one"),
        ("user", "second"),
    ]


async def test_run_streamed(store_factory: StoreFactory) -> None:
    session = StoreSession("streamed", store_factory())
    model = scripted("Streaming works.", "Still streaming.")
    agent = Agent(name="Assistant", model=model)
    for question in ("stream please", "again"):
        result = Runner.run_streamed(agent, question, session=session)
        events = [event async for event in result.stream_events()]
        assert events
    assert result.final_output == "Still streaming."
    assert all(call.streamed for call in model.calls)
    assert said(model.calls[1].input) == [
        ("user", "stream please"),
        ("assistant", "Streaming works."),
        ("user", "again"),
    ]
    assert len(await session.get_items()) == 4


async def test_handoff_specialist_sees_the_triage_turns(store_factory: StoreFactory) -> None:
    session = StoreSession("handoff", store_factory())
    billing_model = scripted(
        "I see a duplicate charge of $42; I have refunded it.", "The refund takes 3-5 days."
    )
    billing = Agent(name="Billing", instructions="Resolve billing issues.", model=billing_model)
    triage_model = ScriptedModel([[function_call("transfer_to_billing", {}, call_id="call_1")]])
    triage = Agent(
        name="Triage", instructions="Route the user.", model=triage_model, handoffs=[billing]
    )
    result = await Runner.run(triage, "I was charged twice for my order.", session=session)
    assert result.last_agent is billing
    assert said(triage_model.calls[0].input) == [("user", "I was charged twice for my order.")]
    assert said(billing_model.calls[0].input) == [
        ("user", "I was charged twice for my order."),
        ("function_call", "transfer_to_billing"),
        ("function_call_output", '{"assistant": "Billing"}'),
    ]
    # The conversation continues with the specialist, who still sees the triage turns.
    await Runner.run(result.last_agent, "How long will it take?", session=session)
    assert said(billing_model.calls[1].input) == [
        *said(billing_model.calls[0].input),
        ("assistant", "I see a duplicate charge of $42; I have refunded it."),
        ("user", "How long will it take?"),
    ]
    assert len(await session.get_items()) == 6


async def test_session_input_callback(local_factory: StoreFactory) -> None:
    session = StoreSession("callback", local_factory())
    model = scripted("a1", "a2", "a3")
    agent = Agent(name="Assistant", model=model)

    def last_turn_only(history: list[Any], new: list[Any]) -> list[Any]:
        return history[-2:] + new

    config = RunConfig(session_input_callback=last_turn_only)
    for question in ("q1", "q2", "q3"):
        await Runner.run(agent, question, session=session, run_config=config)
    assert said(model.calls[2].input) == [("user", "q2"), ("assistant", "a2"), ("user", "q3")]
    assert len(await session.get_items()) == 6  # the session still keeps everything


async def test_session_settings_limit_bounds_what_the_model_sees(
    local_factory: StoreFactory,
) -> None:
    session = StoreSession("window", local_factory(), session_settings={"limit": 2})
    model = scripted("a1", "a2", "a3")
    agent = Agent(name="Assistant", model=model)
    for question in ("q1", "q2", "q3"):
        await Runner.run(agent, question, session=session)
    assert said(model.calls[2].input) == [("user", "q2"), ("assistant", "a2"), ("user", "q3")]
    assert len(await session.get_items(limit=100)) == 6


# ---------------------------------------------------------------------- across processes

_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from agents import Agent, Runner, set_tracing_disabled
    from agents.testing import ScriptedModel, assistant_message
    from sessions_plus.openai_agents import SQLiteSession

    set_tracing_disabled(True)
    model = ScriptedModel([[assistant_message("You ordered a blue kettle.")]])
    session = SQLiteSession("customer-7", sys.argv[1])
    Runner.run_sync(Agent(name="Support", model=model), "What did I order?", session=session)
    session.close()
    print(json.dumps(model.calls[0].input))
    """
)


async def test_fresh_process_reopens_the_sqlite_file_and_continues(tmp_path: Path) -> None:
    db = tmp_path / "support.db"
    session = SQLiteSession("customer-7", db)
    model = scripted("Noted: one blue kettle.")
    await Runner.run(
        Agent(name="Support", model=model), "I ordered a blue kettle.", session=session
    )
    session.close()

    child = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _CHILD, str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    seen = json.loads(child.stdout.strip().splitlines()[-1])
    assert said(seen) == [
        ("user", "I ordered a blue kettle."),
        ("assistant", "Noted: one blue kettle."),
        ("user", "What did I order?"),
    ]
    reopened = SQLiteSession("customer-7", db)
    assert said(await reopened.get_items()) == [
        *said(seen),
        ("assistant", "You ordered a blue kettle."),
    ]
    reopened.close()


TURNS = 8


def _writer(url: str | None, db: str | None, name: str, barrier: Any) -> None:
    """Child process: run TURNS Runner turns on the shared session."""

    async def main() -> None:
        if db is not None:
            session: StoreSession = SQLiteSession("shared", db)
        else:
            assert url is not None
            session = StoreSession("shared", open_store(url), author=name)
        model = scripted(*(f"{name}-a{k}" for k in range(TURNS)))
        agent = Agent(name=name, model=model)
        await session.get_items()  # connect (and create the schema) before the start line
        await asyncio.to_thread(barrier.wait, 60)
        for k in range(TURNS):
            await Runner.run(agent, f"{name}-q{k}", session=session)
        await session.store.aclose()

    asyncio.run(main())


def _run_writers(url: str | None, db: str | None) -> None:
    context = multiprocessing.get_context("fork")  # the parent has the SDK imported already
    barrier = context.Barrier(2)
    children = [
        context.Process(target=_writer, args=(url, db, name, barrier)) for name in ("p0", "p1")
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0]


def _check_interleaved(history: list[Any]) -> None:
    texts = [text for _, text in said(history)]
    assert len(texts) == len(set(texts)) == 2 * 2 * TURNS  # nothing lost, nothing duplicated
    for name in ("p0", "p1"):
        mine = [text for text in texts if text.startswith(name)]
        assert mine == [f"{name}-{kind}{k}" for k in range(TURNS) for kind in "qa"]


def test_two_processes_append_to_one_session(cross_process_factory: StoreFactory) -> None:
    store_factory = cross_process_factory
    _run_writers(store_factory.url(), None)
    session = StoreSession("shared", store_factory.open())
    _check_interleaved(asyncio.run(session.get_items()))


def test_two_processes_append_through_the_drop_in_sqlite_session(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.db")
    _run_writers(None, db)
    session = SQLiteSession("shared", db)
    _check_interleaved(asyncio.run(session.get_items()))
    session.close()
