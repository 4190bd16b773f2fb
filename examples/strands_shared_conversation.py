"""A planner and a writer agent share one conversation, each in its own process.

Each agent runs in a separate process with ``StoreSessionManager(..., shared=True)``: before each
turn an agent picks up what the other one said since its last turn, so the writer sees the plan
and the planner sees the draft::

    python examples/strands_shared_conversation.py                 # ./strands_shared.db
    python examples/strands_shared_conversation.py --store redis://localhost:6379/0

Offline by default: scripted models play both agents (no credentials, no network). ``--live``
uses Strands' default model (Amazon Bedrock; needs AWS credentials) instead.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import uuid
from typing import Any

from strands import Agent
from strands.types.content import Messages

from sessions_plus import open_store
from sessions_plus.strands import StoreSessionManager
from sessions_plus.testing import ScriptedModel, texts

ROLES = {
    "planner": "You plan short blog posts as numbered outlines. Review drafts briefly.",
    "writer": "You write short blog posts that follow the plan in the conversation.",
}
PROMPTS = {
    "planner": ["Plan a three-part post about sea otters.", "Review the writer's draft."],
    "writer": ["Write the post from the plan."],
}


def scripted(role: str) -> ScriptedModel:
    """Offline stand-in for a model: replies that prove what the agent saw."""

    def planner(messages: Messages) -> str:
        seen = texts(messages)
        drafts = [text for text in seen if text.startswith("Draft:")]
        if drafts:
            return f"Review: the draft covers all {drafts[-1].count(';') + 1} parts. Ship it."
        return "Plan: 1. Where otters live; 2. Why they hold hands; 3. How to help them"

    def writer(messages: Messages) -> str:
        plan = next(text for text in texts(messages) if text.startswith("Plan:"))
        parts = [part.split(". ", 1)[1] for part in plan.removeprefix("Plan: ").split("; ")]
        return "Draft: " + "; ".join(f"{part} - a paragraph" for part in parts)

    return ScriptedModel([planner if role == "planner" else writer])


def run_turn(store_url: str, session_id: str, role: str, turn: int, live: bool) -> None:
    """One process: the agent ``role`` takes its ``turn``-th turn on the shared conversation."""
    with StoreSessionManager(
        session_id, open_store(store_url), shared=True, close_store=True
    ) as manager:
        options: dict[str, Any] = {} if live else {"model": scripted(role)}
        agent = Agent(
            agent_id=role,
            name=role,
            system_prompt=ROLES[role],
            session_manager=manager,
            callback_handler=None,
            **options,
        )
        result = agent(PROMPTS[role][turn])
        print(f"[{role}] {str(result).strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="sqlite:///strands_shared.db", help="store URL")
    parser.add_argument("--session", help="session id (default: a new one per run)")
    parser.add_argument("--live", action="store_true", help="use Strands' default model")
    parser.add_argument("--turn", nargs=2, metavar=("ROLE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    session_id = args.session or f"post-{uuid.uuid4().hex[:8]}"
    if args.turn:
        run_turn(args.store, session_id, args.turn[0], int(args.turn[1]), args.live)
        return

    print(f"session {session_id} on {args.store}")
    for role, turn in (("planner", 0), ("writer", 0), ("planner", 1)):
        command = [sys.executable, __file__, "--store", args.store, "--session", session_id]
        command += ["--turn", role, str(turn)] + (["--live"] if args.live else [])
        subprocess.run(command, check=True)  # a separate process per turn

    with StoreSessionManager(session_id, open_store(args.store), close_store=True) as manager:
        records = manager.repository.run(manager.store.read(session_id, stream="conversation"))
    print(f"\nthe shared conversation ({len(records)} messages):")
    for record in records:
        message = record.data["message"]
        print(f"  {record.seq:>2} {record.author:<8} {message['role']:<9} {texts([message])[0]}")


if __name__ == "__main__":
    main()
