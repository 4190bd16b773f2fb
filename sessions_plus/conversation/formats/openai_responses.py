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
from types import MappingProxyType
from typing import Any

from ..media import data_url, media_type_of_data_url, parse_data_url
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
from ..notes import dumps, file_note, media_note, opaque_note
from .base import Format, invalid, rest

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
_ITEM_CALL = MappingProxyType({"item": "function_call"})
_ITEM_OUTPUT = MappingProxyType({"item": "function_call_output"})
_ITEM_OPAQUE = MappingProxyType({"item": "opaque"})
_MEDIA = (ImagePart, FilePart)
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


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
    extra: Any
    if kind == "function_call":
        role, parts, extra = "assistant", (_call(data),), _ITEM_CALL
    elif kind == "function_call_output":
        role, parts, extra = "tool", (_output(data),), _ITEM_OUTPUT
    elif kind == "reasoning":
        role = "assistant"
        parts, extra = _reasoning(data)
    elif (kind is None or kind == "message") and "role" in data and "content" in data:
        role, parts, extra = _message(data)
    elif type(kind) is str and kind:
        role, parts, extra = "assistant", (OpaquePart(NAME, kind, data),), _ITEM_OPAQUE
    else:
        raise invalid(NAME, "an item needs a 'type' (or 'role' and 'content')")
    return Message(role, parts, NAME, author, seq, created_at, extra)


def _message(data: dict[str, Any]) -> tuple[Role, tuple[Part, ...], dict[str, Any]]:
    source_role = data["role"]
    role = _ROLES.get(source_role) if type(source_role) is str else None
    if role is None:
        raise invalid(NAME, f"unknown message role {source_role!r}")
    content = data["content"]
    extra: dict[str, Any] = {"item": "message"}
    parts: tuple[Part, ...]
    if type(content) is str:
        parts = (TextPart(content),)
        extra["content"] = "text"
    elif type(content) is list:
        parts = tuple(_content(part) for part in content)
    else:
        raise invalid(NAME, "message content is a string or a list of parts")
    fields = rest(data, "role", "content")
    if fields:
        extra["fields"] = fields
    if source_role != role:
        extra["role"] = source_role
    return role, parts, extra


def _content(part: Any) -> ResultContent:
    """One content part of a message or a tool output."""
    if type(part) is not dict or type(part.get("type")) is not str:
        raise invalid(NAME, "a content part is an object with a 'type'")
    kind = part["type"]
    if kind in _TEXT_TYPES or kind == "refusal":
        key = "refusal" if kind == "refusal" else "text"
        text = part.get(key)
        if type(text) is not str:
            raise invalid(NAME, f"a {kind} part needs a string {key!r}")
        return TextPart(text, {"fields": rest(part, key)})
    if kind == "input_image":
        url = part.get("image_url")
        if type(url) is str:
            return _image(url, rest(part, "image_url"))
    elif kind == "input_file":
        file = _file(part)
        if file is not None:
            return file
    return OpaquePart(NAME, kind, part)


def _image(url: str, fields: dict[str, Any]) -> ImagePart:
    parsed = parse_data_url(url)
    if parsed is not None:
        return ImagePart(parsed[0], data=parsed[1], extra={"fields": fields})
    return ImagePart(media_type_of_data_url(url), url=url, extra={"fields": fields})


