"""``strands.message``: Strands (Bedrock Converse) messages, as the Strands adapter stores them.

One record holds a ``SessionMessage.to_dict()`` without ``message_id``: ``{"message": {"role",
"content": [blocks], ...}, "redact_message": ..., "created_at": ..., "updated_at": ...}``, with
bytes as ``{"__bytes_encoded__": true, "data": "<base64>"}``. To neutral, the message the model is
shown (``redact_message`` when the message was redacted) becomes one neutral message; a user
message of ``toolResult`` blocks only has the neutral role ``tool``. Blocks:

* ``text`` -> text; ``guardContent`` and ``citationsContent`` -> their text;
* ``image``/``document`` with bytes -> image/file parts (other sources stay opaque);
* ``toolUse`` -> tool call (``toolUseId`` is the call id); ``toolResult`` -> tool result with
  ``text``/``json``/``image``/``document`` content;
* ``reasoningContent`` -> reasoning (text and signature, or redacted bytes);
* ``cachePoint`` -> an invisible opaque part (a prompt-caching hint: other SDKs skip it);
* anything else (audio, video, unknown keys, blocks with several keys) -> opaque.

From neutral, a message of another format becomes one Strands message (``tool`` and ``system``
roles become ``user``; a system text is prefixed ``[system]``); reasoning of another provider is
never written; media the target cannot hold and opaque parts become text notes; a message left
with no blocks becomes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ..media import (
    DOCUMENT_MEDIA_TYPES,
    decode_bytes,
    document_format,
    encode_bytes,
    image_format,
    parse_data_url,
)
from ..model import (
    EMPTY,
    FilePart,
    ImagePart,
    JsonPart,
    Message,
    OpaquePart,
    Part,
    ReasoningPart,
    ResultContent,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from ..notes import dumps, file_note, media_note, opaque_note, system_text
from .base import Format, invalid, rest

NAME = "strands.message"

HANDOFF_TOOL = "handoff_to_agent"
"""The tool a Strands Swarm agent calls to hand off (``{"agent_name": ..., "message": ...}``)."""

_ROLES = ("user", "assistant")


# ---------------------------------------------------------------------- to neutral


def to_neutral(
    data: Any,
    *,
    seq: int | None = None,
    author: str | None = None,
    created_at: float | None = None,
) -> Message:
    """One stored Strands message as a neutral message (see the module docstring)."""
    if type(data) is not dict:
        raise invalid(NAME, f"a record is a JSON object, not {type(data).__name__}")
    message = data.get("message")
    if type(message) is not dict:
        raise invalid(NAME, "a record needs a 'message' object")
    redact = data.get("redact_message")
    extra: dict[str, Any]
    if redact is None:
        effective = message
        extra = {"record": rest(data, "message")}
    elif type(redact) is dict:
        effective = redact
        extra = {"record": rest(data, "message", "redact_message"), "original": message}
    else:
        raise invalid(NAME, "'redact_message' is a message object or null")
    role = effective.get("role")
    content = effective.get("content")
    if role not in _ROLES:
        raise invalid(NAME, f"unknown message role {role!r}")
    if type(content) is not list:
        raise invalid(NAME, "message content is a list of blocks")
    parts = tuple(_block(block) for block in content)
    if len(effective) > 2:
        extra["fields"] = rest(effective, "role", "content")
    neutral: Role = role
    if role == "user" and parts and all(type(part) is ToolResultPart for part in parts):
        neutral = "tool"
    return Message(neutral, parts, NAME, author, seq, created_at, extra)


def _block(block: Any) -> Part:
    if type(block) is not dict or not block:
        raise invalid(NAME, "a content block is a non-empty object")
    if len(block) != 1:  # Converse blocks are single-key unions; anything else stays as it is
        return OpaquePart(NAME, next(iter(block)), block)
    ((key, value),) = block.items()
    if key == "text":
        if type(value) is not str:
            raise invalid(NAME, "a text block holds a string")
        return TextPart(value)
    if key == "toolUse":
        return _tool_use(value)
    if key == "toolResult":
        return _tool_result(value)
    part: Part | None = None
    if key == "image":
        part = _image(value)
    elif key == "document":
        part = _document(value)
    elif key == "reasoningContent":
        part = _reasoning(value)
    elif key == "guardContent":
        part = _guard(value)
    elif key == "citationsContent":
        part = _citations(block, value)
    elif key == "cachePoint":
        return OpaquePart(NAME, key, block, visible=False)
    return OpaquePart(NAME, key, block) if part is None else part


def _media(value: Any) -> tuple[str, bytes, dict[str, Any]] | None:
    """``(format, bytes, extra)`` of an image/document with a bytes source, else None."""
    if type(value) is not dict:
        return None
    fmt, source = value.get("format"), value.get("source")
    if type(fmt) is not str or type(source) is not dict:
        return None
    raw = source.get("bytes")
    data = decode_bytes(raw)
    if data is None:
        return None
    extra: dict[str, Any] = {"format": fmt}
    fields = rest(value, "format", "source", "name")
    if fields:
        extra["fields"] = fields
    if len(source) > 1:
        extra["source"] = rest(source, "bytes")
    if type(raw) is bytes or raw != encode_bytes(data):
        extra["bytes"] = raw
    return fmt, data, extra


def _image(value: Any) -> ImagePart | None:
    media = _media(value)
    if media is None or "name" in value:
        return None
    fmt, data, extra = media
    return ImagePart(f"image/{fmt}", data=data, extra=extra)


def _document(value: Any) -> FilePart | None:
    media = _media(value)
    if media is None:
        return None
    fmt, data, extra = media
    name = value.get("name")
    if name is not None and type(name) is not str:
        return None
    if "name" in value:
        extra["named"] = True
    return FilePart(DOCUMENT_MEDIA_TYPES.get(fmt), data=data, name=name, extra=extra)


def _tool_use(value: Any) -> ToolCallPart:
    if (
        type(value) is not dict
        or type(value.get("toolUseId")) is not str
        or type(value.get("name")) is not str
        or "input" not in value
    ):
        raise invalid(NAME, "a toolUse needs string 'toolUseId' and 'name', and an 'input'")
    fields = rest(value, "toolUseId", "name", "input") if len(value) > 3 else None
    extra = EMPTY if fields is None else {"fields": fields}
    return ToolCallPart(value["toolUseId"], value["name"], value["input"], extra)


def _tool_result(value: Any) -> ToolResultPart:
    if (
        type(value) is not dict
        or type(value.get("toolUseId")) is not str
        or type(value.get("content")) is not list
    ):
        raise invalid(NAME, "a toolResult needs a string 'toolUseId' and a 'content' list")
    status = value.get("status")
    taken = ("toolUseId", "content", "status") if status in ("success", "error") else None
    extra: dict[str, Any] = {"status": taken is not None}
    fields = rest(value, *(taken or ("toolUseId", "content")))
    if fields:
        extra["fields"] = fields
    content = tuple(_result_content(item) for item in value["content"])
    return ToolResultPart(
        value["toolUseId"], content, "error" if status == "error" else "success", extra
    )


def _result_content(item: Any) -> ResultContent:
    if type(item) is not dict or not item:
        raise invalid(NAME, "tool result content is a list of non-empty objects")
    if len(item) == 1:
        ((key, value),) = item.items()
        if key == "text" and type(value) is str:
            return TextPart(value)
        if key == "json":
            return JsonPart(value)
        part = _image(value) if key == "image" else _document(value) if key == "document" else None
        if part is not None:
            return part
    return OpaquePart(NAME, next(iter(item)), item)


def _reasoning(value: Any) -> ReasoningPart | None:
    if type(value) is not dict:
        return None
    text, signature, redacted = "", None, None
    extra: dict[str, Any] = {}
    taken = []
    reasoning_text = value.get("reasoningText")
    if reasoning_text is not None:
        if type(reasoning_text) is not dict or type(reasoning_text.get("text")) is not str:
            return None
        text = reasoning_text["text"]
        signature = reasoning_text.get("signature")
        if type(signature) is not str:
            signature = None
        extra["text_fields"] = rest(
            reasoning_text, "text", *(() if signature is None else ("signature",))
        )
        taken.append("reasoningText")
    raw = value.get("redactedContent")
    if raw is not None:
        redacted = decode_bytes(raw)
        if redacted is None:
            return None
        if type(raw) is bytes or raw != encode_bytes(redacted):
            extra["bytes"] = raw
        taken.append("redactedContent")
    if not taken:
        return None
    extra["fields"] = rest(value, *taken)
    return ReasoningPart(text, signature, redacted, extra)


def _guard(value: Any) -> TextPart | None:
    if type(value) is not dict or type(value.get("text")) is not dict:
        return None
    inner = value["text"]
    if type(inner.get("text")) is not str:
        return None
    extra = {
        "block": "guardContent",
        "fields": rest(value, "text"),
        "text_fields": rest(inner, "text"),
    }
    return TextPart(inner["text"], extra)


def _citations(block: dict[str, Any], value: Any) -> TextPart | None:
    text = _citations_text(value)
    return None if text is None else TextPart(text, {"block": "citationsContent", "raw": block})


def _citations_text(value: Any) -> str | None:
    if type(value) is not dict or type(value.get("content")) is not list:
        return None
    pieces = []
    for item in value["content"]:
        if type(item) is not dict or type(item.get("text")) is not str:
            return None
        pieces.append(item["text"])
    return "".join(pieces)


# ---------------------------------------------------------------------- from neutral


def from_neutral(message: Message) -> list[Any]:
    """A neutral message as a stored Strands message (exactly the original for its own)."""
    own = message.format == NAME
    author = message.author
    blocks = [
        block for part in message.parts if (block := _block_out(part, own, author)) is not None
    ]
    role = "assistant" if message.role == "assistant" else "user"
    if own:
        extra = message.extra
        effective = {"role": role, "content": blocks, **extra.get("fields", EMPTY)}
        record = extra.get("record", EMPTY)
        if "original" in extra:
            return [{"message": extra["original"], **record, "redact_message": effective}]
        return [{"message": effective, **record}]
    if message.role == "system":
        blocks = [{"text": system_text(b["text"])} if "text" in b else b for b in blocks]
    if not blocks:
        return []
    stamp = _iso(message.created_at)
    return [
        {
            "message": {"role": role, "content": blocks},
            "redact_message": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
    ]


def _iso(timestamp: float | None) -> str:
    when = datetime.now(UTC) if timestamp is None else datetime.fromtimestamp(timestamp, UTC)
    return when.isoformat()


def _block_out(part: Part, own: bool, author: str | None) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return _text_out(part, own)
    if isinstance(part, ToolCallPart):
        tool_use = {"toolUseId": part.call_id, "name": part.name, "input": part.input}
        if own and part.extra:
            tool_use = {**part.extra.get("fields", EMPTY), **tool_use}
        return {"toolUse": tool_use}
    if isinstance(part, ToolResultPart):
        return {"toolResult": _result_out(part, own, author)}
    if isinstance(part, ReasoningPart):
        return _reasoning_out(part) if own else None
    if isinstance(part, JsonPart):
        return {"text": dumps(part.value)}
    if isinstance(part, ImagePart | FilePart):
        return _media_out(part, own)
    return _opaque_out(part, own, author)


def _text_out(part: TextPart, own: bool) -> dict[str, Any]:
    kind = part.extra.get("block") if own else None
    if kind == "guardContent":
        extra = part.extra
        inner = {**extra.get("text_fields", EMPTY), "text": part.text}
        return {"guardContent": {**extra.get("fields", EMPTY), "text": inner}}
    if kind == "citationsContent":
        raw = part.extra["raw"]
        if _citations_text(raw["citationsContent"]) == part.text:
            return dict(raw)
    return {"text": part.text}


def _result_out(part: ToolResultPart, own: bool, author: str | None) -> dict[str, Any]:
    content = [
        item for c in part.content if (item := _result_content_out(c, own, author)) is not None
    ]
    if own:
        result = {**part.extra.get("fields", EMPTY), "toolUseId": part.call_id}
        if part.extra.get("status", True):
            result["status"] = part.status
        result["content"] = content
        return result
    return {"toolUseId": part.call_id, "status": part.status, "content": content}


def _result_content_out(part: ResultContent, own: bool, author: str | None) -> Any:
    if isinstance(part, TextPart):
        return {"text": part.text}
    if isinstance(part, JsonPart):
        return {"json": part.value}
    if isinstance(part, ImagePart | FilePart):
        return _media_out(part, own)
    return _opaque_out(part, own, author)


def _media_out(part: ImagePart | FilePart, own: bool) -> dict[str, Any]:
    is_image = isinstance(part, ImagePart)
    data = part.data
    if data is None and part.url is not None:
        parsed = parse_data_url(part.url)
        data = None if parsed is None else parsed[1]
    extra = part.extra if own else EMPTY
    fmt = extra.get("format")
    if fmt is None:
        fmt = (
            image_format(part.media_type)
            if is_image
            else document_format(part.media_type, getattr(part, "name", None))
        )
    if data is None or fmt is None:
        text = media_note(part) if isinstance(part, ImagePart) else file_note(part)
        return {"text": text}
    raw = extra.get("bytes")
    encoded = raw if raw is not None and decode_bytes(raw) == data else encode_bytes(data)
    value: dict[str, Any] = {**extra.get("fields", EMPTY), "format": fmt}
    if isinstance(part, FilePart):
        if not own:
            value["name"] = _document_name(part.name)
        elif extra.get("named"):
            value["name"] = part.name
    value["source"] = {**extra.get("source", EMPTY), "bytes": encoded}
    return {"image" if is_image else "document": value}


_NAME_CHARS = re.compile(r"[^A-Za-z0-9\-()\[\] ]+")


def _document_name(name: str | None) -> str:
    """A name Bedrock accepts: letters, digits, spaces, hyphens, parentheses, brackets."""
    stem = (name or "").rsplit(".", 1)[0]
    cleaned = " ".join(_NAME_CHARS.sub("-", stem).split())
    return cleaned or "document"


def _reasoning_out(part: ReasoningPart) -> dict[str, Any]:
    extra = part.extra
    value: dict[str, Any] = dict(extra.get("fields", EMPTY))
    if "text_fields" in extra or (part.text and part.redacted is None):
        text = {**extra.get("text_fields", EMPTY), "text": part.text}
        if part.signature is not None:
            text["signature"] = part.signature
        value["reasoningText"] = text
    if part.redacted is not None:
        raw = extra.get("bytes")
        same = raw is not None and decode_bytes(raw) == part.redacted
        value["redactedContent"] = raw if same else encode_bytes(part.redacted)
    return {"reasoningContent": value}


def _opaque_out(part: OpaquePart, own: bool, author: str | None) -> dict[str, Any] | None:
    if own and part.format == NAME and type(part.data) is dict:
        return part.data
    return {"text": opaque_note(author, part)} if part.visible else None


# ---------------------------------------------------------------------- the rest


def _effective(item: Any) -> Any:
    if type(item) is not dict:
        return None
    redact = item.get("redact_message")
    return item.get("message") if redact is None else redact


def role_of(item: Any) -> Role | None:
    """The role of a stored message (None if it is not a well-formed message)."""
    message = _effective(item)
    if type(message) is not dict or type(message.get("content")) is not list:
        return None
    role = message.get("role")
    return role if role in _ROLES else None


def merge(first: Any, second: Any) -> dict[str, Any]:
    """One stored message holding two consecutive same-role messages' blocks, in order."""
    a, b = _effective(first), _effective(second)
    return {
        "message": {"role": a["role"], "content": [*a["content"], *b["content"]]},
        "redact_message": None,
        "created_at": first.get("created_at"),
        "updated_at": second.get("updated_at"),
    }


def handoff_target(call: ToolCallPart) -> str | None:
    """The agent a Swarm ``handoff_to_agent`` call hands off to."""
    if call.name == HANDOFF_TOOL and type(call.input) is dict:
        target = call.input.get("agent_name")
        if type(target) is str and target:
            return target
    return None


def native_call_ok(call: ToolCallPart) -> bool:
    """Converse tool inputs are JSON objects."""
    return type(call.input) is dict


def export(item: Any) -> Any:
    """A stored message as a Strands ``Message`` (what ``Agent(messages=...)`` takes)."""
    return _effective(item)


FORMAT = Format(
    name=NAME,
    alias="strands",
    to_neutral=to_neutral,
    from_neutral=from_neutral,
    role_of=role_of,
    merge=merge,
    handoff_target=handoff_target,
    native_call_ok=native_call_ok,
    export=export,
)
