"""Corrupt stored data on every backend: typed errors by default, an explicit logged skip."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sessions_plus import CorruptRecordError
from tests.fixtures.factory import StoreFactory

GARBAGE = [
    pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
    pytest.param(b'{"role": "user", "content": ', id="truncated-json"),
    pytest.param(b"", id="empty"),
]


@pytest.mark.parametrize("garbage", GARBAGE)
async def test_corrupt_record_is_a_typed_error_and_the_rest_stays_readable(
    store_factory: StoreFactory, garbage: bytes, caplog: Any
) -> None:
    store = store_factory()
    sid = "victim:{1}"
    await store.append(sid, [f"r{n}" for n in range(1, 6)], format="f", author="a")
    await store.append("bystander", ["fine"])
    await store_factory.plant_record(store, sid, 3, garbage)

    with pytest.raises(CorruptRecordError) as info:
        await store.read(sid)
    err = info.value
    assert (err.session_id, err.stream, err.seq) == (sid, "main", 3)
    assert "seq=3" in str(err) and repr(sid) in str(err)
    # Everything around it still reads, as does every other session.
    assert [r.data for r in await store.read(sid, limit=2)] == ["r4", "r5"]
    assert [r.data for r in await store.read(sid, before=3)] == ["r1", "r2"]
    assert [r.data for r in await store.read("bystander")] == ["fine"]
    info_ = await store.info(sid)
    assert info_ is not None and info_.streams == {"main": 5}

    # on_corrupt="skip" is an explicit choice: left out, and logged without the payload.
    skipping = store_factory(on_corrupt="skip") if store_factory.shared else store
    if not store_factory.shared:
        skipping.on_corrupt = "skip"
    with caplog.at_level(logging.WARNING, logger="sessions_plus"):
        records = await skipping.read(sid)
    assert [(r.seq, r.data) for r in records] == [(1, "r1"), (2, "r2"), (4, "r4"), (5, "r5")]
    assert [(r.format, r.author) for r in records] == [("f", "a")] * 4
    warnings = [r for r in caplog.records if r.name == "sessions_plus"]
    assert len(warnings) == 1 and "seq=3" in warnings[0].getMessage()
    assert repr(sid) in warnings[0].getMessage()
    if garbage:
        assert (
            repr(garbage) not in caplog.text and garbage.decode(errors="ignore") not in caplog.text
        )

    # The corrupt record can still be removed and the session goes on.
    store.on_corrupt = "raise"
    assert (await store.pop(sid)).data == "r5"  # type: ignore[union-attr]
    assert (await store.pop(sid)).data == "r4"  # type: ignore[union-attr]
    with pytest.raises(CorruptRecordError) as info:
        await store.pop(sid)
    assert info.value.seq == 3
    assert await store.append(sid, ["r3-again"]) == [3]
    assert [r.data for r in await store.read(sid)] == ["r1", "r2", "r3-again"]


async def test_corrupt_record_can_be_redacted_with_replace(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.append("s", ["a", "b"])
    await store_factory.plant_record(store, "s", 1, b"\x00\x01")
    with pytest.raises(CorruptRecordError):
        await store.read("s")
    await store.replace("s", 1, {"redacted": True})
    assert [r.data for r in await store.read("s")] == [{"redacted": True}, "b"]


async def test_corrupt_document_is_a_typed_error(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.put_doc("s", "state", {"ok": True})
    await store.put_doc("s", "other", {"ok": True})
    await store_factory.plant_doc(store, "s", "state", b"\xff{")
    with pytest.raises(CorruptRecordError) as info:
        await store.get_doc("s", "state")
    assert info.value.session_id == "s" and "state" in str(info.value)
    assert await store.get_doc("s", "other") == {"ok": True}
    assert await store.list_docs("s") == ["other", "state"]
    await store.put_doc("s", "state", {"fixed": True})
    assert await store.get_doc("s", "state") == {"fixed": True}
