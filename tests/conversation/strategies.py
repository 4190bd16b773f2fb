"""Hypothesis strategies: stored items of each format, as the SDKs write them, and conversations.

Items carry the SDKs' optional fields and some they might add later (``x_*`` keys), alternative
spellings (JSON arguments with spaces, non-canonical base64, strings vs part lists) and item
types with no neutral form, so the round-trip properties cover every accepted shape.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

# ---------------------------------------------------------------------- JSON

scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12)
scalars = scalars | st.floats(allow_nan=False, allow_infinity=False, width=32)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text(max_size=6), json_values, max_size=3)
texts = st.text(max_size=30)
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=10)
tool_names = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True).filter(
    lambda name: not name.startswith("transfer_to_") and name != "handoff_to_agent"
)
blobs = st.binary(max_size=24)
extras = st.dictionaries(st.from_regex(r"x_[a-z]{1,4}", fullmatch=True), json_values, max_size=2)
"""Fields an SDK may add later: kept exactly, ignored by other formats."""


def canon(value: Any) -> str:
    """Exact JSON identity: key order aside, ``1``, ``1.0`` and ``True`` differ."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------------- openai.responses


@st.composite
def data_urls(draw: st.DrawFn, prefix: str = "image") -> str:
    kind = draw(st.sampled_from(["canonical", "http", "odd"]))
    data = draw(blobs)
    media = draw(st.sampled_from([f"{prefix}/png", f"{prefix}/jpeg", "application/pdf"]))
    if kind == "canonical":
        return f"data:{media};base64,{b64(data)}"
    if kind == "http":
        return "https://example.com/" + draw(ids)
    return f"data:{media},{draw(ids)}"  # not base64: kept as a URL


@st.composite
def openai_content_parts(draw: st.DrawFn, role: str = "user") -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["input_text", "output_text", "refusal", "input_image", "input_file", "input_audio"]
        )
    )
    part: dict[str, Any] = {"type": kind}
    if kind == "input_text":
        part["text"] = draw(texts)
    elif kind == "output_text":
        part.update(text=draw(texts), annotations=draw(st.lists(json_objects, max_size=1)))
        if draw(st.booleans()):
            part["logprobs"] = []
    elif kind == "refusal":
        part["refusal"] = draw(texts)
    elif kind == "input_image":
        part["detail"] = draw(st.sampled_from(["auto", "low", "high"]))
        if draw(st.booleans()):
            part["image_url"] = draw(data_urls())
        else:
            part["file_id"] = "file-" + draw(ids)
    elif kind == "input_file":
        which = draw(st.sampled_from(["file_data", "file_url", "file_id"]))
        part[which] = draw(data_urls("application")) if which != "file_id" else draw(ids)
        if draw(st.booleans()):
            part["filename"] = draw(ids) + ".pdf"
    else:
        part["input_audio"] = {"data": b64(draw(blobs)), "format": "wav"}
    part.update(draw(extras))
    return part


@st.composite
def openai_messages(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(st.sampled_from(["user", "assistant", "system", "developer"]))
    item: dict[str, Any] = {"role": role}
    if draw(st.booleans()):
        item["content"] = draw(texts)
    else:
        item["content"] = draw(st.lists(openai_content_parts(role), max_size=3))
    if draw(st.booleans()):
        item["type"] = "message"
    if role == "assistant" and draw(st.booleans()):
        item.update(type="message", id="msg_" + draw(ids), status="completed")
    item.update(draw(extras))
    return item


@st.composite
def arguments_for(draw: st.DrawFn, value: Any) -> str:
    style = draw(st.sampled_from(["compact", "spaced", "empty", "broken"]))
    if style == "compact":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if style == "spaced":
        return json.dumps(value)
    if style == "empty":
        return ""
    return "{" + draw(texts)  # a model may emit invalid JSON; it is kept as it was


@st.composite
def openai_calls(
    draw: st.DrawFn, call_id: str | None = None, name: str | None = None
) -> dict[str, Any]:
    value = draw(json_objects)
    item: dict[str, Any] = {
        "type": "function_call",
        "call_id": call_id or draw(ids),
        "name": name or draw(tool_names),
        "arguments": draw(arguments_for(value)),
    }
    if draw(st.booleans()):
        item["id"] = item["call_id"]
    if draw(st.booleans()):
        item["status"] = "completed"
    item.update(draw(extras))
    return item


@st.composite
def openai_outputs(draw: st.DrawFn, call_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "function_call_output", "call_id": call_id or draw(ids)}
    if draw(st.booleans()):
        item["output"] = draw(texts)
    else:
        item["output"] = draw(st.lists(openai_content_parts(), max_size=2))
    item.update(draw(extras))
    return item


@st.composite
def openai_reasoning(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "reasoning", "id": "rs_" + draw(ids)}
    item["summary"] = [
        {"type": "summary_text", "text": text} for text in draw(st.lists(texts, max_size=2))
    ]
    if draw(st.booleans()):
        item["content"] = [{"type": "reasoning_text", "text": draw(texts)}]
    if draw(st.booleans()):
        item["encrypted_content"] = b64(draw(blobs))
    item.update(draw(extras))
    return item


OPAQUE_TYPES = [
    "web_search_call",
    "file_search_call",
    "computer_call",
    "computer_call_output",
    "mcp_call",
    "mcp_list_tools",
    "image_generation_call",
    "code_interpreter_call",
    "local_shell_call",
    "custom_tool_call",
    "item_reference",
    "compaction",
    "some_future_type",
]


@st.composite
def openai_opaque(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"type": draw(st.sampled_from(OPAQUE_TYPES)), "id": draw(ids)}
    item.update(draw(json_objects).items())
    item["type"] = draw(st.sampled_from(OPAQUE_TYPES))
    return item


openai_items = st.one_of(
    openai_messages(),
    openai_calls(),
    openai_outputs(),
    openai_reasoning(),
    openai_opaque(),
)

# ---------------------------------------------------------------------- strands.message


@st.composite
def strands_bytes(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(blobs)
    if draw(st.integers(0, 5)) == 0:
        return {"__bytes_encoded__": True, "data": "not base64!"}  # undecodable: kept as is
    return {"__bytes_encoded__": True, "data": b64(data)}


@st.composite
def strands_media(draw: st.DrawFn, key: str) -> dict[str, Any]:
    if key == "image":
        value: dict[str, Any] = {"format": draw(st.sampled_from(["png", "jpeg", "gif", "webp"]))}
    else:
        value = {"format": draw(st.sampled_from(["pdf", "txt", "md", "csv", "html", "docx"]))}
        if draw(st.booleans()):
            value["name"] = draw(ids)
    if draw(st.integers(0, 4)) == 0:
        value["source"] = {"location": {"type": "s3", "uri": "s3://bucket/" + draw(ids)}}
    else:
        value["source"] = {"bytes": draw(strands_bytes())}
    return {key: value}


@st.composite
def strands_result_content(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "json", "image", "document", "video"]))
    if kind == "text":
        return {"text": draw(texts)}
    if kind == "json":
        return {"json": draw(json_values)}
    if kind == "video":
        return {"video": {"format": "mp4", "source": {"bytes": draw(strands_bytes())}}}
    return draw(strands_media(kind))


