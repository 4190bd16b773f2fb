"""Reading a stored shared conversation: latest-N items in O(N) records, and export."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_plus import MemoryStore, RawRecord, Record
from sessions_plus.backend import LogRange
from sessions_plus.conversation import (
    SHARED_STREAM,
    RenderedItem,
    RenderOptions,
    export_conversation,
    memo,
    message_from_json,
    read_items,
    render,
    to_neutral,
    to_neutral_record,
)
from sessions_plus.conversation.formats.strands_message import time_of
from sessions_plus.errors import ConversionError
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
from tests.conversation.helpers import (
    st as strands,
)
from tests.conversation.strategies import canon, openai_items, strands_payloads
from tests.fixtures.factory import StoreFactory


class CountingStore(MemoryStore):
    """A memory store that counts the records its backend reads return (every read of the
    log, decoded or not, goes through ``read_log``)."""

    def __init__(self) -> None:
        super().__init__()
        self.records_read = 0
        self.reads = 0

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        result = await super().read_log(query)
        self.reads += 1
        self.records_read += len(result)
        return result


def openai_turn(i: int) -> list[Any]:
    return [
        oa(user(f"question {i}")),
        oa(call(f"c{i}", "lookup", {"n": i})),
        oa(output(f"c{i}", f"result {i}")),
        oa(said(f"answer {i}", f"msg_{i}")),
    ]


def strands_turn(i: int) -> list[Any]:
    return [
        strands(s_text("user", f"ask {i}")),
        strands(s_use(f"t{i}", "search", {"n": i})),
        strands(s_result(f"t{i}", f"found {i}")),
        strands(s_text("assistant", f"reply {i}")),
    ]


def long_conversation(turns: int) -> list[Record]:
    entries: list[Any] = []
    for i in range(turns):
        entries.extend(openai_turn(i) if i % 2 == 0 else strands_turn(i))
    return records(*entries)


def tool_run(calls: int) -> list[Record]:
    """An OpenAI user turn, then only Strands tool calls and results."""
    entries: list[Any] = [oa(user("go"))]
    for i in range(calls):
        entries.append(strands(s_use(f"t{i}", "step", {"i": i})))
        entries.append(strands(s_result(f"t{i}", "ok")))
    return records(*entries)


OPTIONS = [
    RenderOptions(),
    RenderOptions(foreign_tools="native"),
    RenderOptions(label_authors=True, author="triage"),
]


@pytest.mark.parametrize("target", [OA, ST])
@pytest.mark.parametrize("options", OPTIONS)
async def test_latest_n_items_are_the_tail_of_the_whole_rendering(
    target: str, options: RenderOptions
) -> None:
    store = MemoryStore()
    recs = await write(store, "s", long_conversation(12))
    whole = render(recs, target, options)
    assert await read_items(store, "s", target, options=options) == whole
    for limit in (1, 2, 3, 5, 8, 13, 30, 200):
        got = await read_items(store, "s", target, limit=limit, options=options)
        assert got == whole[-limit:], limit


@pytest.mark.parametrize("target", [OA, ST])
async def test_latest_n_reads_o_of_n_records(target: str) -> None:
    store = CountingStore()
    await write(store, "s", long_conversation(250))  # 1,000 records, half by each SDK
    for limit in (1, 20, 100):
        store.records_read = store.reads = 0
        got = await read_items(store, "s", target, limit=limit)
        assert len(got) == limit
        assert store.records_read <= 4 * limit + 16, (limit, store.records_read)
        assert store.reads <= 3


async def test_a_repeat_read_goes_as_far_back_as_the_last_one_at_once() -> None:
    """The Strands view merges records into fewer messages, so the first read of 20 needs a
    second page; the next read of the same conversation reads that far in one page."""
    memo.clear()
    store = CountingStore()
    recs = await write(store, "s", long_conversation(250))
    whole = render(recs, ST)
    assert await read_items(store, "s", ST, limit=20) == whole[-20:]
    first = store.reads
    store.reads = 0
    assert await read_items(store, "s", ST, limit=20) == whole[-20:]
    assert first >= 2
    assert store.reads == 1


async def test_a_remembered_reach_never_changes_what_is_read() -> None:
    """The reach of the last read is a hint only: a conversation rewritten since (shorter,
    or needing to go much further back) reads exactly as a fresh rendering."""
    store = MemoryStore()
    for target in (OA, ST):
        await store.delete("s")
        recs = await write(store, "s", long_conversation(60))
        assert await read_items(store, "s", target, limit=20) == render(recs, target)[-20:]
        await store.delete("s")
        recs = await write(store, "s", long_conversation(3))
        assert await read_items(store, "s", target, limit=20) == render(recs, target)[-20:]
        await store.delete("s")
        recs = await write(store, "s", tool_run(80))
        options = RenderOptions(foreign_tools="native")
        want = render(recs, target, options)[-20:]
        assert await read_items(store, "s", target, limit=20, options=options) == want
        await store.delete("s")
        recs = await write(store, "s", long_conversation(60))
        assert await read_items(store, "s", target, limit=20) == render(recs, target)[-20:]


async def test_zero_and_missing_limits() -> None:
    store = MemoryStore()
    await write(store, "s", long_conversation(2))
    assert await read_items(store, "s", OA, limit=0) == []
    assert await read_items(store, "nobody", OA, limit=5) == []
    with pytest.raises(TypeError):
        await read_items(store, "s", OA, limit="3")  # type: ignore[arg-type]


async def test_a_run_of_foreign_tool_traffic_reads_further_back() -> None:
    store = CountingStore()
    recs = await write(store, "s", tool_run(60))
    options = RenderOptions(foreign_tools="native")
    whole = render(recs, OA, options)
    assert await read_items(store, "s", OA, limit=3, options=options) == whole[-3:]


async def test_every_backend_reads_the_same_latest_items(store_factory: StoreFactory) -> None:
    store = store_factory()
    recs = await write(store, "shared", long_conversation(6))
    for target in (OA, ST):
        whole = render(recs, target)
        for limit in (1, 4, 9):
            got = await read_items(store, "shared", target, limit=limit)
            assert got == whole[-limit:]


async def test_a_corrupt_record_raises_or_is_a_note() -> None:
    store = MemoryStore()
    recs = records(oa(user("hi")), (ST, "spec", {"message": 42}), oa(said("yo")))
    await write(store, "s", recs)
    with pytest.raises(ConversionError) as caught:
        await read_items(store, "s", OA, limit=2)
    assert (caught.value.session_id, caught.value.seq) == ("s", 2)
    noted = await read_items(store, "s", OA, limit=2, options=RenderOptions(on_corrupt="note"))
    assert "could not be converted" in noted[0].item["content"]


mixed = st.lists(
    st.one_of(
        st.tuples(st.just(OA), st.sampled_from(["triage", None]), openai_items),
        st.tuples(st.just(ST), st.sampled_from(["spec", "writer"]), strands_payloads()),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    mixed,
    st.sampled_from([OA, ST]),
    st.sampled_from(OPTIONS),
    st.lists(st.integers(1, 45), min_size=1, max_size=4),
)
def test_latest_n_matches_the_whole_for_any_conversation(
    entries: list[Any], target: str, options: RenderOptions, limits: list[int]
) -> None:
    async def check() -> None:
        store = MemoryStore()
        recs = await write(store, "s", records(*entries))
        whole = _undated(render(recs, target, options))
        for limit in limits:
            got = await read_items(store, "s", target, limit=limit, options=options)
            assert _undated(got) == whole[-limit:]

    asyncio.run(check())


def _undated(rendered: list[RenderedItem]) -> list[RenderedItem]:
    """Without Strands' time stamps: generated payloads may hold no ``created_at``, and an item
    rendering adds next to one (an interrupted call's result) is then dated when it is made
    (``test_added_items_are_dated_like_the_records_they_answer`` checks the dates)."""
    out = []
    for rendered in rendered:
        item = rendered.item
        if type(item) is dict and "created_at" in item:
            item = {**item, "created_at": None, "updated_at": None}
        out.append(rendered._replace(item=item))
    return out


async def test_added_items_are_dated_like_the_records_they_answer() -> None:
    """The same records always render the same items: the opening turn and the synthetic
    result of an interrupted call take the times of the records, not the clock."""
    store = MemoryStore()
    at = "2025-03-04T05:06:07.123456+00:00"
    use = {**s_use("t1", "search", {"q": "x"}), "created_at": at, "updated_at": at}
    await store.append("s", [use], stream=SHARED_STREAM, format=ST, author="spec")
    first = await read_items(store, "s", ST, run_start=True)
    assert len(first) == 2  # the call (stored), its synthetic result
    assert first[1].seqs == ()
    assert {r.item["created_at"] for r in first} == {at}
    # An assistant message holding a stray result: noted, then opened with a user turn.
    stray = {
        "message": {
            "role": "assistant",
            "content": [{"toolResult": s_result("x", "r")["message"]["content"][0]["toolResult"]}],
        }
    }
    await store.append("t", [stray], stream=SHARED_STREAM, format=ST, author="spec")
    opened = await read_items(store, "t", ST)
    assert opened[0].seqs == () and opened[0].item["message"]["role"] == "user"
    written = (await store.read("t", stream=SHARED_STREAM))[0].created_at
    assert time_of(opened[0].item) == pytest.approx(written, abs=1e-6)
    await asyncio.sleep(0.002)
    assert await read_items(store, "s", ST, run_start=True) == first
    assert await read_items(store, "t", ST) == opened
    assert render(await store.read("t", stream=SHARED_STREAM), ST) == opened


# ---------------------------------------------------------------------- export


async def test_export_in_each_shape() -> None:
    store = MemoryStore()
    recs = await write(
        store,
        "s",
        records(
            oa(user("hi")),
            oa(said("hello")),
            strands(s_text("user", "more")),
            strands(s_text("assistant", "sure")),
        ),
    )
    as_openai = await export_conversation(store, "s", as_="openai")
    assert as_openai == [
        recs[0].data,
        recs[1].data,
        {"role": "user", "content": "more"},
        {"role": "assistant", "content": "sure"},
    ]
    as_strands = await export_conversation(store, "s", as_="strands")
    assert as_strands == [
        {"role": "user", "content": [{"text": "hi"}]},
        {"role": "assistant", "content": [{"text": "hello"}]},
        {"role": "user", "content": [{"text": "more"}]},
        {"role": "assistant", "content": [{"text": "sure"}]},
    ]
    neutral = await export_conversation(store, "s", as_="neutral")
    json.dumps(neutral)  # plain JSON
    assert [m["role"] for m in neutral] == ["user", "assistant", "user", "assistant"]
    assert [(m["seq"], m["author"], m["format"]) for m in neutral] == [
        (1, "triage", OA),
        (2, "triage", OA),
        (3, "spec", ST),
        (4, "spec", ST),
    ]
    assert [message_from_json(m) for m in neutral] == [to_neutral_record(r) for r in recs]
    assert await export_conversation(store, "s", as_="strands.message") == as_strands
    assert await export_conversation(store, "nobody", as_="openai") == []


async def test_export_picks_the_shared_stream_else_main() -> None:
    store = MemoryStore()
    await store.append("own", [user("plain")], format=OA)
    assert await export_conversation(store, "own", as_="strands") == [
        {"role": "user", "content": [{"text": "plain"}]}
    ]
    await store.append("both", [user("main one")], format=OA)
    await store.append("both", [user("shared one")], stream=SHARED_STREAM, format=OA)
    assert await export_conversation(store, "both", as_="openai") == [user("shared one")]
    assert await export_conversation(store, "both", as_="openai", stream="main") == [
        user("main one")
    ]


async def test_export_follows_the_store_policy_for_bad_records() -> None:
    strict, lenient = MemoryStore(), MemoryStore(on_corrupt="skip")
    for store in (strict, lenient):
        await store.append("s", [{"bad": True}], stream=SHARED_STREAM, format=ST)
    with pytest.raises(ConversionError):
        await export_conversation(strict, "s", as_="openai")
    (note,) = await export_conversation(lenient, "s", as_="openai")
    assert "could not be converted" in note["content"]
    (neutral,) = await export_conversation(lenient, "s", as_="neutral")
    assert "could not be converted" in neutral["parts"][0]["text"]


@settings(max_examples=150, deadline=None)
@given(st.one_of(openai_items.map(lambda i: (OA, i)), strands_payloads().map(lambda p: (ST, p))))
def test_neutral_json_reads_back_equal(entry: tuple[str, Any]) -> None:
    from sessions_plus.conversation import message_to_json

    message = to_neutral(entry[1], entry[0])
    data = json.loads(json.dumps(message_to_json(message)))
    assert message_from_json(data) == message
    assert canon(message_to_json(message_from_json(data))) == canon(data)
