"""aiobotocore plumbing: making clients, mapping botocore errors to typed errors, paging.

Throttling and transient errors are retried by botocore itself (``retry_mode`` "standard" or
"adaptive"); what survives its retries becomes a :class:`StoreUnavailableError`. A cancelled
transaction is reported as :class:`Cancelled` so the store can retry conflicts itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from ...errors import (
    ConfigurationError,
    RecordTooLargeError,
    SessionsPlusError,
    StoreUnavailableError,
    missing_dependency,
)
from .meta import Item

try:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise missing_dependency("DynamoDBStore", "dynamodb", exc) from exc

Client = Any
"""An aiobotocore DynamoDB client (aiobotocore ships no type stubs)."""

UNAVAILABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "AccessDeniedException",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
    }
)


class Cancelled(Exception):
    """A TransactWriteItems was cancelled; ``reasons`` are DynamoDB's CancellationReasons."""

    def __init__(self, reasons: list[dict[str, Any]], message: str) -> None:
        super().__init__(message)
        self.reasons = reasons


def client_config(
    *, retry_mode: str, max_attempts: int, connect_timeout: float, read_timeout: float
) -> AioConfig:
    return AioConfig(
        retries={"mode": retry_mode, "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        # Requests are built by this package, not by users: skip botocore's per-call schema walk.
        parameter_validation=False,
    )


async def open_client(
    *, region_name: str | None, endpoint_url: str | None, config: AioConfig
) -> tuple[Client, Any]:
    """A new client and the context manager that closes it."""
    session = AioSession()
    context = session.create_client(
        "dynamodb", region_name=region_name, endpoint_url=endpoint_url, config=config
    )
    try:
        client = await context.__aenter__()
    except NoRegionError as exc:
        raise ConfigurationError(
            "DynamoDBStore needs an AWS region: pass region_name=..., ?region=... in the URL, "
            "or set AWS_REGION / AWS_DEFAULT_REGION"
        ) from exc
    return client, context


def translate(exc: BaseException, table: str) -> BaseException:
    """The typed error for a botocore/aiohttp failure (or ``exc`` itself if not one)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        message = error.get("Message", str(exc))
        if code == "TransactionCanceledException":
            return Cancelled(exc.response.get("CancellationReasons", []), message)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in UNAVAILABLE_CODES or status >= 500 or code in ("500", "502", "503", "504"):
            return StoreUnavailableError(f"DynamoDB kept failing after retries: {code}: {message}")
        if code == "ResourceNotFoundException":
            return ConfigurationError(f"DynamoDB table {table!r} not found: {message}")
        if code in CREDENTIAL_CODES:
            return ConfigurationError(f"DynamoDB rejected the AWS credentials: {code}: {message}")
        if code == "ValidationException" and "size" in message.lower():
            return RecordTooLargeError(f"DynamoDB rejected an item: {message}", size=-1, limit=-1)
        return SessionsPlusError(f"DynamoDB {code}: {message}")
    if isinstance(exc, NoCredentialsError):
        return ConfigurationError(
            "no AWS credentials found: configure them (environment, ~/.aws, an IAM role)"
        )
    if isinstance(exc, BotoConnectionError | HTTPClientError | OSError | asyncio.TimeoutError):
        return StoreUnavailableError(f"DynamoDB is unreachable: {exc}")
    if isinstance(exc, BotoCoreError):
        return SessionsPlusError(f"DynamoDB client error: {exc}")
    return exc


async def call(client: Client, table: str, operation: str, **params: Any) -> dict[str, Any]:
    """Call one DynamoDB operation with typed errors."""
    try:
        result: dict[str, Any] = await getattr(client, operation)(**params)
    except (TimeoutError, BotoCoreError, ClientError, OSError) as exc:
        raise translate(exc, table) from exc
    return result


async def query_pages(client: Client, table: str, **params: Any) -> AsyncIterator[list[Item]]:
    """Query every page (DynamoDB returns at most 1 MB per request)."""
    while True:
        page = await call(client, table, "query", TableName=table, **params)
        yield page.get("Items", [])
        last = page.get("LastEvaluatedKey")
        if not last:
            return
        params["ExclusiveStartKey"] = last


async def query_all(client: Client, table: str, **params: Any) -> list[Item]:
    items: list[Item] = []
    async for page in query_pages(client, table, **params):
        items.extend(page)
    return items


async def batch_write(client: Client, table: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem in groups of 25 (and about 8 MB), resubmitting unprocessed items."""
    group: list[dict[str, Any]] = []
    size = 0
    for request in requests:
        weight = _request_bytes(request)
        if group and (len(group) == 25 or size + weight > 8_000_000):
            await _batch_write_group(client, table, group)
            group, size = [], 0
        group.append(request)
        size += weight
    if group:
        await _batch_write_group(client, table, group)


async def _batch_write_group(client: Client, table: str, group: list[dict[str, Any]]) -> None:
    pending = {table: group}
    for attempt in range(12):
        result = await call(client, table, "batch_write_item", RequestItems=pending)
        pending = result.get("UnprocessedItems") or {}
        if not pending:
            return
        await asyncio.sleep(min(1.0, 0.02 * 2**attempt))
    raise StoreUnavailableError("DynamoDB left items unprocessed after repeated BatchWriteItem")


def _request_bytes(request: dict[str, Any]) -> int:
    put = request.get("PutRequest")
    if put is None:
        return 2_200
    value = put["Item"].get("p", {})
    return 2_200 + (len(value.get("B", b"")) if "B" in value else len(value.get("S", "")) * 4)


async def batch_get(client: Client, table: str, keys: list[Item]) -> list[Item]:
    """Strongly consistent BatchGetItem of up to 100 keys, retrying unprocessed keys."""
    found: list[Item] = []
    pending: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
    for attempt in range(12):
        result = await call(client, table, "batch_get_item", RequestItems=pending)
        found.extend(result.get("Responses", {}).get(table, []))
        pending = result.get("UnprocessedKeys") or {}
        if not pending:
            return found
        await asyncio.sleep(min(1.0, 0.02 * 2**attempt))
    raise StoreUnavailableError("DynamoDB left keys unprocessed after repeated BatchGetItem")
