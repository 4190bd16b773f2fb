"""Items, usage and run results shared by the AdvancedSession tests."""

from __future__ import annotations

from typing import Any

from agents import Agent
from agents.result import RunResult
from agents.run_context import RunContextWrapper
from agents.testing import ScriptedModel
from agents.usage import Usage
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from sessions_plus import ConversationStore
from sessions_plus.openai_agents import AdvancedSession


def user(text: Any) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def turns(*texts: str) -> list[dict[str, Any]]:
    """One user question and one answer per text: ``q:<text>`` / ``a:<text>``."""
    return [item for text in texts for item in (user(f"q:{text}"), assistant(f"a:{text}"))]


def call(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "function_call", "name": name, "arguments": "{}", **extra}


def usage(requests: int = 1, input_tokens: int = 50, output_tokens: int = 30, **kw: Any) -> Usage:
    """A Usage with token details (cached 10, reasoning 5 unless given)."""
    return Usage(
        requests=requests,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        input_tokens_details=kw.get(
            "input_details", InputTokensDetails(cache_write_tokens=0, cached_tokens=10)
        ),
        output_tokens_details=kw.get("output_details", OutputTokensDetails(reasoning_tokens=5)),
    )


def run_result(used: Usage | None) -> RunResult:
    """A finished run's result carrying ``used`` (what store_run_usage reads)."""
    agent = Agent(name="test", model=ScriptedModel())
    return RunResult(
        input="question",
        new_items=[],
        raw_responses=[],
        final_output="answer",
        input_guardrail_results=[],
        output_guardrail_results=[],
        tool_input_guardrail_results=[],
        tool_output_guardrail_results=[],
        context_wrapper=RunContextWrapper(context=None, usage=used),  # type: ignore[arg-type]
        _last_agent=agent,
    )


def contents(items: list[Any]) -> list[Any]:
    return [item.get("content") for item in items]


def texts(items: list[Any]) -> list[str]:
    """The text of every message (plain or in parts); tool items are left out."""
    out = []
    for item in items:
        content = item.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.append("".join(part.get("text", "") for part in content))
    return out


async def stored(store: ConversationStore, session_id: str) -> Any:
    """Everything stored for a session (to check that a refused call wrote nothing)."""
    return await store.snapshot(session_id)


async def seeded(store: ConversationStore, sid: str, *texts: str) -> AdvancedSession:
    session = AdvancedSession(sid, store)
    await session.add_items(turns(*texts))
    return session
