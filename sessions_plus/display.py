"""Records as something a person reads: role, author and parts (text, tool calls, images).

SDK-free: the CLI (``show``, ``tail``) and the web viewer both turn stored records into
:class:`DisplayMessage` values here, so OpenAI Responses items and Strands messages read the
same way everywhere. Nothing is dropped: a shape this module does not know becomes an
``other`` part holding its JSON. Images are only ever passed on as ``data:`` URLs (never a
remote address a viewer would fetch); anything else is a placeholder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .records import Record

PartKind = Literal["text", "tool_call", "tool_result", "image", "reasoning", "other"]
OPENAI_FORMAT = "openai.responses"
STRANDS_FORMAT = "strands.message"
TRACE_FORMAT = "sessions_plus.trace"
_TEXT_TYPES = frozenset({"input_text", "output_text", "text", "summary_text"})


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a message.

    ``text`` is what to show (message text, a tool's arguments or output as text, an image
    placeholder); ``name`` the tool name; ``call_id`` pairs a call with its result;
    ``image_url`` a ``data:image/...`` URL when the image is stored inline.
    """

    kind: PartKind
    text: str = ""
    name: str | None = None
    call_id: str | None = None
    status: str | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class DisplayMessage:
    """One record, ready to render: who (``role``, ``author``), when, and its parts."""

    seq: int
    created_at: float
    role: str
    format: str | None
    author: str | None
    parts: list[Part] = field(default_factory=list)
    redacted: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the web viewer's wire shape)."""
        return asdict(self)


def display(record: Record) -> DisplayMessage:
    """Turn one record into a :class:`DisplayMessage`, by its format (then by its shape)."""
    data = record.data
    redacted = False
    if record.format == TRACE_FORMAT and isinstance(data, Mapping):
        role, parts = "trace", _trace(data)
    elif record.format == STRANDS_FORMAT or _looks_strands(data):
        role, parts, redacted = _strands(data)
    elif isinstance(data, Mapping):
        role, parts = _openai(data)
    else:
        role, parts = "event", [Part("other", _json(data))]
    return DisplayMessage(
        seq=record.seq,
        created_at=record.created_at,
        role=role,
        format=record.format,
        author=record.author,
        parts=parts,
        redacted=redacted,
    )


def display_all(records: Iterable[Record]) -> list[DisplayMessage]:
    """:func:`display` for each record, in order."""
    return [display(record) for record in records]


def summary(message: DisplayMessage, width: int = 0) -> str:
    """One plain-text line per part, for terminals (``tail``, ``show``)."""
    lines = [_part_line(part) for part in message.parts] or ["(empty)"]
    text = "\n".join(lines)
    if width and len(text) > width:
        text = text[: max(width - 1, 1)] + "…"
    return text


def _part_line(part: Part) -> str:
    if part.kind == "text":
        return part.text
    if part.kind == "reasoning":
        return f"(thinking) {part.text}"
    if part.kind == "tool_call":
        call = f" [{part.call_id}]" if part.call_id else ""
        return f"→ {part.name or 'tool'}({part.text}){call}"
    if part.kind == "tool_result":
        call = f" [{part.call_id}]" if part.call_id else ""
        status = f" {part.status}" if part.status and part.status != "success" else ""
        return f"← result{call}{status}: {part.text}"
    if part.kind == "image":
        return f"[image{': ' + part.text if part.text else ''}]"
    return part.text


# ---------------------------------------------------------------------------- OpenAI items


def _openai(item: Mapping[str, Any]) -> tuple[str, list[Part]]:
    kind = item.get("type")
    if "role" in item and kind in (None, "message"):
        return str(item["role"]), _openai_content(item.get("content"))
    if kind == "function_call":
        return "assistant", [
            Part(
                "tool_call",
                _arguments(item.get("arguments")),
                name=_str(item.get("name")),
                call_id=_str(item.get("call_id")),
            )
        ]
    if kind == "function_call_output" or (isinstance(kind, str) and kind.endswith("_output")):
        return "tool", [
            Part(
                "tool_result",
                _output_text(item.get("output")),
                call_id=_str(item.get("call_id")),
                status=_str(item.get("status")),
            )
        ]
    if kind == "reasoning":
        texts = [
            str(s.get("text", "")) for s in item.get("summary") or [] if isinstance(s, Mapping)
        ]
        return "assistant", [Part("reasoning", "\n".join(texts) or "…")]
    if isinstance(kind, str) and kind.endswith("_call"):
        detail = {k: v for k, v in item.items() if k not in ("type", "id", "call_id")}
        return "assistant", [
            Part("tool_call", _json(detail), name=kind, call_id=_str(item.get("call_id")))
        ]
    return "event", [Part("other", _json(dict(item)))]


def _openai_content(content: Any) -> list[Part]:
    if isinstance(content, str):
        return [Part("text", content)]
    if not isinstance(content, list):
        return [] if content is None else [Part("other", _json(content))]
    parts: list[Part] = []
    for block in content:
        if not isinstance(block, Mapping):
            parts.append(Part("other", _json(block)))
            continue
        kind = block.get("type")
        if kind in _TEXT_TYPES:
            parts.append(Part("text", str(block.get("text", ""))))
        elif kind == "refusal":
            parts.append(Part("text", f"(refusal) {block.get('refusal', '')}"))
        elif kind == "input_image":
            parts.append(_image(block.get("image_url"), block.get("file_id")))
        elif kind == "input_file":
            name = block.get("filename") or block.get("file_id") or "file"
            parts.append(Part("other", f"[file: {name}]"))
        else:
            parts.append(Part("other", _json(dict(block))))
    return parts


