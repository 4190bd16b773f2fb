"""purge_expired: delete the expired sessions the by-expiry index names, in batches.

Per index page: one BatchGetItem of up to 100 candidates' meta items (strongly consistent),
then for every 25 expired ones one TransactWriteItems deleting their meta items, each on the
condition that it is still the expired incarnation that was read (a session written meanwhile
started a new incarnation: the condition fails for it alone, and the others are deleted in a
retry). Only sessions whose meta item this call deleted are counted, so the count is exact
even when several processes purge at once. Their items (records of every generation, chunks,
documents) are deleted after, with BatchWriteItem: nothing reads them any more (no tombstones
are needed, as every record of an expired session carries an expiry in the past).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ...errors import SessionsPlusError
from . import index
from .chunks import chunk_keys_of
from .client import Table
from .engine import WriteEngine
from .errors import TransactionCancelled
from .incarnations import delete_docs
from .items import KEYS_PROJECTION, chunk_keys
from .keys import Item, key, log_pk, meta_key, sort_key
from .meta import Meta

logger = logging.getLogger("sessions_plus.dynamodb")

GROUP = 25
"""Meta items deleted per transaction."""
SHORT = 24
"""Streams up to this last seq are found by key rather than by a Query."""
CONFLICT_RETRIES = 5
PAGE = 250
"""Index entries read per shard and round: without a limit a page is up to 1 MB of keys
(~10,000 entries, ~50 MB of parsed items in this process for four shards); with it a round
holds at most ``PAGE`` x the shards, for a few more (cheap, keys-only) Queries."""


class Purger:
    """``purge_expired`` for one store."""

    def __init__(self, engine: WriteEngine) -> None:
        self.engine = engine
        self.table: Table = engine.table

    async def purge(self) -> int:
        """Rounds of one index page per shard (queried together, at most :data:`PAGE`
        entries each), then their candidates in groups of 100: memory stays at one round's
        pages however many sessions expired."""
        purged = 0
        starts: dict[str, Any] = {shard: None for shard in index.shards()}
        now = time.time()
        while starts:
            pages = await asyncio.gather(*(self._page(s, k, now) for s, k in starts.items()))
            candidates: list[str] = []
            for shard, (entries, more) in zip(list(starts), pages, strict=True):
                candidates += [entry["pk"]["S"] for entry in entries]
                if more is None:
                    del starts[shard]
                else:
                    starts[shard] = more
            for lo in range(0, len(candidates), 100):
                purged += await self._purge_group(candidates[lo : lo + 100])
        return purged

    async def _page(self, shard: str, start: Any, now: float) -> tuple[list[Any], Any]:
        params: dict[str, Any] = {
            "IndexName": index.BY_EXPIRY,
            "KeyConditionExpression": "#p = :s AND #k <= :now",
            "ExpressionAttributeNames": {"#p": "xp", "#k": "xk"},
            "ExpressionAttributeValues": {":s": {"S": shard}, ":now": {"N": repr(now)}},
            "Limit": PAGE,
        }
        if start is not None:
            params["ExclusiveStartKey"] = start
        page = await self.table.call("query", **params)
        return page.get("Items", []), page.get("LastEvaluatedKey")

    async def _purge_group(self, partitions: list[str]) -> int:
        now = time.time()
        metas = [Meta.from_item(item) for item in await self.table.batch_get(
            [key(pk) for pk in partitions]
        )]  # fmt: skip
        expired = [meta for meta in metas if not meta.live(now)]
        purged = 0
        for lo in range(0, len(expired), GROUP):
            deleted = await self._delete_metas(expired[lo : lo + GROUP])
            purged += len(deleted)
            await self._remove_items(deleted)
        return purged

    async def _delete_metas(self, metas: list[Meta]) -> list[Meta]:
        """Delete these meta items where each is still the one read; return those deleted."""
        for _ in range(CONFLICT_RETRIES):
            if not metas:
                return []
            actions = [
                {
                    "Delete": {
                        "TableName": self.table.name,
                        "Key": meta_key(meta.session_id),
                        "ConditionExpression": "#v = :v AND #i = :i",
                        "ExpressionAttributeNames": {"#v": "ver", "#i": "inc"},
                        "ExpressionAttributeValues": {
                            ":v": {"N": str(meta.version)},
                            ":i": {"S": meta.incarnation},
                        },
                    }
                }
                for meta in metas
            ]
            try:
                await self.table.call("transact_write_items", TransactItems=actions)
            except TransactionCancelled as cancelled:
                failed = {
                    n
                    for n, reason in enumerate(cancelled.reasons)
                    if reason.get("Code") == "ConditionalCheckFailed"
                }
                metas = [meta for n, meta in enumerate(metas) if n not in failed]
                continue  # written or purged by someone else meanwhile: not ours to count
            for meta in metas:
                self.engine.remember(meta.session_id, None)
            return metas
        logger.warning("purge: %d expired sessions kept conflicting; left for later", len(metas))
        return []

    async def _remove_items(self, metas: list[Meta]) -> None:
        """Delete what the given (deleted) incarnations left: best effort, as it is
        unreachable; a failure is logged and the rest is left to DynamoDB's TTL sweeper.

        A short stream's items are found by key (seqs 0..last of its generation, with their
        chunk references) in one BatchGetItem for many sessions; a long one by a Query.
        """
        by_key: list[Item] = []
        long: list[tuple[Meta, str]] = []
        chunks: list[Item] = []
        owner: dict[str, str] = {}
        for meta in metas:
            for stream, state in meta.streams.items():
                pk = log_pk(meta.session_id, stream)
                owner[pk] = meta.session_id
                if state.last <= SHORT:
                    by_key += [key(pk, sort_key(state.gen, seq)) for seq in range(state.last + 1)]
                else:
                    long.append((meta, stream))
            for doc in meta.docs.values():
                chunks += chunk_keys(meta.session_id, doc.write_id, doc.chunks)
        try:
            found = await self.table.batch_get(by_key, KEYS_PROJECTION)
            for meta, stream in long:
                found += await self.table.query(
                    "pk = :p", {":p": {"S": log_pk(meta.session_id, stream)}},
                    projection=KEYS_PROJECTION,
                )  # fmt: skip
            for item in found:
                chunks += chunk_keys_of(owner[item["pk"]["S"]], [item])
            keys = [{"pk": item["pk"], "sk": item["sk"]} for item in found] + chunks
            await self.table.batch_write([{"DeleteRequest": {"Key": k}} for k in keys])
            for meta in metas:
                if meta.docs:
                    await delete_docs(self.table, meta.session_id, meta.docs)
        except SessionsPlusError:
            logger.warning("purge: items of expired sessions left behind", exc_info=True)
