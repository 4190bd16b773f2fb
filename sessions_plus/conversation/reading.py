"""Reading a shared conversation from a store, as one SDK sees it, and exporting it.

:func:`read_items` keeps ``get_items(limit=N)``'s meaning (the latest N *items*, in order) when
conversion expands or merges records: it reads records backwards in pages (each one
``store.read(before=..., limit=...)``) until the latest N items are settled, so a read costs
O(N) records for any ordinary conversation, whatever its length.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from ..records import RawRecord, Record
from ..store import DEFAULT_STREAM, ConversationStore
from .formats import Format, get_format
from .memo import Reach, reaches, recall, remember_reach, table, unit_of
from .model import Message
from .neutral_json import message_to_json
from .render import (
    DEFAULT_OPTIONS,
    ForeignTools,
    OnCorrupt,
    RenderOptions,
    Unit,
    render_units,
    repair_items,
    stable_start,
    to_neutral_record,
)
from .rendered import RenderedItem

SHARED_STREAM = "conversation"
"""The stream holding a shared conversation, written by every SDK adapter with ``shared=True``."""

MIN_PAGE = 16
"""Fewest records a paged read asks for at once."""


def first_page(limit: int) -> int:
    """Records read by the first page of a latest-``limit`` read: enough for one round trip in
    the usual case (converted records expand to more items, or merge into fewer). Records are
    converted only as far back as needed."""
    return max(MIN_PAGE, limit + max(4, limit // 4))


async def read_items(
    store: ConversationStore,
    session_id: str,
    target: str | Format,
    *,
    stream: str = SHARED_STREAM,
    limit: int | None = None,
    options: RenderOptions = DEFAULT_OPTIONS,
    run_start: bool = False,
) -> list[RenderedItem]:
    """The conversation as ``target`` items: all of them, or the latest ``limit`` in order.

    Tool calls without results and results without calls are repaired as
    :mod:`~sessions_plus.conversation.repair` says (``run_start``: a run is about to start on
    this history, so a trailing call without result counts as interrupted).

    The latest ``limit`` items are exactly the last ``limit`` of the whole rendered
    conversation. Records are read backwards in growing pages and converted newest first
    until those items are settled: ``limit`` items rendered from a record no tool call before
    it can pair with (a user turn, see :class:`~.render.Unit`), after the first run of
    same-role items for alternating targets (earlier records may merge into it). A
    conversation whose recent records hold no user turn reads further back, up to its start.
    """
    fmt = get_format(target)
    memo = table(fmt, options)  # units of the records earlier reads prepared (see .memo)

    def rendered(units: list[Unit], *, at_start: bool) -> tuple[list[RenderedItem], list[Any]]:
        return render_units(
            units,
            fmt,
            options,
            at_start=at_start,
            run_start=run_start,
            session_id=session_id,
            copy_own=True,  # units may be remembered: an SDK gets copies of own records
        )

    if limit is None:
        raws = await store.read_raw(session_id, stream=stream)
        entries = _entries(store, session_id, stream, raws, memo)
        whole = [_unit(entry, fmt, options, session_id, memo) for entry in entries]
        return rendered(whole, at_start=True)[0]
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int or None, not {type(limit).__name__}")
    if limit <= 0:
        return []
    converted: list[Unit] = []  # the records read so far, converted, newest first
    before: int | None = None
    page = first_page(limit)
    expected = 0  # items the converted records should give (a cheap guess)
    attempt = limit + 1  # render once the guess reaches this
    # How far back the last read of this conversation had to go: read and render that far at
    # once (the next turn's read usually needs as much). Only a hint: any start is correct.
    key: Reach = (session_id, stream, fmt.name, options, limit)
    reach = reaches.get(key)
    if reach is not None:
        if reach[0] > page:  # a little more, as the window moves on
            page = reach[0] + reach[0] // 8
        attempt = max(attempt, reach[1])
    while True:
        older = await store.read_raw(session_id, stream=stream, before=before, limit=page)
        # Raw records are never left out, so a short page means nothing is older.
        at_start = not older or older[0].seq == 1 or len(older) < page
        if older:
            before = older[0].seq
            for entry in reversed(_entries(store, session_id, stream, older, memo)):
                unit = (
                    entry if type(entry) is Unit else _unit(entry, fmt, options, session_id, memo)
                )
                converted.append(unit)
                if unit.native or unit.barrier or unit.calls:
                    expected += 1
                if unit.safe and expected >= attempt:
                    items, roles = rendered(converted[::-1], at_start=False)
                    settled = len(items) - stable_start(roles, fmt)
                    if settled >= limit:
                        _reached(key, reach, len(converted), expected)
                        return items[-limit:]
                    attempt = expected + limit - settled
        if at_start:
            _reached(key, reach, len(converted), expected)
            return rendered(converted[::-1], at_start=True)[0][-limit:]
        page *= 2


def _reached(key: Reach, reach: tuple[int, int] | None, records: int, expected: int) -> None:
    if reach != (records, expected):  # the usual repeat read changes nothing
        remember_reach(key, records, expected)


_Entry = Unit | tuple[Record, bytes]
"""A record read: its remembered unit, or the record decoded and its stored bytes."""


def _entries(
    store: ConversationStore,
    session_id: str,
    stream: str,
    raws: list[RawRecord],
    memo: dict[Any, Any],
) -> list[_Entry]:
    """Raw records as entries: remembered units, without decoding (:func:`.memo.recall`),
    and the others decoded under the store's corrupt-record policy (a skipped one is left
    out), as :meth:`~sessions_plus.ConversationStore.read` would."""
    found = recall(raws, session_id, memo)
    missing = [raw for raw, unit in zip(raws, found, strict=True) if unit is None]
    if not missing:
        return cast(list[_Entry], found)
    decoded = iter(store.decode_raw(session_id, stream, missing))
    record = next(decoded, None)
    entries: list[_Entry] = []
    for raw, unit in zip(raws, found, strict=True):
        if unit is not None:
            entries.append(unit)
        elif record is not None and record.seq == raw.seq:
            entries.append((record, raw.payload))
            record = next(decoded, None)
    return entries


def _unit(
    entry: _Entry, fmt: Format, options: RenderOptions, session_id: str, memo: dict[Any, Any]
) -> Unit:
    if type(entry) is Unit:
        return entry
    record, payload = cast(tuple[Record, bytes], entry)
    return unit_of(record, fmt, options, session_id, memo, payload)


def has_tool_traffic(target: Format, items: list[Any]) -> bool:
    """True if any of ``items`` (of ``target``) holds a tool call or result."""
    traffic = target.traffic
    for item in items:
        found = traffic(item)
        if found.calls or found.results:
            return True
    return False


async def read_repaired(
    store: ConversationStore,
    session_id: str,
    target: str | Format,
    *,
    stream: str,
    limit: int | None = None,
) -> list[Any]:
    """A stream of ``target``'s own records, exactly as stored (all, or the latest ``limit``),
    except that orphaned tool calls and results are repaired as :mod:`.repair` says.

    Costs one read of the payloads when nothing read needs repair (the usual case). Otherwise
    the records are read again (with their seqs, for the log), a latest-``limit`` read back to
    a user turn at or before the window (no call before a user turn pairs with a result after
    it), so the items are exactly the last ``limit`` of the whole repaired stream. (For
    role-alternating targets, whose repairs merge into neighbouring messages, the read takes
    one item more, and a needed repair reads the whole stream.)
    """
    fmt = get_format(target)
    # Alternating targets pair a call with the message right after it: one more item says
    # whether the window's first item answers (or is answered for) the one before it.
    context = 1 if fmt.alternating and limit is not None else 0
    read = await store.read_data(
        session_id, stream=stream, limit=None if limit is None else limit + context
    )
    items = read[context:] if len(read) > (limit or 0) else read
    if not has_tool_traffic(fmt, read):
        return items
    trial = [RenderedItem(item, (), True) for item in read]
    if repair_items(trial, fmt, log=False) is trial:
        # Results in the window answer calls in it, calls depend on later items only, and a
        # synthetic result for a call before the window goes before it (or, alternating, into
        # the window's first item: then the trial with one more item repaired something).
        return items
    if limit is None or fmt.alternating:
        records = await store.read(session_id, stream=stream)
        repaired = _repaired(records, fmt, session_id)
        return repaired if limit is None else repaired[-limit:]
    page = max(MIN_PAGE, 2 * limit)
    complete = store.on_corrupt == "raise"
    while True:
        records = await store.read(session_id, stream=stream, limit=page)
        if not records or records[0].seq == 1 or (complete and len(records) < page):
            return _repaired(records, fmt, session_id)[-limit:]
        window = len(records) - limit
        for index in range(window, -1, -1):
            found = fmt.traffic(records[index].data)
            if found.turn and not found.results:
                return _repaired(records[index:], fmt, session_id)[-limit:]
        page *= 2


def _repaired(records: list[Record], fmt: Format, session_id: str) -> list[Any]:
    rendered = [RenderedItem(record.data, (record.seq,), True) for record in records]
    return [item.item for item in repair_items(rendered, fmt, session_id=session_id)]


def note_policy(store: ConversationStore) -> OnCorrupt:
    """The conversion policy matching a store's ``on_corrupt`` (``skip`` shows a note)."""
    return "raise" if store.on_corrupt == "raise" else "note"


