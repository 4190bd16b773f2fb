"""DynamoDBStore behaviour beyond the shared contract, over real HTTP against moto's server.

Request counts are taken with botocore event hooks on the store's own client; throttling and
conflicts are injected the same way (a ``before-send`` handler answering instead of the server).
moto never deletes expired items, so what reads return after expiry is the store's own filter.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import yaml

from integrations.dynamodb.server import REGION, DynamoDBServer, free_port
from sessions_plus import (
    ConfigurationError,
    ConflictError,
    DynamoDBStore,
    StoreUnavailableError,
    open_store,
)
from sessions_plus.backends.dynamodb.index import definitions
from sessions_plus.backends.dynamodb.keys import MAX_PK_BYTES, doc_pk, log_pk, meta_pk, partition
from sessions_plus.backends.dynamodb.table import ATTRIBUTE_DEFINITIONS, KEY_ATTRIBUTES, KEY_SCHEMA
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import REPO_ROOT, output_of, start_python
from tests.fixtures.stores.dynamodb import dynamodb_url, unique_table

TEMPLATE = REPO_ROOT / "integrations" / "aws" / "dynamodb-table.yaml"
S = "session-1"


@pytest.fixture
async def factory(dynamodb_store_factory: StoreFactory) -> AsyncIterator[StoreFactory]:
    yield dynamodb_store_factory


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


# ---------------------------------------------------------------------------- layout


def test_partition_keys_escape_and_never_collide() -> None:
    pairs = [("a#b", "c"), ("a", "b#c"), ("a%23b", "c"), ("a%b", "c"), ("a", "b%23c")]
    keys = {log_pk(sid, stream) for sid, stream in pairs}
    assert len(keys) == len(pairs)
    assert log_pk("a#b", "c") == "L#a%23b#c"
    assert meta_pk("x") == "M#x" and meta_pk("x") != log_pk("x", "")
    long = "🙂" * 256  # 1,024 bytes each: the readable key would pass 2,048 bytes
    hashed = log_pk(long, long)
    assert hashed.startswith("L!") and len(hashed.encode()) <= MAX_PK_BYTES
    assert hashed != log_pk(long, long[:-1] + "x")
    assert partition("M", long).startswith("M#")


async def test_items_layout_and_json_payloads(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    await store.append(S, [{"n": 1.5, "big": 2**70}], author="bot", format="fmt")
    await store.put_doc(S, "state", {"x": 1})
    items = await raw_items(store)
    by_kind = Counter(item["pk"]["S"][0] for item in items)
    assert by_kind == {"M": 1, "L": 1, "D": 1}
    record = next(item for item in items if item["pk"]["S"].startswith("L#"))
    assert record["p"] == {"S": '{"n":1.5,"big":1180591620717411303424}'}, "JSON text payload"
    assert record["a"] == {"S": "bot"} and record["f"] == {"S": "fmt"}
    meta = next(item for item in items if item["pk"]["S"].startswith("M#"))
    assert meta["sid"] == {"S": S} and meta["sk"] == {"N": "0"}
    assert all("expiration_time" not in item for item in items), "no TTL: nothing expires"


# ---------------------------------------------------------------------------- concurrency

CHILD = r"""
import asyncio, json, sys
from sessions_plus import open_store

