"""JsonCodec: strict JSON that reads back equal, and the store's corrupt-record policy."""

from __future__ import annotations

import enum
import logging
import math
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_plus import (
    ConfigurationError,
    CorruptRecordError,
    InvalidItemError,
    JsonCodec,
    MemoryStore,
    RecordTooLargeError,
)
from sessions_plus.codec import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_RECORD_BYTES,
    MAX_PATH_CHARS,
    _plain,
    _validate,
)

codec = JsonCodec()


def nested(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_encoding_is_compact_utf8_json() -> None:
    assert codec.encode({"a": [1, 2.5, None, True], "b": "é"}) == (
        '{"a":[1,2.5,null,true],"b":"é"}'.encode()
    )
    assert codec.encode("日本") == '"日本"'.encode()  # not \\u-escaped: 3 bytes per char
    assert codec.decode(codec.encode({"x": 1})) == {"x": 1}
    assert codec.decode('{"x": 1}') == {"x": 1}


def test_defaults() -> None:
    assert codec.max_record_bytes == DEFAULT_MAX_RECORD_BYTES == 8 * 1024 * 1024
    assert codec.max_depth == DEFAULT_MAX_DEPTH == 100


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def _same(got: Any, want: Any) -> bool:
    if type(got) is not type(want):
        return False
    if isinstance(want, list):
        return len(got) == len(want) and all(map(_same, got, want))
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
    if isinstance(want, float):
        return got == want and math.copysign(1, got) == math.copysign(1, want)
    return bool(got == want)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_every_json_value_round_trips_with_its_type(value: Any) -> None:
    assert _same(codec.decode(codec.encode(value)), value)


@pytest.mark.parametrize(
    "value",
    ["lone \ud800", "\udfff", {"\ud83d": ["x\udc00y"]}, "mixed é \ud800 🙂"],
)
def test_lone_surrogates_round_trip_as_escapes(value: Any) -> None:
    data = codec.encode(value)
    data.decode("utf-8")  # always valid UTF-8 on the wire
    assert codec.decode(data) == value


def test_tuples_read_back_as_lists_and_subclasses_as_their_base() -> None:
    class Color(enum.IntEnum):
        RED = 1

    class Name(enum.StrEnum):
        BOB = "bob"

    assert codec.decode(codec.encode((1, (2, "x")))) == [1, [2, "x"]]
    assert codec.decode(codec.encode(OrderedDict(a=1))) == {"a": 1}
    assert codec.decode(codec.encode([Color.RED, Name.BOB])) == [1, "bob"]


def test_shared_references_are_not_cycles() -> None:
    shared = {"k": [1, 2]}
    assert codec.decode(codec.encode([shared, shared, {"again": shared}])) == [
        {"k": [1, 2]},
        {"k": [1, 2]},
        {"again": {"k": [1, 2]}},
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "$: nan is not valid JSON"),
        ({"a": [1, float("inf")]}, "$.a[1]: inf is not valid JSON"),
        ({"a": {"b": -float("inf")}}, "$.a.b: -inf is not valid JSON"),
        (b"x", "$: bytes is not JSON-representable"),
        ([1, {2}], "$[1]: set is not JSON-representable"),
        ({"o": object()}, "$.o: object is not JSON-representable"),
        (Decimal("1.5"), "$: Decimal is not JSON-representable"),
        ({"x": {1: 2}}, "$.x: dict key 1 is int, not str"),
        ({None: 1}, "$: dict key None is NoneType, not str"),
    ],
)
def test_rejected_values_name_their_path(value: Any, message: str) -> None:
    with pytest.raises(InvalidItemError) as caught:
        codec.encode(value)
    assert str(caught.value) == message


def test_depth_limit_is_exact() -> None:
    assert codec.decode(codec.encode(nested(DEFAULT_MAX_DEPTH))) == nested(DEFAULT_MAX_DEPTH)
    with pytest.raises(InvalidItemError, match="nested deeper than 100 levels"):
        codec.encode(nested(DEFAULT_MAX_DEPTH + 1))
    shallow = JsonCodec(max_depth=3)
    shallow.encode({"a": {"b": {"c": 1}}})
    with pytest.raises(InvalidItemError, match=r"^\$\.a\.b\.c: nested deeper than 3"):
        shallow.encode({"a": {"b": {"c": {}}}})


def test_very_deep_nesting_does_not_recurse() -> None:
    with pytest.raises(InvalidItemError, match="nested deeper"):
        codec.encode(nested(100_000))
    # A limit deeper than the interpreter's stack: still a typed error, never RecursionError.
    with pytest.raises(InvalidItemError, match="too deep for the JSON encoder"):
        JsonCodec(max_depth=10**6).encode(nested(100_000))


class _Str(str):
    pass


class _Int(int):
    pass


class _Dict(dict):  # type: ignore[type-arg]
    pass


