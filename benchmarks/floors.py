"""The floor: what the database client alone costs for the same work.

No validation, no metadata, no TTL, no concurrency safety (seqs come from a client-side counter):
the least any session on that database could do. Our overhead is measured against it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from .env import Env
from .implementations import SessionImpl, Unavailable

CONCURRENT = "16 writers, one session"
"""Workload name the floors without safe concurrent appends leave out."""


class _SqliteFloorHandle:
    def __init__(self, conn: sqlite3.Connection, session_id: str) -> None:
        self._conn = conn
        self._sid = session_id
        row = conn.execute("SELECT max(seq) FROM items WHERE sid = ?", (session_id,)).fetchone()
        self._seq = row[0] or 0

    async def add_items(self, items: list[Any]) -> None:
        rows = [(self._sid, self._seq + i + 1, json.dumps(item)) for i, item in enumerate(items)]
        with self._conn:  # one transaction
            self._conn.executemany("INSERT INTO items (sid, seq, data) VALUES (?, ?, ?)", rows)
        self._seq += len(items)

    async def get_items(self, limit: int | None = None) -> list[Any]:
        if limit is None:
            cursor = self._conn.execute(
                "SELECT data FROM items WHERE sid = ? ORDER BY seq", (self._sid,)
            )
            return [json.loads(data) for (data,) in cursor]
        cursor = self._conn.execute(
            "SELECT data FROM items WHERE sid = ? ORDER BY seq DESC LIMIT ?", (self._sid, limit)
        )
        return [json.loads(data) for (data,) in reversed(cursor.fetchall())]


async def floor_sqlite(env: Env) -> SessionImpl:
    """Bare sqlite3 on the event-loop thread: WAL, synchronous=NORMAL (as our default)."""
    conn = sqlite3.connect(str(env.tmpdir / "floor.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS items (sid TEXT NOT NULL, seq INTEGER NOT NULL,"
        " data TEXT NOT NULL, PRIMARY KEY (sid, seq)) WITHOUT ROWID"
    )
    conn.isolation_level = "DEFERRED"

    async def close() -> None:
        conn.close()

    return SessionImpl(
        "floor: sqlite3",
        "sqlite",
        "floor",
        lambda sid, ns: _SqliteFloorHandle(conn, sid),
        [close],
        exclude=frozenset({CONCURRENT}),
        note="one INSERT/SELECT per op in one transaction, blocking the loop thread",
    )


class _RedisFloorHandle:
    def __init__(self, client: Any, session_id: str) -> None:
        self._client = client
        self._key = f"bench:floor:{session_id}"

    async def add_items(self, items: list[Any]) -> None:
        await self._client.rpush(self._key, *[json.dumps(item) for item in items])

    async def get_items(self, limit: int | None = None) -> list[Any]:
        start = 0 if limit is None else -limit
        return [json.loads(raw) for raw in await self._client.lrange(self._key, start, -1)]


async def floor_redis(env: Env) -> SessionImpl:
    client = await env.redis_client()
    return SessionImpl(
        "floor: redis-py RPUSH/LRANGE",
        "redis",
        "floor",
        lambda sid, ns: _RedisFloorHandle(client, sid),
        note="one RPUSH or LRANGE per op, on the same client",
    )


class _DynamoFloorTables:
    """One table per namespace, created on first use (see SessionImpl on moto)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.ready: set[str] = set()

    async def ensure(self, table: str) -> None:
        existing = await self.client.list_tables()
        if table not in existing.get("TableNames", []):
            await self.client.create_table(
                TableName=table,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "N"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        self.ready.add(table)


class _DynamoFloorHandle:
    def __init__(self, tables: _DynamoFloorTables, namespace: str, session_id: str) -> None:
        self._tables = tables
        self._client = tables.client
        self._table = f"bench-floor-{namespace}"
        self._pk = f"floor#{session_id}"
        self._seq = 0

    async def add_items(self, items: list[Any]) -> None:
        if self._table not in self._tables.ready:
            await self._tables.ensure(self._table)
        rows = [
            {"pk": {"S": self._pk}, "sk": {"N": str(self._seq + i + 1)}, "p": {"S": json.dumps(x)}}
            for i, x in enumerate(items)
        ]
        self._seq += len(items)
        if len(rows) == 1:
            await self._client.put_item(TableName=self._table, Item=rows[0])
            return
        for start in range(0, len(rows), 25):
            chunk = [{"PutRequest": {"Item": row}} for row in rows[start : start + 25]]
            pending: dict[str, Any] = {self._table: chunk}
            while pending:
                answer = await self._client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}

    async def get_items(self, limit: int | None = None) -> list[Any]:
        if self._table not in self._tables.ready:
            await self._tables.ensure(self._table)
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": self._pk}},
        }
        if limit is not None:
            answer = await self._client.query(**args, ScanIndexForward=False, Limit=limit)
            return [json.loads(item["p"]["S"]) for item in reversed(answer["Items"])]
        items: list[Any] = []
        while True:
            answer = await self._client.query(**args)
            items.extend(json.loads(item["p"]["S"]) for item in answer["Items"])
            if "LastEvaluatedKey" not in answer:
                return items
            args["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


async def floor_dynamodb(env: Env) -> SessionImpl:
    """Bare aiobotocore PutItem / Query on the same moto server."""
    try:
        from aiobotocore.session import get_session
    except ImportError as exc:
        raise Unavailable(f"aiobotocore: {exc}") from None
    endpoint = await env.dynamodb_endpoint()
    context = get_session().create_client("dynamodb", endpoint_url=endpoint, region_name=env.region)
    client = await context.__aenter__()
    tables = _DynamoFloorTables(client)
    env.register_dynamodb_client(client)

    async def close() -> None:
        await context.__aexit__(None, None, None)

    return SessionImpl(
        "floor: DynamoDB PutItem/Query",
        "dynamodb",
        "floor",
        lambda sid, ns: _DynamoFloorHandle(tables, ns, sid),
        [close],
        exclude=frozenset({CONCURRENT}),
        note="one PutItem (BatchWriteItem for a turn) or one Query per op",
    )


BUILDERS: list[tuple[str, str, Callable[[Env], Any]]] = [
    ("sqlite", "floor: sqlite3", floor_sqlite),
    ("redis", "floor: redis-py RPUSH/LRANGE", floor_redis),
    ("dynamodb", "floor: DynamoDB PutItem/Query", floor_dynamodb),
]