async def main(url, sid, name, batches):
    async with open_store(url) as store:
        for b in range(batches):
            size = 120 if b == 3 else 1 + b % 3  # one append too big for one transaction
            items = [{"w": name, "b": b, "k": k} for k in range(size)]
            print(json.dumps(await store.append(sid, items)), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
"""


async def test_four_processes_append_to_one_session(factory: StoreFactory) -> None:
    sid = "shared #1 %/é"
    url = factory.url()
    children = [await start_python(CHILD, url, sid, f"p{n}", "6") for n in range(4)]
    assigned: dict[str, list[list[int]]] = {}
    for n, child in enumerate(children):
        out = await output_of(child)
        assigned[f"p{n}"] = [json.loads(line) for line in out.splitlines()]
    store = factory()
    records = await store.read(sid)
    total = sum(len(seqs) for batches in assigned.values() for seqs in batches)
    assert [r.seq for r in records] == list(range(1, total + 1)), "gap-free, no duplicates"
    by_seq = {r.seq: r.data for r in records}
    for name, batches in assigned.items():
        for b, seqs in enumerate(batches):
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "one call, consecutive"
            assert [by_seq[s] for s in seqs] == [
                {"w": name, "b": b, "k": k} for k in range(len(seqs))
            ]
        firsts = [seqs[0] for seqs in batches]
        assert firsts == sorted(firsts), "each writer's appends keep their order"
    info = await store.info(sid)
    assert info is not None and info.streams == {"main": total}


async def test_big_append_is_split_and_stays_consecutive(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    other = factory()
    await store.append(S, ["first"])
    requests = Requests(await store.get_client())
    big = [{"i": i} for i in range(250)]

    async def small_writes() -> list[list[int]]:
        return [await other.append(S, [f"small{i}"]) for i in range(5)]

    seqs, smalls = await asyncio.gather(store.append(S, big), small_writes())
    assert seqs == list(range(seqs[0], seqs[0] + 250))
    assert requests.take()["TransactWriteItems"] >= 4, "lock + 3 batches of at most 99"
    records = await store.read(S)
    assert [r.seq for r in records] == list(range(1, 257))
    assert [r.data for r in records if r.seq in seqs] == big
    assert sorted(s[0] for s in smalls) == [r.seq for r in records if str(r.data)[:5] == "small"]

    # A splice whose dropped tail needs more than one transaction.
    assert await store.splice(S, 10, ["x", "y"]) == [10, 11]
    records = await store.read(S)
    assert [r.seq for r in records] == list(range(1, 12))
    assert [r.data for r in records][-2:] == ["x", "y"]
    leftover = [i for i in await raw_items(store) if i["pk"]["S"].startswith("L#")]
    assert len(leftover) == 11, "the dropped records were deleted"


async def test_append_over_four_megabytes_is_split(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    await store.append(S, ["warm"])
    requests = Requests(await store.get_client())
    items = [incompressible(300_000, seed) for seed in range(13)]  # 3.9 MB inline
    assert await store.append(S, items) == list(range(2, 15))
    assert requests.take()["TransactWriteItems"] >= 3
    assert [r.data for r in await store.read(S, after=1)] == items


async def test_conflict_on_stale_cache_costs_one_retry(factory: StoreFactory) -> None:
    one: DynamoDBStore = factory()  # type: ignore[assignment]
    two: DynamoDBStore = factory()  # type: ignore[assignment]
    await one.append(S, ["a"])
    await two.append(S, ["b"])  # one's cached meta is now stale
    requests = Requests(await one.get_client())
    assert await one.append(S, ["c"]) == [3]
    counts = requests.take()
    assert counts == {"TransactWriteItems": 2}, "the failed transaction returned the fresh meta"


# ---------------------------------------------------------------------------- requests per op


async def test_requests_per_operation(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    await store.append("warm-up", ["x"])  # table check happens once, before counting
    requests = Requests(await store.get_client())

    assert await store.append(S, ["a", "b"]) == [1, 2]
    assert requests.total() <= 2, "append, cold cache"
    await store.append(S, ["c"])
    assert requests.take() == {"TransactWriteItems": 1}, "append, warm cache"
    assert [r.data for r in await store.read(S, limit=2)] == ["b", "c"]
    assert requests.take() == {"Query": 1}, "latest-N is one Query"
    assert len(await store.read(S)) == 3
    assert requests.take() == {"Query": 1}
    await store.put_doc(S, "d", {"k": 1})
    assert requests.take() == {"TransactWriteItems": 1}
    assert await store.get_doc(S, "d") == {"k": 1}
    assert requests.take() == {"BatchGetItem": 1}
    assert (await store.info(S)) is not None
    assert requests.take() == {"GetItem": 1}
    assert await store.read(S, after=1, limit=1, keep="earliest")
    assert requests.total() == 2, "ranged read: meta + Query"

    fresh = factory()
    await fresh.append(S, ["d"])
    fresh_requests = Requests(await fresh.get_client())  # type: ignore[attr-defined]
    await fresh.append(S, ["e"])
    assert fresh_requests.total() == 1

    with_ttl: DynamoDBStore = factory(ttl=60)  # type: ignore[assignment]
    await with_ttl.append("t", ["a"])
    ttl_requests = Requests(await with_ttl.get_client())
    await with_ttl.append("t", ["b"])
    assert ttl_requests.total() == 1
    assert len(await with_ttl.read("t", limit=5)) == 2
    assert ttl_requests.take() == {"Query": 1}, "the top record proves the session live"


# ---------------------------------------------------------------------------- large items


async def test_large_records_are_compressed_or_chunked(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory(ttl=3600)  # type: ignore[assignment]
    compressible = {"text": "abc" * 400_000}  # 1.2 MB, compresses to a few KB
    half_mb = incompressible(500_000, 1)
    several_mb = incompressible(3_000_000, 2)
    assert await store.append(S, [compressible, half_mb, several_mb, "tail"]) == [1, 2, 3, 4]
    assert [r.data for r in await store.read(S)] == [compressible, half_mb, several_mb, "tail"]
    assert [r.data for r in await store.read(S, limit=2)] == [several_mb, "tail"]
    assert await store.read_data(S) == [compressible, half_mb, several_mb, "tail"]
    assert await store.read_data(S, after=1, keep="earliest") == [half_mb, several_mb, "tail"]
    await store.put_doc(S, "doc", several_mb)
    assert await store.get_doc(S, "doc") == several_mb

    items = await raw_items(store)
    records = sorted(
        (i for i in items if i["pk"]["S"].startswith("L#")), key=lambda i: int(i["sk"]["N"])
    )
    assert "z" in records[0] and "bn" not in records[0], "compressed inline"
    assert "bn" in records[1] and "bn" in records[2], "still too large: chunk items"
    chunks = [i for i in items if i["pk"]["S"].startswith("B#")]
    assert all(len(i["p"]["B"]) <= 400_000 for i in chunks)
    assert all("expiration_time" in i for i in items), "chunks expire with their session"

    assert (await store.pop(S)) is not None
    popped = await store.pop(S)
    assert popped is not None and popped.data == several_mb
    await store.replace(S, 2, "small now")
    await store.delete_doc(S, "doc")
    chunks = [i for i in await raw_items(store) if i["pk"]["S"].startswith("B#")]
    assert chunks == [], "chunks of replaced, popped and deleted payloads are removed"
    assert [r.data for r in await store.read(S)] == [compressible, "small now"]


async def test_pagination_past_one_megabyte_pages(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory()  # type: ignore[assignment]
    items = [incompressible(120_000, seed) for seed in range(26)]  # about 3.1 MB
    await store.append(S, items[:13])
    await store.append(S, items[13:])
    requests = Requests(await store.get_client())
    assert [r.data for r in await store.read(S)] == items
    assert requests.take()["Query"] >= 4, "3 MB come back in 1 MB pages"
    assert [r.data for r in await store.read(S, limit=20)] == items[-20:]
    assert [r.data for r in await store.read(S, after=2, keep="earliest")] == items[2:]
    assert [r.data for r in await store.read(S, before=25, limit=24)] == items[:24]


# ---------------------------------------------------------------------------- TTL


async def test_ttl_filtering_horizon_and_sweeper(factory: StoreFactory) -> None:
    """Reads hide expired sessions whatever is stored; the sweeper never eats a live session."""
    store: DynamoDBStore = factory(ttl=1.5)  # type: ignore[assignment]
    big = incompressible(500_000, 3)
    start = time.time()
    await store.append("live", ["a", big], stream="s1")
    await store.put_doc("live", "d", {"v": 1})
    await store.append("dies", ["old"])
    await store.put_doc("dies", "d", "old")
    start = time.time()  # a slow first request (the table) must not shorten the wait below
    for step in range(1, 6):  # writes every 0.7 s keep "live" alive past its first horizon (3 s)
        await asyncio.sleep(max(0.0, start + 0.7 * step - time.time()))
        await store.append("live", [step])
    info = await store.info("live")
    assert info is not None and info.expires_at is not None
    items = await raw_items(store)
    live_items = [i for i in items if "live" in i["pk"]["S"] or i["pk"]["S"].startswith("B#")]
    assert all(float(i["expiration_time"]["N"]) >= info.expires_at for i in live_items), (
        "every item of a live session expires no earlier than the session"
    )

    # moto deleted nothing: the expired session's items are all still stored ...
    assert any(i["pk"]["S"] == meta_pk("dies") for i in items)
    # ... yet it is gone for every read.
    assert await store.read("dies") == [] and await store.read("dies", limit=1) == []
    assert await store.get_doc("dies", "d") is None and await store.info("dies") is None
    assert [s.session_id for s in (await store.list_sessions()).sessions] == ["live"]

    # What DynamoDB's sweeper may delete by now takes nothing from the live session.
    await sweep(store, time.time())
    assert [r.data for r in await store.read("live", stream="s1")] == ["a", big]
    assert [r.data for r in await store.read("live")] == [1, 2, 3, 4, 5]
    assert await store.get_doc("live", "d") == {"v": 1}

    # A write to the expired session starts a new one; nothing old comes back.
    assert await store.append("dies", ["new"]) == [1]
    assert [r.data for r in await store.read("dies")] == ["new"]
    assert await store.get_doc("dies", "d") is None
    assert await store.purge_expired() == 0, "nothing expired is left to purge"


async def test_purge_expired_removes_the_items(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory(ttl=0.3)  # type: ignore[assignment]
    await store.append("gone", ["a", incompressible(500_000)])
    await store.append("gone", ["b"], stream="other")
    await store.put_doc("gone", "d", 1)
    await asyncio.sleep(0.4)
    keeper: DynamoDBStore = factory(ttl=60)  # type: ignore[assignment]
    await keeper.append("kept", ["k"])
    assert await store.purge_expired() == 1
    remaining = await raw_items(store)
    assert remaining and all("kept" in i["pk"]["S"] for i in remaining)


async def test_write_after_expiry_removes_the_old_incarnations_items(
    factory: StoreFactory,
) -> None:
    store: DynamoDBStore = factory(ttl=1.0)  # type: ignore[assignment]
    await store.append("s", ["a", incompressible(500_000)])
    await store.append("s", ["x"], stream="other")
    await store.put_doc("s", "d", incompressible(500_000))
    await store.put_doc("s", "kept-name", 1)
    old_keys = {(i["pk"]["S"], i["sk"]["N"]) for i in await raw_items(store)}
    await asyncio.sleep(1.2)
    # The session expired; this write starts a new incarnation (reusing a doc name) ...
    await store.put_doc("s", "kept-name", 2)
    assert await store.append("s", ["fresh"]) == [1]
    items = await raw_items(store)
    # ... and nothing of the old one is left for a sweeper or purge_expired to find.
    assert not {(i["pk"]["S"], i["sk"]["N"]) for i in items} & (
        old_keys - {(doc_pk("s", "kept-name"), "0"), (meta_pk("s"), "0")}
    )
    assert [r.data for r in await store.read("s")] == ["fresh"]
    assert await store.get_doc("s", "kept-name") == 2 and await store.get_doc("s", "d") is None
    assert await store.purge_expired() == 0


async def test_ttl_none_writer_removes_expiration_from_every_item(factory: StoreFactory) -> None:
    expiring: DynamoDBStore = factory(ttl=60)  # type: ignore[assignment]
    await expiring.append(S, ["a", incompressible(500_000)])
    await expiring.put_doc(S, "d", 1)
    assert all("expiration_time" in i for i in await raw_items(expiring))
    forever: DynamoDBStore = factory()  # type: ignore[assignment]
    await forever.append(S, ["b"])
    assert all("expiration_time" not in i for i in await raw_items(forever))
    info = await forever.info(S)
    assert info is not None and info.expires_at is None and info.streams == {"main": 3}


# ---------------------------------------------------------------------------- tables


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
        _answer(400, "ValidationException", "TimeToLive is being updated"),
    )
    store = DynamoDBStore(
        table, region_name=REGION, endpoint_url=dynamodb_server.endpoint_url, client=client
    )
    assert await store.append(S, ["a"]) == [1]
    await store.aclose()
    assert (await client.describe_table(TableName=table))["Table"]["TableName"] == table


# ---------------------------------------------------------------------------- errors and retries


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard retry mode, with its backoff delays shortened for the test."""
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.01)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    async def read(self) -> bytes:
        return self._body


