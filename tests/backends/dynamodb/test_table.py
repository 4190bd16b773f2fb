"""DynamoDBStore: Tables: created, bring-your-own validated, the CloudFormation template, TTL.

Over real HTTP against moto's server; request counts and injected faults use botocore event
hooks on the store's own client (see helpers.py).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import yaml

from integrations.dynamodb.server import REGION, DynamoDBServer
from sessions_plus import (
    ConfigurationError,
    DynamoDBStore,
)
from sessions_plus.backends.dynamodb.index import definitions
from sessions_plus.backends.dynamodb.table import ATTRIBUTE_DEFINITIONS, KEY_ATTRIBUTES, KEY_SCHEMA
from tests.fixtures.factory import StoreFactory
from tests.fixtures.stores.dynamodb import unique_table

from .helpers import TEMPLATE, S, answer


async def test_bring_your_own_table_validation(
    factory: StoreFactory, dynamodb_server: DynamoDBServer, caplog: pytest.LogCaptureFixture
) -> None:
    probe: DynamoDBStore = factory()  # type: ignore[assignment]
    await probe.append("x", ["x"])
    client = await probe.get_client()

    def byo(table: str, **options: Any) -> DynamoDBStore:
        return DynamoDBStore(
            table,
            region_name=REGION,
            endpoint_url=dynamodb_server.endpoint_url,
            create_table=False,
            **options,
        )

    missing = byo(unique_table())
    with pytest.raises(ConfigurationError, match="does not exist"):
        await missing.append(S, ["a"])
    await missing.aclose()

    shapes: list[tuple[list[dict[str, str]], list[dict[str, str]], str]] = [
        (
            [{"AttributeName": "pk", "KeyType": "HASH"}],
            [{"AttributeName": "pk", "AttributeType": "S"}],
            "no sort key",
        ),
        (
            [
                {"AttributeName": "id", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            [
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            "partition key is 'id'",
        ),
        (
            KEY_SCHEMA,
            [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            "sort key 'sk' has type 'S'",
        ),
        (
            KEY_SCHEMA,
            [
                {"AttributeName": "pk", "AttributeType": "N"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            "partition key 'pk' has type 'N'",
        ),
    ]
    for keys, attributes, message in shapes:
        table = unique_table()
        await client.create_table(
            TableName=table,
            KeySchema=keys,
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
        )
        for create in (False, True):
            store = (
                byo(table)
                if not create
                else DynamoDBStore(
                    table, region_name=REGION, endpoint_url=dynamodb_server.endpoint_url
                )
            )
            with pytest.raises(ConfigurationError, match=message):
                await store.read(S)
            await store.aclose()

    table = unique_table()  # keys fit, indexes missing: named, not added without create_table
    await client.create_table(
        TableName=table,
        KeySchema=KEY_SCHEMA,
        AttributeDefinitions=KEY_ATTRIBUTES,
        BillingMode="PAY_PER_REQUEST",
    )
    store = byo(table)
    with pytest.raises(ConfigurationError, match="sessions-plus-by-id, sessions-plus-by-expiry"):
        await store.read(S)
    await store.aclose()

    table = unique_table()  # fits, but without TTL: usable, with a warning, TTL left alone
    await client.create_table(
        TableName=table,
        KeySchema=KEY_SCHEMA,
        AttributeDefinitions=ATTRIBUTE_DEFINITIONS,
        GlobalSecondaryIndexes=definitions(),
        BillingMode="PAY_PER_REQUEST",
    )
    store = byo(table, ttl=60)
    with caplog.at_level(logging.WARNING, logger="sessions_plus.dynamodb"):
        assert await store.append(S, ["a"]) == [1]
    assert "no TTL" in caplog.text
    ttl = await client.describe_time_to_live(TableName=table)
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    await store.aclose()


async def test_template_matches_the_table_the_store_creates(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    await store.append(S, ["a"])
    client = await store.get_client()
    table = (await client.describe_table(TableName=store.table_name))["Table"]
    ttl = (await client.describe_time_to_live(TableName=store.table_name))["TimeToLiveDescription"]

    template = yaml.safe_load(TEMPLATE.read_text())
    resources = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(resources) == 1
    props = resources[0]["Properties"]

    def by_name(entries: list[dict[str, str]]) -> dict[str, str]:
        return {e["AttributeName"]: e.get("KeyType") or e.get("AttributeType", "") for e in entries}

    assert (
        by_name(props["KeySchema"]) == by_name(table["KeySchema"]) == {"pk": "HASH", "sk": "RANGE"}
    )
    assert by_name(props["AttributeDefinitions"]) == by_name(table["AttributeDefinitions"])

    def indexes(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            i["IndexName"]: (by_name(i["KeySchema"]), i["Projection"]["ProjectionType"])
            for i in entries
        }

    assert indexes(props["GlobalSecondaryIndexes"]) == indexes(table["GlobalSecondaryIndexes"])
    assert set(indexes(table["GlobalSecondaryIndexes"])) == {
        "sessions-plus-by-id",
        "sessions-plus-by-expiry",
    }
    assert props["BillingMode"] == table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration_time", "Enabled": True}
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration_time"}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert template["Parameters"]["TableName"]["Default"] == "sessions-plus"


async def test_ttl_being_enabled_is_tolerated(
    factory: StoreFactory, dynamodb_server: DynamoDBServer
) -> None:
    probe: DynamoDBStore = factory()  # type: ignore[assignment]
    await probe.append("x", ["x"])
    client = await probe.get_client()
    table = unique_table()
    await client.create_table(
        TableName=table,
        KeySchema=KEY_SCHEMA,
        AttributeDefinitions=ATTRIBUTE_DEFINITIONS,
        GlobalSecondaryIndexes=definitions(),
        BillingMode="PAY_PER_REQUEST",
    )
    # Another process turned TTL on while this one was starting: ENABLING is answered.
    client.meta.events.register(
        "before-send.dynamodb.UpdateTimeToLive",
        answer(400, "ValidationException", "TimeToLive is being updated"),
    )
    store = DynamoDBStore(
        table, region_name=REGION, endpoint_url=dynamodb_server.endpoint_url, client=client
    )
    assert await store.append(S, ["a"]) == [1]
    await store.aclose()
    assert (await client.describe_table(TableName=table))["Table"]["TableName"] == table
