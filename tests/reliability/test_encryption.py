"""EncryptedStore on every backend: round trip, rotation, moved and tampered records, keys."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sys
from typing import Any

import pytest

from sessions_plus import (
    ConfigurationError,
    ConflictError,
    ConversationStore,
    CorruptRecordError,
    EncryptedStore,
    MemoryStore,
    MissingDependencyError,
    StoreClosedError,
)
from tests.fixtures.factory import StoreFactory

SECRET = "the launch code is 0000"

Keys = list[tuple[str, bytes]]


def wrap(inner: ConversationStore, keys: Keys, **options: Any) -> EncryptedStore:
    return EncryptedStore(inner, keys=keys, close_store=False, **options)


async def envelope(inner: ConversationStore, sid: str, seq: int, stream: str = "main") -> Any:
    """The stored envelope of one record, read through the inner store's public API."""
    (record,) = await inner.read(sid, stream=stream, after=seq - 1, before=seq + 1)
    return record.data


def flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


async def test_round_trip_stores_only_ciphertext(store_factory: StoreFactory, keys: Keys) -> None:
    inner = store_factory()
    store = wrap(inner, keys)
    items = [{"role": "user", "content": SECRET}, [1, 2.5, None, True], "é😀\u2028", 0]
    assert await store.append("s", items, format="fmt", author="me") == [1, 2, 3, 4]
    records = await store.read("s")
    assert [r.data for r in records] == items
    assert [(r.seq, r.format, r.author) for r in records] == [
        (i, "fmt", "me") for i in (1, 2, 3, 4)
    ]
    assert [r.data for r in await store.read("s", limit=2)] == items[2:]
    await store.replace("s", 2, {"redacted": True})
    assert (await store.read("s", after=1, before=3))[0].data == {"redacted": True}
    assert await store.splice("s", 4, ["x", "y"]) == [4, 5]
    popped = await store.pop("s")
    assert popped is not None and (popped.seq, popped.data) == (5, "y")
    assert await store.put_doc("s", "state", {"secret": SECRET})
    assert await store.get_doc("s", "state") == {"secret": SECRET}
    assert not await store.put_doc("s", "state", {}, if_absent=True)
    assert await store.list_docs("s") == ["state"]
    info = await store.info("s")
    assert info is not None and info.streams == {"main": 4}

    # The inner store holds envelopes only: no plaintext, the first key's id.
    for record in await inner.read("s"):
        assert set(record.data) == {"v", "k", "n", "c"}
        assert record.data["k"] == "k2"
        assert SECRET not in json.dumps(record.data)
        assert "launch" not in json.dumps(record.data)
    assert SECRET not in json.dumps(await inner.get_doc("s", "state"))


async def test_rotation_reads_old_keys_and_writes_with_the_first(
    store_factory: StoreFactory, keys: Keys
) -> None:
    inner = store_factory()
    (new, old) = keys
    await wrap(inner, [old]).append("s", ["old-1", "old-2"])
    await wrap(inner, [old]).put_doc("s", "d", "old-doc")
    rotated = wrap(inner, [new, old])
    assert rotated.key_ids == ("k2", "k1")
    await rotated.append("s", ["new-3"])
    assert [r.data for r in await rotated.read("s")] == ["old-1", "old-2", "new-3"]
    assert await rotated.get_doc("s", "d") == "old-doc"
    assert [(await envelope(inner, "s", seq))["k"] for seq in (1, 2, 3)] == ["k1", "k1", "k2"]
    # Re-encrypting an old record with the new key (replace) is how one retires a key.
    for record in await rotated.read("s"):
        await rotated.replace("s", record.seq, record.data)
    only_new = wrap(inner, [new])
    assert [r.data for r in await only_new.read("s")] == ["old-1", "old-2", "new-3"]
    # The document was not re-encrypted: without the old key it does not decrypt.
    with pytest.raises(CorruptRecordError, match="k1"):
        await only_new.get_doc("s", "d")


