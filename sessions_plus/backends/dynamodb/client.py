"""aiobotocore plumbing: making clients, mapping botocore errors to typed errors, paging.

Throttling and transient errors are retried by botocore itself (``retry_mode`` "standard" or
"adaptive"); what survives its retries becomes a :class:`StoreUnavailableError`. Every other
botocore error code is mapped here, once, to a typed error (:mod:`.errors`): a cancelled
transaction to :class:`TransactionCancelled` so the store can retry conflicts itself, a failed
condition to :class:`ConditionFailed`, a missing table to :class:`StoreNotFoundError`.
:class:`Table` binds the calls to one table and the running loop's client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ...errors import (
    ConfigurationError,
    StoreNotFoundError,
    StoreUnavailableError,
    missing_dependency,
)
from .errors import (
    ConditionFailed,
    DynamoDBRequestError,
    ResourceInUse,
    TransactionCancelled,
    ValidationFailed,
)
from .keys import Item

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
        "ThrottlingError",
        "TransactionInProgressException",
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
RETRIED_REASONS = frozenset({"None", "ConditionalCheckFailed", "TransactionConflict"})
"""Cancellation reasons the store handles itself (retry with the fresh meta)."""


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
    """The typed error for a botocore/aiohttp failure (or ``exc`` itself if not one).

    This is the only place that looks at botocore's error codes.
    """
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", exc))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code == "TransactionCanceledException":
            reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])
            codes = [str(reason.get("Code") or "None") for reason in reasons]
            if any(code in UNAVAILABLE_CODES for code in codes):
                return StoreUnavailableError(f"DynamoDB kept failing after retries: {codes}")
            if not all(code in RETRIED_REASONS for code in codes):
                return DynamoDBRequestError(
                    f"DynamoDB cancelled a transaction: {codes}: {message}", code=code
                )
            return TransactionCancelled(message, reasons)
        if code == "ConditionalCheckFailedException":
            return ConditionFailed(message, exc.response.get("Item"))
        if code in UNAVAILABLE_CODES or status >= 500 or code in ("500", "502", "503", "504"):
            return StoreUnavailableError(f"DynamoDB kept failing after retries: {code}: {message}")
        if code == "ResourceNotFoundException":
            return StoreNotFoundError(f"DynamoDB table {table!r} does not exist: {message}")
        if code == "ResourceInUseException":
            return ResourceInUse(f"DynamoDB table {table!r} is busy: {message}", code=code)
        if code in CREDENTIAL_CODES:
            return ConfigurationError(f"DynamoDB rejected the AWS credentials: {code}: {message}")
        if code == "ValidationException":
            return ValidationFailed(f"DynamoDB rejected a request: {message}", code=code)
        return DynamoDBRequestError(f"DynamoDB {code}: {message}", code=code)
    if isinstance(exc, NoCredentialsError):
        return ConfigurationError(
            "no AWS credentials found: configure them (environment, ~/.aws, an IAM role)"
        )
    if isinstance(exc, BotoConnectionError | HTTPClientError | OSError | asyncio.TimeoutError):
        return StoreUnavailableError(f"DynamoDB is unreachable: {exc}")
    if isinstance(exc, BotoCoreError):
        return DynamoDBRequestError(f"DynamoDB client error: {exc}")
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


async def batch_get(
    client: Client, table: str, keys: list[Item], fields: dict[str, Any] | None = None
) -> list[Item]:
    """Strongly consistent BatchGetItem of up to 100 keys, retrying unprocessed keys
    (``fields``: a projection, see :func:`.items.projection`)."""
    found: list[Item] = []
    pending: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True, **(fields or {})}}
    for attempt in range(12):
        result = await call(client, table, "batch_get_item", RequestItems=pending)
        found.extend(result.get("Responses", {}).get(table, []))
        pending = result.get("UnprocessedKeys") or {}
        if not pending:
            return found
        await asyncio.sleep(min(1.0, 0.02 * 2**attempt))
    raise StoreUnavailableError("DynamoDB left keys unprocessed after repeated BatchGetItem")


class Table:
    """One table's operations on the running event loop's client (typed errors)."""

    def __init__(self, name: str, client: Callable[[], Awaitable[Client]]) -> None:
        self.name = name
        self._client = client

    async def client(self) -> Client:
        return await self._client()

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call ``operation`` on this table (``TableName`` is filled in where it belongs)."""
        if operation not in ("transact_write_items", "batch_write_item", "batch_get_item"):
            params.setdefault("TableName", self.name)
        return await call(await self._client(), self.name, operation, **params)

    async def query_pages(self, **params: Any) -> AsyncIterator[list[Item]]:
        async for page in query_pages(await self._client(), self.name, **params):
            yield page

    async def query_all(self, **params: Any) -> list[Item]:
        return await query_all(await self._client(), self.name, **params)

    async def query(
        self, condition: str, values: dict[str, Any], *, projection: dict[str, Any] | None = None,
        **params: Any,
    ) -> list[Item]:  # fmt: skip
        """Every item of one strongly consistent Query (all pages), with only the attributes
        ``projection`` names (see :func:`.items.projection`)."""
        if projection is not None:
            params.update(projection)
        return await self.query_all(
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
            **params,
        )

    async def batch_write(self, requests: list[dict[str, Any]]) -> None:
        if requests:
            await batch_write(await self._client(), self.name, requests)

    async def batch_get(self, keys: list[Item], fields: dict[str, Any] | None = None) -> list[Item]:
        found: list[Item] = []
        client = await self._client()
        for start in range(0, len(keys), 100):
            found.extend(await batch_get(client, self.name, keys[start : start + 100], fields))
        return found
