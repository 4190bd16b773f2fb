"""Items: every JSON value round-trips; bad and too-large items are rejected before writing.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from sessions_plus import (
    ConversationStore,
    InvalidItemError,
    RecordTooLargeError,
)
from tests.contract.helpers import (
    S,
    assert_same_json,
    data,
    listed_ids,
)
from tests.fixtures.factory import StoreFactory

# ---------------------------------------------------------------------------- items


def _cycle_list() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


def _cycle_dict() -> dict[str, Any]:
    value: dict[str, Any] = {"a": {}}
    value["a"]["back"] = value
    return value


def _deep(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


BAD_ITEMS: list[Any] = [
    float("nan"),
    float("inf"),
    -float("inf"),
    {"nested": [1, {"x": float("nan")}]},
    b"bytes",
    bytearray(b"x"),
    {1, 2},
    frozenset(),
    object(),
    1j,
    _cycle_list(),
    _cycle_dict(),
    {1: "int key"},
    {"ok": {None: "none key"}},
    {("t",): "tuple key"},
    _deep(101),
    10**5000,
]


async def test_invalid_items_are_rejected_and_nothing_is_written(
    store: ConversationStore,
) -> None:
    await store.append(S, ["before"])
    await store.put_doc(S, "doc", "before")
    for bad in BAD_ITEMS:
        with pytest.raises(InvalidItemError):
            await store.append(S, ["valid", {"also": "valid"}, bad])
        with pytest.raises(InvalidItemError):
            await store.append("fresh", ["valid", bad, "valid"])
        with pytest.raises(InvalidItemError):
            await store.splice(S, 1, ["valid", bad])
        with pytest.raises(InvalidItemError):
            await store.replace(S, 1, bad)
        with pytest.raises(InvalidItemError):
            await store.put_doc(S, "doc", bad)
        with pytest.raises(InvalidItemError):
            await store.put_doc("fresh", "doc", bad)
    assert data(await store.read(S)) == ["before"]
    assert await store.get_doc(S, "doc") == "before"
    assert await store.info("fresh") is None
    assert await listed_ids(store) == [S]
    assert await store.append(S, [_deep(100)]) == [2]  # the deepest accepted nesting
    assert data(await store.read(S, after=1)) == [_deep(100)]


async def test_record_too_large(store_factory: StoreFactory) -> None:
    store = store_factory(max_record_bytes=100)
    fits = "x" * 98  # 100 bytes encoded with its quotes
    assert await store.append(S, [fits]) == [1]
    with pytest.raises(RecordTooLargeError) as caught:
        await store.append(S, ["small", "x" * 99])
    assert (caught.value.size, caught.value.limit) == (101, 100)
    with pytest.raises(RecordTooLargeError):
        await store.append("fresh", ["small", "é" * 50])  # 102 bytes of UTF-8
    with pytest.raises(RecordTooLargeError):
        await store.replace(S, 1, "x" * 200)
    with pytest.raises(RecordTooLargeError):
        await store.splice(S, 1, ["x" * 200])
    with pytest.raises(RecordTooLargeError):
        await store.put_doc(S, "doc", {"k": "x" * 200})
    assert data(await store.read(S)) == [fits]
    assert await store.list_docs(S) == []
    assert await store.info("fresh") is None


ROUND_TRIP_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64 + 7,
    10**40,
    -(10**40),
    0.0,
    -0.0,
    0.1,
    1.5,
    -2.5e-10,
    1e308,
    5e-324,
    1.0,
    "",
    "plain",
    "ünïcödé 日本語 🙂",
    "\x00\x01\x1f\x7f",
    "\u2028\u2029",
    'quote " backslash \\ slash /',
    "lone \ud800 surrogate",
    "\n\r\t",
    "x" * 10_000,
    [],
    {},
    [[]],
    [{}],
    {"": ""},
    {"": {}},
    {"a": None},
    (1, "tuple"),
    [1, 1.0, True, None, "1"],
    {"z": 1, "a": 2, "m": {"nested": [1, {"deep": [None, False]}]}},
    {"key with spaces": 1, "ключ": 2, "🙂": 3, "\x00": 4, "a.b": 5, "$": 6},
    {"role": "user", "content": [{"type": "input_text", "text": "hello"}]},
    _deep(50),
]


async def test_every_json_value_round_trips(store: ConversationStore) -> None:
    await store.append(S, ROUND_TRIP_VALUES)
    records = await store.read(S)
    assert len(records) == len(ROUND_TRIP_VALUES)
    for record, want in zip(records, ROUND_TRIP_VALUES, strict=True):
        assert_same_json(record.data, want, f"seq {record.seq}")
    docs: dict[str, Any] = {"all": ROUND_TRIP_VALUES}
    docs.update({f"doc{i}": v for i, v in enumerate([None, True, 0, -0.0, 2**64, "", [], {}])})
    for name, want in docs.items():
        await store.put_doc(S, name, want)
    for name, want in docs.items():
        assert_same_json(await store.get_doc(S, name), want, name)
    await store.replace(S, 1, {"replaced": [1.5, -0.0, 2**64]})
    assert_same_json(
        (await store.read(S, limit=1, keep="earliest"))[0].data, {"replaced": [1.5, -0.0, 2**64]}
    )
    popped = await store.pop(S)
    assert popped is not None
    assert_same_json(popped.data, ROUND_TRIP_VALUES[-1])


async def test_large_records_within_the_limit(store: ConversationStore) -> None:
    """Records far above a backend's native item limit (DynamoDB: 400 KB) are still stored."""
    big = {"text": "".join(chr(0x20 + (i * 7919) % 0x5E) for i in range(500_000))}
    assert await store.append(S, ["small", big, "after"]) == [1, 2, 3]
    assert data(await store.read(S)) == ["small", big, "after"]
    assert data(await store.read(S, limit=2)) == [big, "after"]
    await store.replace(S, 1, big)
    assert data(await store.read(S, limit=1, keep="earliest")) == [big]
    assert await store.put_doc(S, "big", big) is True
    assert await store.get_doc(S, "big") == big
    popped = await store.pop(S)
    assert popped is not None and popped.data == "after"
    assert await store.splice(S, 2, [big, big]) == [2, 3]
    assert data(await store.read(S)) == [big, big, big]
    info = await store.info(S)
    assert info is not None and dict(info.streams) == {"main": 3}
