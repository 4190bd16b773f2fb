"""One conversation, two SDKs: an OpenAI Agents SDK triage agent and a Strands specialist.

Both run offline on scripted models; the assertions are on what each model was *shown*.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
from agents import Agent as OpenAIAgent
from agents import Runner, function_tool, set_tracing_disabled
from agents.testing import ScriptedModel as OpenAIScripted
from agents.testing import assistant_message, function_call
from strands import Agent as StrandsAgent
from strands import tool
from strands.agent.conversation_manager import NullConversationManager

from sessions_plus import ConversationStore, ConversionError
from sessions_plus.conversation import SHARED_STREAM
from sessions_plus.openai_agents import StoreSession
from sessions_plus.strands import StoreSessionManager
from sessions_plus.testing import ScriptedModel as StrandsScripted
from sessions_plus.testing import tool_call
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python

set_tracing_disabled(True)


# ---------------------------------------------------------------------- helpers


def openai_view(items: Any) -> list[tuple[str, str]]:
    """(role or item type, text) of every item an OpenAI model was given."""
    out: list[tuple[str, str]] = []
    for item in items:
        kind = item.get("type")
        if kind == "function_call":
            out.append(("function_call", f"{item['name']} {item['arguments']}"))
        elif kind == "function_call_output":
            out.append(("function_call_output", str(item["output"])))
        else:
            content = item["content"]
            text = content if isinstance(content, str) else "".join(c["text"] for c in content)
            out.append((item["role"], text))
    return out


def strands_view(messages: Any) -> list[tuple[str, list[str]]]:
    """(role, blocks) of every message a Strands model was given; blocks as short strings."""
    out: list[tuple[str, list[str]]] = []
    for message in messages:
        blocks: list[str] = []
        for block in message["content"]:
            if "text" in block:
                blocks.append(block["text"])
            elif "toolUse" in block:
                use = block["toolUse"]
                blocks.append(f"toolUse {use['name']} {json.dumps(use['input'])}")
            elif "toolResult" in block:
                result = block["toolResult"]
                texts = "".join(c.get("text", "") for c in result["content"])
                blocks.append(f"toolResult {result['toolUseId']} {texts}")
        out.append((message["role"], blocks))
    return out


def alternates(messages: Any) -> bool:
    roles = [m["role"] for m in messages]
    return bool(roles) and roles[0] == "user" and all(a != b for a, b in pairwise(roles))


def stores(factory: StoreFactory) -> tuple[ConversationStore, ConversationStore]:
    """One store object per SDK (as two workers), or one where objects do not share data."""
    first = factory()
    return first, (factory() if factory.shared else first)


@pytest.fixture
def managers() -> Iterator[list[StoreSessionManager]]:
    made: list[StoreSessionManager] = []
    yield made
    for manager in made:
        manager.close()


def specialist(
    store: ConversationStore,
    made: list[StoreSessionManager],
    replies: list[Any],
    *,
    session_id: str = "conv",
    agent_options: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[StrandsAgent, StrandsScripted]:
    manager = StoreSessionManager(session_id, store, shared=True, **options)
    made.append(manager)
    model = StrandsScripted(replies)
    agent = StrandsAgent(
        agent_id="spec",
        model=model,
        session_manager=manager,
        callback_handler=None,
        tools=[calc],
        **(agent_options or {}),
    )
    return agent, model


@function_tool
def lookup(topic: str) -> str:
    """Look a topic up."""
    return f"notes on {topic}"


@tool
def calc(expression: str) -> str:
    """Evaluate a sum."""
    return str(sum(int(term) for term in expression.split("+")))


# ---------------------------------------------------------------------- turns


async def test_openai_then_strands_then_openai_on_every_backend(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    openai_store, strands_store = stores(store_factory)
    session = StoreSession("conv", openai_store, shared=True, author="triage")
    triage_model = OpenAIScripted(
        [
            [assistant_message("Triage: passing you to the specialist.", item_id="t1")],
            [assistant_message("Triage: the specialist says 42.", item_id="t2")],
        ]
    )
    triage = OpenAIAgent(name="triage", model=triage_model)
    await Runner.run(triage, "What is 40+2?", session=session)

    spec, spec_model = specialist(strands_store, managers, ["Specialist: it is 42."])
    await asyncio.to_thread(spec, "Please work it out.")
    assert strands_view(spec_model.seen[0]) == [
        ("user", ["What is 40+2?"]),
        ("assistant", ["Triage: passing you to the specialist."]),
        ("user", ["Please work it out."]),
    ]

    await Runner.run(triage, "Thanks. Summarise.", session=session)
    assert openai_view(triage_model.calls[1].input) == [
        ("user", "What is 40+2?"),
        ("assistant", "Triage: passing you to the specialist."),
        ("user", "Please work it out."),
        ("assistant", "Specialist: it is 42."),
        ("user", "Thanks. Summarise."),
    ]
    # Each SDK's own records came back exactly as stored.
    records = await openai_store.read("conv", stream=SHARED_STREAM)
    assert [(r.format, r.author) for r in records] == [
        ("openai.responses", "triage"),
        ("openai.responses", "triage"),
        ("strands.message", "spec"),
        ("strands.message", "spec"),
        ("openai.responses", "triage"),
        ("openai.responses", "triage"),
    ]
    own = [item for item in await session.get_items() if item.get("id") == "t1"]
    assert own == [records[1].data]


async def test_tool_calls_on_each_side_become_notes(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    openai_store, strands_store = stores(store_factory)
    session = StoreSession("conv", openai_store, shared=True, author="triage")
    triage_model = OpenAIScripted(
        [
            [function_call("lookup", {"topic": "sums"}, call_id="call_1")],
            [assistant_message("Triage: over to the specialist.", item_id="t1")],
            [assistant_message("Triage: done.", item_id="t2")],
        ]
    )
    triage = OpenAIAgent(name="triage", model=triage_model, tools=[lookup])
    await Runner.run(triage, "Add 40 and 2.", session=session)

    spec, spec_model = specialist(
        strands_store,
        managers,
        [tool_call("calc", {"expression": "40+2"}, "tooluse_1"), "Specialist: 42."],
    )
    await asyncio.to_thread(spec, "Compute it.")
    first = spec_model.seen[0]
    assert alternates(first)
    assert strands_view(first) == [
        ("user", ["Add 40 and 2."]),
        (
            "assistant",
            [
                '[triage called tool lookup({"topic": "sums"}) -> notes on sums]',
                "Triage: over to the specialist.",
            ],
        ),
        ("user", ["Compute it."]),
    ]
    # The specialist's own tool call stays native for itself.
    assert strands_view(spec_model.seen[1])[-2:] == [
        ("assistant", ['toolUse calc {"expression": "40+2"}']),
        ("user", ["toolResult tooluse_1 42"]),
    ]

    await Runner.run(triage, "Thanks.", session=session)
    assert openai_view(triage_model.calls[2].input)[-4:] == [
        ("user", "Compute it."),
        ("assistant", '[spec called tool calc({"expression": "40+2"}) -> 42]'),
        ("assistant", "Specialist: 42."),
        ("user", "Thanks."),
    ]
    # Its own tool call came back as the native pair.
    assert openai_view(triage_model.calls[2].input)[1:3] == [
        ("function_call", 'lookup {"topic":"sums"}'),
        ("function_call_output", "notes on sums"),
    ]


async def test_native_foreign_tools_are_answered_pairs(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    openai_store, strands_store = stores(store_factory)
    session = StoreSession(
        "conv", openai_store, shared=True, author="triage", foreign_tools="native"
    )
    triage_model = OpenAIScripted(
        [
            [function_call("lookup", {"topic": "sums"}, call_id="call_1")],
            [assistant_message("Triage: over to you.", item_id="t1")],
            [assistant_message("Triage: done.", item_id="t2")],
        ]
    )
    triage = OpenAIAgent(name="triage", model=triage_model, tools=[lookup])
    await Runner.run(triage, "Add 40 and 2.", session=session)
    spec, spec_model = specialist(
        strands_store,
        managers,
        [tool_call("calc", {"expression": "40+2"}, "tooluse_1"), "Specialist: 42."],
        foreign_tools="native",
    )
    await asyncio.to_thread(spec, "Compute it.")
    assert strands_view(spec_model.seen[0]) == [
        ("user", ["Add 40 and 2."]),
        ("assistant", ['toolUse lookup {"topic": "sums"}']),
        ("user", ["toolResult call_1 notes on sums"]),
        ("assistant", ["Triage: over to you."]),
        ("user", ["Compute it."]),
    ]
    await Runner.run(triage, "Thanks.", session=session)
    assert openai_view(triage_model.calls[2].input)[-5:] == [
        ("user", "Compute it."),
        ("function_call", 'calc {"expression":"40+2"}'),
        ("function_call_output", "42"),
        ("assistant", "Specialist: 42."),
        ("user", "Thanks."),
    ]


async def test_labels_handoffs_and_a_restored_specialist(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    openai_store, strands_store = stores(store_factory)
    session = StoreSession("conv", openai_store, shared=True, author="triage")
    helper = OpenAIAgent(
        name="billing", model=OpenAIScripted([[assistant_message("Billing: refund sent.")]])
    )
    triage = OpenAIAgent(
        name="triage",
        model=OpenAIScripted([[function_call("transfer_to_billing", {}, call_id="h1")]]),
        handoffs=[helper],
    )
    await Runner.run(triage, "Refund me.", session=session)
    spec, spec_model = specialist(strands_store, managers, ["Spec: noted."], label_authors=True)
    await asyncio.to_thread(spec, "Anything else?")
    assert strands_view(spec_model.seen[0]) == [
        ("user", ["Refund me."]),
        ("assistant", ["[triage handed off to billing]", "[triage] Billing: refund sent."]),
        ("user", ["Anything else?"]),
    ]
    # A new process restores the specialist from the shared conversation.
    for manager in managers:
        manager.close()
    again, again_model = specialist(strands_store, managers, ["Spec: still here."])
    await asyncio.to_thread(again, "Still there?")
    restored = again_model.seen[0]
    assert alternates(restored)
    assert [m for _, blocks in strands_view(restored) for m in blocks] == [
        "Refund me.",
        "[triage handed off to billing]",
        "Billing: refund sent.",
        "Anything else?",
        "Spec: noted.",
        "Still there?",
    ]


async def test_pop_item_removes_the_latest_record_of_either_sdk(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    openai_store, strands_store = stores(store_factory)
    session = StoreSession("conv", openai_store, shared=True, author="triage")
    await session.add_items([{"role": "user", "content": "hi"}])
    spec, _ = specialist(strands_store, managers, ["Spec reply."])
    await asyncio.to_thread(spec, "Spec question.")
    assert await session.pop_item() == {"role": "assistant", "content": "Spec reply."}
    assert await session.pop_item() == {"role": "user", "content": "Spec question."}
    assert await session.pop_item() == {"role": "user", "content": "hi"}
    assert await session.pop_item() is None


# ---------------------------------------------------------------------- bad input


async def test_a_record_no_converter_takes_is_a_typed_error_or_a_note(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    strict = store_factory()
    session = StoreSession("conv", strict, shared=True, author="triage")
    await session.add_items([{"role": "user", "content": "hi"}])
    await strict.append("conv", [{"garbage": True}], stream=SHARED_STREAM, format="strands.message")
    await strict.append("conv", [["odd"]], stream=SHARED_STREAM, format="anthropic.messages")
    with pytest.raises(ConversionError) as caught:
        await session.get_items()
    assert (caught.value.session_id, caught.value.seq) == ("conv", 2)

    lenient = store_factory(on_corrupt="skip") if store_factory.shared else strict
    if lenient is strict:
        lenient.on_corrupt = "skip"
    noted = StoreSession("conv", lenient, shared=True, author="triage")
    model = OpenAIScripted([[assistant_message("fine")]])
    await Runner.run(OpenAIAgent(name="triage", model=model), "next", session=noted)
    assert openai_view(model.calls[0].input) == [
        ("user", "hi"),
        (
            "assistant",
            "[record 2 (strands.message) could not be converted: it does not match its format]",
        ),
        (
            "assistant",
            "[record 3 (anthropic.messages) could not be converted: it does not match its format]",
        ),
        ("user", "next"),
    ]
    spec, spec_model = specialist(lenient, managers, ["ok"])
    await asyncio.to_thread(spec, "and you?")
    assert alternates(spec_model.seen[0])
    assert "could not be converted" in str(spec_model.seen[0])


async def test_unknown_openai_items_are_notes_for_strands(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    openai_store, strands_store = stores(store_factory)
    session = StoreSession("conv", openai_store, shared=True, author="triage")
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed"}
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "x"}
    await session.add_items([{"role": "user", "content": "news?"}, reasoning, search])
    spec, spec_model = specialist(strands_store, managers, ["Spec: ok."])
    await asyncio.to_thread(spec, "Summarise.")
    assert strands_view(spec_model.seen[0]) == [
        ("user", ["news?"]),
        ("assistant", ["[triage: web_search_call (openai.responses item, not shown)]"]),
        ("user", ["Summarise."]),
    ]
    assert await session.get_items() == [
        {"role": "user", "content": "news?"},
        reasoning,
        search,
        {"role": "user", "content": "Summarise."},
        {"role": "assistant", "content": "Spec: ok."},
    ]


# ---------------------------------------------------------------------- concurrency


async def test_two_sdks_writing_at_once_lose_duplicate_and_reorder_nothing(
    store_factory: StoreFactory, managers: list[StoreSessionManager]
) -> None:
    turns = store_factory.scaled(local=12, network=8, serialized=4)
    openai_store, strands_store = stores(store_factory)
    session = StoreSession("race", openai_store, shared=True, author="triage")
    triage_model = OpenAIScripted(
        [[assistant_message(f"triage reply {i}", item_id=f"t{i}")] for i in range(turns)]
    )
    triage = OpenAIAgent(name="triage", model=triage_model)
    whole = {"conversation_manager": NullConversationManager()}  # no sliding window
    spec, _ = specialist(
        strands_store,
        managers,
        [f"spec reply {i}" for i in range(turns)],
        session_id="race",
        agent_options=whole,
    )
    failures: list[BaseException] = []

    def strands_worker() -> None:
        try:
            for i in range(turns):
                spec(f"spec question {i}")
        except BaseException as exc:  # reported below
            failures.append(exc)

    worker = threading.Thread(target=strands_worker)
    worker.start()
    for i in range(turns):
        await Runner.run(triage, f"triage question {i}", session=session)
    await asyncio.to_thread(worker.join)
    assert not failures

    records = await openai_store.read("race", stream=SHARED_STREAM)
    said = [
        (r.author, r.data["content"] if r.author == "triage" else r.data["message"]["content"])
        for r in records
    ]
    texts = [(author, c if isinstance(c, str) else c[0]["text"]) for author, c in said]
    for author in ("triage", "spec"):
        mine = [text for who, text in texts if who == author]
        expected = [
            text for i in range(turns) for text in (f"{author} question {i}", f"{author} reply {i}")
        ]
        assert mine == expected  # nothing lost, duplicated or reordered
    assert [r.seq for r in records] == list(range(1, 4 * turns + 1))
    # Each SDK reads the whole conversation, in the stored order.
    seen = [text for _, text in openai_view(await session.get_items())]
    assert seen == [text for _, text in texts]
    again, _ = specialist(
        strands_store,
        managers,
        ["x"],
        session_id="race",
        agent_options={"conversation_manager": NullConversationManager()},
    )
    restored = [block for _, blocks in strands_view(again.messages) for block in blocks]
    assert restored == [text for _, text in texts]
    assert alternates(again.messages)


# ---------------------------------------------------------------------- two processes

OPENAI_TURN = """
import asyncio, json, sys
from agents import Agent, Runner, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message
from sessions_plus import open_store
from sessions_plus.openai_agents import StoreSession