@st.composite
def strands_blocks(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "text",
                "image",
                "document",
                "toolUse",
                "toolResult",
                "reasoning",
                "redacted",
                "cachePoint",
                "guardContent",
                "citationsContent",
                "audio",
                "unknown",
                "two_keys",
            ]
        )
    )
    if kind == "text":
        return {"text": draw(texts)}
    if kind in ("image", "document"):
        return draw(strands_media(kind))
    if kind == "toolUse":
        tool_use: dict[str, Any] = {
            "toolUseId": draw(ids),
            "name": draw(tool_names),
            "input": draw(json_values),
        }
        if draw(st.booleans()):
            tool_use["reasoningSignature"] = draw(ids)
        return {"toolUse": tool_use}
    if kind == "toolResult":
        result: dict[str, Any] = {"toolUseId": draw(ids)}
        status = draw(st.sampled_from(["success", "error", "missing", "odd"]))
        if status != "missing":
            result["status"] = status if status != "odd" else "partial"
        result["content"] = draw(st.lists(strands_result_content(), max_size=2))
        return {"toolResult": result}
    if kind == "reasoning":
        reasoning_text: dict[str, Any] = {"text": draw(texts)}
        signature = draw(st.sampled_from(["str", "none", "missing"]))
        if signature == "str":
            reasoning_text["signature"] = draw(ids)
        elif signature == "none":
            reasoning_text["signature"] = None
        return {"reasoningContent": {"reasoningText": reasoning_text}}
    if kind == "redacted":
        return {"reasoningContent": {"redactedContent": draw(strands_bytes())}}
    if kind == "cachePoint":
        return {"cachePoint": {"type": "default"}}
    if kind == "guardContent":
        return {"guardContent": {"text": {"text": draw(texts), "qualifiers": ["query"]}}}
    if kind == "citationsContent":
        pieces = draw(st.lists(texts, min_size=1, max_size=2))
        return {
            "citationsContent": {
                "content": [{"text": piece} for piece in pieces],
                "citations": [{"title": draw(ids)}],
            }
        }
    if kind == "audio":
        return {"audio": {"format": "mp3", "source": {"bytes": draw(strands_bytes())}}}
    if kind == "unknown":
        return {"x_" + draw(ids): draw(json_values)}
    return {"text": draw(texts), "x_more": draw(json_values)}


@st.composite
def strands_message_dicts(draw: st.DrawFn) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": draw(st.sampled_from(["user", "assistant"])),
        "content": draw(st.lists(strands_blocks(), max_size=3)),
    }
    if draw(st.booleans()):
        message["tracking_id"] = draw(ids)
    if draw(st.booleans()):
        message["metadata"] = {"usage": {"inputTokens": 1, "outputTokens": 2}}
    return message


@st.composite
def strands_payloads(draw: st.DrawFn) -> dict[str, Any]:
    payload: dict[str, Any] = {"message": draw(strands_message_dicts())}
    if draw(st.integers(0, 4)) == 0:
        payload["redact_message"] = draw(strands_message_dicts())
    elif draw(st.booleans()):
        payload["redact_message"] = None
    if draw(st.booleans()):
        payload["created_at"] = "2025-01-01T00:00:00+00:00"
        payload["updated_at"] = "2025-01-01T00:00:01+00:00"
    payload.update(draw(extras))
    return payload


def strands_payload(role: str, *blocks: dict[str, Any]) -> dict[str, Any]:
    """A stored Strands message as the adapter writes it."""
    return {
        "message": {"role": role, "content": list(blocks)},
        "redact_message": None,
        "created_at": "2025-01-01T00:00:00+00:00",
        "updated_at": "2025-01-01T00:00:00+00:00",
    }
