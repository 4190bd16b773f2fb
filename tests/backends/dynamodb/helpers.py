"""Helpers shared by the DynamoDB backend tests: raw table access, request counting, faults."""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from sessions_plus import (
    DynamoDBStore,
)
from tests.fixtures.processes import REPO_ROOT

TEMPLATE = REPO_ROOT / "integrations" / "aws" / "dynamodb-table.yaml"


S = "session-1"


def incompressible(size: int, seed: int = 0) -> str:
    """ASCII text of ``size`` characters that zlib barely shrinks."""
    rng = random.Random(seed)
    return base64.b85encode(rng.randbytes(size * 4 // 5 + 4)).decode()[:size]


class Requests:
    """Counts DynamoDB HTTP requests (every attempt) by operation via botocore's before-send."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        client.meta.events.register("before-send.dynamodb", self._count)

    def _count(self, request: Any, **kwargs: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        if isinstance(target, bytes):
            target = target.decode()
        self.counts[target.rsplit(".", 1)[-1]] += 1

    def take(self) -> Counter[str]:
        counts, self.counts = self.counts, Counter()
        return counts

    def total(self) -> int:
        return sum(self.take().values())


async def raw_items(store: DynamoDBStore) -> list[dict[str, Any]]:
    """Every item of the store's table, straight from DynamoDB."""
    client = await store.get_client()
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": store.table_name, "ConsistentRead": True}
    while True:
        page = await client.scan(**params)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


async def sweep(store: DynamoDBStore, now: float) -> int:
    """Do what DynamoDB's TTL sweeper may do at ``now``: delete items whose expiration passed."""
    client = await store.get_client()
    swept = 0
    for item in await raw_items(store):
        expiration = item.get("expiration_time")
        if expiration is not None and float(expiration["N"]) < now:
            await client.delete_item(
                TableName=store.table_name, Key={"pk": item["pk"], "sk": item["sk"]}
            )
            swept += 1
    return swept


class _Raw:
    """The raw HTTP body (and, for aiobotocore 2.x, the raw headers) of a canned answer."""

    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        self._body = body
        self.raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]

    async def read(self) -> bytes:
        return self._body


def answer(
    status: int, code: str, message: str, times: int | None = None, **extra: Any
) -> Callable[..., Any]:
    """A before-send handler answering ``times`` requests (None: all) with an AWS error."""
    from aiobotocore.awsrequest import AioAWSResponse

    left = [times]

    def handler(request: Any, **kwargs: Any) -> Any:
        if left[0] is not None:
            if left[0] <= 0:
                return None
            left[0] -= 1
        body = json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message, **extra}
        ).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "test"}
        return AioAWSResponse(request.url, status, headers, _Raw(body, headers))

    return handler
