"""DynamoDBStore: Payloads over 400 KB (compressed, chunked) and reads over 1 MB pages.

Over real HTTP against moto's server; request counts and injected faults use botocore event
hooks on the store's own client (see helpers.py).
"""

from __future__ import annotations

from sessions_plus import (
    DynamoDBStore,
)
from tests.fixtures.factory import StoreFactory

from .helpers import Requests, S, incompressible, raw_items


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
