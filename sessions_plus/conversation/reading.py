"""Reading a shared conversation from a store, as one SDK sees it, and exporting it.

:func:`read_items` keeps ``get_items(limit=N)``'s meaning (the latest N *items*, in order) when
conversion expands or merges records: it reads records backwards in pages (each one
``store.read(before=..., limit=...)``) until the latest N items are settled, so a read costs
O(N) records for any ordinary conversation, whatever its length.
"""

from __future__ import annotations

from typing import Any, Literal

from ..records import Record
from ..store import DEFAULT_STREAM, ConversationStore
from .formats import Format, get_format
from .model import Message
from .neutral_json import message_to_json
from .render import (
    DEFAULT_OPTIONS,
    ForeignTools,
    OnCorrupt,
    RenderedItem,
    RenderOptions,
    Unit,
    render_units,
    stable_start,
    to_neutral_record,
    to_unit,
)

SHARED_STREAM = "conversation"
"""The stream holding a shared conversation, written by every SDK adapter with ``shared=True``."""

MIN_PAGE = 16
"""Fewest records a paged read asks for at once."""


def first_page(limit: int) -> int:
    """Records read by the first page of a latest-``limit`` read: enough for one round trip in
    the usual case (converted records expand to more items, or merge into fewer)."""
    return max(MIN_PAGE, limit + limit // 2 + 2)


async def read_items(
    store: ConversationStore,
    session_id: str,
    target: str | Format,
    *,
    stream: str = SHARED_STREAM,
    limit: int | None = None,
    options: RenderOptions = DEFAULT_OPTIONS,
) -> list[RenderedItem]:
    """The conversation as ``target`` items: all of them, or the latest ``limit`` in order.

    The latest ``limit`` items are exactly the last ``limit`` of the whole rendered
    conversation. Records are read backwards in growing pages until those items are settled:
    more than ``limit`` items rendered from a record no tool call before it can pair with
    (see :func:`render_units`), the first of them dropped for alternating targets until a
    role change. A conversation whose every recent record is foreign tool traffic reads
    further back, up to its start.
    """
    fmt = get_format(target)
    if limit is None:
        records = await store.read(session_id, stream=stream)
        whole = [to_unit(record, fmt, options, session_id) for record in records]
        return render_units(whole, fmt, options, at_start=True)[0]
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int or None, not {type(limit).__name__}")
    if limit <= 0:
        return []
    units: list[Unit] = []
    before: int | None = None
    page = first_page(limit)
    complete = store.on_corrupt == "raise"  # then a short page means nothing is older
    while True:
        records = await store.read(session_id, stream=stream, before=before, limit=page)
        at_start = not records or records[0].seq == 1 or (complete and len(records) < page)
        units[:0] = [to_unit(record, fmt, options, session_id) for record in records]
        if at_start:
            items = render_units(units, fmt, options, at_start=True)[0]
            return items[-limit:]
        start = next((index for index, unit in enumerate(units) if unit.safe), None)
        if start is not None:
            items, roles = render_units(units[start:], fmt, options, at_start=False)
            settled = stable_start(roles, fmt)
            if len(items) - settled >= limit:
                return items[-limit:]
        before = records[0].seq
        page *= 2


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
