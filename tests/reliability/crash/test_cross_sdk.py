"""Shared and cross-SDK conversations with a worker SIGKILLed mid-tool: what neither SDK's own
repair sees (the other SDK's records, another agent's turns). Every next turn runs in another
process on a model that validates its history as its provider does."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from sessions_plus import open_store
from sessions_plus.conversation import INTERRUPTED, SHARED_STREAM, STRANDS_MESSAGE, render
from sessions_plus.openai_agents import StoreSession
from sessions_plus.testing import check_converse_messages, check_responses_input
from tests.fixtures.factory import StoreFactory

from . import workers
from .helpers import Forked, Worker, forked_crash, forked_turn, stored
from .workers import SESSION

pytestmark = pytest.mark.slow

CALL = '[spec called tool calc({"expression": "2+2"})'
PENDING = f"{CALL}; no result]"
INTERRUPTED_NOTE = f"{CALL} -> interrupted: no result was recorded]"


def texts(items: list[Any]) -> list[str]:
    """Every text an OpenAI model was given (messages only)."""
    out = []
    for item in items:
        if item.get("type") in ("function_call", "function_call_output"):
            out.append(f"{item['type']} {item['call_id']}")
        else:
            content = item["content"]
            out.append(content if isinstance(content, str) else "".join(c["text"] for c in content))
    return out


def blocks(history: list[Any]) -> list[Any]:
    return [block for message in history for block in message["content"]]


def test_openai_killed_mid_tool_while_strands_shares(cross_process_factory: StoreFactory) -> None:
    url = cross_process_factory.url()
    forked_crash(workers.openai_crash, url=url, point="tool", shared=True)
    before = stored(url, SHARED_STREAM)

    seen, _ = forked_turn(workers.strands_turn, url=url, prompt="Spec here?", shared=True)
    history = seen["seen"]
    assert check_converse_messages(history) is None
    assert {"text": "Look it up."} in blocks(history)  # the killed run's prompt, as a turn

    seen, _ = forked_turn(workers.openai_turn, url=url, prompt="Triage again?", shared=True)
    assert check_responses_input(seen["input"]) is None
    assert texts(seen["input"])[-4:] == [
        "Look it up.",
        "Spec here?",
        "Answer to: Spec here?",
        "Triage again?",
    ]
    assert stored(url, SHARED_STREAM)[: len(before)] == before


@pytest.mark.parametrize("foreign_tools", ["text", "native"])
def test_strands_killed_mid_tool_while_openai_shares(
    cross_process_factory: StoreFactory, foreign_tools: str
) -> None:
    url = cross_process_factory.url()
    forked_crash(workers.strands_crash, url=url, point="tool", shared=True)
    before = stored(url, SHARED_STREAM)

    # Nothing follows the call yet: a plain read shows it without result (it may be live).
    seen, log = forked_turn(
        workers.openai_turn, url=url, prompt="Q1?", shared=True, foreign_tools=foreign_tools
    )
    assert check_responses_input(seen["input"]) is None
    assert texts(seen["input"])[-2:] == [PENDING, "Q1?"]
    assert not log
    # Now a later turn was stored after it: every reader shows it as interrupted.
    seen, log = forked_turn(
        workers.openai_turn, url=url, prompt="Q2?", shared=True, foreign_tools=foreign_tools
    )
    assert check_responses_input(seen["input"]) is None
    assert texts(seen["input"])[-4:] == [INTERRUPTED_NOTE, "Q1?", "Answer to: Q1?", "Q2?"]
    assert any("record seq=6: tool call tooluse_1 has no result" in line for line in log)
    # The Strands agent, restored elsewhere: its call answered as interrupted, first thing
    # in the user turn that follows it (the OpenAI agent's, converted).
    seen, _ = forked_turn(workers.strands_turn, url=url, prompt="Spec again?", shared=True)
    history = seen["seen"]
    assert check_converse_messages(history) is None
    use = next(i for i, m in enumerate(history) if "tooluse_1" in str(m["content"]))
    assert history[use + 1]["content"][0]["toolResult"]["content"] == [{"text": INTERRUPTED}]
    assert history[use + 1]["content"][1] == {"text": "Q1?"}
    assert stored(url, SHARED_STREAM)[: len(before)] == before


def test_another_agents_turns_interleaved_with_the_orphan(
    cross_process_factory: StoreFactory,
) -> None:
    url = cross_process_factory.url()
    forked_crash(workers.strands_crash, url=url, point="tool", shared=True)
    before = stored(url, SHARED_STREAM)

    # Another Strands agent starts a run on the conversation: spec's call is interrupted.
    seen, log = forked_turn(
        workers.strands_turn, url=url, prompt="Helper here.", shared=True, agent_id="helper"
    )
    history = seen["seen"]
    assert check_converse_messages(history) is None
    assert history[-1]["content"][1:] == [{"text": "Helper here."}]
    assert history[-1]["content"][0]["toolResult"]["toolUseId"] == "tooluse_1"
    assert any("tool call tooluse_1 has no result" in line for line in log)

    seen, _ = forked_turn(workers.openai_turn, url=url, prompt="Triage here.", shared=True)
    assert check_responses_input(seen["input"]) is None
    assert INTERRUPTED_NOTE in texts(seen["input"])

    seen, _ = forked_turn(workers.strands_turn, url=url, prompt="Spec is back.", shared=True)
    history = seen["seen"]
    assert check_converse_messages(history) is None
    after = stored(url, SHARED_STREAM)
    assert after[: len(before)] == before
    assert [r.author for r in after[len(before) :]] == ["helper"] * 2 + ["triage"] * 2 + [
        "spec"
    ] * 2


def test_a_live_call_is_not_repaired_until_the_conversation_moves_on(
    cross_process_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Both sides of the rule, across processes: while the tool runs in another process, plain
    reads show its call as it is (pending); once the run ends, the real result pairs with it."""
    url = cross_process_factory.url()
    live = Forked(workers.strands_crash, url=url, point="tool", shared=True)
    live.at_crash_point()
    with caplog.at_level(logging.WARNING, logger="sessions_plus"):
        pending = read_both(url)
        assert texts(pending["openai"])[-1] == PENDING
        assert "toolUse" in str(pending["strands"][-1]["message"]["content"])
        assert "toolResult" not in str(pending["strands"][-1])
        result, _ = live.release()
        assert result == {"done": True}
        done = read_both(url)
    assert not [r for r in caplog.records if "has no result" in r.getMessage()]
    assert texts(done["openai"])[-2:] == [f"{CALL} -> 4]", "It is 4."]
    messages = [item["message"] for item in done["strands"]]
    assert check_converse_messages(messages) is None
    seen, log = forked_turn(workers.openai_turn, url=url, prompt="Thanks.", shared=True)
    assert check_responses_input(seen["input"]) is None and not log


