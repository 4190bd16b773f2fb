"""Follow a stream as any process appends to it: the latest records, then new ones.

The store contract has no push notification that every backend can offer, so following polls:
one cheap ``read(after=last_seen)`` per interval (O(new records) on every backend). When a
stream was cleared or popped back past what was seen (its last seq is now lower), the records
written since the last one seen are yielded and following goes on from the new end.
SDK-free; ``sessions-plus tail --follow`` and the web viewer's live updates use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

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


async def follow(
    store: ConversationStore,
    session_id: str,
    *,
    stream: str = DEFAULT_STREAM,
    after: int = 0,
    interval: float = DEFAULT_INTERVAL,
) -> AsyncIterator[list[Record]]:
    """Yield each batch of records appended after seq ``after``, forever (cancel to stop).

    An empty batch is never yielded. If the stream's last seq drops below what was seen (a
    ``clear`` or a ``pop``), the latest records (up to 100) written after the last one seen
    are yielded and following goes on from the new end. A pop and an append of the same seq
    between two polls look like no change and are not yielded.
    """
    if interval <= 0:
        raise ValueError("interval must be greater than zero")
    seen = after
    seen_time = 0.0
    while True:
        records = await store.read(session_id, stream=stream, after=seen or None)
        if not records:
            last = await store.last_seq(session_id, stream=stream)
            if last < seen:  # cleared or popped: keep what was written after the last one seen
                recent = await store.read(session_id, stream=stream, limit=_REWIND)
                records = [record for record in recent if record.created_at > seen_time]
                seen = last
        if records:
            seen = max(seen, records[-1].seq)
            seen_time = max(seen_time, records[-1].created_at)
            yield records
            continue
        await asyncio.sleep(interval)
