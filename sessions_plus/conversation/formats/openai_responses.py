"""``openai.responses``: OpenAI Responses input/output items, as the OpenAI Agents SDK stores them.

One record holds one item. To neutral (one message per item):

* a message (``{"role": "user", "content": "hi"}``, or ``"type": "message"`` with a list of
  ``input_text``/``output_text``/``refusal``/``input_image``/``input_file`` parts) -> a message of
  that role (``developer`` is neutral ``system``) with text, image and file parts;
* ``function_call`` -> an assistant :class:`ToolCallPart` (``arguments`` parsed as JSON; empty
  arguments are ``{}``, invalid JSON stays the raw string);
* ``function_call_output`` -> a ``tool`` message with a :class:`ToolResultPart`;
* ``reasoning`` -> :class:`ReasoningPart`\\ s (summary and content texts; ``encrypted_content``
  stays in ``extra``);
* every other item type (web/file search, computer, MCP, image generation, shell, custom tool
  calls ...) -> one :class:`OpaquePart`.

From neutral, a message of another format becomes: user content as one user message (a plain
string for a single text); each assistant text as one ``{"role": "assistant", "content": ...}``
item (the only assistant input shape that needs no output-item id); tool calls as
``function_call`` and results as ``function_call_output`` items (``call_id`` = the other SDK's
tool-use id); reasoning of another provider is never written; images and files the target cannot
hold and opaque parts become text notes.
"""

from __future__ import annotations

import json
from typing import Any

from ..media import data_url, media_type_of_data_url, parse_data_url
from ..model import (
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
from ..notes import dumps, file_note, media_note, opaque_note
from .base import NO_TRAFFIC, USER_TURN, Format, Traffic, invalid

NAME = "openai.responses"

HANDOFF_PREFIX = "transfer_to_"
"""The OpenAI Agents SDK names a handoff tool ``transfer_to_<agent>``."""

_ROLES: dict[str, Role] = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",
}
_TEXT_TYPES = frozenset({"input_text", "output_text"})
_MEDIA = (ImagePart, FilePart)
_NOT_CONTENT = (ToolCallPart, ToolResultPart, ReasoningPart)
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Every part and message keeps, as its ``extra``, the item (or content part) it came from;
# converting back overlays the neutral fields on it, so what no neutral field holds (ids,
# statuses, annotations, the spelling of ``arguments``) reads back as it was.


def _arguments(value: Any) -> str:
    """A tool input as Responses ``arguments`` (compact JSON)."""
    return _ENCODE(value)


def _parse_arguments(arguments: str) -> Any:
    if not arguments:
        return {}
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments


# ---------------------------------------------------------------------- to neutral


def to_neutral(
    data: Any,
    *,
    seq: int | None = None,
    author: str | None = None,
    created_at: float | None = None,
) -> Message:
    """One Responses item as a neutral message (see the module docstring)."""
    if type(data) is not dict:
        raise invalid(NAME, f"an item is a JSON object, not {type(data).__name__}")
    kind = data.get("type")
    role: Role
    parts: tuple[Part, ...]
    if kind is None or kind == "message":
        if "role" not in data or "content" not in data:
            if kind is None:
                raise invalid(NAME, "an item needs a 'type' (or 'role' and 'content')")
            return _opaque(data, "message", seq, author, created_at)
        role, parts = _message(data)
    elif kind == "function_call":
        role, parts = "assistant", (_call(data),)
    elif kind == "function_call_output":
        role, parts = "tool", (_output(data),)
    elif kind == "reasoning":
        role, parts = "assistant", _reasoning(data)
    elif type(kind) is str and kind:
        return _opaque(data, kind, seq, author, created_at)
    else:
        raise invalid(NAME, "an item's 'type' is a non-empty string")
    return Message(role, parts, NAME, author, seq, created_at, data)


def _opaque(
    data: dict[str, Any], kind: str, seq: int | None, author: str | None, created_at: float | None
) -> Message:
    return Message(
        "assistant", (OpaquePart(NAME, kind, data),), NAME, author, seq, created_at, data
    )


