"""The neutral model as plain JSON (``export_conversation(as_="neutral")``), and back.

A message is ``{"role", "parts", "format", "author", "seq", "created_at"}`` plus ``"extra"``
when it has one; each part is an object with a ``type``: ``text``, ``image``, ``file``,
``json``, ``tool_call``, ``tool_result``, ``reasoning`` or ``opaque``. Bytes are base64 text.
:func:`message_from_json` reads it back equal (``==``) to what was written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConversionError
from .media import b64decode, b64encode
from .model import (
    EMPTY,
    ROLES,
    FilePart,
    ImagePart,
    JsonPart,
    Message,
    OpaquePart,
    Part,
    ReasoningPart,
    ResultContent,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

NEUTRAL = "neutral"


def message_to_json(message: Message) -> dict[str, Any]:
    """A neutral message as a JSON object."""
    out: dict[str, Any] = {
        "role": message.role,
        "parts": [part_to_json(part) for part in message.parts],
        "format": message.format,
        "author": message.author,
        "seq": message.seq,
        "created_at": message.created_at,
    }
    if message.extra:
        out["extra"] = dict(message.extra)
    return out


def part_to_json(part: Part) -> dict[str, Any]:
    """One part as a JSON object."""
    out: dict[str, Any]
    if isinstance(part, TextPart):
        out = {"type": "text", "text": part.text}
    elif isinstance(part, ImagePart | FilePart):
        out = {"type": "image" if isinstance(part, ImagePart) else "file"}
        out["media_type"] = part.media_type
        if part.data is not None:
            out["data"] = b64encode(part.data)
        if part.url is not None:
            out["url"] = part.url
        if isinstance(part, FilePart) and part.name is not None:
            out["name"] = part.name
    elif isinstance(part, JsonPart):
        out = {"type": "json", "value": part.value}
    elif isinstance(part, ToolCallPart):
        out = {"type": "tool_call", "call_id": part.call_id, "name": part.name}
        out["input"] = part.input
    elif isinstance(part, ToolResultPart):
        out = {"type": "tool_result", "call_id": part.call_id, "status": part.status}
        out["content"] = [part_to_json(item) for item in part.content]
    elif isinstance(part, ReasoningPart):
        out = {"type": "reasoning", "text": part.text}
        if part.signature is not None:
            out["signature"] = part.signature
        if part.redacted is not None:
            out["redacted"] = b64encode(part.redacted)
    else:
        out = {"type": "opaque", "format": part.format, "kind": part.kind, "data": part.data}
        if not part.visible:
            out["visible"] = False
        return out
    if part.extra:
        out["extra"] = dict(part.extra)
    return out


def _fail(reason: str) -> ConversionError:
    return ConversionError(f"not a neutral message: {reason}", format=NEUTRAL)


def _get(
    obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], optional: bool = False
) -> Any:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _fail(f"{key!r} must be {getattr(kind, '__name__', kind)}")
    return value


def _bytes(obj: Mapping[str, Any], key: str) -> bytes | None:
    text = _get(obj, key, str, optional=True)
    if text is None:
        return None
    data = b64decode(text)
    if data is None:
        raise _fail(f"{key!r} is not base64")
    return data


def _extra(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    extra = obj.get("extra")
    if extra is None:
        return EMPTY
    if not isinstance(extra, dict):
        raise _fail("'extra' must be an object")
    return extra


def message_from_json(obj: Any) -> Message:
    """A neutral message from its JSON object; ConversionError if it is not one."""
    if not isinstance(obj, dict):
        raise _fail("a message is an object")
    role = obj.get("role")
    if role not in ROLES:
        raise _fail(f"unknown role {role!r}")
    parts = _get(obj, "parts", list)
    created_at = obj.get("created_at")
    if created_at is not None and (
        isinstance(created_at, bool) or not isinstance(created_at, int | float)
    ):
        raise _fail("'created_at' must be a number")
    return Message(
        role,
        tuple(part_from_json(part) for part in parts),
        _get(obj, "format", str, optional=True),
        _get(obj, "author", str, optional=True),
        _get(obj, "seq", int, optional=True),
        created_at,
        _extra(obj),
    )


def _text(obj: dict[str, Any]) -> Part:
    return TextPart(_get(obj, "text", str), _extra(obj))


def _image(obj: dict[str, Any]) -> Part:
    media_type = _get(obj, "media_type", str, optional=True)
    url = _get(obj, "url", str, optional=True)
    return ImagePart(media_type, _bytes(obj, "data"), url, _extra(obj))


def _file(obj: dict[str, Any]) -> Part:
    media_type = _get(obj, "media_type", str, optional=True)
    url, name = _get(obj, "url", str, optional=True), _get(obj, "name", str, optional=True)
    return FilePart(media_type, _bytes(obj, "data"), url, name, _extra(obj))


def _json(obj: dict[str, Any]) -> Part:
    if "value" not in obj:
        raise _fail("a json part needs a 'value'")
    return JsonPart(obj["value"], _extra(obj))


def _call(obj: dict[str, Any]) -> Part:
    if "input" not in obj:
        raise _fail("a tool_call part needs an 'input'")
    call_id, name = _get(obj, "call_id", str), _get(obj, "name", str)
    return ToolCallPart(call_id, name, obj["input"], _extra(obj))


def _result(obj: dict[str, Any]) -> Part:
    status = obj.get("status", "success")
    if status not in ("success", "error"):
        raise _fail("a tool_result's status is 'success' or 'error'")
    content: list[ResultContent] = []
    for item in _get(obj, "content", list):
        part = part_from_json(item)
        if isinstance(part, ToolCallPart | ToolResultPart | ReasoningPart):
            raise _fail("tool result content is text, json, image, file or opaque")
        content.append(part)
    return ToolResultPart(_get(obj, "call_id", str), tuple(content), status, _extra(obj))


def _reasoning(obj: dict[str, Any]) -> Part:
    signature = _get(obj, "signature", str, optional=True)
    return ReasoningPart(_get(obj, "text", str), signature, _bytes(obj, "redacted"), _extra(obj))


def _opaque(obj: dict[str, Any]) -> Part:
    visible = obj.get("visible", True)
    if not isinstance(visible, bool):
        raise _fail("'visible' must be a boolean")
    fmt, kind = _get(obj, "format", str), _get(obj, "kind", str)
    return OpaquePart(fmt, kind, obj.get("data"), visible)


_READERS: dict[str, Callable[[dict[str, Any]], Part]] = {
    "text": _text,
    "image": _image,
    "file": _file,
    "json": _json,
    "tool_call": _call,
    "tool_result": _result,
    "reasoning": _reasoning,
    "opaque": _opaque,
}


def part_from_json(obj: Any) -> Part:
    """One part from its JSON object."""
    if not isinstance(obj, dict):
        raise _fail("a part is an object")
    reader = _READERS.get(obj.get("type"))  # type: ignore[arg-type]
    if reader is None:
        raise _fail(f"unknown part type {obj.get('type')!r}")
    return reader(obj)
