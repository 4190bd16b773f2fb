"""Follow a stream as any process appends to it: the latest records, then new ones.

The store contract has no push notification that every backend can offer, so following polls:
per interval one ``read(after=last_seen)`` and, when nothing is new, a read of the latest
record (O(new records) on every backend). When a stream was cleared or popped (it now ends
before what was seen, or with another record), the records not yielded yet are yielded and
following goes on from the new end.
SDK-free; ``sessions-plus tail --follow`` and the web viewer's live updates use it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable

from .records import Record
from .store import DEFAULT_STREAM, ConversationStore

DEFAULT_INTERVAL = 0.5
"""Seconds between two polls."""

_REWIND = 100
"""After a clear or pop, how many of the stream's latest records are checked for new ones."""


async def latest(
    store: ConversationStore, session_id: str, *, stream: str = DEFAULT_STREAM, count: int = 10
) -> list[Record]:
    """The latest ``count`` records of a stream, in order (``count=0``: none)."""
    if count <= 0:
        return []
    return await store.read(session_id, stream=stream, limit=count)


async def tail(
    store: ConversationStore,
    session_id: str,
    *,
    stream: str = DEFAULT_STREAM,
    count: int = 10,
    interval: float = DEFAULT_INTERVAL,
) -> AsyncIterator[list[Record]]:
    """The latest ``count`` records (one batch, maybe empty), then, as :func:`follow` yields
    them, every record appended after that first read, none twice (``tail --follow``).

    Where following starts is taken before the first read: a record appended between that
    read and a later look at the stream's end would never be shown.
    """
    _check_interval(interval)
    end = await store.last_seq(session_id, stream=stream)
    records = await latest(store, session_id, stream=stream, count=count)
    yield records
    after = records[-1].seq if records else end
    async for batch in follow(
        store, session_id, stream=stream, after=after, interval=interval, already=records
    ):
        yield batch


async def follow(
    store: ConversationStore,
    session_id: str,
    *,
    stream: str = DEFAULT_STREAM,
    after: int = 0,
    interval: float = DEFAULT_INTERVAL,
    already: Iterable[Record] = (),
) -> AsyncIterator[list[Record]]:
    """Yield each batch of records appended after seq ``after``, forever (cancel to stop).

    An empty batch is never yielded, nor a record twice, nor any of ``already`` (those the
    caller has shown). After a ``clear`` or a ``pop`` (the stream now ends before what was
    seen, or its last record is not the one seen there), the latest records (up to 100) not
    yielded yet are yielded and following goes on from the new end.
    """
    _check_interval(interval)
    seen = after
    known = _Known()
    known.keep_new(list(already))
    if after:  # the record at ``after`` is known: only a different one there is news
        known.keep_new(
            await store.read(session_id, stream=stream, after=after - 1, before=after + 1)
        )
    while True:
        records = await store.read(session_id, stream=stream, after=seen or None)
        if not records:
            latest = await store.read(session_id, stream=stream, limit=1)
            last = latest[-1].seq if latest else 0
            if last < seen or (latest and not known.has(latest[-1])):
                # cleared, popped, or popped and appended again: look at the latest records
                records = await store.read(session_id, stream=stream, limit=_REWIND)
                seen = min(seen, last)
        if records:
            seen = max(seen, records[-1].seq)
        new = known.keep_new(records)
        if new:
            yield new
            continue
        await asyncio.sleep(interval)


def _check_interval(interval: float) -> None:
    if interval <= 0:
        raise ValueError("interval must be greater than zero")


class _Known:
    """The (seq, created_at) of the records yielded lately: a record read twice (around a
    clear or a pop) is yielded once."""

    def __init__(self, size: int = 4 * _REWIND) -> None:
        self._order: deque[tuple[int, float]] = deque()
        self._keys: set[tuple[int, float]] = set()
        self._size = size

    def has(self, record: Record) -> bool:
        return (record.seq, record.created_at) in self._keys

    def keep_new(self, records: list[Record]) -> list[Record]:
        new = [r for r in records if (r.seq, r.created_at) not in self._keys]
        for record in new:
            key = (record.seq, record.created_at)
            self._keys.add(key)
            self._order.append(key)
            if len(self._order) > self._size:
                self._keys.discard(self._order.popleft())
        return new
