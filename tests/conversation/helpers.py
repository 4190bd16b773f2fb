"""Records and conversations for the conversation tests (no SDK needed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sessions_plus import ConversationStore, Record
from sessions_plus.conversation import SHARED_STREAM, RenderedItem
from tests.conversation.strategies import strands_payload

OA = "openai.responses"
ST = "strands.message"


def records(*entries: tuple[str | None, str | None, Any]) -> list[Record]:
    """Records numbered from 1: each entry is ``(format, author, data)``."""
    return [
        Record(seq, data, 1_700_000_000.0 + seq, fmt, author)
        for seq, (fmt, author, data) in enumerate(entries, 1)
    ]


def oa(data: Any, author: str | None = "triage") -> tuple[str, str | None, Any]:
    return (OA, author, data)


def st(data: Any, author: str | None = "spec") -> tuple[str, str | None, Any]:
    return (ST, author, data)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def said(text: str, item_id: str = "msg_1") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def call(call_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(args, separators=(",", ":")),
        "id": call_id,
    }


def output(call_id: str, text: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


def s_text(role: str, *texts: str) -> dict[str, Any]:
    return strands_payload(role, *({"text": text} for text in texts))


def s_use(tool_id: str, name: str, tool_input: Any) -> dict[str, Any]:
    return strands_payload(
        "assistant", {"toolUse": {"toolUseId": tool_id, "name": name, "input": tool_input}}
    )


def s_result(tool_id: str, text: str, status: str = "success") -> dict[str, Any]:
    return strands_payload(
        "user",
        {"toolResult": {"toolUseId": tool_id, "status": status, "content": [{"text": text}]}},
    )


def items(rendered: Sequence[RenderedItem]) -> list[Any]:
    return [r.item for r in rendered]


def strands_roles(rendered: Sequence[RenderedItem]) -> list[str]:
    return [r.item["message"]["role"] for r in rendered]


def strands_blocks(rendered: Sequence[RenderedItem]) -> list[list[Any]]:
    return [r.item["message"]["content"] for r in rendered]


async def write(store: ConversationStore, session_id: str, recs: Sequence[Record]) -> list[Record]:
    """Append records with their headers, one append per record (as the adapters do); return
    them as stored (with the store's timestamps)."""
    for record in recs:
        await store.append(
            session_id,
            [record.data],
            stream=SHARED_STREAM,
            format=record.format,
            author=record.author,
        )
    return await store.read(session_id, stream=SHARED_STREAM)
