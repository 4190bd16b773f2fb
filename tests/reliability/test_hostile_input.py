"""Hostile and bad input, property-based on every backend.

* Session ids (and stream and document names) of any Unicode text, including ``{}:*?/\\``,
  control characters and 4-byte characters, up to MAX_SESSION_ID_LENGTH, never share storage:
  what one id writes, no other id reads, lists, counts or deletes.
* Items that JSON cannot hold (NaN, bytes, sets, objects, cycles, non-str keys), nest too deep or
  are too large are rejected with a typed error before anything is written.
* Every accepted item reads back equal, as a record and as a document.

Hypothesis runs derandomized (deterministic); example counts are modest on network backends.
Each property drives one store from its own event loop (stores work from any loop).
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions_plus import (
    MAX_NAME_LENGTH,
    MAX_SESSION_ID_LENGTH,
    ConversationStore,
    InvalidItemError,
    InvalidSessionIdError,
    RecordTooLargeError,
)
from tests.fixtures.factory import StoreFactory

T = TypeVar("T")

MAX_RECORD_BYTES = 4096


def examples(factory: StoreFactory, local: int, network: int, dynamodb: int) -> settings:
    """Hypothesis settings: more examples in process, fewer over the network, fewest on moto
    (which serves one request at a time)."""
    return settings(
        max_examples=factory.scaled(local, network, dynamodb),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


class Loop:
    """Runs one store's coroutines on a private event loop inside a sync hypothesis test."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self.runner = asyncio.Runner()

    def __call__(self, make: Callable[[ConversationStore], Coroutine[Any, Any, T]]) -> T:
        return self.runner.run(make(self.store))

    def close(self) -> None:
        try:
            self.runner.run(self.store.aclose())
        finally:
            self.runner.close()


# ---------------------------------------------------------------------- strategies

SPECIALS = "{}:*?/\\ \x00\t\n\r\x1b\x7f%#|'\"._-~[]()\u2028\u200b\ufeff\u0301é€😀"
any_char = st.characters(exclude_categories=["Cs"])  # every valid code point, controls included
id_chars = st.sampled_from(SPECIALS) | any_char


def _repeat(limit: int) -> Callable[[str], str]:
    return lambda s: (s * limit)[:limit]


def hostile_text(limit: int) -> st.SearchStrategy[str]:
    """Short ids of any characters, and ids at the length limit (1-byte to 4-byte characters)."""
    wide = st.characters(min_codepoint=0x10000, exclude_categories=["Cs"])
    return st.one_of(
        st.text(id_chars, min_size=1, max_size=24),
        st.text(id_chars, min_size=1, max_size=6).map(_repeat(limit)),
        st.text(wide, min_size=1, max_size=3).map(_repeat(limit)),
        st.sampled_from(["*", "?", "{", "}", "{}", ":", "/", "\\", "\x00", " ", "main", "a:b"]),
    )


# Variants that would collide under a naive key scheme (prefixes, separators, hash tags, case).
VARIANTS: list[Callable[[str], str]] = [
    lambda s: s,
    lambda s: s + ":",
    lambda s: s + ":main",
    lambda s: s + ":main:1",
    lambda s: "{" + s + "}",
    lambda s: s + "}",
    lambda s: s + "\x00",
    lambda s: s + "/",
    lambda s: s + "*",
    lambda s: s[:-1] or "x",
    lambda s: s.upper(),
    lambda s: s + " ",
    lambda s: s + "\\",
    lambda s: s + "%3A",
]


@st.composite
def related_ids(draw: st.DrawFn, limit: int = MAX_SESSION_ID_LENGTH) -> list[str]:
    base = draw(hostile_text(limit))
    picks = draw(st.lists(st.sampled_from(VARIANTS), min_size=1, max_size=4))
    other = draw(hostile_text(limit))
    ids = {v(base) for v in picks} | {base, other}
    return sorted(i for i in ids if 0 < len(i) <= limit)


SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
surrogates = st.characters(categories=["Cs"])
# Lone surrogates are accepted (stored as \\u escapes); a high+low pair is not (see bad_leaves).
json_text = st.text(any_char | st.sampled_from(SPECIALS) | surrogates, max_size=40).map(
    lambda s: SURROGATE_PAIR.sub(lambda m: m[0][0] + "-" + m[0][1], s)
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    json_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=12,
)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# ---------------------------------------------------------------------- isolation


def test_hostile_session_ids_never_share_storage(store_factory: StoreFactory) -> None:
    loop = Loop(store_factory())

    @examples(store_factory, local=80, network=30, dynamodb=6)
    @given(
        ids=related_ids(),
        stream=hostile_text(MAX_NAME_LENGTH).filter(lambda s: s != "main"),
        doc=hostile_text(MAX_NAME_LENGTH),
    )
    def check(ids: list[str], stream: str, doc: str) -> None:
        async def run(store: ConversationStore) -> None:
            for sid in ids:
                await store.delete(sid)
            for k, sid in enumerate(ids):
                await store.append(sid, [{"owner": sid, "n": n} for n in range(k + 1)])
                await store.append(sid, [{"owner": sid}], stream=stream)
                await store.put_doc(sid, doc, {"owner": sid})
            for k, sid in enumerate(ids):
                main = await store.read(sid)
                assert [(r.seq, r.data) for r in main] == [
                    (n + 1, {"owner": sid, "n": n}) for n in range(k + 1)
                ]
                latest = await store.read(sid, limit=1)
                assert [r.data for r in latest] == [{"owner": sid, "n": k}]
                assert [r.data for r in await store.read(sid, stream=stream)] == [{"owner": sid}]
                assert await store.get_doc(sid, doc) == {"owner": sid}
                assert await store.list_docs(sid) == [doc]
                info = await store.info(sid)
                assert info is not None and info.session_id == sid
                assert dict(info.streams) == {"main": k + 1, stream: 1}
            # Removing one id touches no other.
            assert await store.delete(ids[0])
            assert await store.read(ids[0]) == []
            for sid in ids[1:]:
                assert await store.get_doc(sid, doc) == {"owner": sid}
                assert all(r.data["owner"] == sid for r in await store.read(sid))
                popped = await store.pop(sid, stream=stream)
                assert popped is not None and popped.data["owner"] == sid

        loop(run)

    try:
        check()
    finally:
        loop.close()


def test_invalid_ids_are_rejected_before_any_write(store: ConversationStore) -> None:
    loop = Loop(store)
    too_long = "x" * (MAX_SESSION_ID_LENGTH + 1)
    bad: list[Any] = ["", too_long, "lone \ud800 surrogate", None, 42, b"bytes"]

    async def run(store: ConversationStore) -> None:
        for sid in bad:
            for call in (
                store.append(sid, ["x"]),
                store.put_doc(sid, "d", 1),
                store.read(sid),
                store.delete(sid),
            ):
                try:
                    await call
                except InvalidSessionIdError:
                    continue
                raise AssertionError(f"{sid!r} was accepted")
        assert (await store.list_sessions()).sessions == []
        await store.append("x" * MAX_SESSION_ID_LENGTH, ["at the limit"])
        assert (await store.read("x" * MAX_SESSION_ID_LENGTH))[0].data == "at the limit"

    try:
        loop(run)
    finally:
        loop.close()


# ---------------------------------------------------------------------- bad items


class Opaque:
    pass


def _cycle_list() -> Any:
    value: list[Any] = [1]
    value.append(value)
    return value


def _cycle_dict() -> Any:
    value: dict[str, Any] = {"a": 1}
    value["self"] = {"back": value}
    return value


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


