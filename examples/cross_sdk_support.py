"""An OpenAI Agents SDK triage agent and a Strands specialist take turns in one conversation.

Each turn runs in its own process. The triage agent (OpenAI Agents SDK, ``StoreSession(...,
shared=True)``) looks the order up and passes the customer on; the returns specialist (Strands,
``StoreSessionManager(..., shared=True)``) sees the triage's turn, tool call included, and sets
up the return; the triage agent then sees the specialist's answer::

    python examples/cross_sdk_support.py                         # ./cross_sdk.db
    python examples/cross_sdk_support.py --store redis://localhost:6379/0
    python examples/cross_sdk_support.py --store "dynamodb://support?endpoint_url=http://localhost:8000"

Offline by default: scripted models play both agents (no credentials, no network), and their
replies are built from what they were shown, so the output proves each saw the other's turns.
``--live`` uses real models instead (OpenAI: ``OPENAI_API_KEY``; Strands: its default Amazon
Bedrock model and AWS credentials).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import uuid
from typing import Any

DEFAULT_STORE = "sqlite:///cross_sdk.db"
ORDER = {"A-1001": "blue kettle, delivered 2 days ago, returnable for 30 days"}
CUSTOMER = [
    "Hi, my order A-1001 arrived damaged. Can I send it back?",
    "Thanks! When do I get my refund?",
]
SPECIALIST_PROMPT = "Please set up the return for this customer."


# ---------------------------------------------------------------------- the triage (OpenAI)


async def triage_turn(store_url: str, session_id: str, turn: int, live: bool) -> None:
    from agents import Agent, Runner, function_tool, set_tracing_disabled
    from agents.testing import ModelCall, ModelStep, ScriptedModel, assistant_message
    from agents.testing import function_call as call

    from sessions_plus import open_store
    from sessions_plus.openai_agents import StoreSession

    set_tracing_disabled(True)

    @function_tool
    def lookup_order(order_id: str) -> str:
        """Look an order up."""
        return f"{order_id}: {ORDER.get(order_id, 'unknown order')}"

    def reply(model_call: ModelCall) -> list[Any]:
        """Offline triage: answers from what it was shown (the specialist's turn included)."""
        said = json.dumps(model_call.input)
        returns = re.findall(r"return (R-\d+)", said)
        if returns:
            text = f"Your refund for return {returns[-1]} is issued once the courier has it."
        else:
            text = "I found order A-1001. Our returns specialist will take it from here."
        return [assistant_message(text, item_id=f"msg_triage_{turn}")]

    steps: list[Any] = []
    if turn == 0:
        steps.append([call("lookup_order", {"order_id": "A-1001"}, call_id="call_lookup")])
    steps.append(ModelStep.respond(reply))
    agent = Agent(
        name="triage",
        instructions="You triage customer questions; returns go to the returns specialist.",
        model=None if live else ScriptedModel(steps),
        tools=[lookup_order],
    )
    async with open_store(store_url) as store:
        session = StoreSession(session_id, store, shared=True, author="triage")
        result = await Runner.run(agent, CUSTOMER[turn], session=session)
    print(f"[triage] {result.final_output}")


# ---------------------------------------------------------------------- the specialist (Strands)


def specialist_turn(store_url: str, session_id: str, live: bool) -> None:
    from strands import Agent, tool
    from strands.types.content import Messages

    from sessions_plus import open_store
    from sessions_plus.strands import StoreSessionManager
    from sessions_plus.testing import ScriptedModel, texts, tool_call

    @tool
    def create_return(order_id: str) -> str:
        """Create a return for an order."""
        return f"return R-55 created for {order_id}; courier pickup tomorrow"

    def first(messages: Messages) -> dict[str, Any]:
        """Offline specialist: finds the order in the triage's turn and starts a return."""
        order = re.findall(r"A-\d+", " ".join(texts(messages)))[0]
        return tool_call("create_return", {"order_id": order}, "tooluse_return")

    def then(messages: Messages) -> str:
        seen = " ".join(texts(messages))
        item = "blue kettle" if "blue kettle" in seen else "item"
        return f"Return R-55 is set up for your {item}: a courier collects it tomorrow."

    store = open_store(store_url)
    with StoreSessionManager(session_id, store, shared=True, close_store=True) as manager:
        agent = Agent(
            agent_id="specialist",
            name="specialist",
            system_prompt="You are the returns specialist. Set up returns for customers.",
            session_manager=manager,
            tools=[create_return],
            callback_handler=None,
            **({} if live else {"model": ScriptedModel([first, then])}),
        )
        result = agent(SPECIALIST_PROMPT)
    print(f"[specialist] {str(result).strip()}")


# ---------------------------------------------------------------------- the conversation


def show(store_url: str, session_id: str) -> None:
    """The stored conversation, record by record, as each SDK wrote it."""
    from sessions_plus import open_store
    from sessions_plus.conversation import SHARED_STREAM, message_to_json, to_neutral_record

    async def read() -> list[Any]:
        async with open_store(store_url) as store:
            return await store.read(session_id, stream=SHARED_STREAM)

    records = asyncio.run(read())
    print(f"\nthe shared conversation ({len(records)} records):")
    for record in records:
        message = message_to_json(to_neutral_record(record))
        parts = [part_summary(part) for part in message["parts"]]
        line = f"{record.author:<10} {record.format:<16} {message['role']:<9} {'; '.join(parts)}"
        print(f"  {record.seq:>2} {line}"[:118])


def part_summary(part: dict[str, Any]) -> str:
    if part["type"] == "text":
        return part["text"]
    if part["type"] == "tool_call":
        return f"calls {part['name']}({json.dumps(part['input'])})"
    if part["type"] == "tool_result":
        return "result: " + " ".join(c.get("text", "") for c in part["content"])
    return f"[{part['type']}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=DEFAULT_STORE, help=f"store URL ({DEFAULT_STORE})")
    parser.add_argument("--session", help="conversation id (default: a new one per run)")
    parser.add_argument("--live", action="store_true", help="real models instead of scripts")
    parser.add_argument("--turn", nargs=2, metavar=("AGENT", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    session_id = args.session or f"support-{uuid.uuid4().hex[:8]}"

    if args.turn:
        agent, turn = args.turn[0], int(args.turn[1])
        if agent == "triage":
            asyncio.run(triage_turn(args.store, session_id, turn, args.live))
        else:
            specialist_turn(args.store, session_id, args.live)
        return

    print(f"conversation {session_id} on {args.store}")
    for agent, turn in (("triage", 0), ("specialist", 0), ("triage", 1)):
        command = [sys.executable, __file__, "--store", args.store, "--session", session_id]
        command += ["--turn", agent, str(turn)] + (["--live"] if args.live else [])
        subprocess.run(command, check=True)  # a separate process per turn
    show(args.store, session_id)


if __name__ == "__main__":
    main()
