"""One conversation, many SDKs: a neutral message model and one converter per stored format.

SDK-free (it imports neither SDK). Records keep the shape their SDK wrote (``format``
``openai.responses`` or ``strands.message``); reading a shared conversation for one SDK passes
its own records through exactly and converts the others through the neutral model, obeying the
target provider's rules (see :mod:`.render`).

* :mod:`.model`: :class:`Message` and its parts (text, image, file, JSON, tool call, tool result,
  reasoning, opaque).
* :mod:`.formats`: the registry of formats; one module per format.
* :func:`render` / :func:`convert_items`: records (or items) as one target's items.
* :func:`read_items`: the latest N items of a stored conversation in O(N) records, converting
  only records no earlier read of this process prepared (:mod:`.memo`).
* :func:`repair_items`: tool calls without results and results without calls, repaired on
  read (:mod:`.repair`: the rule, the synthetic ``INTERRUPTED`` result, the logging).
* :func:`export_conversation`: a stored conversation as a plain JSON list in any shape.
"""

from __future__ import annotations

from .formats import (
    OPENAI_RESPONSES,
    STRANDS_MESSAGE,
    Format,
    find_format,
    format_names,
    get_format,
    register_format,
)
from .model import (
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
from .neutral_json import message_from_json, message_to_json
from .notes import INTERRUPTED
from .reading import (
    SHARED_STREAM,
    export_conversation,
    has_tool_traffic,
    note_policy,
    read_items,
    read_repaired,
)
from .render import (
    ForeignTools,
    OnCorrupt,
    RecordLike,
    RenderOptions,
    convert_items,
    render,
    repair_items,
    to_neutral_record,
)
from .rendered import RenderedItem
from .repair import interrupted_items


def to_neutral(data: object, format: str | Format) -> Message:
    """One stored item of ``format`` as a neutral message (ConversionError if it is not one)."""
    return get_format(format).to_neutral(data)


def from_neutral(message: Message, format: str | Format) -> list[object]:
    """A neutral message as items of ``format`` (exactly the original for its own format)."""
    return get_format(format).from_neutral(message)


__all__ = [
    "EMPTY",
    "INTERRUPTED",
    "OPENAI_RESPONSES",
    "SHARED_STREAM",
    "STRANDS_MESSAGE",
    "FilePart",
    "ForeignTools",
    "Format",
    "ImagePart",
    "JsonPart",
    "Message",
    "OnCorrupt",
    "OpaquePart",
    "Part",
    "ReasoningPart",
    "RecordLike",
    "RenderOptions",
    "RenderedItem",
    "ResultContent",
    "Role",
    "TextPart",
    "ToolCallPart",
    "ToolResultPart",
    "convert_items",
    "export_conversation",
    "find_format",
    "format_names",
    "from_neutral",
    "get_format",
    "has_tool_traffic",
    "interrupted_items",
    "message_from_json",
    "message_to_json",
    "note_policy",
    "read_items",
    "read_repaired",
    "register_format",
    "render",
    "repair_items",
    "to_neutral",
    "to_neutral_record",
]
