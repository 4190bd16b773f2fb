"""Least privilege: integrations/aws/iam-policy.json lists exactly the actions the store uses.

Every API call the store makes during the test session is checked against the policy by the
fixture plugin (tests/fixtures/stores/dynamodb.py); here one store goes through every kind of
operation, from creating its table to purging, and must need exactly the policy's actions.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from integrations.dynamodb.server import REGION, DynamoDBServer
from sessions_plus import DynamoDBStore
from sessions_plus.backends.dynamodb.table import KEY_ATTRIBUTES, KEY_SCHEMA
from tests.fixtures.stores.dynamodb import POLICY, ApiCalls, iam_actions, unique_table

CREATE = {"CreateTable", "UpdateTable", "UpdateTimeToLive"}


def test_transactions_need_their_actions() -> None:
    items = [{"Put": {}}, {"Update": {}}, {"Delete": {}}, {"ConditionCheck": {}}]
    assert iam_actions("TransactWriteItems", {"TransactItems": items}) == {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "ConditionCheckItem",
    }
    assert iam_actions("TransactGetItems", {}) == {"GetItem"}
    assert iam_actions("Query", {}) == {"Query"}


def test_the_policy_separates_creating_from_using() -> None:
    policy = json.loads(POLICY.read_text())
    use, create = policy["Statement"]
    assert {a.removeprefix("dynamodb:") for a in create["Action"]} == CREATE
    assert not CREATE & {a.removeprefix("dynamodb:") for a in use["Action"]}
    assert any(r.endswith("/index/*") for r in use["Resource"]), "listing and purge query indexes"


async def test_every_operation_needs_exactly_the_policy(
    api_calls: ApiCalls, dynamodb_server: DynamoDBServer
) -> None:
    big = "x" * 500_000  # chunk items
    api_calls.take()
    table = unique_table()

    def open_(**options: object) -> DynamoDBStore:
        return DynamoDBStore(
            table, region_name=REGION, endpoint_url=dynamodb_server.endpoint_url, **options
        )  # type: ignore[arg-type]

    store = open_(ttl=600)
    await store.append("s", ["a", "b", "c"])
    await store.append("s", [{"i": i} for i in range(150)])  # more than one transaction
    await store.append("s", [big])
    await store.read("s", limit=2)
    await store.read("s", after=3, limit=5, keep="earliest")
    await store.read_data("s")
    await store.replace("s", 2, "B")
    await store.pop("s")
    await store.splice("s", 140, ["z"])
    await store.trim("s", keep_last=5)
    await store.clear("s", stream="other")
    await store.put_doc("s", "d", {"big": big})
    await store.get_doc("s", "d")
    await store.list_docs("s")
    await store.info("s")
    await store.list_sessions(prefix="s")
    await store.fork("s", "copy")
    snapshot = await store.snapshot("s")
    assert snapshot is not None
    await store.restore(snapshot, session_id="restored")
    await store.delete("copy", updated_before=1e12)
    forever = open_()  # no TTL: the session's items lose their expiration (UpdateItem)
    await forever.append("s", ["kept forever"])
    short = open_(ttl=0.3)
    await short.append("gone", ["x"])
    await asyncio.sleep(0.6)
    assert await short.purge_expired() == 1
    for one in (store, forever, short):
        await one.aclose()

    # A bring-your-own table without the indexes: the store adds them.
    table = unique_table()
    raw = DynamoDBStore(
        unique_table(), region_name=REGION, endpoint_url=dynamodb_server.endpoint_url
    )
    raw_client = await raw.get_client()
    await raw_client.create_table(
        TableName=table,
        KeySchema=KEY_SCHEMA,
        AttributeDefinitions=KEY_ATTRIBUTES,
        BillingMode="PAY_PER_REQUEST",
    )
    upgraded = DynamoDBStore(table, region_name=REGION, endpoint_url=dynamodb_server.endpoint_url)
    await upgraded.append("s", ["a"])
    await upgraded.aclose()
    await raw.aclose()

    used = api_calls.take()
    assert used == api_calls.allowed, (
        f"not used: {sorted(api_calls.allowed - used)}; outside the policy: "
        f"{sorted(used - api_calls.allowed)}"
    )


def test_a_store_call_outside_the_policy_fails() -> None:
    calls = ApiCalls({"GetItem"})
    # A call made from the store's own code (its file name says so), needing Scan.
    code = compile("hook(model=model, params={})", "sessions_plus/backends/dynamodb/x.py", "exec")
    with pytest.raises(AssertionError, match="Scan"):
        exec(code, {"hook": calls.hook, "model": SimpleNamespace(name="Scan")})
    assert calls.violations == ["Scan needs ['Scan']"]
    calls.hook(model=SimpleNamespace(name="Scan"), params={})  # a test's own call: not checked
    assert calls.seen == {"Scan"} and len(calls.violations) == 1
