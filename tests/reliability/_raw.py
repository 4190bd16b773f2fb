"""Write straight into a backend's storage, bypassing the store: to plant corrupt records.

Cross-process backends are written the way an operator or an attacker with storage access
would: a raw ``sqlite3`` UPDATE on the file, a raw Redis ``HSET``, a raw DynamoDB ``PutItem``.
Process-local stores (memory, SQLite ``:memory:``) have no outside door; their own backend hook
plants the bytes instead.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import quote

from sessions_plus import ConversationStore
from tests.backends._factory import StoreFactory


async def plant_record(
    factory: StoreFactory, store: ConversationStore, sid: str, seq: int, payload: bytes
) -> None:
    """Overwrite the stored payload of record ``seq`` of stream ``main`` with ``payload``."""
    name = factory.name
    if name == "sqlite-file":
        _sqlite(store, sid, seq, payload)
    elif name in ("redis", "redis-cluster"):
        await _redis(store, sid, seq, payload)
    elif name.startswith("dynamodb"):
        await _dynamodb(store, sid, seq, payload)
    elif name in ("memory", "sqlite-memory"):
        await store._replace(sid, "main", seq, payload)
    else:
        raise AssertionError(f"tests/reliability/_raw.py does not know how to corrupt {name}")


async def plant_doc(
    factory: StoreFactory, store: ConversationStore, sid: str, name: str, payload: bytes
) -> None:
    """Overwrite the stored payload of one document."""
    if factory.name == "sqlite-file":
        t = store.tables  # type: ignore[attr-defined]
        with sqlite3.connect(store.path) as conn:  # type: ignore[attr-defined]
            changed = conn.execute(
                f"UPDATE {t.docs} SET payload = ? WHERE name = ? AND sid = "
                f"(SELECT sid FROM {t.sessions} WHERE session_id = ?)",
                (payload, name, sid),
            ).rowcount
        assert changed == 1
    elif factory.name in ("redis", "redis-cluster"):
        conn = await store._conn()  # type: ignore[attr-defined]
        key = f"{store.key_prefix}:{{{quote(sid, safe='')}}}:docs"  # type: ignore[attr-defined]
        assert await conn.client.hexists(key, name)
        await conn.client.hset(key, name, payload)
    elif factory.name.startswith("dynamodb"):
        await _dynamodb_doc(store, sid, name, payload)
    else:
        await store._put_doc(sid, name, payload, False)


def _sqlite(store: Any, sid: str, seq: int, payload: bytes) -> None:
    t = store.tables
    with sqlite3.connect(store.path) as conn:
        changed = conn.execute(
            f"UPDATE {t.records} SET payload = ? WHERE stream = 'main' AND seq = ? AND sid = "
            f"(SELECT sid FROM {t.sessions} WHERE session_id = ?)",
            (payload, seq, sid),
        ).rowcount
    assert changed == 1


async def _redis(store: Any, sid: str, seq: int, payload: bytes) -> None:
    conn = await store._conn()
    key = f"{store.key_prefix}:{{{quote(sid, safe='')}}}:log:main"
    blob = await conn.client.hget(key, str(seq))
    assert blob is not None
    millis, header, _ = blob.split(b"\n", 2)
    await conn.client.hset(key, str(seq), millis + b"\n" + header + b"\n" + payload)


async def _dynamodb(store: Any, sid: str, seq: int, payload: bytes) -> None:
    from sessions_plus.backends.dynamodb_keys import log_pk, split_sort_key

    client = await store.get_client()
    pk = log_pk(sid, "main")
    answer = await client.query(
        TableName=store.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )
    matches = [
        item
        for item in answer["Items"]
        if "m" not in item and split_sort_key(int(item["sk"]["N"]))[1] == seq
    ]
    assert matches, f"no stored item for seq {seq}"
    item = max(matches, key=lambda item: int(item["sk"]["N"]))  # the live generation
    await _dynamodb_put(store, client, item, payload)


async def _dynamodb_doc(store: Any, sid: str, name: str, payload: bytes) -> None:
    from sessions_plus.backends.dynamodb_keys import doc_pk

    client = await store.get_client()
    key = {"pk": {"S": doc_pk(sid, name)}, "sk": {"N": "0"}}
    answer = await client.get_item(TableName=store.table_name, Key=key)
    assert "Item" in answer, "no stored document item"
    await _dynamodb_put(store, client, answer["Item"], payload)


async def _dynamodb_put(store: Any, client: Any, item: dict[str, Any], payload: bytes) -> None:
    """A raw PutItem of the same item with its payload replaced (uncompressed, inline)."""
    item = {k: v for k, v in item.items() if k not in ("p", "z", "bn")}
    item["p"] = {"B": payload}
    await client.put_item(TableName=store.table_name, Item=item)
