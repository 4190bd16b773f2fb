"""Logs: append, read (latest, earliest, ranges), headers, pop, replace, clear, delete.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import time

import pytest

from sessions_plus import (
    ConversationStore,
    RecordNotFoundError,
)
from tests.contract.helpers import (
    CLOCK_SLACK,
    S,
    data,
    listed_ids,
    seqs,
)

# ---------------------------------------------------------------------------- append and read


async def test_append_assigns_gap_free_consecutive_seqs(store: ConversationStore) -> None:
    assert await store.append(S, ["a"]) == [1]
    assert await store.append(S, ["b", "c", "d"]) == [2, 3, 4]
    assert await store.append(S, ("e",)) == [5]
    assert await store.append(S, []) == []
    records = await store.read(S)
    assert seqs(records) == [1, 2, 3, 4, 5]
    assert data(records) == ["a", "b", "c", "d", "e"]
    assert await store.last_seq(S) == 5


async def test_empty_append_creates_nothing(store: ConversationStore) -> None:
    assert await store.append(S, []) == []
    assert await store.info(S) is None
    assert await listed_ids(store) == []


async def test_append_rejects_a_single_item_passed_as_items(store: ConversationStore) -> None:
    for items in ("text", b"bytes", {"role": "user"}):
        with pytest.raises(TypeError):
            await store.append(S, items)  # type: ignore[arg-type]
    assert await store.info(S) is None


async def test_unknown_session_reads_as_empty(store: ConversationStore) -> None:
    assert await store.read("nobody") == []
    assert await store.read("nobody", limit=3) == []
    assert await store.last_seq("nobody") == 0
    assert await store.pop("nobody") is None
    assert await store.info("nobody") is None
    assert await store.get_doc("nobody", "doc") is None
    assert await store.list_docs("nobody") == []
    assert await store.delete("nobody") is False
    assert await store.delete_doc("nobody", "doc") is False
    await store.clear("nobody")
    assert await store.info("nobody") is None, "reads and clear must not create a session"
    assert await listed_ids(store) == []


async def test_read_latest_earliest_and_ranges(store: ConversationStore) -> None:
    items = [f"m{i}" for i in range(1, 11)]
    assert await store.append(S, items) == list(range(1, 11))

    assert data(await store.read(S)) == items
    assert seqs(await store.read(S, limit=3)) == [8, 9, 10]  # latest N, chronological
    assert seqs(await store.read(S, limit=1)) == [10]
    assert seqs(await store.read(S, limit=100)) == list(range(1, 11))
    assert await store.read(S, limit=0) == []
    assert seqs(await store.read(S, limit=3, keep="earliest")) == [1, 2, 3]
    assert seqs(await store.read(S, after=3, limit=3, keep="earliest")) == [4, 5, 6]
    assert seqs(await store.read(S, after=2, before=6)) == [3, 4, 5]
    assert seqs(await store.read(S, after=2, before=6, limit=2)) == [4, 5]
    assert seqs(await store.read(S, after=2, before=6, limit=2, keep="earliest")) == [3, 4]
    assert seqs(await store.read(S, after=7)) == [8, 9, 10]  # offset paging: skip the first 7
    assert seqs(await store.read(S, before=4)) == [1, 2, 3]
    assert seqs(await store.read(S, before=4, limit=2)) == [2, 3]
    assert seqs(await store.read(S, after=0, before=100)) == list(range(1, 11))
    assert await store.read(S, after=10) == []
    assert await store.read(S, after=50) == []
    assert await store.read(S, before=1) == []
    assert await store.read(S, after=4, before=5) == []
    assert await store.read(S, after=5, before=3) == []
    assert data(await store.read(S, after=4, before=6)) == ["m5"]


async def test_read_pages_forward_and_backward(store: ConversationStore) -> None:
    await store.append(S, list(range(1, 24)))
    forward: list[int] = []
    after = 0
    while page := await store.read(S, after=after, limit=5, keep="earliest"):
        assert len(page) <= 5
        forward.extend(data(page))
        after = page[-1].seq
    assert forward == list(range(1, 24))

    backward: list[list[int]] = []
    before: int | None = None
    while page := await store.read(S, before=before, limit=5):
        backward.append(data(page))
        before = page[0].seq
    assert [x for page in reversed(backward) for x in page] == list(range(1, 24))
    assert backward[0] == [19, 20, 21, 22, 23]


async def test_read_argument_validation(store: ConversationStore) -> None:
    await store.append(S, ["a"])
    with pytest.raises(ValueError):
        await store.read(S, limit=-1)
    with pytest.raises(ValueError):
        await store.read(S, after=-1)
    with pytest.raises(TypeError):
        await store.read(S, limit="3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.read(S, after=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await store.read(S, keep="middle")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await store.list_sessions(limit=0)
    with pytest.raises(ValueError):
        await store.list_sessions(limit=True)


async def test_streams_are_independent(store: ConversationStore) -> None:
    assert await store.append(S, ["m1", "m2"]) == [1, 2]
    assert await store.append(S, ["a1"], stream="agent:a") == [1]
    assert await store.append(S, ["b1", "b2", "b3"], stream="agent:b") == [1, 2, 3]
    assert data(await store.read(S)) == ["m1", "m2"]
    assert data(await store.read(S, stream="agent:a")) == ["a1"]
    assert data(await store.read(S, stream="agent:b", limit=2)) == ["b2", "b3"]
    assert await store.last_seq(S, stream="agent:b") == 3

    popped = await store.pop(S, stream="agent:b")
    assert popped is not None and popped.data == "b3"
    await store.clear(S, stream="agent:a")
    assert await store.read(S, stream="agent:a") == []
    assert data(await store.read(S)) == ["m1", "m2"]
    assert data(await store.read(S, stream="agent:b")) == ["b1", "b2"]
    assert await store.read(S, stream="never") == []
    info = await store.info(S)
    assert info is not None
    assert dict(info.streams) == {"main": 2, "agent:b": 2}
    assert info.item_count == 4


# ---------------------------------------------------------------------------- headers and time


async def test_format_and_author_headers_round_trip(store: ConversationStore) -> None:
    await store.append(S, ["x"])
    await store.append(S, ["y", "z"], format="openai.responses", author="triage")
    await store.append(S, ["w"], format="strands.message")
    records = await store.read(S)
    assert [(r.format, r.author) for r in records] == [
        (None, None),
        ("openai.responses", "triage"),
        ("openai.responses", "triage"),
        ("strands.message", None),
    ]
    popped = await store.pop(S)
    assert popped is not None
    assert (popped.seq, popped.data, popped.format, popped.author) == (
        4,
        "w",
        "strands.message",
        None,
    )
    await store.splice(S, 3, ["s"], format="fmt:é", author="agent {x}")
    records = await store.read(S)
    assert [(r.seq, r.data, r.format, r.author) for r in records] == [
        (1, "x", None, None),
        (2, "y", "openai.responses", "triage"),
        (3, "s", "fmt:é", "agent {x}"),
    ]


async def test_read_raw_is_read_with_payloads_still_encoded(store: ConversationStore) -> None:
    await store.append(S, [{"n": 1}, "two", [3, {"x": None}]], format="fmt", author="me")
    records = await store.read(S)
    raws = await store.read_raw(S)
    assert [(r.seq, r.created_at, r.format, r.author) for r in raws] == [
        (r.seq, r.created_at, r.format, r.author) for r in records
    ]
    assert [store.codec.decode(r.payload) for r in raws] == data(records)
    assert store.decode_raw(S, "main", raws) == records
    assert seqs(await store.read_raw(S, limit=2)) == [2, 3]
    assert seqs(await store.read_raw(S, before=3, limit=1)) == [2]
    assert seqs(await store.read_raw(S, after=1, keep="earliest", limit=1)) == [2]
    assert await store.read_raw(S, limit=0) == []
    assert await store.read_raw("nobody-here") == []
    assert await store.read_raw(S, stream="other") == []


async def test_created_at_is_the_write_time(store: ConversationStore) -> None:
    before = time.time()
    await store.append(S, ["a", "b"])
    await store.put_doc(S, "d", 1)
    after = time.time()
    for record in await store.read(S):
        assert before - CLOCK_SLACK <= record.created_at <= after + CLOCK_SLACK
    info = await store.info(S)
    assert info is not None
    assert before - CLOCK_SLACK <= info.created_at <= info.updated_at <= after + CLOCK_SLACK


# ---------------------------------------------------------------------------- pop


async def test_pop_removes_latest_and_seqs_are_reused(store: ConversationStore) -> None:
    assert await store.pop(S) is None
    await store.append(S, ["a", "b", "c"], author="me")
    popped = await store.pop(S)
    assert popped is not None
    assert (popped.seq, popped.data, popped.author) == (3, "c", "me")
    assert await store.last_seq(S) == 2
    assert await store.append(S, ["d"]) == [3]  # seq 3 again: the stream stays 1..n
    assert seqs(await store.read(S)) == [1, 2, 3]
    assert data(await store.read(S)) == ["a", "b", "d"]

    for want in ("d", "b", "a"):
        popped = await store.pop(S)
        assert popped is not None and popped.data == want
    assert await store.pop(S) is None
    assert await store.read(S) == []
    info = await store.info(S)
    assert info is not None, "an emptied session still exists until deleted or expired"
    assert dict(info.streams) == {} and info.item_count == 0
    assert await store.append(S, ["again"]) == [1]


# ---------------------------------------------------------------------------- replace


async def test_replace_keeps_seq_and_header(store: ConversationStore) -> None:
    await store.append(S, ["a", {"secret": "x"}, "c"], format="f", author="who")
    original = (await store.read(S))[1]
    await store.replace(S, 2, {"secret": "[redacted]"})
    records = await store.read(S)
    assert data(records) == ["a", {"secret": "[redacted]"}, "c"]
    replaced = records[1]
    assert (replaced.seq, replaced.format, replaced.author) == (2, "f", "who")
    assert replaced.created_at == original.created_at
    assert await store.last_seq(S) == 3


async def test_replace_missing_record_raises(store: ConversationStore) -> None:
    with pytest.raises(RecordNotFoundError):
        await store.replace("nobody", 1, "x")
    assert await store.info("nobody") is None
    await store.append(S, ["a", "b"])
    with pytest.raises(RecordNotFoundError):
        await store.replace(S, 3, "x")
    with pytest.raises(RecordNotFoundError):
        await store.replace(S, 1, "x", stream="other")
    await store.pop(S)
    with pytest.raises(RecordNotFoundError):
        await store.replace(S, 2, "x")
    with pytest.raises(ValueError):
        await store.replace(S, 0, "x")
    assert data(await store.read(S)) == ["a"]
    assert await store.read(S, stream="other") == []


# ---------------------------------------------------------------------------- clear and delete


async def test_clear_empties_one_stream_and_keeps_documents(store: ConversationStore) -> None:
    await store.append(S, ["a", "b"])
    await store.append(S, ["x"], stream="side")
    await store.put_doc(S, "meta", {"title": "t"})
    await store.clear(S)
    assert await store.read(S) == []
    assert await store.last_seq(S) == 0
    assert data(await store.read(S, stream="side")) == ["x"]
    assert await store.get_doc(S, "meta") == {"title": "t"}
    info = await store.info(S)
    assert info is not None and dict(info.streams) == {"side": 1}
    assert await store.append(S, ["c"]) == [1]
    await store.clear(S, stream="never-written")
    assert data(await store.read(S)) == ["c"]


async def test_delete_removes_the_whole_session(store: ConversationStore) -> None:
    await store.append(S, ["a"])
    await store.append(S, ["b"], stream="side")
    await store.put_doc(S, "meta", 1)
    await store.append("other", ["keep"])
    await store.put_doc("other", "meta", 2)
    assert await store.delete(S) is True
    assert await store.delete(S) is False
    assert await store.read(S) == []
    assert await store.read(S, stream="side") == []
    assert await store.get_doc(S, "meta") is None
    assert await store.list_docs(S) == []
    assert await store.info(S) is None
    assert await listed_ids(store) == ["other"]
    assert await store.append(S, ["new"]) == [1]
    info = await store.info(S)
    assert info is not None and dict(info.streams) == {"main": 1}
    assert data(await store.read("other")) == ["keep"]
    assert await store.get_doc("other", "meta") == 2