def _message(data: dict[str, Any]) -> tuple[Role, tuple[Part, ...]]:
    source_role = data["role"]
    role = _ROLES.get(source_role) if type(source_role) is str else None
    if role is None:
        raise invalid(NAME, f"unknown message role {source_role!r}")
    content = data["content"]
    if type(content) is str:
        return role, (TextPart(content),)
    if type(content) is list:
        return role, tuple([_content(part) for part in content])
    raise invalid(NAME, "message content is a string or a list of parts")


def _content(part: Any) -> ResultContent:
    """One content part of a message or a tool output."""
    if type(part) is not dict:
        raise invalid(NAME, "a content part is an object with a 'type'")
    kind = part.get("type")
    if kind in _TEXT_TYPES or kind == "refusal":
        key = "refusal" if kind == "refusal" else "text"
        text = part.get(key)
        if type(text) is not str:
            raise invalid(NAME, f"a {kind} part needs a string {key!r}")
        return TextPart(text, part)
    if type(kind) is not str:
        raise invalid(NAME, "a content part is an object with a 'type'")
    if kind == "input_image":
        url = part.get("image_url")
        if type(url) is str:
            parsed = parse_data_url(url)
            if parsed is not None:
                return ImagePart(parsed[0], data=parsed[1], extra=part)
            return ImagePart(media_type_of_data_url(url), url=url, extra=part)
    elif kind == "input_file":
        name = part.get("filename")
        name = name if type(name) is str else None
        file_data, file_url = part.get("file_data"), part.get("file_url")
        if type(file_data) is str:
            parsed = parse_data_url(file_data)
            if parsed is not None:
                return FilePart(parsed[0], data=parsed[1], name=name, extra=part)
            media_type = media_type_of_data_url(file_data)
            return FilePart(media_type, url=file_data, name=name, extra=part)
        if type(file_url) is str:
            return FilePart(None, url=file_url, name=name, extra=part)
    return OpaquePart(NAME, kind, part)


def _call(data: dict[str, Any]) -> ToolCallPart:
    call_id, name, arguments = data.get("call_id"), data.get("name"), data.get("arguments")
    if type(call_id) is not str or type(name) is not str or type(arguments) is not str:
        raise invalid(NAME, "a function_call needs string 'call_id', 'name' and 'arguments'")
    return ToolCallPart(call_id, name, _parse_arguments(arguments), data)


def _output(data: dict[str, Any]) -> ToolResultPart:
    call_id, output = data.get("call_id"), data.get("output")
    if type(call_id) is not str:
        raise invalid(NAME, "a function_call_output needs a string 'call_id'")
    content: tuple[ResultContent, ...]
    if type(output) is str:
        content = (TextPart(output),)
    elif type(output) is list:
        content = tuple([_content(part) for part in output])
    else:
        raise invalid(NAME, "a function_call_output's 'output' is a string or a list of parts")
    return ToolResultPart(call_id, content, "success", data)


def _reasoning(data: dict[str, Any]) -> tuple[Part, ...]:
    parts: list[Part] = []
    for key in ("summary", "content"):
        entries = data.get(key)
        if type(entries) is not list:
            continue
        for entry in entries:
            if type(entry) is not dict or type(entry.get("text")) is not str:
                raise invalid(NAME, f"a reasoning {key} entry is an object with a string 'text'")
            parts.append(ReasoningPart(entry["text"], extra=entry))
    return tuple(parts)


# ---------------------------------------------------------------------- from neutral


def from_neutral(message: Message) -> list[Any]:
    """A neutral message as Responses items (exactly the original for this format's own)."""
    if message.format == NAME and type(message.extra) is dict:
        item = _own(message, message.extra)
        if item is not None:
            return [item]
    return _write(message, message.format == NAME)