def _file(part: dict[str, Any]) -> FilePart | None:
    name = part.get("filename")
    taken = ["filename"] if type(name) is str else []
    file_data, file_url = part.get("file_data"), part.get("file_url")
    parsed = parse_data_url(file_data) if type(file_data) is str else None
    if parsed is not None:
        fields = rest(part, "file_data", *taken)
        return FilePart(parsed[0], data=parsed[1], name=_str(name), extra={"fields": fields})
    if type(file_data) is str:
        fields = rest(part, "file_data", *taken)
        extra = {"fields": fields, "key": "file_data"}
        return FilePart(
            media_type_of_data_url(file_data), url=file_data, name=_str(name), extra=extra
        )
    if type(file_url) is str:
        fields = rest(part, "file_url", *taken)
        return FilePart(None, url=file_url, name=_str(name), extra={"fields": fields})
    return None


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _call(data: dict[str, Any]) -> ToolCallPart:
    call_id, name, arguments = data.get("call_id"), data.get("name"), data.get("arguments")
    if type(call_id) is not str or type(name) is not str or type(arguments) is not str:
        raise invalid(NAME, "a function_call needs string 'call_id', 'name' and 'arguments'")
    value = _parse_arguments(arguments)
    extra: dict[str, Any] = {"fields": rest(data, "call_id", "name", "arguments")}
    if type(value) is str or _arguments(value) != arguments:
        extra["arguments"] = arguments  # spelled otherwise than we would: keep it as it was
    return ToolCallPart(call_id, name, value, extra)


def _output(data: dict[str, Any]) -> ToolResultPart:
    call_id, output = data.get("call_id"), data.get("output")
    if type(call_id) is not str:
        raise invalid(NAME, "a function_call_output needs a string 'call_id'")
    extra: dict[str, Any] = {"fields": rest(data, "call_id", "output")}
    content: tuple[ResultContent, ...]
    if type(output) is str:
        content = (TextPart(output),)
        extra["output"] = "text"
    elif type(output) is list:
        content = tuple(_content(part) for part in output)
    else:
        raise invalid(NAME, "a function_call_output's 'output' is a string or a list of parts")
    return ToolResultPart(call_id, content, "success", extra)


def _reasoning(data: dict[str, Any]) -> tuple[tuple[Part, ...], dict[str, Any]]:
    parts: list[Part] = []
    extra: dict[str, Any] = {"item": "reasoning"}
    taken = []
    for key in ("summary", "content"):
        entries = data.get(key)
        if type(entries) is not list:
            continue
        taken.append(key)
        extra[key] = True
        for entry in entries:
            if type(entry) is not dict or type(entry.get("text")) is not str:
                raise invalid(NAME, f"a reasoning {key} entry is an object with a string 'text'")
            parts.append(
                ReasoningPart(entry["text"], extra={"in": key, "fields": rest(entry, "text")})
            )
    extra["fields"] = rest(data, *taken)
    return tuple(parts), extra


# ---------------------------------------------------------------------- from neutral


def from_neutral(message: Message) -> list[Any]:
    """A neutral message as Responses items (exactly the original for this format's own)."""
    parts = message.parts
    if message.format == NAME:
        kind = message.extra.get("item")
        if kind == "message" and all(not isinstance(p, _NOT_CONTENT) for p in parts):
            return [_own_message(message)]
        if kind == "reasoning" and all(isinstance(p, ReasoningPart) for p in parts):
            return [_own_reasoning(message)]
        if kind == "opaque" and len(parts) == 1 and isinstance(parts[0], OpaquePart):
            return [parts[0].data]
    return _write(message, message.format == NAME)


_NOT_CONTENT = (ToolCallPart, ToolResultPart, ReasoningPart)


def _own_message(message: Message) -> dict[str, Any]:
    extra = message.extra
    role = extra.get("role", message.role) if message.role == "system" else message.role
    parts = message.parts
    content: Any
    if extra.get("content") == "text" and len(parts) == 1 and isinstance(parts[0], TextPart):
        content = parts[0].text
    else:
        author = message.author
        content = [
            _content_item(part, role, own=True, author=author)
            for part in parts
            if not isinstance(part, _NOT_CONTENT)
        ]
    return {**extra.get("fields", EMPTY), "role": role, "content": content}


def _own_reasoning(message: Message) -> dict[str, Any]:
    extra = message.extra
    item = dict(extra.get("fields", EMPTY))
    for key in ("summary", "content"):
        if extra.get(key):
            item[key] = [
                {**part.extra.get("fields", EMPTY), "text": part.text}
                for part in message.parts
                if isinstance(part, ReasoningPart) and part.extra.get("in", "summary") == key
            ]
    return item


