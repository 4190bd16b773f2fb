"""The table's two global secondary indexes: sessions by id (prefix listing) and by expiry
(purge). Both are sparse and keys-only, so only meta items are in them and an index entry
changes only when a session is created or deleted, or its expiry bucket moves.

* ``sessions-plus-by-id``: partition key ``sk`` (every meta item's is 0), sort key ``sid``
  (only meta items have one). ``list_sessions(prefix=...)`` is one Query of that partition with
  ``begins_with(sid, prefix)`` (DynamoDB compares strings by UTF-8 bytes, which is code point
  order), ``Limit`` = the page size and the cursor as ``ExclusiveStartKey``, then one
  strongly consistent BatchGetItem of those meta items: O(page), whatever the table holds.
  Meta items written before this index existed are in it too (they already have both keys).
* ``sessions-plus-by-expiry``: partition key ``xp`` (one of :data:`EXPIRY_SHARDS` shards, so
  the index has no single hot key), sort key ``xk``, a lower bound of the session's expiry
  rounded down to a *bucket* (:func:`bucket_seconds`), so it moves at most once per bucket
  however often the session is written. ``purge_expired`` queries ``xk <= now`` per shard and
  checks each candidate's meta item: it finds every expired session and reads only those
  (plus the few that expire within one bucket), never the records of live ones.

Index reads are eventually consistent (DynamoDB offers nothing else on a GSI): a session made
a moment ago may be missing from a listing for a moment; a deleted or expired one is never
listed, as each page's meta items are read consistently.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

BY_ID = "sessions-plus-by-id"
BY_EXPIRY = "sessions-plus-by-expiry"
EXPIRY_SHARDS = 4

ATTRIBUTES = [
    {"AttributeName": "sid", "AttributeType": "S"},
    {"AttributeName": "xp", "AttributeType": "S"},
    {"AttributeName": "xk", "AttributeType": "N"},
]
"""Attribute definitions the indexes add to the table's ``pk`` (S) and ``sk`` (N)."""

KEY_SCHEMAS: dict[str, list[dict[str, str]]] = {
    BY_ID: [
        {"AttributeName": "sk", "KeyType": "HASH"},
        {"AttributeName": "sid", "KeyType": "RANGE"},
    ],
    BY_EXPIRY: [
        {"AttributeName": "xp", "KeyType": "HASH"},
        {"AttributeName": "xk", "KeyType": "RANGE"},
    ],
}


def definitions() -> list[dict[str, Any]]:
    """``GlobalSecondaryIndexes`` for CreateTable (on-demand: no throughput to set)."""
    return [
        {"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": "KEYS_ONLY"}}
        for name, schema in KEY_SCHEMAS.items()
    ]


def bucket_seconds(ttl: float | None) -> float:
    """Width of an expiry bucket: an eighth of the TTL, between one minute and one hour."""
    return min(3600.0, max(60.0, (ttl or 0.0) / 8))


def expiry_attributes(session_id: str, expires_at: float, ttl: float | None) -> dict[str, Any]:
    """The by-expiry index keys of a meta item."""
    width = bucket_seconds(ttl)
    shard = zlib.crc32(session_id.encode()) % EXPIRY_SHARDS
    return {
        "xp": {"S": f"x{shard}"},
        "xk": {"N": str(math.floor(expires_at / width) * width)},
    }


def shards() -> list[str]:
    return [f"x{shard}" for shard in range(EXPIRY_SHARDS)]


def check_indexes(description: dict[str, Any]) -> list[str]:
    """Names of the indexes a table description lacks (or has with other keys)."""
    found = {index["IndexName"]: index for index in description.get("GlobalSecondaryIndexes", [])}
    types = {
        attr["AttributeName"]: attr["AttributeType"]
        for attr in description.get("AttributeDefinitions", [])
    }
    wanted = {a["AttributeName"]: a["AttributeType"] for a in ATTRIBUTES} | {"sk": "N"}
    missing: list[str] = []
    for name, schema in KEY_SCHEMAS.items():
        index = found.get(name)
        keys = None if index is None else index.get("KeySchema")
        fits = keys is not None and sorted(map(str, keys)) == sorted(map(str, schema))
        fits = fits and all(
            types.get(k["AttributeName"]) == wanted[k["AttributeName"]] for k in schema
        )
        if not fits:
            missing.append(name)
    return missing
