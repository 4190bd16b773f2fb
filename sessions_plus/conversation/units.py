"""What rendering works on: reading options, the records it reads, and prepared records.

:class:`Unit` is one record prepared for rendering (see :func:`.render.to_unit`);
:class:`RenderOptions` says how another SDK's records are shown. Split from :mod:`.render` so
that :mod:`.pairing` (another SDK's tool traffic) and :mod:`.memo` can use them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..errors import ConfigurationError
from .model import Message, Part, Role
from .notes import DEFAULT_NOTE_CHARS

ForeignTools = Literal["text", "native"]
OnCorrupt = Literal["raise", "note"]


class RecordLike(Protocol):
    """What rendering reads of a record (a :class:`sessions_plus.Record` fits)."""

    @property
    def seq(self) -> int: ...

    @property
    def data(self) -> Any: ...

    @property
    def format(self) -> str | None: ...

    @property
    def author(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How another SDK's records are shown (see the module docstring for each rule).

    ``author`` is the reader: records by other authors count as another agent's for
    ``label_authors``. ``note_chars`` bounds each tool input and result quoted in a note.
    """

    foreign_tools: ForeignTools = "text"
    label_authors: bool = False
    author: str | None = None
    on_corrupt: OnCorrupt = "raise"
    note_chars: int = DEFAULT_NOTE_CHARS

    def __post_init__(self) -> None:
        if self.foreign_tools not in ("text", "native"):
            raise ConfigurationError(
                f"foreign_tools must be 'text' or 'native', not {self.foreign_tools!r}"
            )
        if self.on_corrupt not in ("raise", "note"):
            raise ConfigurationError(
                f"on_corrupt must be 'raise' or 'note', not {self.on_corrupt!r}"
            )
        if isinstance(self.note_chars, bool) or not isinstance(self.note_chars, int):
            raise ConfigurationError("note_chars must be an int")
        if self.note_chars < 1:
            raise ConfigurationError("note_chars must be at least 1")


DEFAULT_OPTIONS = RenderOptions()


@dataclass(slots=True)
class Unit:
    """One record prepared for rendering: its data as stored, or its converted message."""

    seq: int
    native: bool
    data: Any
    message: Message | None
    safe: bool
    """Rendering may start at this record: it starts a user turn, so no tool call before it
    pairs with a result at or after it (see :func:`render_units` and :mod:`.repair`)."""
    barrier: bool = True
    """It shows something besides another SDK's tool traffic, so no call/result pair of
    another SDK may straddle it."""
    tools: bool = False
    """It holds another SDK's tool calls or results."""
    calls: bool = False
    """It holds another SDK's tool calls."""
    turn: bool = False
    """It starts a user turn (a call before it without a result is orphaned)."""
    created_at: float | None = None
    """When its record was written (dates a turn rendering adds before it)."""
    kept: dict[Any, Any] | None = field(default=None, compare=False)
    """What rendering computed from this unit alone, for the next read of a remembered unit
    (:mod:`.memo`): its items (handed out as copies) and its tool notes."""

    def keep(self) -> dict[Any, Any]:
        """``kept``, made on first use (most units never need one)."""
        if self.kept is None:
            self.kept = {}
        return self.kept


def with_parts(message: Message, parts: tuple[Part, ...], role: Role | None = None) -> Message:
    """``message`` with other parts (and role): ``dataclasses.replace``, without its cost."""
    return Message(
        message.role if role is None else role,
        parts,
        message.format,
        message.author,
        message.seq,
        message.created_at,
        message.extra,
    )