def _image(url: Any, fallback: Any = None) -> Part:
    if isinstance(url, str) and url.startswith("data:image/"):
        return Part("image", "inline", image_url=url)
    label = url if isinstance(url, str) and url else fallback
    return Part("image", str(label) if label else "")


# ---------------------------------------------------------------------------- Strands messages


def _looks_strands(data: Any) -> bool:
    return isinstance(data, Mapping) and isinstance(data.get("message"), Mapping)


def _strands(data: Any) -> tuple[str, list[Part], bool]:
    if not isinstance(data, Mapping):
        return "event", [Part("other", _json(data))], False
    redact = data.get("redact_message")
    message = redact if isinstance(redact, Mapping) else data.get("message", data)
    if not isinstance(message, Mapping):
        return "event", [Part("other", _json(dict(data)))], False
    role = str(message.get("role", "event"))
    parts: list[Part] = []
    for block in message.get("content") or []:
        parts.extend(_strands_block(block))
    if parts and all(part.kind == "tool_result" for part in parts):
        role = "tool"
    return role, parts, isinstance(redact, Mapping)


def _strands_block(block: Any) -> list[Part]:
    if not isinstance(block, Mapping):
        return [Part("other", _json(block))]
    if "text" in block:
        return [Part("text", str(block["text"]))]
    if "toolUse" in block and isinstance(block["toolUse"], Mapping):
        use = block["toolUse"]
        return [
            Part(
                "tool_call",
                _json(use.get("input")),
                name=_str(use.get("name")),
                call_id=_str(use.get("toolUseId")),
            )
        ]
    if "toolResult" in block and isinstance(block["toolResult"], Mapping):
        result = block["toolResult"]
        texts = [_strands_result_text(item) for item in result.get("content") or []]
        return [
            Part(
                "tool_result",
                "\n".join(texts),
                call_id=_str(result.get("toolUseId")),
                status=_str(result.get("status")),
            )
        ]
    if "image" in block and isinstance(block["image"], Mapping):
        return [_strands_image(block["image"])]
    if "reasoningContent" in block and isinstance(block["reasoningContent"], Mapping):
        reasoning = block["reasoningContent"].get("reasoningText")
        text = reasoning.get("text", "") if isinstance(reasoning, Mapping) else ""
        return [Part("reasoning", str(text) or "…")]
    if "cachePoint" in block:
        return []
    if "document" in block and isinstance(block["document"], Mapping):
        return [Part("other", f"[document: {block['document'].get('name', 'document')}]")]
    return [Part("other", _json(dict(block)))]


def _strands_result_text(item: Any) -> str:
    if isinstance(item, Mapping):
        if "text" in item:
            return str(item["text"])
        if "json" in item:
            return _json(item["json"])
        if "image" in item and isinstance(item["image"], Mapping):
            return "[image]"
    return _json(item)


def _strands_image(image: Mapping[str, Any]) -> Part:
    fmt = str(image.get("format", "png"))
    source = image.get("source")
    raw = source.get("bytes") if isinstance(source, Mapping) else None
    if (
        isinstance(raw, Mapping)
        and raw.get("__bytes_encoded__")
        and isinstance(raw.get("data"), str)
    ):
        mime = "jpeg" if fmt == "jpg" else fmt
        return Part("image", fmt, image_url=f"data:image/{mime};base64,{raw['data']}")
    return Part("image", fmt)


# ---------------------------------------------------------------------------- run traces


def _trace(event: Mapping[str, Any]) -> list[Part]:
    """One run-trace event (the ``trace`` stream's documented schema) as parts."""
    kind = event.get("type")
    run = str(event.get("run_id", ""))[:12]
    if kind == "run_start":
        return [Part("text", f"▶ run {run} started: {_text(event.get('query'))}")]
    if kind == "step":
        thinking = event.get("thinking")
        names = [
            str(c.get("name")) for c in event.get("tool_calls") or [] if isinstance(c, Mapping)
        ]
        text = f"step {event.get('step', '?')}" + (f" → {', '.join(names)}" if names else "")
        parts = [Part("text", text)]
        if thinking:
            parts.append(Part("reasoning", _text(thinking)))
        return parts
    if kind == "tool_start":
        return [
            Part(
                "tool_call",
                _json(event.get("inputs")),
                name=_str(event.get("name")),
                call_id=_str(event.get("call_id")),
            )
        ]
    if kind == "tool_end":
        error = event.get("error")
        return [
            Part(
                "tool_result",
                _text(error if error is not None else event.get("result")),
                call_id=_str(event.get("call_id")),
                status="error" if error is not None else "success",
            )
        ]
    if kind == "handoff":
        return [Part("text", f"↪ handoff to {event.get('to_agent')}")]
    if kind == "run_end":
        return [Part("text", f"■ run {run} completed: {_text(event.get('final_response'))}")]
    if kind == "run_failed":
        return [Part("text", f"✗ run {run} failed: {_text(event.get('error'))}")]
    return [Part("other", _json(dict(event)))]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _json(value)


# ---------------------------------------------------------------------------- helpers


def _arguments(arguments: Any) -> str:
    if isinstance(arguments, str):
        try:
            return _json(json.loads(arguments))
        except ValueError:
            return arguments
    return _json(arguments)


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "\n".join(
            str(o.get("text", _json(o))) if isinstance(o, Mapping) else _json(o) for o in output
        )
    return _json(output)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
