"""DynamoDBStore: Key layout and item attributes.

Over real HTTP against moto's server; request counts and injected faults use botocore event
hooks on the store's own client (see helpers.py).
"""

from __future__ import annotations

from collections import Counter

from sessions_plus import (
    DynamoDBStore,
)
from sessions_plus.backends.dynamodb.keys import MAX_PK_BYTES, log_pk, meta_pk, partition
from tests.fixtures.factory import StoreFactory

from .helpers import S, raw_items


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
