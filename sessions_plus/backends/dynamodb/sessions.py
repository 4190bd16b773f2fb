"""Whole sessions: delete (with tombstones), TTL refresh on read, info, listing and purge."""

from __future__ import annotations

import logging
import time
from typing import Any

from ...backend import SessionQuery
from ...errors import ConflictError
from ...records import SessionInfo, SessionPage
from .chunks import chunk_keys_of
from .engine import Build, Done, Plan, WriteEngine
from .incarnations import delete_docs
from .items import KEYS_PROJECTION, chunk_keys, item_seq, record_item
from .keys import Item, key, log_pk, new_gen, new_token, sort_key
from .logs import MAX_TRANSACTION_ITEMS
from .meta import Meta
from .reads import TOMBSTONE

logger = logging.getLogger("sessions_plus.dynamodb")


class Sessions:
    """Session-level operations of one store."""

    def __init__(self, engine: WriteEngine) -> None:
        self.engine = engine
        self.table = engine.table

    async def delete(self, session_id: str, updated_before: float | None) -> bool:
        build = self.delete_build(session_id, False, updated_before)
        return bool(await self.engine.mutate(session_id, build))

    def delete_build(
        self, session_id: str, only_expired: bool, updated_before: float | None = None
    ) -> Build:
        """Delete the meta item and put a tombstone on top of every stream, atomically; then
        remove the session's items (a snapshot taken before, so a new incarnation is spared).
        With ``updated_before`` only a session last written before then: the transaction's
        condition on the meta item's version makes the check and the delete one step."""
        table = self.table

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            if meta is None:
                return Done(False)
            live = meta.live(now)
            if only_expired and live:
                return Done(False)
            if live and updated_before is not None and meta.updated_at >= updated_before:
                return Done(False)
            snapshot: dict[str, list[Item]] = {}
            for stream in meta.streams:
                snapshot[stream] = await table.query(
                    "pk = :p", {":p": {"S": log_pk(session_id, stream)}}, projection=KEYS_PROJECTION
                )
            tombstones: list[Item] = []
            for stream, state in meta.streams.items():
                highest = max(
                    [state.gen, *(item_seq(item)[0] for item in snapshot[stream])], default=0
                )
                tombstones.append(
                    record_item(
                        log_pk(session_id, stream),
                        sort_key(new_gen(highest), 0),
                        incarnation=TOMBSTONE,
                        write_id=new_token(),
                        created_at=now,
                        session_expires=0.0,
                        expiration=None,
                    )
                )
            tombstones_after: list[Item] = []
            if len(tombstones) > MAX_TRANSACTION_ITEMS - 1:
                tombstones_after = tombstones[MAX_TRANSACTION_ITEMS - 1 :]
                tombstones = tombstones[: MAX_TRANSACTION_ITEMS - 1]
                await table.batch_write([{"PutRequest": {"Item": i}} for i in tombstones_after])
            docs = dict(meta.docs)
            everything = [item for items in snapshot.values() for item in items]

            async def remove_items() -> None:
                keys = [{"pk": i["pk"], "sk": i["sk"]} for i in everything]
                keys += chunk_keys_of(session_id, everything)
                for doc in docs.values():
                    keys += chunk_keys(session_id, doc.write_id, doc.chunks)
                await table.batch_write([{"DeleteRequest": {"Key": k}} for k in keys])
                await delete_docs(table, session_id, docs)
                stones = [{"pk": t["pk"], "sk": t["sk"]} for t in tombstones + tombstones_after]
                await table.batch_write([{"DeleteRequest": {"Key": k}} for k in stones])

            return Plan(
                meta=None,
                result=True if only_expired else live,
                actions=[{"Put": {"Item": item}} for item in tombstones],
                after=remove_items,
            )

        return build

    async def touch(self, session_id: str) -> Meta | None:
        """Slide a live session's TTL without a write (refresh_on_read)."""

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            if meta is None or not meta.live(now):
                return Done(None)
            base, refresh = self.engine.begin(session_id, meta, now)
            touched = base.evolve(updated_at=meta.updated_at)
            return Plan(meta=touched, result=touched, refresh=refresh)

        touched: Meta | None = await self.engine.mutate(session_id, build)
        return touched

    async def live_meta(self, session_id: str, refresh: bool) -> Meta | None:
        if refresh:
            return await self.touch(session_id)
        meta = await self.engine.load_meta(session_id)
        return meta if meta is not None and meta.live(time.time()) else None

    async def info(self, session_id: str, refresh: bool) -> SessionInfo | None:
        meta = await self.live_meta(session_id, refresh)
        return None if meta is None else meta.info()

    async def _scan_metas(
        self, start: Item | None, extra_filter: str = "", values: dict[str, Any] | None = None
    ) -> tuple[list[Item], Item | None]:
        params: dict[str, Any] = {
            "ConsistentRead": True,
            "FilterExpression": "begins_with(#p, :m) AND attribute_exists(#sid)" + extra_filter,
            "ExpressionAttributeNames": {"#p": "pk", "#sid": "sid"},
            "ExpressionAttributeValues": {":m": {"S": "M"}, **(values or {})},
        }
        if extra_filter:
            params["ExpressionAttributeNames"]["#ex"] = "ex"
        if start is not None:
            params["ExclusiveStartKey"] = start
        page = await self.table.call("scan", **params)
        return page.get("Items", []), page.get("LastEvaluatedKey")

    async def page(self, query: SessionQuery) -> SessionPage:
        limit, cursor = query.limit, query.cursor
        if query.prefix:  # contract v2: the backend's owner implements it
            raise NotImplementedError("DynamoDBStore: list_sessions(prefix=) not yet")
        if cursor is not None and (not isinstance(cursor, str) or not cursor.startswith("M")):
            raise ValueError(f"not a DynamoDBStore cursor: {cursor!r}")
        start = None if cursor is None else key(cursor)
        found: list[tuple[str, Meta]] = []
        while True:
            items, start = await self._scan_metas(start)
            now = time.time()
            for item in items:
                meta = Meta.from_item(item)
                if meta.live(now):
                    found.append((item["pk"]["S"], meta))
                if len(found) == limit:
                    page = sorted((m for _, m in found), key=lambda m: m.session_id)
                    return SessionPage([m.info() for m in page], found[-1][0])
            if start is None:
                page = sorted((m for _, m in found), key=lambda m: m.session_id)
                return SessionPage([m.info() for m in page], None)

    async def purge(self) -> int:
        purged = 0
        start: Item | None = None
        while True:
            items, start = await self._scan_metas(
                start, " AND #ex <= :now", {":now": {"N": repr(time.time())}}
            )
            for item in items:
                session_id = item["sid"]["S"]
                try:
                    if await self.engine.mutate(session_id, self.delete_build(session_id, True)):
                        purged += 1
                except ConflictError:
                    logger.warning("purge skipped busy session %r", session_id)
            if start is None:
                return purged