bad_leaves = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.binary(max_size=8),
    st.binary(max_size=8).map(bytearray),
    st.sets(st.integers(), max_size=3),
    st.frozensets(st.integers(), max_size=3),
    st.builds(Opaque),
    st.just(decimal.Decimal("1.5")),
    st.just(complex(1, 2)),
    st.just(datetime.date(2024, 1, 1)),
    st.dictionaries(
        st.integers() | st.none() | st.tuples(st.integers()), st.integers(), min_size=1, max_size=2
    ),
    st.builds(_cycle_list),
    st.builds(_cycle_dict),
    st.integers(min_value=101, max_value=400).map(_nested),
    st.just("x" * MAX_RECORD_BYTES),  # too large once encoded
    st.just("\ud83d\ude00"),  # a surrogate pair: JSON would read back one character
)


def _embed(bad: Any, wrappers: list[tuple[bool, str]]) -> Any:
    for as_list, key in wrappers:
        bad = [0, bad, "ok"] if as_list else {"ok": 1, key or "k": bad}
    return bad


bad_items = st.builds(
    _embed, bad_leaves, st.lists(st.tuples(st.booleans(), st.text(max_size=4)), max_size=3)
)
REJECTED = (InvalidItemError, RecordTooLargeError)


def test_bad_items_are_rejected_before_anything_is_written(store_factory: StoreFactory) -> None:
    loop = Loop(store_factory(max_record_bytes=MAX_RECORD_BYTES))
    loop(lambda s: s.append("bad", ["kept"]))
    loop(lambda s: s.put_doc("bad", "doc", "kept"))

    @examples(store_factory, local=60, network=25, dynamodb=10)
    @given(good=st.lists(json_values, max_size=3), bad=bad_items, where=st.integers(0, 3))
    def check(good: list[Any], bad: Any, where: int) -> None:
        batch = [*good[:where], bad, *good[where:]]

        async def run(store: ConversationStore) -> None:
            before = await store.info("bad")
            for attempt in (
                lambda: store.append("bad", batch),
                lambda: store.append("fresh", batch),
                lambda: store.splice("bad", 1, batch),
                lambda: store.replace("bad", 1, bad),
                lambda: store.put_doc("bad", "doc", bad),
                lambda: store.put_doc("fresh", "doc", bad),
            ):
                try:
                    await attempt()
                except REJECTED:
                    continue
                raise AssertionError(f"{bad!r:.80} was accepted")
            assert await store.info("bad") == before
            assert [r.data for r in await store.read("bad")] == ["kept"]
            assert await store.get_doc("bad", "doc") == "kept"
            assert await store.info("fresh") is None

        loop(run)

    try:
        check()
    finally:
        loop.close()


def test_accepted_items_read_back_equal(store_factory: StoreFactory) -> None:
    loop = Loop(store_factory())

    @examples(store_factory, local=80, network=30, dynamodb=10)
    @given(items=st.lists(json_values, min_size=1, max_size=3), doc=json_values)
    def check(items: list[Any], doc: Any) -> None:
        async def run(store: ConversationStore) -> None:
            await store.delete("items")
            seqs = await store.append("items", items, format="f", author="a")
            records = await store.read("items")
            assert [r.seq for r in records] == seqs == list(range(1, len(items) + 1))
            for record, item in zip(records, items, strict=True):
                assert record.data == item
                assert canonical(record.data) == canonical(item)
            assert [r.data for r in await store.read("items", limit=1)] == items[-1:]
            await store.replace("items", 1, doc)
            assert canonical((await store.read("items", before=2))[0].data) == canonical(doc)
            await store.put_doc("items", "doc", doc)
            assert canonical(await store.get_doc("items", "doc")) == canonical(doc)
            popped = await store.pop("items")
            assert popped is not None and canonical(popped.data) == canonical(
                items[-1] if len(items) > 1 else doc
            )

        loop(run)

    try:
        check()
    finally:
        loop.close()


async def test_tuples_read_back_as_lists(store: ConversationStore) -> None:
    await store.append("t", [(1, "a", (None,))])
    assert (await store.read("t"))[0].data == [1, "a", [None]]