async def test_missing_and_wrong_keys(store_factory: StoreFactory, keys: Keys, caplog: Any) -> None:
    inner = store_factory()
    (new, old) = keys
    await wrap(inner, [old]).append("s", ["a"])
    await wrap(inner, [new]).append("s", ["b"])
    only_new = wrap(inner, [new])
    with pytest.raises(CorruptRecordError) as info:
        await only_new.read("s")
    assert (info.value.session_id, info.value.stream, info.value.seq) == ("s", "main", 1)
    assert "'k1'" in str(info.value) and "not configured" in str(info.value)

    wrong = wrap(inner, [("k1", EncryptedStore.generate_key())])  # right id, wrong key
    with pytest.raises(CorruptRecordError, match="authentication failed") as info:
        await wrong.read("s", limit=2, keep="earliest", before=2)
    assert info.value.seq == 1

    skipping = wrap(inner, [new], on_corrupt="skip")
    with caplog.at_level(logging.DEBUG):
        assert [(r.seq, r.data) for r in await skipping.read("s")] == [(2, "b")]
    assert "seq=1" in caplog.text and "'s'" in caplog.text
    for _, key in keys:
        for form in (key.hex(), base64.b64encode(key).decode(), repr(key)):
            assert form not in caplog.text
            assert form not in repr(skipping)


async def test_record_moved_to_another_session_seq_or_stream_fails(
    store_factory: StoreFactory, keys: Keys
) -> None:
    inner = store_factory()
    store = wrap(inner, keys)
    await store.append("alice", ["alice-1", "alice-2"])
    await store.append("alice", ["alice-other"], stream="other")
    await store.append("bob", ["bob-1", "bob-2"])
    await store.put_doc("alice", "profile", {"name": "alice"})
    await store.put_doc("bob", "profile", {"name": "bob"})
    await store.put_doc("bob", "other", {"x": 1})
    alice_1 = await envelope(inner, "alice", 1)

    await inner.replace("bob", 2, alice_1)  # another session
    with pytest.raises(CorruptRecordError) as info:
        await store.read("bob")
    assert (info.value.session_id, info.value.seq) == ("bob", 2)
    assert [r.data for r in await store.read("bob", limit=1, keep="earliest")] == ["bob-1"]

    await inner.replace("alice", 2, alice_1)  # another seq of the same stream
    with pytest.raises(CorruptRecordError) as info:
        await store.read("alice", after=1)
    assert (info.value.session_id, info.value.seq) == ("alice", 2)

    await inner.replace("alice", 1, alice_1, stream="other")  # another stream
    with pytest.raises(CorruptRecordError) as info:
        await store.read("alice", stream="other")
    assert (info.value.stream, info.value.seq) == ("other", 1)

    await inner.put_doc("bob", "profile", await inner.get_doc("alice", "profile"))
    with pytest.raises(CorruptRecordError, match="bob"):
        await store.get_doc("bob", "profile")
    await inner.put_doc("bob", "other", await inner.get_doc("alice", "profile"))
    with pytest.raises(CorruptRecordError, match="other"):
        await store.get_doc("bob", "other")
    assert await store.get_doc("alice", "profile") == {"name": "alice"}


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda e: {**e, "c": flip(e["c"])}, id="ciphertext-bit"),
        pytest.param(lambda e: {**e, "n": flip(e["n"])}, id="nonce-bit"),
        pytest.param(lambda e: {**e, "c": e["c"][:-8]}, id="truncated"),
        pytest.param(lambda e: {**e, "k": "k1"}, id="key-id-swapped"),
        pytest.param(lambda e: {**e, "v": 2}, id="unknown-version"),
        pytest.param(lambda e: {**e, "c": "!!not base64!!"}, id="bad-base64"),
        pytest.param(lambda e: {"role": "user", "content": "injected"}, id="plaintext-injected"),
        pytest.param(lambda e: "just a string", id="not-an-envelope"),
    ],
)
async def test_tampering_is_detected(store_factory: StoreFactory, keys: Keys, tamper: Any) -> None:
    inner = store_factory()
    store = wrap(inner, keys)
    await store.append("s", ["one", "two", "three"])
    await inner.replace("s", 2, tamper(await envelope(inner, "s", 2)))
    with pytest.raises(CorruptRecordError) as info:
        await store.read("s")
    assert (info.value.session_id, info.value.stream, info.value.seq) == ("s", "main", 2)
    skipping = wrap(inner, keys, on_corrupt="skip")
    assert [r.data for r in await skipping.read("s")] == ["one", "three"]
    # pop removes the record even though it does not decrypt, then reports it.
    await store.pop("s")
    with pytest.raises(CorruptRecordError):
        await store.pop("s")
    assert [r.data for r in await store.read("s")] == ["one"]