def _answer(
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
        return AioAWSResponse(request.url, status, headers, _Raw(body))

    return handler


async def test_throttling_is_retried_then_typed(factory: StoreFactory, quick_backoff: None) -> None:
    store: DynamoDBStore = factory(max_attempts=3)  # type: ignore[assignment]
    await store.append(S, ["a"])
    client = await store.get_client()
    requests = Requests(client)
    client.meta.events.register(
        "before-send.dynamodb.TransactWriteItems",
        _answer(400, "ThrottlingException", "Rate exceeded", times=2),
    )
    assert await store.append(S, ["b"]) == [2], "botocore retried the throttled attempts"
    assert requests.take()["TransactWriteItems"] == 3

    client.meta.events.register(
        "before-send.dynamodb.GetItem",
        _answer(400, "ProvisionedThroughputExceededException", "Slow down"),
    )
    with pytest.raises(StoreUnavailableError, match="ProvisionedThroughputExceeded"):
        await store.info(S)
    assert requests.take()["GetItem"] == 3, "max_attempts=3"


async def test_conflicts_that_survive_retries_raise(factory: StoreFactory) -> None:
    store: DynamoDBStore = factory(max_conflict_retries=3)  # type: ignore[assignment]
    await store.append(S, ["a"])
    client = await store.get_client()
    requests = Requests(client)
    client.meta.events.register(
        "before-send.dynamodb.TransactWriteItems",
        _answer(
            400,
            "TransactionCanceledException",
            "Transaction cancelled",
            CancellationReasons=[{"Code": "ConditionalCheckFailed"}, {"Code": "None"}],
        ),
    )
    with pytest.raises(ConflictError, match=r"kept conflicting .* \(3 retries"):
        await store.append(S, ["never"])
    assert requests.take()["TransactWriteItems"] == 4
    reader = factory()
    assert [r.data for r in await reader.read(S)] == ["a"], "nothing was written"


async def test_unreachable_endpoint_is_store_unavailable(quick_backoff: None) -> None:
    store = DynamoDBStore(
        "t-unreachable",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        max_attempts=2,
        connect_timeout=1,
    )
    with pytest.raises(StoreUnavailableError):
        await store.append(S, ["a"])
    await store.aclose()


# ---------------------------------------------------------------------------- options


async def test_url_options(dynamodb_server: DynamoDBServer) -> None:
    url = dynamodb_url(
        "tbl.name-1", dynamodb_server.endpoint_url, ttl=5, create_table=False, max_attempts=2
    )
    store = open_store(url)
    assert isinstance(store, DynamoDBStore)
    assert (store.table_name, store.region_name, store.ttl, store.create_table) == (
        "tbl.name-1",
        REGION,
        5.0,
        False,
    )
    assert store.endpoint_url == dynamodb_server.endpoint_url
    await store.aclose()
    with pytest.raises(ConfigurationError, match="unknown option"):
        open_store("dynamodb://tbl?regoin=us-east-1")
    with pytest.raises(ConfigurationError, match="table name"):
        open_store("dynamodb://x?region=us-east-1")
    with pytest.raises(ConfigurationError, match="retry_mode"):
        DynamoDBStore(retry_mode="sometimes")


async def test_a_client_handed_in_is_not_closed(
    factory: StoreFactory, dynamodb_server: DynamoDBServer
) -> None:
    probe: DynamoDBStore = factory()  # type: ignore[assignment]
    await probe.append("x", ["x"])
    client = await probe.get_client()
    store = DynamoDBStore(probe.table_name, client=client)
    assert await store.get_client() is client
    assert await store.append(S, ["a"]) == [1]
    await store.aclose()
    assert (await client.describe_table(TableName=probe.table_name))["Table"]