def test_a_live_call_overtaken_by_another_turn(cross_process_factory: StoreFactory) -> None:
    """The other side: a turn stored while the tool still runs ends the call's turn; its late
    result is shown as a note, and every provider still gets a history it takes."""
    url = cross_process_factory.url()
    live = Forked(workers.strands_crash, url=url, point="tool", shared=True)
    live.at_crash_point()
    seen, _ = forked_turn(workers.openai_turn, url=url, prompt="Meanwhile?", shared=True)
    assert texts(seen["input"])[-2:] == [PENDING, "Meanwhile?"]
    live.release()
    after = read_both(url)
    assert check_responses_input(after["openai"]) is None
    assert INTERRUPTED_NOTE in texts(after["openai"])
    assert "[result of tool call tooluse_1 -> 4]" in texts(after["openai"])
    seen, _ = forked_turn(workers.strands_turn, url=url, prompt="Spec?", shared=True)
    assert check_converse_messages(seen["seen"]) is None


def read_both(url: str) -> dict[str, list[Any]]:
    """The shared conversation by plain reads: an OpenAI session's items, Strands rendering."""

    async def read() -> dict[str, list[Any]]:
        async with open_store(url) as store:
            items = await StoreSession(SESSION, store, shared=True, author="triage").get_items()
            records = await store.read(SESSION, stream=SHARED_STREAM)
            rendered = render(records, STRANDS_MESSAGE, session_id=SESSION)
            return {"openai": items, "strands": [r.item for r in rendered]}

    return asyncio.run(read())


async def test_fresh_interpreters_as_a_new_user_would(cross_process_factory: StoreFactory) -> None:
    """The interleaved case with every worker a new Python process (no forking)."""
    url = cross_process_factory.url()
    crashed = await Worker.start("strands_crash", url=url, point="tool", shared=True)
    await crashed.kill()
    (helper, _), (triage, _), (spec, log) = [
        await (await Worker.start(name, url=url, prompt=prompt, shared=True, **extra)).finish()
        for name, prompt, extra in [
            ("strands_turn", "Helper here.", {"agent_id": "helper"}),
            ("openai_turn", "Triage here.", {}),
            ("strands_turn", "Spec is back.", {}),
        ]
    ]
    assert check_converse_messages(helper["seen"]) is None
    assert check_responses_input(triage["input"]) is None
    assert check_converse_messages(spec["seen"]) is None
    assert INTERRUPTED in str(spec["seen"]) and "tool call tooluse_1 has no result" in log
