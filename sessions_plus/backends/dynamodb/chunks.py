"""Chunk items: the parts of a payload too large for one item, under ``B#<sid>#<write id>``.

A chunk item belongs to exactly one write (record or document version), named by its write id,
so chunks are written before the transaction that references them and deleted once nothing
does; a transaction that never commits leaves them unreferenced (and they are removed).
"""

from __future__ import annotations

import logging

from ...errors import SessionsPlusError
from .client import Table
from .items import chunk_count, chunk_keys
from .keys import Item, blob_pk

logger = logging.getLogger("sessions_plus.dynamodb")


def chunk_keys_of(session_id: str, items: list[Item]) -> list[Item]:
    """Keys of the chunk items the given record items own."""
    keys: list[Item] = []
    for item in items:
        if "bn" in item:
            keys.extend(chunk_keys(session_id, item["w"]["S"], chunk_count(item)))
    return keys


async def read_chunks(
    table: Table, session_id: str, write_id: str, count: int
) -> list[bytes] | None:
    """The chunks of one payload in order, or None if some are missing."""
    items = await table.query("pk = :p", {":p": {"S": blob_pk(session_id, write_id)}})
    if len(items) != count:
        logger.warning("session %r: chunk items of a large payload are missing", session_id)
        return None
    return [bytes(item["p"]["B"]) for item in items]


async def delete_blobs(table: Table, session_id: str, write_ids: list[str]) -> None:
    """Delete every chunk item of these writes (best effort: they are unreferenced)."""
    keys: list[Item] = []
    for write_id in write_ids:
        items = await table.query(
            "pk = :p",
            {":p": {"S": blob_pk(session_id, write_id)}},
            projection={
                "ProjectionExpression": "#p, #s",
                "ExpressionAttributeNames": {"#p": "pk", "#s": "sk"},
            },
        )
        keys.extend({"pk": item["pk"], "sk": item["sk"]} for item in items)
    try:
        await table.batch_write([{"DeleteRequest": {"Key": key}} for key in keys])
    except SessionsPlusError:
        logger.warning("could not delete unused DynamoDB chunk items", exc_info=True)
