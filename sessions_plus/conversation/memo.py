"""Records already prepared for rendering, remembered between reads of a shared conversation.

An adapter re-reads the latest window of a shared conversation at every turn, and all but the
newest records of that window were prepared (:func:`~.render.to_unit`: checked, and another
SDK's converted to the neutral model) by the read before. :func:`unit_of` returns exactly what
``to_unit`` returns, from memory when it can:

* a remembered unit is used only for a record equal to the one it was made from (same seq,
  format, author and time, and the same stored bytes, :meth:`~sessions_plus.ConversationStore.
  read_raw`, or for callers holding decoded records ``data`` equal by ``==``), so a record
  replaced in place (``replace``) or another store's record with the same seq is prepared
  afresh; :func:`recall` finds units by the bytes, so a repeat read decodes nothing;
* a unit of the reader's own format holds the record's data, which rendering hands out only
  as a copy (:func:`~.render.render_units`), so the item an SDK receives is never an object
  another read also returned;
* converted units are remembered only when their rendering cannot hand out a piece of the
  stored data (text and, with ``foreign_tools="text"``, tool calls and text results, which
  become notes); anything else (images, JSON results, opaque items, native tool pairs, a
  record that failed to convert and is shown as a note) is prepared at every read.

The memory is per process, bounded (:data:`MAX_UNITS` units in at most :data:`MAX_TABLES`
tables, one per target and options; the oldest forgotten first), and shared by every store and
session in it. A remembered unit also keeps what rendering computed from it alone (its items,
handed out as copies, and its tool notes: :mod:`.render`, :mod:`.pairing`).
"""

from __future__ import annotations

import threading
from typing import Any

from ..records import RawRecord
from .formats import Format
from .model import TextPart, ToolCallPart, ToolResultPart
from .render import to_unit
from .units import RecordLike, RenderOptions, Unit

__all__ = [
    "MAX_REACHES",
    "MAX_TABLES",
    "MAX_UNITS",
    "Reach",
    "clear",
    "reaches",
    "recall",
    "remember_reach",
    "table",
    "unit_of",
]

MAX_UNITS = 4096
"""Most units remembered (a few MB at most: each holds one record's data and message)."""

MAX_TABLES = 256
"""Most (target, options) tables kept: readers with many different ``author`` options make one
each; the oldest goes first."""

_Key = tuple[str | None, int, str | None, str | None, Any]
_tables: dict[tuple[str, RenderOptions], dict[_Key, tuple[Any, Unit]]] = {}
_size = 0
_lock = threading.Lock()  # writers only: reads are single dict lookups


def table(target: Format, options: RenderOptions) -> dict[_Key, tuple[Any, Unit]]:
    """The units remembered for one target and set of options (look it up once per read)."""
    global _size
    key = (target.name, options)
    found = _tables.get(key)
    if found is None:
        with _lock:
            found = _tables.setdefault(key, {})
            while len(_tables) > MAX_TABLES:  # forget the oldest table
                oldest = next(iter(_tables))
                _size -= len(_tables.pop(oldest))
    return found


def unit_of(
    record: RecordLike,
    target: Format,
    options: RenderOptions,
    session_id: str | None,
    units: dict[_Key, tuple[Any, Unit]],
    payload: bytes | None = None,
) -> Unit:
    """``to_unit(record, target, options, session_id)``, remembered in ``units``
    (:func:`table` of ``target`` and ``options``).

    ``payload``: the record's stored bytes (:meth:`~sessions_plus.ConversationStore.read_raw`),
    remembered instead of its data so that :func:`recall` finds the unit without decoding.
    """
    key: _Key = (session_id, record.seq, record.format, record.author, _created(record))
    data = record.data
    token = data if payload is None else payload
    found = units.get(key)
    if found is not None and found[0] == token:
        return found[1]
    unit = to_unit(record, target, options, session_id)
    if unit.native or _renders_as_text(unit, target, options):
        _remember(units, key, token, unit)
    return unit


def recall(
    raws: list[RawRecord], session_id: str | None, units: dict[_Key, tuple[Any, Unit]]
) -> list[Unit | None]:
    """For each record still encoded, its remembered unit if its payload is byte for byte
    the one the unit was made from, else None (no record is decoded)."""
    out: list[Unit | None] = []
    for raw in raws:
        found = units.get((session_id, raw.seq, raw.format, raw.author, raw.created_at))
        out.append(found[1] if found is not None and found[0] == raw.payload else None)
    return out


MAX_REACHES = 4096
"""Most conversations whose last latest-N read's reach is remembered."""

Reach = tuple[str, str, str, RenderOptions, int]
"""A latest-N read: session id, stream, target format, options and N."""

reaches: dict[Reach, tuple[int, int]] = {}
"""How far back the last such read had to go: the records it converted and its guess of their
items when they settled (:func:`~.reading.read_items` reads and renders that far at once: the
next turn's read usually needs as much). Only a hint: a read from any start is correct."""


def remember_reach(key: Reach, records: int, expected: int) -> None:
    """Record a read's reach (the oldest forgotten first, past :data:`MAX_REACHES`)."""
    with _lock:
        reaches.pop(key, None)  # re-inserted last
        reaches[key] = (records, expected)
        while len(reaches) > MAX_REACHES:
            del reaches[next(iter(reaches))]


def clear() -> None:
    """Forget every remembered unit and reach."""
    global _size
    with _lock:
        _tables.clear()
        reaches.clear()
        _size = 0


def _created(record: RecordLike) -> Any:
    return getattr(record, "created_at", None)


def _renders_as_text(unit: Unit, target: Format, options: RenderOptions) -> bool:
    """A converted unit whose rendering shares nothing mutable with the stored data (not a
    labelled own-format item, which keeps the stored item, nor a corrupt record's note)."""
    message = unit.message
    if message is None or message.format is None or message.format == target.name:
        return False
    text_tools = options.foreign_tools == "text"
    for part in message.parts:
        kind = type(part)
        if kind is TextPart:
            continue
        if not text_tools:
            return False
        if kind is ToolCallPart:
            continue
        if kind is ToolResultPart and all(type(c) is TextPart for c in part.content):  # type: ignore[union-attr]
            continue
        return False
    return True


def _remember(units: dict[_Key, tuple[Any, Unit]], key: _Key, data: Any, unit: Unit) -> None:
    global _size
    with _lock:
        if key not in units:
            _size += 1
        units[key] = (data, unit)
        while _size > MAX_UNITS:  # forget the oldest unit of the oldest table
            if not _tables:  # the rest is in tables forgotten meanwhile (clear(), MAX_TABLES)
                _size = 0
                break
            name = next(iter(_tables))
            oldest = _tables[name]
            if not oldest:
                del _tables[name]  # emptied: dropped, so eviction stays O(1)
                continue
            del oldest[next(iter(oldest))]
            _size -= 1
            if not oldest:
                del _tables[name]