async def test_concurrent_appends_through_encrypted_stores(
    store_factory: StoreFactory, keys: Keys
) -> None:
    """Writers racing on one stream retry on conflict; every record decrypts, seqs gap-free."""
    inner = store_factory()
    # Two wrappers over one inner store (and, where shared, a second store object) race.
    others = [store_factory()] if store_factory.shared else [inner]
    stores = [wrap(inner, keys), wrap(others[0], keys)]

    batches = store_factory.scaled(5, 5, 2)  # moto: one request at a time

    async def writer(index: int) -> None:
        for n in range(batches):
            await stores[index % 2].append("s", [{"w": index, "n": n}, {"w": index, "n": n}])

    await asyncio.gather(*(writer(i) for i in range(8)))
    records = await stores[0].read("s")
    assert [r.seq for r in records] == list(range(1, 8 * batches * 2 + 1))
    for first, second in zip(records[::2], records[1::2], strict=True):
        assert first.data == second.data  # each batch kept together
    by_writer: dict[int, list[int]] = {}
    for record in records[::2]:
        by_writer.setdefault(record.data["w"], []).append(record.data["n"])
    assert by_writer == {w: list(range(batches)) for w in range(8)}


async def test_if_last_seq_and_conflict_budget(keys: Keys) -> None:
    inner = MemoryStore()
    store = wrap(inner, keys)
    assert await store.append("s", ["a"], if_last_seq=0) == [1]
    with pytest.raises(ConflictError):
        await store.append("s", ["b"], if_last_seq=0)

    class AlwaysConflicting(MemoryStore):
        async def write_log(self, write: Any) -> int:
            raise ConflictError("someone else was first")

    busy = wrap(AlwaysConflicting(), keys, append_retries=3)
    with pytest.raises(ConflictError, match="after 3 retries"):
        await busy.append("s", ["x"])
    assert await busy.read("s") == []


async def test_last_seq_round_trip_is_cached_for_a_single_writer(keys: Keys) -> None:
    inner = MemoryStore()
    store = wrap(inner, keys)
    calls = 0
    real_last_seq = inner.last_seq

    async def counting_last_seq(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        return await real_last_seq(*args, **kwargs)

    inner.last_seq = counting_last_seq  # type: ignore[method-assign]
    await store.append("s", ["a"])
    await store.append("s", ["b"])
    await store.append("s", ["c"])
    assert calls == 1
    await wrap(inner, keys).append("s", ["from another writer"])  # makes the cache stale
    calls = 0
    await store.append("s", ["d"])  # conflicts once, re-reads, succeeds
    assert calls == 1
    assert [r.data for r in await store.read("s")] == ["a", "b", "c", "from another writer", "d"]


async def test_key_configuration_errors_never_echo_keys() -> None:
    key = EncryptedStore.generate_key()
    assert len(key) == 32
    inner = MemoryStore()
    bad: list[Any] = [
        [],
        {},
        [("k", key[:16])],
        [("k", key), ("k", key)],
        [("", key)],
        [(1, key)],
        [("k" * 65, key)],
        [("k", key.hex())],
        ["not a pair"],
    ]
    for spec in bad:
        with pytest.raises(ConfigurationError) as info:
            EncryptedStore(inner, keys=spec)
        assert key.hex() not in str(info.value) and repr(key) not in str(info.value)
        assert repr(key[:16]) not in str(info.value)
    with pytest.raises(ConfigurationError):
        EncryptedStore(inner, keys={"k": key}, append_retries=-1)
    with pytest.raises(ConfigurationError):
        EncryptedStore(object(), keys={"k": key})  # type: ignore[arg-type]
    store = EncryptedStore(inner, keys={"k": key})
    assert key.hex() not in repr(store) and repr(key) not in repr(store)


async def test_options_and_closing(keys: Keys) -> None:
    inner = MemoryStore(ttl=60, on_corrupt="skip", max_record_bytes=1000)
    store = EncryptedStore(inner, keys=keys)
    assert (store.ttl, store.on_corrupt, store.codec.max_record_bytes) == (60, "skip", 1000)
    assert store.store is inner
    info_store = await store.append("s", ["x"])
    assert info_store == [1]
    info = await store.info("s")
    assert info is not None and info.expires_at is not None
    await store.aclose()
    assert inner.closed  # closes the wrapped store by default

    inner = MemoryStore()
    kept = EncryptedStore(inner, keys=keys, close_store=False)
    await kept.aclose()
    assert not inner.closed
    with pytest.raises(StoreClosedError):
        await kept.read("s")
    closed_inner = wrap(inner, keys)
    await inner.aclose()
    with pytest.raises(StoreClosedError):
        await closed_inner.read("s")


def test_missing_cryptography_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(MissingDependencyError, match=r"sessions-plus\[encryption\]"):
        EncryptedStore(MemoryStore(), keys={"k": b"\0" * 32})