def _own(message: Message, source: dict[str, Any]) -> Any:
    """The item ``message`` came from, with its neutral fields overlaid; None if the message
    no longer has that item's shape (then it is written like any other)."""
    parts = message.parts
    kind = source.get("type")
    if kind == "reasoning":
        if all(type(part) is ReasoningPart for part in parts):
            return _own_reasoning(source, parts)  # type: ignore[arg-type]
        return None
    if kind in (None, "message") and "role" in source and "content" in source:
        if any(isinstance(part, _NOT_CONTENT) for part in parts):
            return None
        original = source["role"]
        role = original if _ROLES.get(original) == message.role else message.role
        content: Any
        if type(source["content"]) is str and len(parts) == 1 and type(parts[0]) is TextPart:
            content = parts[0].text
        else:
            content = [_content_item(part, role, True, message.author) for part in parts]  # type: ignore[arg-type]
        return {**source, "role": role, "content": content}
    if len(parts) == 1 and type(parts[0]) is OpaquePart and parts[0].data is source:
        return source
    return None


def _own_reasoning(source: dict[str, Any], parts: tuple[ReasoningPart, ...]) -> dict[str, Any]:
    item = dict(source)
    summary = source.get("summary")
    split = len(summary) if type(summary) is list else 0
    entries = [{**part.extra, "text": part.text} for part in parts]
    if type(summary) is list:
        item["summary"] = entries[:split]
    if type(source.get("content")) is list:
        item["content"] = entries[split:]
    elif type(summary) is not list:
        item["summary"] = entries
    return item


def _write(message: Message, own: bool) -> list[Any]:
    items: list[Any] = []
    run: list[ResultContent] = []
    for part in message.parts:
        kind = type(part)
        if kind is ToolCallPart:
            _flush(message, run, items)
            items.append(_call_item(part, own))  # type: ignore[arg-type]
        elif kind is ToolResultPart:
            _flush(message, run, items)
            items.append(_output_item(part, own, message.author))  # type: ignore[arg-type]
        elif kind is ReasoningPart:
            continue  # reasoning goes back only inside its own reasoning item
        elif kind is OpaquePart and own and part.format == NAME and part.data is message.extra:  # type: ignore[union-attr]
            _flush(message, run, items)
            items.append(part.data)  # type: ignore[union-attr]
        else:
            run.append(part)  # type: ignore[arg-type]
    _flush(message, run, items)
    return items


def _flush(message: Message, run: list[ResultContent], items: list[Any]) -> None:
    if not run:
        return
    author = message.author
    if message.role == "user":
        if len(run) == 1 and type(run[0]) is TextPart:
            items.append({"role": "user", "content": run[0].text})
        else:
            content = [_content_item(part, "user", False, author) for part in run]
            items.append({"role": "user", "content": content})
    else:
        role = "system" if message.role == "system" else "assistant"
        for part in run:
            text = _as_text(part, author)
            if text is not None:
                items.append({"role": role, "content": text})
    run.clear()


def _as_text(part: ResultContent, author: str | None) -> str | None:
    if isinstance(part, TextPart):
        return part.text
    if isinstance(part, JsonPart):
        return dumps(part.value)
    if isinstance(part, ImagePart):
        return media_note(part)
    if isinstance(part, FilePart):
        return file_note(part)
    return opaque_note(author, part) if part.visible else None


def _content_item(part: ResultContent, role: str, own: bool, author: str | None) -> Any:
    """One content part (of a user message or a tool output)."""
    source = part.extra if own and not isinstance(part, OpaquePart) and part.extra else None
    if isinstance(part, TextPart):
        if source is not None:
            key = "refusal" if source.get("type") == "refusal" else "text"
            return {**source, key: part.text}
        return {"type": "output_text" if role == "assistant" else "input_text", "text": part.text}
    if isinstance(part, ImagePart):
        url = part.url if part.url is not None else _data_url(part)
        if url is None:
            return {"type": "input_text", "text": media_note(part)}
        if source is not None:
            return {**source, "image_url": url}
        return {"type": "input_image", "image_url": url, "detail": "auto"}
    if isinstance(part, FilePart):
        return _file_item(part, source)
    if isinstance(part, JsonPart):
        return {"type": "input_text", "text": dumps(part.value)}
    if part.format == NAME and own:
        return part.data
    return {"type": "input_text", "text": opaque_note(author, part)}


