"""A triage agent hands off to a billing agent, on one persistent SQLite session.

Run it twice: the second run continues the first conversation from the file::

    python examples/openai_handoff.py            # ./openai_handoff.db
    python examples/openai_handoff.py --db /tmp/chat.db --message "Any news on my refund?"

Offline by default: scripted models play the two agents (no API key, no network). With
``OPENAI_API_KEY`` set, real OpenAI models answer instead (``--offline`` forces the script).
The only sessions-plus line is the import of ``SQLiteSession``: it is the SDK's constructor,
with history that is safe across processes and can expire (``ttl=...``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from agents import Agent, Runner, set_tracing_disabled
from agents.testing import ModelCall, ModelStep, ScriptedModel, assistant_message, function_call

from sessions_plus.openai_agents import SQLiteSession

SESSION_ID = "customer-42"

CUSTOMER_LINES = [
    "Hi, I was charged twice for my March invoice (INV-2031).",
    "Thanks! How long until the refund shows up on my card?",
    "Great. Could you email me a receipt for the refund?",
]

BILLING_REPLIES = [
    "I can see two charges of $49.00 for invoice INV-2031 on March 3rd. I have refunded the "
    "duplicate; your refund reference is RF-88412.",
    "Refund RF-88412 was issued today; card refunds usually appear within 3-5 business days.",
    "Done: the receipt for refund RF-88412 is on its way to the email address on your account.",
    "Is there anything else I can help you with on your billing?",
]


def user_turns(items: list[Any]) -> int:
    """How many customer messages a model input (or a history) holds."""
    return sum(1 for item in items if isinstance(item, dict) and item.get("role") == "user")


def scripted_triage() -> ScriptedModel:
    """Triage routes every billing question to the billing agent."""
    return ScriptedModel([[function_call("transfer_to_billing", {}, call_id="call_route")]])


def scripted_billing() -> ScriptedModel:
    """Billing answers from the conversation so far, so a continued run reads naturally."""

    def answer(call: ModelCall) -> list[Any]:
        turn = min(user_turns(call.input), len(BILLING_REPLIES)) - 1
        return [assistant_message(BILLING_REPLIES[max(turn, 0)], item_id=f"msg_billing_{turn}")]

    return ScriptedModel([ModelStep.respond(answer)])


def build_agents(online: bool) -> Agent[Any]:
    model = os.environ.get("OPENAI_MODEL", "gpt-4.1-mini")
    billing = Agent(
        name="Billing",
        instructions="You are a billing specialist. Resolve charges and refunds briefly.",
        model=model if online else scripted_billing(),
    )
    return Agent(
        name="Triage",
        instructions="Route billing questions (charges, refunds, invoices) to Billing.",
        model=model if online else scripted_triage(),
        handoffs=[billing],
    )


def show(item: Any) -> str:
    if item.get("type") == "function_call":
        return f"  [handoff]  {item['name']}"
    if item.get("type") == "function_call_output":
        return f"  [handoff]  -> {item['output']}"
    content = item.get("content")
    text = content if isinstance(content, str) else "".join(c.get("text", "") for c in content)
    return f"  {item.get('role', '?'):>9}: {text}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="openai_handoff.db", help="SQLite file of the session")
    parser.add_argument("--session", default=SESSION_ID, help="conversation id")
    parser.add_argument("--message", help="what the customer says (default: the next scripted)")
    parser.add_argument("--offline", action="store_true", help="scripted models even with a key")
    args = parser.parse_args()

    online = bool(os.environ.get("OPENAI_API_KEY")) and not args.offline
    if not online:
        set_tracing_disabled(True)
    session = SQLiteSession(args.session, args.db)
    try:
        before = await session.get_items()
        turn = user_turns(before)
        message = args.message or CUSTOMER_LINES[min(turn, len(CUSTOMER_LINES) - 1)]
        print(f"session {args.session!r} in {args.db}: {len(before)} items before this run")
        print(f"model: {'OpenAI' if online else 'scripted (offline)'}")

        result = await Runner.run(build_agents(online), message, session=session)

        history = await session.get_items()
        print(f"answered by: {result.last_agent.name}")
        print(f"history: before={len(before)} after={len(history)}")
        print("last turns:")
        for item in history[-4:]:
            print(show(item))
    finally:
        session.close()


if __name__ == "__main__":
    asyncio.run(main())
