"""DynamoDBStore: TTL. Reads filter expired sessions, the horizon keeps DynamoDB's sweeper
off live ones, superseded incarnations and purge remove items.

Over real HTTP against moto's server; request counts and injected faults use botocore event
hooks on the store's own client (see helpers.py).
"""

from __future__ import annotations

import asyncio
import time

from sessions_plus import (
    DynamoDBStore,
)
from sessions_plus.backends.dynamodb.keys import doc_pk, meta_pk
from tests.fixtures.factory import StoreFactory

from .helpers import S, incompressible, raw_items, sweep


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
