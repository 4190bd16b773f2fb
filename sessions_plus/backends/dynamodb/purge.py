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
from .client import Table
from .engine import WriteEngine
from .errors import TransactionCancelled
from .incarnations import delete_docs, incarnation_keys
from .keys import key, meta_key
from .meta import Meta

logger = logging.getLogger("sessions_plus.dynamodb")

GROUP = 25
"""Meta items deleted per transaction."""
QUERIES = 4
"""Partitions queried at the same time while collecting the items to delete."""
CONFLICT_RETRIES = 5


class Purger:
    """``purge_expired`` for one store."""

    def __init__(self, engine: WriteEngine) -> None:
        self.engine = engine
        self.table: Table = engine.table

    async def purge(self) -> int:
        """Rounds of one index page per shard (queried together), then their candidates in
        groups of 100: memory stays at a few pages however many sessions expired."""
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
        unreachable; a failure is logged and the rest is left to DynamoDB's TTL sweeper."""
        limit = asyncio.Semaphore(QUERIES)

        async def keys_of(meta: Meta) -> list[Any]:
            async with limit:
                records, chunks = await incarnation_keys(self.table, meta, whole_generations=True)
                return records + chunks

        try:
            found = await asyncio.gather(*(keys_of(meta) for meta in metas))
            requests = [{"DeleteRequest": {"Key": k}} for keys in found for k in keys]
            await self.table.batch_write(requests)
            for meta in metas:
                if meta.docs:
                    await delete_docs(self.table, meta.session_id, meta.docs)
        except SessionsPlusError:
            logger.warning("purge: items of expired sessions left behind", exc_info=True)
