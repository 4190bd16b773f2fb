"""Reads: latest-N in one Query, ranged reads behind the meta item, payloads and chunks.

Latest-N is one Query from the top of the stream's partition: each record carries the
session's expiry as of its write (``x``), and a top record whose ``x`` is still ahead proves
the session live; it is then the stream's last record (or a generation marker). Otherwise (a
tombstone, an expired ``x``, a ranged read) the read asks the meta item first: one more request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ...backend import Keep
from ...errors import CorruptRecordError
from .chunks import read_chunks
from .client import Table
from .engine import WriteEngine
from .items import (
    chunk_count,
    is_marker,
    item_seq,
    projection,
    session_expires,
    stream_first,
    unpack,
)
from .keys import Item, log_pk, sort_key

TOMBSTONE = "-"
"""Incarnation of a deletion tombstone (real incarnations are hex)."""

PAYLOAD_PROJECTION = projection("sk", "x", "m", "p", "z", "bn", "fs", "pd")
"""What a payload-only read needs: the seq, the top item's liveness (``x``: a tombstone's is
0), where the stream starts (``fs``), whether the top item is committed (``pd``), and the
payload (or its chunk count; the write id naming the chunks is fetched when needed). Every
attribute left out is one less per item for DynamoDB to return and botocore to parse."""
RECORD_PROJECTION = projection("sk", "x", "m", "p", "z", "bn", "fs", "pd", "ts", "f", "a")
"""What a whole-record read needs: the above plus the record's header."""

VISIBILITY_RETRIES = 3
"""Times a read retries when items the meta item promises are not there yet."""


class Reader:
    """Reads of one table (records, payloads, chunks)."""

    def __init__(self, table: Table, engine: WriteEngine) -> None:
        self.table = table
        self.engine = engine

    async def read_items(
        self,
        session_id: str,
        stream: str,
        limit: int | None,
        after: int | None,
        before: int | None,
        keep: Keep,
        fields: dict[str, Any],
    ) -> list[Item]:
        """The record items of a read in seq order, with only the attributes ``fields``
        names: a Query returns (and a client parses) far less than whole items."""
        if keep == "latest" and before is None:
            items = await self.read_top(session_id, stream, limit, after, fields)
            if items is not None:
                return items
        for _ in range(VISIBILITY_RETRIES):
            meta = await self.engine.load_meta(session_id)
            now = time.time()
            if meta is None or not meta.live(now):
                return []
            state = meta.streams.get(stream)
            if state is None:
                return []
            lo = max(after or 0, state.first - 1)
            hi = state.last if before is None else min(state.last, before - 1)
            if lo >= hi:
                return []
            if limit is not None:
                if keep == "latest":
                    lo = max(lo, hi - limit)
                else:
                    hi = min(hi, lo + limit)
            items = await self.table.query(
                "pk = :p AND sk BETWEEN :a AND :b",
                {
                    ":p": {"S": log_pk(session_id, stream)},
                    ":a": {"N": str(sort_key(state.gen, lo + 1))},
                    ":b": {"N": str(sort_key(state.gen, hi))},
                },
                projection=fields,
            )
            seqs = [item_seq(item)[1] for item in items]
            if seqs == list(range(lo + 1, hi + 1)):
                return items
            await asyncio.sleep(0.01)  # a transaction is still becoming visible
        missing = min(set(range(lo + 1, hi + 1)) - set(seqs), default=lo + 1)
        raise CorruptRecordError(
            f"session {session_id!r} stream {stream!r}: record seq={missing} is missing "
            "behind the meta item (deleted outside the store?)",
            session_id=session_id,
            stream=stream,
            seq=missing,
        )

    async def read_top(
        self,
        session_id: str,
        stream: str,
        limit: int | None,
        after: int | None,
        fields: dict[str, Any],
    ) -> list[Item] | None:
        """Latest-N in one Query from the top of the partition, or None to ask the meta item.

        The top item proves the session live if its ``x`` (the session's expiry when it was
        written) is still ahead; it is then the stream's last record (or a generation marker).
        """
        items: list[Item] = []
        params: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": log_pk(session_id, stream)}},
            "ScanIndexForward": False,
            "ConsistentRead": True,
            **fields,
        }
        if limit is not None:
            params["Limit"] = limit
        async for page in self.table.query_pages(**params):
            items.extend(page)
            if not items or (limit is not None and len(items) >= limit):
                break
            gen, seq = item_seq(items[-1])
            if gen != item_seq(items[0])[0] or seq <= (after or 0) + 1:
                break
            if limit is not None:
                params["Limit"] = limit - len(items)
        if not items:
            return []
        top = items[0]
        expires = session_expires(top)
        tombstone = "inc" in top and top["inc"]["S"] == TOMBSTONE  # its x (0) says so too
        if tombstone or "pd" in top or (expires is not None and expires <= time.time()):
            return None
        gen, last = item_seq(top)
        lo = max(after or 0, stream_first(top) - 1)
        if is_marker(top) or last <= lo:
            return []
        want = last - lo if limit is None else min(limit, last - lo)
        picked = items[:want]
        if len(picked) < want or any(
            is_marker(item) or item_seq(item) != (gen, last - index)
            for index, item in enumerate(picked)
        ):
            return None
        picked.reverse()
        return picked

    async def payloads(self, session_id: str, stream: str, items: list[Item]) -> list[bytes]:
        """The payloads of record items, fetching the chunks of those that have some."""

        async def one(item: Item) -> bytes:
            chunks = None
            if "bn" in item:
                if "w" in item:
                    write_id = item["w"]["S"]
                else:
                    write_id = await self._write_id(log_pk(session_id, stream), item)
                chunks = await read_chunks(self.table, session_id, write_id, chunk_count(item))
            try:
                return unpack(item, chunks)
            except ValueError:
                return b""  # decodes as corrupt: the on_corrupt policy applies

        if not any("bn" in item for item in items):  # the usual case: no request, no task
            return [await one(item) for item in items]
        return list(await asyncio.gather(*(one(item) for item in items)))

    async def _write_id(self, partition: str, item: Item) -> str:
        """The write id of a record item read without it (it names the chunk items)."""
        result = await self.table.call(
            "get_item",
            Key={"pk": {"S": partition}, "sk": item["sk"]},
            ConsistentRead=True,
            ProjectionExpression="#w",
            ExpressionAttributeNames={"#w": "w"},
        )
        found = result.get("Item")
        return "" if found is None else str(found["w"]["S"])