set_tracing_disabled(True)

async def main(url, reply):
    async with open_store(url) as store:
        session = StoreSession("conv", store, shared=True, author="triage")
        model = ScriptedModel([[assistant_message(reply)]])
        await Runner.run(Agent(name="triage", model=model), sys.argv[3], session=session)
        print(json.dumps(model.calls[0].input))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

STRANDS_TURN = """
import json, sys
from strands import Agent
from sessions_plus import open_store
from sessions_plus.strands import StoreSessionManager
from sessions_plus.testing import ScriptedModel

with StoreSessionManager("conv", open_store(sys.argv[1]), shared=True, close_store=True) as m:
    model = ScriptedModel([sys.argv[2]])
    agent = Agent(agent_id="spec", model=model, session_manager=m, callback_handler=None)
    agent(sys.argv[3])
    print(json.dumps(model.seen[0]))
"""


@pytest.mark.slow
async def test_two_processes_take_turns(cross_process_factory: StoreFactory) -> None:
    url = cross_process_factory.url()

    async def turn(script: str, reply: str, prompt: str) -> Any:
        return json.loads(await output_of(await start_python(script, url, reply, prompt)))

    await turn(OPENAI_TURN, "Triage: asking the specialist.", "Question one?")
    seen_by_spec = await turn(STRANDS_TURN, "Spec: answer one.", "Specialist, please.")
    seen_by_triage = await turn(OPENAI_TURN, "Triage: thanks.", "Follow-up?")
    assert strands_view(seen_by_spec) == [
        ("user", ["Question one?"]),
        ("assistant", ["Triage: asking the specialist."]),
        ("user", ["Specialist, please."]),
    ]
    assert openai_view(seen_by_triage) == [
        ("user", "Question one?"),
        ("assistant", "Triage: asking the specialist."),
        ("user", "Specialist, please."),
        ("assistant", "Spec: answer one."),
        ("user", "Follow-up?"),
    ]
