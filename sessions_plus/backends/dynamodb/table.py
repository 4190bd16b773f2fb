"""The table: create it (on demand) or check a bring-your-own one, and turn TTL on.

The definition here is the one ``integrations/aws/dynamodb-table.yaml`` deploys (a test keeps the
two equal): partition key ``pk`` (S), sort key ``sk`` (N), on-demand billing, TTL on
``expiration_time``, and the two indexes of :mod:`.index`. A table that lacks an index gets it
(UpdateTable) when the store may create things, else :class:`ConfigurationError` names it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from ...errors import ConfigurationError, StoreNotFoundError
from . import index
from .client import Client, call
from .errors import ResourceInUse, ValidationFailed
from .meta import TTL_ATTRIBUTE

logger = logging.getLogger("sessions_plus.dynamodb")

KEY_SCHEMA = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
KEY_ATTRIBUTES = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "N"},
]
ATTRIBUTE_DEFINITIONS = KEY_ATTRIBUTES + index.ATTRIBUTES
BILLING_MODE = "PAY_PER_REQUEST"

ACTIVE_TIMEOUT = 120.0
"""Seconds to wait for a new table to become ACTIVE."""


async def ensure_table(client: Client, table: str, *, create: bool, read_only: bool) -> None:
    """Make sure ``table`` exists with a fitting key schema and TTL on ``expiration_time``
    (``create``: make what is missing; ``read_only``: change nothing, only check)."""
    description = await _describe(client, table)
    if description is None:
        if not create:
            how = "the store is read-only" if read_only else "create_table=False"
            raise StoreNotFoundError(
                f"DynamoDB table {table!r} does not exist ({how}). Create it (see "
                "integrations/aws/dynamodb-table.yaml) or pass create_table=True"
            )
        description = await _create(client, table)
    check_key_schema(table, description)
    if description.get("TableStatus") != "ACTIVE":
        description = await _wait_active(client, table)
    missing = index.check_indexes(description)
    if missing and not create:
        raise ConfigurationError(
            f"DynamoDB table {table!r} lacks the index(es) {', '.join(missing)} that listing and "
            "purge use (see integrations/aws/dynamodb-table.yaml); add them, or let the store "
            "add them (create_table=True, not read-only)"
        )
    for name in missing:
        await _add_index(client, table, name)
    if any(i.get("IndexStatus") != "ACTIVE" for i in description.get("GlobalSecondaryIndexes", [])):
        await _wait_active(client, table)
    if not read_only:
        await _ensure_ttl(client, table, enable=create)


def check_key_schema(table: str, description: dict[str, Any]) -> None:
    """Raise ConfigurationError naming what does not fit in a table's key schema."""
    keys = {key["KeyType"]: key["AttributeName"] for key in description.get("KeySchema", [])}
    types = {
        attr["AttributeName"]: attr["AttributeType"]
        for attr in description.get("AttributeDefinitions", [])
    }
    problems: list[str] = []
    if keys.get("HASH") != "pk":
        problems.append(f"partition key is {keys.get('HASH')!r}, expected 'pk'")
    elif types.get("pk") != "S":
        problems.append(f"partition key 'pk' has type {types.get('pk')!r}, expected 'S' (String)")
    if keys.get("RANGE") is None:
        problems.append("it has no sort key, expected 'sk' of type 'N' (Number)")
    elif keys["RANGE"] != "sk":
        problems.append(f"sort key is {keys['RANGE']!r}, expected 'sk'")
    elif types.get("sk") != "N":
        problems.append(f"sort key 'sk' has type {types.get('sk')!r}, expected 'N' (Number)")
    if problems:
        raise ConfigurationError(
            f"DynamoDB table {table!r} does not fit sessions-plus: " + "; ".join(problems)
        )


async def _describe(client: Client, table: str) -> dict[str, Any] | None:
    try:
        result = await call(client, table, "describe_table", TableName=table)
    except StoreNotFoundError:
        return None
    description: dict[str, Any] = result["Table"]
    return description


async def _create(client: Client, table: str) -> dict[str, Any]:
    try:
        result = await call(
            client,
            table,
            "create_table",
            TableName=table,
            KeySchema=KEY_SCHEMA,
            AttributeDefinitions=ATTRIBUTE_DEFINITIONS,
            GlobalSecondaryIndexes=index.definitions(),
            BillingMode=BILLING_MODE,
        )
    except ResourceInUse:
        described = await _describe(client, table)  # another process created it first
        if described is None:
            raise
        return described
    logger.info("created DynamoDB table %r", table)
    description: dict[str, Any] = result["TableDescription"]
    return description


async def _wait_active(client: Client, table: str) -> dict[str, Any]:
    """Wait until the table and its indexes are ACTIVE; return its description."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ACTIVE_TIMEOUT
    delay = 0.05
    while loop.time() < deadline:
        description = await _describe(client, table)
        if (
            description is not None
            and description.get("TableStatus") == "ACTIVE"
            and all(
                i.get("IndexStatus", "ACTIVE") == "ACTIVE"
                for i in description.get("GlobalSecondaryIndexes", [])
            )
        ):
            return description
        await asyncio.sleep(delay)
        delay = min(2.0, delay * 2)
    raise ConfigurationError(f"DynamoDB table {table!r} did not become ACTIVE in time")


async def _add_index(client: Client, table: str, name: str) -> None:
    """Add one missing index to an existing table (DynamoDB backfills it)."""
    (definition,) = [d for d in index.definitions() if d["IndexName"] == name]
    names = {k["AttributeName"] for k in definition["KeySchema"]}
    attributes = [a for a in ATTRIBUTE_DEFINITIONS if a["AttributeName"] in names]
    # ResourceInUse: another process is adding it (or another change is under way).
    with contextlib.suppress(ResourceInUse):
        await call(
            client,
            table,
            "update_table",
            TableName=table,
            AttributeDefinitions=attributes,
            GlobalSecondaryIndexUpdates=[{"Create": definition}],
        )
    logger.info("adding index %r to DynamoDB table %r", name, table)
    await _wait_active(client, table)


async def _ensure_ttl(client: Client, table: str, *, enable: bool) -> None:
    """Turn TTL on for ``expiration_time`` unless it is on or being turned on already."""
    result = await call(client, table, "describe_time_to_live", TableName=table)
    ttl = result.get("TimeToLiveDescription", {})
    status = ttl.get("TimeToLiveStatus", "DISABLED")
    attribute = ttl.get("AttributeName")
    if status in ("ENABLED", "ENABLING"):
        if attribute not in (None, TTL_ATTRIBUTE):
            logger.warning(
                "DynamoDB table %r has TTL on %r, not %r: expired sessions are still hidden "
                "from reads, but only purge_expired() removes them",
                table,
                attribute,
                TTL_ATTRIBUTE,
            )
        return
    if not enable:
        logger.warning(
            "DynamoDB table %r has no TTL on %r (status %s): expired sessions are hidden from "
            "reads but stay stored until purge_expired()",
            table,
            TTL_ATTRIBUTE,
            status,
        )
        return
    try:
        await call(
            client,
            table,
            "update_time_to_live",
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    except ValidationFailed as exc:
        # DISABLING, or another process enabling it at the same moment: a change is in progress.
        logger.info("TTL change already in progress on DynamoDB table %r: %s", table, exc)
