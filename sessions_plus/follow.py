"""Follow a stream as any process appends to it: the latest records, then new ones.

The store contract has no push notification that every backend can offer, so following polls:
one cheap ``read(after=last_seen)`` per interval (O(new records) on every backend). When a
stream was cleared or popped back past what was seen (its last seq is now lower), following
goes on from the new end. SDK-free; ``sessions-plus
tail --follow`` and the web viewer's live updates use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from .records import Record
from .store import DEFAULT_STREAM, ConversationStore

DEFAULT_INTERVAL = 0.5
"""Seconds between two polls."""


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
    ``clear`` or a ``pop``), following goes on after the new last seq, so records appended
    from then on are yielded. A pop and an append of the same seq between two polls look like
    no change and are not yielded again.
    """
    if interval <= 0:
        raise ValueError("interval must be greater than zero")
    seen = after
    while True:
        records = await store.read(session_id, stream=stream, after=seen or None)
        if records:
            seen = records[-1].seq
            yield records
            continue
        last = await store.last_seq(session_id, stream=stream)
        if last < seen:
            seen = last  # cleared (0) or popped: what is appended next is new
            continue
        await asyncio.sleep(interval)
