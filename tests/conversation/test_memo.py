"""Prepared records remembered between reads: the same answers as preparing them afresh."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_plus import MemoryStore, Record
from sessions_plus.conversation import SHARED_STREAM, RenderOptions, get_format, memo, read_items
from sessions_plus.conversation.render import render, to_unit
from tests.conversation.helpers import (
    OA,
    ST,
    call,
    oa,
    output,
    records,
    s_result,
    s_text,
    s_use,
    said,
    user,
    write,
)
from tests.conversation.helpers import st as strands
from tests.conversation.strategies import openai_items, strands_payloads

NATIVE_TOOLS = RenderOptions(foreign_tools="native")


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    memo.clear()
    yield
    memo.clear()


def _units(recs: list[Record], target: str, options: RenderOptions) -> list[Any]:
    fmt = get_format(target)
    table = memo.table(fmt, options)
    return [memo.unit_of(r, fmt, options, "s", table) for r in recs]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just(OA), st.sampled_from(["triage", None]), openai_items),
            st.tuples(st.just(ST), st.sampled_from(["spec", "writer"]), strands_payloads()),
        ),
        max_size=12,
    ),
    st.sampled_from([OA, ST]),
    st.sampled_from([RenderOptions(), NATIVE_TOOLS, RenderOptions(label_authors=True)]),
)
def test_remembered_units_equal_fresh_ones(
    entries: list[Any], target: str, options: RenderOptions
) -> None:
    recs = records(*entries)
    fmt = get_format(target)
    fresh = [to_unit(r, fmt, options, "s") for r in recs]
    assert _units(recs, target, options) == fresh  # first read: prepared, remembered
    assert _units(recs, target, options) == fresh  # second read: from memory


def test_a_second_read_converts_nothing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    recs = records(oa(user("hi")), strands(s_text("assistant", "hello")), oa(said("bye")))
    calls: list[int] = []
    real = memo.to_unit

    def counting(record: Any, *args: Any) -> Any:
        calls.append(record.seq)
        return real(record, *args)

    monkeypatch.setattr(memo, "to_unit", counting)
    _units(recs, OA, RenderOptions())
    _units(recs, OA, RenderOptions())
    assert calls == [1, 2, 3]


async def test_a_second_read_decodes_nothing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remembered units are found by the stored bytes: no record is decoded again (the
    reader's own records come back as copies of what the first read decoded)."""
    store = MemoryStore()
    recs = records(
        oa(user("hi")),
        strands(s_text("assistant", "hello")),
        strands(s_use("t1", "search", {"q": "x"})),
        strands(s_result("t1", "found")),
        oa(said("bye")),
    )
    await write(store, "s", recs)
    first = await read_items(store, "s", OA)
    decoded: list[Any] = []
    real = store.codec.decode

    def counting(payload: Any) -> Any:
        decoded.append(payload)
        return real(payload)

    monkeypatch.setattr(store.codec, "decode", counting)
    again = await read_items(store, "s", OA)
    assert again == first
    assert decoded == []
    assert all(a.item is not b.item for a, b in zip(again, first, strict=True))
    assert await read_items(store, "s", OA, limit=2) == first[-2:]
    assert decoded == []
    await store.replace("s", 5, said("changed"), stream=SHARED_STREAM)
    changed = await read_items(store, "s", OA)
    assert len(decoded) == 1
    assert changed[-1].item == said("changed")


async def test_a_tool_note_follows_a_result_stored_after_an_earlier_read() -> None:
    """A call's note is kept between reads only while its result is the same: a result that
    arrives later shows in the next read, as a fresh rendering shows it."""
    store = MemoryStore()
    start = records(oa(user("look it up")), strands(s_use("t1", "search", {"q": "x"})))
    await write(store, "s", start)
    before = await read_items(store, "s", OA)
    assert before == render(start, OA)
    await store.append(
        "s", [s_result("t1", "found it")], stream=SHARED_STREAM, format=ST, author="spec"
    )
    await store.append(
        "s", [s_text("assistant", "done")], stream=SHARED_STREAM, format=ST, author="spec"
    )
    whole = await store.read("s", stream=SHARED_STREAM)
    after = await read_items(store, "s", OA)
    assert after == render(whole, OA)
    assert after != before[: len(after)]
    assert "found it" in json.dumps([r.item for r in after])
    assert await read_items(store, "s", OA, limit=2) == render(whole, OA)[-2:]


