"""Realistic, deterministic conversation items: OpenAI Responses items and Strands messages."""

from __future__ import annotations

from typing import Any

_TEXT = (
    "The quarterly report shows revenue up 12% with most growth from the new region; "
    "please summarise the risks and list three follow-up questions for the finance team."
)


def user_item(n: int) -> dict[str, Any]:
    """A user message in the Responses input shape (about 200 bytes of JSON)."""
    return {"role": "user", "content": f"[{n}] {_TEXT}"}


def assistant_item(n: int) -> dict[str, Any]:
    """An assistant output message as the Runner stores it."""
    return {
        "id": f"msg_{n:012d}",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": f"[{n}] {_TEXT}", "annotations": []}],
    }


def turn(n: int) -> list[dict[str, Any]]:
    """One 4-item agent turn: user message, tool call, tool output, assistant answer."""
    call_id = f"call_{n:012d}"
    return [
        user_item(n),
        {
            "id": f"fc_{n:012d}",
            "type": "function_call",
            "call_id": call_id,
            "name": "lookup_figures",
            "arguments": '{"quarter": "Q3", "region": "EMEA"}',
            "status": "completed",
        },
        {"type": "function_call_output", "call_id": call_id, "output": '{"revenue": 1200000}'},
        assistant_item(n),
    ]


def history(count: int) -> list[dict[str, Any]]:
    """``count`` items of alternating user and assistant messages."""
    return [user_item(i) if i % 2 == 0 else assistant_item(i) for i in range(count)]


def writer_item(writer: int, index: int) -> dict[str, Any]:
    """An item that names its writer and position, so a read-back can find losses."""
    return {"role": "user", "content": f"writer {writer} item {index}: {_TEXT[:80]}"}


def strands_messages(count: int) -> list[dict[str, Any]]:
    """``count`` Strands/Bedrock messages, alternating user and assistant."""
    return [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"text": f"[{i}] {_TEXT}"}]}
        for i in range(count)
    ]