def _data_url(part: ImagePart | FilePart) -> str | None:
    return None if part.data is None else data_url(part.media_type, part.data)


def _file_item(part: FilePart, source: Any) -> dict[str, Any]:
    if source is not None:
        item = dict(source)
        if part.data is not None:
            item["file_data"] = _data_url(part)
        elif part.url is not None:
            key = "file_data" if type(source.get("file_data")) is str else "file_url"
            item[key] = part.url
        if part.name is not None:
            item["filename"] = part.name
        return item
    if part.data is not None:
        return {"type": "input_file", "file_data": _data_url(part), "filename": part.name or "file"}
    if part.url is not None:
        key = "file_data" if part.url.startswith("data:") else "file_url"
        item = {"type": "input_file", key: part.url}
        if part.name is not None:
            item["filename"] = part.name
        return item
    return {"type": "input_text", "text": file_note(part)}


def _call_item(part: ToolCallPart, own: bool) -> dict[str, Any]:
    source = part.extra
    if own and source:
        raw = source.get("arguments")
        same = type(raw) is str and _parse_arguments(raw) == part.input
        arguments = raw if same else _arguments(part.input)
        return {**source, "call_id": part.call_id, "name": part.name, "arguments": arguments}
    return {
        "type": "function_call",
        "call_id": part.call_id,
        "name": part.name,
        "arguments": _arguments(part.input),
    }


def _output_item(part: ToolResultPart, own: bool, author: str | None) -> dict[str, Any]:
    content = part.content
    output: Any
    source = part.extra
    if own and source:
        if type(source.get("output")) is str and len(content) == 1 and type(content[0]) is TextPart:
            output = content[0].text
        else:
            output = [_content_item(c, "user", True, author) for c in content]
        return {**source, "call_id": part.call_id, "output": output}
    if not any(isinstance(c, _MEDIA) for c in content):
        texts = [_as_text(c, author) for c in content]
        output = "\n".join(text for text in texts if text is not None)
    else:
        output = [_content_item(c, "user", False, author) for c in content]
    return {"type": "function_call_output", "call_id": part.call_id, "output": output}


# ---------------------------------------------------------------------- the rest


def role_of(item: Any) -> Role | None:
    """The neutral role of a stored item (None if it has none)."""
    if type(item) is not dict:
        return None
    kind = item.get("type")
    if kind == "function_call_output":
        return "tool"
    if kind is None or kind == "message":
        role = item.get("role")
        return _ROLES.get(role) if type(role) is str else None
    return "assistant"


def handoff_target(call: ToolCallPart) -> str | None:
    """The agent a ``transfer_to_<agent>`` call hands off to."""
    if call.name.startswith(HANDOFF_PREFIX) and len(call.name) > len(HANDOFF_PREFIX):
        return call.name[len(HANDOFF_PREFIX) :]
    return None


def accepts(item: Any) -> bool:
    """An item: an object with a ``type``, or a message's ``role`` and ``content``."""
    if type(item) is not dict:
        return False
    kind = item.get("type")
    if type(kind) is str and kind and kind != "message":
        return True
    return type(item.get("role")) is str and "content" in item


_CALLS = frozenset({"function_call", "custom_tool_call"})
_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})


def traffic(item: Any) -> Traffic:
    """A call (``function_call``, ``custom_tool_call``), its output, or a user message."""
    if type(item) is not dict:
        return NO_TRAFFIC
    kind = item.get("type")
    if kind is None or kind == "message":
        return USER_TURN if item.get("role") == "user" else NO_TRAFFIC
    call_id = item.get("call_id")
    if type(call_id) is not str:
        return NO_TRAFFIC
    if kind in _CALLS:
        name = item.get("name")
        return Traffic(calls=((call_id, name if type(name) is str else str(kind)),))
    if kind in _OUTPUTS:
        return Traffic(results=(call_id,))
    return NO_TRAFFIC


FORMAT = Format(
    name=NAME,
    alias="openai",
    to_neutral=to_neutral,
    from_neutral=from_neutral,
    role_of=role_of,
    handoff_target=handoff_target,
    accepts=accepts,
    traffic=traffic,
)