async def test_a_replaced_record_is_converted_again() -> None:
    store = MemoryStore()
    await write(store, "s", records(oa(user("hi")), strands(s_text("assistant", "first"))))
    before = await read_items(store, "s", OA)
    assert before[-1].item["content"] == "first"
    await store.replace("s", 2, s_text("assistant", "second"), stream=SHARED_STREAM)
    after = await read_items(store, "s", OA)
    assert after[-1].item["content"] == "second"


async def test_own_items_are_new_objects_at_every_read() -> None:
    """An SDK may change the items it is given: the next read must not see that."""
    store = MemoryStore()
    await write(store, "s", records(oa(said("hi")), strands(s_text("assistant", "hello"))))
    first = await read_items(store, "s", OA)
    first[0].item["content"][0]["text"] = "changed"
    first[1].item["content"] = "changed too"
    second = await read_items(store, "s", OA)
    assert second[0].item["content"][0]["text"] == "hi"
    assert second[1].item["content"] == "hello"


async def test_native_foreign_tool_items_are_never_shared_between_reads() -> None:
    """A natively rendered call holds its input as a dict (Strands ``toolUse.input``): the
    next read must not see a change made to it."""
    store = MemoryStore()
    recs = records(
        oa(user("sum")),
        oa(call("c1", "add", {"a": 1})),
        oa(output("c1", "2")),
        oa(said("2")),
    )
    await write(store, "s", recs)

    def uses(rendered: list[Any]) -> list[dict[str, Any]]:
        return [
            block["toolUse"]
            for r in rendered
            for block in r.item["message"]["content"]
            if "toolUse" in block
        ]

    first = uses(await read_items(store, "s", ST, options=NATIVE_TOOLS))
    assert first, "the call is rendered natively"
    first[0]["input"]["a"] = 99
    second = uses(await read_items(store, "s", ST, options=NATIVE_TOOLS))
    assert second[0]["input"] == {"a": 1}


async def test_a_corrupt_record_is_logged_at_every_read(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore()
    await write(store, "s", records(oa(user("hi")), (ST, "spec", {"not": "a message"})))
    options = RenderOptions(on_corrupt="note")
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="sessions_plus.conversation"):
            got = await read_items(store, "s", OA, options=options)
        assert "cannot be converted" in caplog.text
        assert "record 2 (strands.message) could not be converted" in str(got[-1].item)


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MAX_UNITS", 10)
    recs = records(*(strands(s_text("assistant", f"n{n}")) for n in range(25)))
    _units(recs, OA, RenderOptions())
    _units(records(*(oa(user(f"u{n}")) for n in range(7))), ST, RenderOptions())
    held = sum(len(t) for t in memo._tables.values())
    assert held == memo._size == 10


def test_threads_share_the_memory_safely() -> None:
    recs = records(
        oa(user("hi")),
        oa(call("c1", "add", {"a": 1})),
        oa(output("c1", "2")),
        strands(s_text("assistant", "two")),
    )
    fmt = get_format(ST)
    fresh = [to_unit(r, fmt, RenderOptions(), "s") for r in recs]

    async def many() -> None:
        results = await asyncio.gather(
            *(asyncio.to_thread(_units, recs, ST, RenderOptions()) for _ in range(8))
        )
        assert all(r == fresh for r in results)

    asyncio.run(many())


def test_readers_with_many_authors_keep_a_bounded_number_of_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memo, "MAX_TABLES", 5)
    recs = records(strands(s_text("assistant", "hi")), oa(user("hello")))
    for n in range(40):
        _units(recs, OA, RenderOptions(author=f"reader-{n}"))
    assert len(memo._tables) == 5
    assert memo._size == sum(len(t) for t in memo._tables.values()) == 10


def test_eviction_drops_emptied_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MAX_UNITS", 4)
    first = records(*(strands(s_text("assistant", f"a{n}")) for n in range(4)))
    _units(first, OA, RenderOptions(author="one"))
    _units(first, OA, RenderOptions(author="two"))  # pushes every unit of "one" out
    assert list(memo._tables) == [(OA, RenderOptions(author="two"))]
    assert memo._size == 4
