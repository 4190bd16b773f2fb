"""The neutral conversation model: messages with a role and typed parts, SDK-free.

Every format module converts its SDK's stored items to these frozen dataclasses and back. The
neutral fields carry what means the same in every SDK (text, images, tool calls and results,
reasoning); what has no neutral meaning is kept so the source format reads back exactly:

* ``extra`` on a part or message is the source format's own object it was converted from (the
  stored item, block or record): converting back to that format overlays the neutral fields on
  it, so ids, statuses, annotations and spellings no neutral field holds read back as they were.
  Only the converter of ``Message.format`` reads it; every other format ignores it, and so does
  ``==`` (two messages are equal when they mean the same). Treat it as read-only.
* :class:`OpaquePart` holds a whole item or block that has no neutral form (a web search call,
  a cache point, audio ...), verbatim, tagged with the format it came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Role = Literal["user", "assistant", "system", "tool"]
"""Who speaks: ``tool`` is a message that only carries tool results (an OpenAI
``function_call_output``, a Strands user message of ``toolResult`` blocks)."""

ROLES: tuple[Role, ...] = ("user", "assistant", "system", "tool")

ToolStatus = Literal["success", "error"]


class _Empty(Mapping[str, Any]):
    """An immutable, hashable empty mapping: the shared default ``extra``."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"


EMPTY: Mapping[str, Any] = _Empty()
"""The shared empty ``extra``."""


@dataclass(frozen=True, slots=True)
class TextPart:
    """Plain text (a message's text, a refusal, a text note, a text tool result)."""

    text: str
    extra: Mapping[str, Any] = field(default=EMPTY, compare=False)


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image, as bytes (``data``) or as a URL; ``media_type`` like ``image/png`` if known."""

    media_type: str | None
    data: bytes | None = None
    url: str | None = None
    extra: Mapping[str, Any] = field(default=EMPTY, compare=False)


@dataclass(frozen=True, slots=True)
class FilePart:
    """A document or file, as bytes or a URL, with its file name and media type if known."""

    media_type: str | None
    data: bytes | None = None
    url: str | None = None
    name: str | None = None
    extra: Mapping[str, Any] = field(default=EMPTY, compare=False)


@dataclass(frozen=True, slots=True)
class JsonPart:
    """A JSON value returned by a tool (Strands ``{"json": ...}`` tool-result content)."""

    value: Any
    extra: Mapping[str, Any] = field(default=EMPTY, compare=False)


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    """A model's request to run a tool: call id, tool name and its JSON input."""

    call_id: str
    name: str
    input: Any
    extra: Mapping[str, Any] = field(default=EMPTY, compare=False)


@dataclass(frozen=True, slots=True)
class OpaquePart:
    """An item or block with no neutral meaning, kept verbatim so its own format reads it back.

    ``kind`` names it (the item ``type`` or block key). Other formats show it as a text note
    naming ``kind``, unless ``visible`` is False (content-free hints such as cache points).
    """

    format: str
    kind: str
    data: Any
    visible: bool = True


ResultContent: TypeAlias = TextPart | JsonPart | ImagePart | FilePart | OpaquePart
"""What a tool result may hold."""


@dataclass(frozen=True, slots=True)
class ToolResultPart:
    """The result of a tool call: the call's id, a status and text/JSON/image/file content."""

    call_id: str
    content: tuple[ResultContent, ...]
    status: ToolStatus = "success"
    extra: Mapping[str, Any] = field(default=EMPTY, compare=False)


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """A model's reasoning: readable text, a provider signature, or provider-encrypted bytes.

    Reasoning is only ever sent back to the provider whose format it came from.
    """

    text: str
    signature: str | None = None
    redacted: bytes | None = None
    extra: Mapping[str, Any] = field(default=EMPTY, compare=False)


Part: TypeAlias = (
    TextPart
    | ImagePart
    | FilePart
    | JsonPart
    | ToolCallPart
    | ToolResultPart
    | ReasoningPart
    | OpaquePart
)

CONTENT_PARTS = (TextPart, ImagePart, FilePart, JsonPart)
"""Parts that are message content (as opposed to tool traffic, reasoning or opaque items)."""

TOOL_PARTS = (ToolCallPart, ToolResultPart)


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation in neutral form.

    ``format`` is the format it was converted from (its ``extra`` fields belong to that format),
    ``author`` who wrote it (the record header), ``seq`` its record's sequence number and
    ``created_at`` when the record was written (Unix seconds), when known.
    """

    role: Role
    parts: tuple[Part, ...]
    format: str | None = None
    author: str | None = None
    seq: int | None = None
    created_at: float | None = None
    extra: Mapping[str, Any] = field(default=EMPTY, compare=False)

    def text(self) -> str:
        """The message's text parts joined by newlines (a convenience for people and tests)."""
        return "\n".join(part.text for part in self.parts if isinstance(part, TextPart))

    def is_tool_only(self) -> bool:
        """True if every part is a tool call or result (also for a message with no parts)."""
        return all(isinstance(part, TOOL_PARTS) for part in self.parts)