def _write(message: Message, own: bool) -> list[Any]:
    items: list[Any] = []
    run: list[ResultContent] = []
    for part in message.parts:
        if isinstance(part, ToolCallPart):
            _flush(message, run, items)
            items.append(_call_item(part, own))
        elif isinstance(part, ToolResultPart):
            _flush(message, run, items)
            items.append(_output_item(part, own, message.author))
        elif isinstance(part, ReasoningPart):
            continue  # reasoning goes back only inside its own reasoning item
        elif isinstance(part, OpaquePart) and part.format == NAME and own:
            _flush(message, run, items)
            items.append(part.data)
        else:
            run.append(part)
    _flush(message, run, items)
    return items


def _flush(message: Message, run: list[ResultContent], items: list[Any]) -> None:
    if not run:
        return
    author = message.author
    if message.role == "user":
        if len(run) == 1 and isinstance(run[0], TextPart):
            items.append({"role": "user", "content": run[0].text})
        else:
            content = [_content_item(part, "user", own=False, author=author) for part in run]
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


def _content_item(part: ResultContent, role: str, *, own: bool, author: str | None) -> Any:
    """One content part (of a user message or a tool output)."""
    fields = part.extra.get("fields") if own and not isinstance(part, OpaquePart) else None
    if isinstance(part, TextPart):
        if fields is not None:
            key = "refusal" if fields.get("type") == "refusal" else "text"
            return {**fields, key: part.text}
        return {"type": "output_text" if role == "assistant" else "input_text", "text": part.text}
    if isinstance(part, ImagePart):
        url = part.url if part.url is not None else _data_url(part)
        if url is None:
            return {"type": "input_text", "text": media_note(part)}
        if fields is not None:
            return {**fields, "image_url": url}
        return {"type": "input_image", "image_url": url, "detail": "auto"}
    if isinstance(part, FilePart):
        return _file_item(part, fields)
    if isinstance(part, JsonPart):
        return {"type": "input_text", "text": dumps(part.value)}
    if part.format == NAME and own:
        return part.data
    return {"type": "input_text", "text": opaque_note(author, part)}


def _data_url(part: ImagePart | FilePart) -> str | None:
    return None if part.data is None else data_url(part.media_type, part.data)


def _file_item(part: FilePart, fields: Any) -> dict[str, Any]:
    if fields is not None:
        item = dict(fields)
        if part.data is not None:
            item["file_data"] = _data_url(part)
        elif part.url is not None:
            item[part.extra.get("key", "file_url")] = part.url
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
    if own:
        raw = part.extra.get("arguments")
        if raw is not None and _parse_arguments(raw) == part.input:
            arguments = raw
        else:
            arguments = _arguments(part.input)
        fields = part.extra.get("fields", EMPTY)
        return {**fields, "call_id": part.call_id, "name": part.name, "arguments": arguments}
    return {
        "type": "function_call",
        "call_id": part.call_id,
        "name": part.name,
        "arguments": _arguments(part.input),
    }


def _output_item(part: ToolResultPart, own: bool, author: str | None) -> dict[str, Any]:
    content = part.content
    output: Any
    if own:
        if part.extra.get("output") == "text" and len(content) == 1:
            only = content[0]
            output = only.text if isinstance(only, TextPart) else None
        else:
            output = None
        if output is None:
            output = [_content_item(c, "user", own=True, author=author) for c in content]
        return {**part.extra.get("fields", EMPTY), "call_id": part.call_id, "output": output}
    if not any(isinstance(c, _MEDIA) for c in content):
        texts = [_as_text(c, author) for c in content]
        output = "\n".join(text for text in texts if text is not None)
    else:
        output = [_content_item(c, "user", own=False, author=author) for c in content]
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


FORMAT = Format(
    name=NAME,
    alias="openai",
    to_neutral=to_neutral,
    from_neutral=from_neutral,
    role_of=role_of,
    handoff_target=handoff_target,
)
