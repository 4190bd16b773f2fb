"""Incarnations and expiry: when a write continues a session or starts a new one, the horizon,
and removing what a superseded incarnation left behind.

A session's *incarnation* (a random token in the meta item and every item written for it)
lives from its first write until it is deleted or expires; a write to an expired session starts
a new incarnation (fresh stream generations, no documents) and then deletes the old one's items.

Every item carries ``expiration_time`` (DynamoDB's TTL attribute) = the session's *horizon*, a
lower bound kept ahead of the session's real expiry: when a write finds the horizon less than
one TTL ahead, it moves it to two TTLs ahead, for every item of the session at once
(:func:`refresh_items`, before the write commits), so DynamoDB's sweeper never removes part of
a live session and items are rewritten only once per TTL, not on every write.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from .chunks import chunk_keys_of
from .client import Table
from .errors import ConditionFailed
from .items import KEYS_PROJECTION, chunk_keys
from .keys import SPAN, Item, doc_pk, key, log_pk, new_token, sort_key
from .meta import TTL_ATTRIBUTE, DocState, Meta


def begin(
    session_id: str, meta: Meta | None, now: float, ttl: float | None
) -> tuple[Meta, Meta | None]:
    """The meta a write starts from (the live one, or a new incarnation's), version bumped,
    TTL slid; plus the live meta whose items need the new horizon first (if any)."""
    expires = None if ttl is None else now + ttl
    if meta is not None and meta.lock is not None and meta.lock[1] <= now:
        meta = meta.evolve(lock=None)  # an abandoned multi-transaction write's lease ran out
    if meta is not None and meta.live(now):
        horizon = meta.horizon
        stale = False
        if ttl is None:
            stale, horizon = horizon is not None, None
        elif horizon is None or horizon < now + ttl:
            stale, horizon = True, now + 2 * ttl
        has_items = bool(meta.streams or meta.docs)
        base = meta.evolve(
            version=meta.version + 1, updated_at=now, expires_at=expires, horizon=horizon
        )
        return base, (meta if stale and has_items else None)
    base = Meta(
        session_id=session_id,
        incarnation=new_token(),
        version=1 if meta is None else meta.version + 1,
        created_at=now,
        updated_at=now,
        expires_at=expires,
        horizon=None if ttl is None else now + 2 * ttl,
    )
    return base, None


def expiration(meta: Meta | None) -> int | None:
    """The ``expiration_time`` of the items of ``meta``'s incarnation (None: never)."""
    if meta is None or meta.horizon is None:
        return None
    return math.ceil(meta.horizon)


def superseded(old: Meta | None, new: Meta | None) -> Meta | None:
    """The expired incarnation a committed write replaced with a new one, if it left items."""
    if old is None or new is None or old.incarnation == new.incarnation:
        return None
    return old if old.streams or old.docs else None


async def incarnation_keys(
    table: Table, old: Meta, *, whole_generations: bool
) -> tuple[list[Item], list[Item]]:
    """Keys of ``old``'s record items (its streams' records, or their whole current
    generations), and of the chunk items its records and documents own."""
    records: list[Item] = []
    chunks: list[Item] = []
    for stream, state in old.streams.items():
        lo, hi = 0, SPAN - 1 if whole_generations else state.last  # markers included
        items = await table.query(
            "pk = :p AND sk BETWEEN :a AND :b",
            {
                ":p": {"S": log_pk(old.session_id, stream)},
                ":a": {"N": str(sort_key(state.gen, lo))},
                ":b": {"N": str(sort_key(state.gen, hi))},
            },
            projection=KEYS_PROJECTION,
        )
        records.extend({"pk": item["pk"], "sk": item["sk"]} for item in items)
        chunks.extend(chunk_keys_of(old.session_id, items))
    for doc in old.docs.values():
        chunks.extend(chunk_keys(old.session_id, doc.write_id, doc.chunks))
    return records, chunks


async def delete_docs(table: Table, session_id: str, docs: dict[str, DocState]) -> None:
    """Delete document items, each only if it is still the write we know of: a newer
    incarnation may have reused the name."""
    for name, doc in docs.items():
        with contextlib.suppress(ConditionFailed):  # rewritten since: not ours to delete
            await table.call(
                "delete_item",
                Key=key(doc_pk(session_id, name)),
                ConditionExpression="#w = :w",
                ExpressionAttributeNames={"#w": "w"},
                ExpressionAttributeValues={":w": {"S": doc.write_id}},
            )


async def remove_incarnation(table: Table, old: Meta) -> None:
    """Delete what an expired incarnation left once a write has replaced its meta, so
    no expired item outlives the session for DynamoDB's sweeper or ``purge_expired``."""
    records, chunks = await incarnation_keys(table, old, whole_generations=True)
    await table.batch_write([{"DeleteRequest": {"Key": k}} for k in records + chunks])
    await delete_docs(table, old.session_id, old.docs)


async def refresh_items(table: Table, old: Meta, new: Meta | None) -> None:
    """Give every item of ``old``'s incarnation the new horizon (None: no expiration)."""
    horizon = None if new is None else new.horizon
    expires = None if new is None else new.expires_at
    records, others = await incarnation_keys(table, old, whole_generations=False)
    others += [key(doc_pk(old.session_id, name)) for name in old.docs]
    limit = asyncio.Semaphore(16)

    async def update(item_key: Item, is_record: bool) -> None:
        names = {"#t": TTL_ATTRIBUTE, "#p": "pk"}
        values: dict[str, Any] = {}
        if horizon is None:
            expression = "REMOVE #t"
        else:
            expression = "SET #t = :t"
            values[":t"] = {"N": str(math.ceil(horizon))}
            if is_record and expires is not None:
                expression += ", #x = if_not_exists(#x, :x)"
                names["#x"] = "x"
                values[":x"] = {"N": repr(expires)}
        params: dict[str, Any] = {
            "Key": item_key,
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(#p)",
            "ExpressionAttributeNames": names,
        }
        if values:
            params["ExpressionAttributeValues"] = values
        async with limit:
            with contextlib.suppress(ConditionFailed):  # deleted meanwhile: nothing to refresh
                await table.call("update_item", **params)

    await asyncio.gather(*(update(k, True) for k in records), *(update(k, False) for k in others))