@pytest.mark.parametrize(
    "item",
    [
        {"a": [1, 2.5, True, None, "x", {"b": ()}]},
        (1, [2, (3, {})]),
        {"k": float("nan")},
        [{"x": [float("-inf")]}],
        {1: "int key"},
        {"a": {None: 1}},
        {"e": b"bytes"},
        [{1, 2}],
        {"s": _Str("subclass")},
        [_Int(3)],
        {"d": _Dict(a=1)},
    ],
)
def test_fast_check_and_full_walk_agree(item: Any) -> None:
    """The fast exact-type check only ever says "fine"; anything else gets the full walk."""
    try:
        _validate(item, DEFAULT_MAX_DEPTH)
        walk_ok = True
    except InvalidItemError:
        walk_ok = False
    if _plain(item, 1, DEFAULT_MAX_DEPTH):
        assert walk_ok
    try:
        codec.encode(item)
        encode_ok = True
    except InvalidItemError:
        encode_ok = False
    assert encode_ok == walk_ok


@pytest.mark.parametrize("kind", ["list", "dict", "indirect", "long-keys"])
def test_cycles_are_reported_with_a_short_path(kind: str) -> None:
    value: Any
    if kind == "list":
        value = [1]
        value.append(value)
    elif kind == "dict":
        value = {}
        value["self"] = value
    elif kind == "indirect":
        inner: dict[str, Any] = {}
        value = {"a": [inner]}
        inner["b"] = value
    else:
        value = {}
        value["k" * 500] = [value]
    with pytest.raises(InvalidItemError) as caught:
        codec.encode(value)
    message = str(caught.value)
    assert message.endswith(": circular reference")
    path = message.removesuffix(": circular reference")
    assert path.startswith("$")
    assert len(path) <= MAX_PATH_CHARS
    assert "..." in path


def test_huge_ints_are_invalid_items_not_raw_value_errors() -> None:
    assert codec.decode(codec.encode(10**4000)) == 10**4000
    with pytest.raises(InvalidItemError, match="4300 digits"):
        codec.encode({"n": 10**5000})


def test_record_size_limit_is_exact_and_counts_utf8_bytes() -> None:
    small = JsonCodec(max_record_bytes=10)
    assert small.encode("x" * 8) == b'"xxxxxxxx"'
    with pytest.raises(RecordTooLargeError) as caught:
        small.encode("x" * 9)
    assert (caught.value.size, caught.value.limit) == (11, 10)
    assert "11 bytes" in str(caught.value) and "10" in str(caught.value)
    assert small.encode("é" * 4) == '"éééé"'.encode()  # 10 bytes
    with pytest.raises(RecordTooLargeError):
        small.encode("é" * 5)
    assert small.encode("\ud800") == b'"\\ud800"'  # stored escaped: 8 bytes
    with pytest.raises(RecordTooLargeError):
        small.encode("\ud800\ud800")  # 14 bytes as stored, though only 2 characters


def test_codec_rejects_nonpositive_limits() -> None:
    with pytest.raises(ValueError):
        JsonCodec(max_record_bytes=0)
    with pytest.raises(ValueError):
        JsonCodec(max_depth=0)


@pytest.mark.parametrize("bad", [b"\xff\xfe{", b"{not json", b"", "[1,"])
def test_decode_raises_value_error_on_corrupt_data(bad: bytes | str) -> None:
    with pytest.raises(ValueError):
        codec.decode(bad)


def test_store_rejects_bad_max_record_bytes() -> None:
    for bad in (0, -1, 1.5, "10", True, None):
        with pytest.raises(ConfigurationError):
            MemoryStore(max_record_bytes=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        MemoryStore(on_corrupt="ignore")  # type: ignore[arg-type]
    assert MemoryStore(max_record_bytes=5).codec.max_record_bytes == 5


# ------------------------------------------------- corrupt stored records (store policy)


async def _corrupt(store: MemoryStore, session_id: str, seq: int, payload: bytes) -> None:
    """Damage one stored record of a MemoryStore through its backend interface (the public
    API only writes what encodes)."""
    await store.replace_payload(session_id, "main", seq, payload)


async def test_corrupt_record_raises_naming_session_and_seq() -> None:
    store = MemoryStore()
    await store.append("s", ["a", "b", "c"])
    await _corrupt(store, "s", 2, b"\xff{broken")
    with pytest.raises(CorruptRecordError) as caught:
        await store.read("s")
    assert (caught.value.session_id, caught.value.stream, caught.value.seq) == ("s", "main", 2)
    assert "broken" not in str(caught.value)  # the payload is never echoed
    assert [r.data for r in await store.read("s", limit=1)] == ["c"]


async def test_corrupt_record_skip_policy_logs_and_leaves_it_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore(on_corrupt="skip")
    await store.append("s", ["a", "secret-b", "c"])
    await _corrupt(store, "s", 2, b'{"secret-payload": ')
    with caplog.at_level(logging.WARNING, logger="sessions_plus"):
        records = await store.read("s")
    assert [(r.seq, r.data) for r in records] == [(1, "a"), (3, "c")]
    assert "seq=2" in caplog.text and "secret-payload" not in caplog.text
    await _corrupt(store, "s", 3, b"nope")
    assert await store.pop("s") is None  # removed, but nothing decodable to return
    assert await store.last_seq("s") == 2


async def test_corrupt_document_raises() -> None:
    store = MemoryStore()
    await store.put_doc("s", "d", {"ok": 1})
    store._sessions["s"].docs["d"] = b"{"
    with pytest.raises(CorruptRecordError) as caught:
        await store.get_doc("s", "d")
    assert caught.value.session_id == "s" and caught.value.stream == "doc:d"