async def _pick_stream(store: ConversationStore, session_id: str) -> str:
    info = await store.info(session_id)
    if info is not None and info.streams.get(SHARED_STREAM):
        return SHARED_STREAM
    return DEFAULT_STREAM


ExportAs = Literal["openai", "strands", "neutral"]


async def export_conversation(
    store: ConversationStore,
    session_id: str,
    *,
    as_: ExportAs | str = "neutral",
    stream: str | None = None,
    foreign_tools: ForeignTools = "text",
    label_authors: bool = False,
    author: str | None = None,
    on_corrupt: OnCorrupt | None = None,
) -> list[Any]:
    """A whole conversation as a plain JSON list, in one SDK's shape or the neutral one.

    * ``as_="openai"``: OpenAI Responses input items (``Runner.run(agent, items)`` takes them);
    * ``as_="strands"``: Strands messages (``Agent(messages=...)``; bytes in Strands'
      ``{"__bytes_encoded__": true, "data": ...}`` form, which
      ``strands.types.session.decode_bytes_values`` turns back into bytes);
    * ``as_="neutral"``: every record as a neutral message (:mod:`.neutral_json`), with
      its seq, author and format, nothing left out (reasoning and opaque items included);
    * any registered format name or alias works as ``as_`` too.

    The SDK shapes follow the same rules as a shared session's reads (``foreign_tools``,
    ``label_authors`` as seen by ``author``). ``stream`` defaults to the shared stream
    (``conversation``) when the session has one, else ``main``; a Strands agent's own
    stream is ``agent:<agent_id>``. ``on_corrupt`` defaults to the store's policy (``skip``
    shows a note). An unknown or expired session exports as ``[]``.
    """
    chosen = stream if stream is not None else await _pick_stream(store, session_id)
    policy = on_corrupt if on_corrupt is not None else note_policy(store)
    if as_ == "neutral":
        records = await store.read(session_id, stream=chosen)
        return [message_to_json(_neutral(record, policy, session_id)) for record in records]
    fmt = get_format(as_)
    options = RenderOptions(
        foreign_tools=foreign_tools, label_authors=label_authors, author=author, on_corrupt=policy
    )
    items = await read_items(store, session_id, fmt, stream=chosen, options=options)
    return [fmt.export(rendered.item) for rendered in items]


def _neutral(record: Record, policy: OnCorrupt, session_id: str) -> Message:
    return to_neutral_record(record, on_corrupt=policy, session_id=session_id)
