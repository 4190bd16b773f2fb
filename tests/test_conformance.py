"""The store contract (sessions_plus/store.py), run over every backend in tests/backends/.

Only the public API and the StoreFactory interface are used, so a new backend joins by adding a
plugin module and must pass this file unchanged.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sessions_plus import (
    MAX_SESSION_ID_LENGTH,
    ConflictError,
    ConversationStore,
    InvalidItemError,
    InvalidSessionIdError,
    Record,
    RecordNotFoundError,
    RecordTooLargeError,
    SessionInfo,
    StoreClosedError,
)
from tests.backends._factory import StoreFactory
from tests.processes import output_of, start_python

S = "session-1"
CLOCK_SLACK = 2.0  # seconds of clock difference tolerated between this process and a server


def data(records: list[Record]) -> list[Any]:
    return [record.data for record in records]


def seqs(records: list[Record]) -> list[int]:
    return [record.seq for record in records]


async def all_sessions(store: ConversationStore, limit: int = 100) -> list[SessionInfo]:
    """Follow list_sessions cursors to the end, checking the paging contract on the way."""
    found: list[SessionInfo] = []
    cursor: str | None = None
    for _ in range(10_000):
        page = await store.list_sessions(limit=limit, cursor=cursor)
        assert len(page.sessions) <= limit
        found.extend(page.sessions)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor
    raise AssertionError("list_sessions never ended")


async def listed_ids(store: ConversationStore, limit: int = 100) -> list[str]:
    return [info.session_id for info in await all_sessions(store, limit)]


def assert_same_json(got: Any, want: Any, path: str = "$") -> None:
    """Equal and of the same JSON type (True is not 1, 1 is not 1.0); tuples read back as lists."""
    if isinstance(want, tuple):
        want = list(want)
    assert type(got) is type(want), f"{path}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), f"{path}: keys {list(got)!r} != {list(want)!r}"
        for key in want:
            assert_same_json(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for index, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same_json(g, w, f"{path}[{index}]")
    elif isinstance(want, float):
        assert got == want and math.copysign(1, got) == math.copysign(1, want), path
    else:
        assert got == want, path


async def sleep_until(deadline: float) -> None:
    """Sleep to a time.monotonic() deadline, so slow store calls eat no safety margin."""
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))


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


# ---------------------------------------------------------------------------- splice


async def test_splice_truncates_and_appends(store: ConversationStore) -> None:
    await store.append(S, ["1", "2", "3", "4", "5"])
    assert await store.splice(S, 3, ["x", "y"]) == [3, 4]
    assert data(await store.read(S)) == ["1", "2", "x", "y"]
    assert seqs(await store.read(S)) == [1, 2, 3, 4]
    assert await store.splice(S, 5, ["z"]) == [5]  # at last seq + 1: a plain append
    assert data(await store.read(S)) == ["1", "2", "x", "y", "z"]
    assert await store.splice(S, 2, []) == []  # truncation only
    assert data(await store.read(S)) == ["1"]
    assert await store.splice(S, 1, ["summary"]) == [1]  # full rewrite (compaction)
    assert data(await store.read(S)) == ["summary"]
    assert await store.append(S, ["next"]) == [2]
    assert await store.splice("fresh", 1, ["first"]) == [1]
    assert data(await store.read("fresh")) == ["first"]


async def test_splice_rejects_bad_start_and_conflicts(store: ConversationStore) -> None:
    await store.append(S, ["1", "2", "3"])
    with pytest.raises(ValueError):
        await store.splice(S, 5, ["x"])  # past last seq + 1
    with pytest.raises(ValueError):
        await store.splice(S, 0, ["x"])
    with pytest.raises(ValueError):
        await store.splice(S, 2, ["x"], if_last_seq=0)  # start past the expected end
    with pytest.raises(ConflictError):
        await store.splice(S, 2, ["x"], if_last_seq=2)
    with pytest.raises(ConflictError):
        await store.splice(S, 2, ["x"], if_last_seq=4)
    assert data(await store.read(S)) == ["1", "2", "3"]
    assert await store.splice(S, 2, ["x"], if_last_seq=3) == [2]
    assert data(await store.read(S)) == ["1", "x"]
    with pytest.raises(ValueError):
        await store.splice("nobody", 2, ["x"])
    assert await store.info("nobody") is None


async def test_splice_clear_then_append_starts_at_one(store: ConversationStore) -> None:
    await store.append(S, ["a", "b"])
    assert await store.splice(S, 1, []) == []
    assert await store.read(S) == []
    assert await store.last_seq(S) == 0
    assert await store.append(S, ["c"], if_last_seq=0) == [1]


# ---------------------------------------------------------------------------- conditional append


async def test_append_if_last_seq(store: ConversationStore) -> None:
    assert await store.append(S, ["a"], if_last_seq=0) == [1]
    assert await store.append(S, ["b", "c"], if_last_seq=1) == [2, 3]
    with pytest.raises(ConflictError):
        await store.append(S, ["x"], if_last_seq=1)
    with pytest.raises(ConflictError):
        await store.append(S, ["x"], if_last_seq=0)
    with pytest.raises(ConflictError):
        await store.append(S, ["x"], if_last_seq=9)
    with pytest.raises(ConflictError):
        await store.append("nobody", ["x"], if_last_seq=1)
    assert await store.info("nobody") is None
    assert data(await store.read(S)) == ["a", "b", "c"]
    assert await store.append(S, ["y"], stream="other", if_last_seq=0) == [1]
    await store.clear(S)
    assert await store.append(S, ["d"], if_last_seq=0) == [1]


async def test_if_last_seq_under_contention(store: ConversationStore) -> None:
    """Optimistic writers retrying on ConflictError: each append lands exactly once."""
    conflicts = 0

    async def writer(name: str) -> None:
        nonlocal conflicts
        for i in range(3):
            while True:
                last = await store.last_seq(S)
                await asyncio.sleep(0)  # let the others read the same last seq
                try:
                    got = await store.append(S, [f"{name}-{i}"], if_last_seq=last)
                except ConflictError:
                    conflicts += 1
                    continue
                assert got == [last + 1]
                break

    await asyncio.gather(*(writer(f"w{n}") for n in range(6)))
    records = await store.read(S)
    assert seqs(records) == list(range(1, 19))
    assert sorted(data(records)) == sorted(f"w{n}-{i}" for n in range(6) for i in range(3))
    assert conflicts > 0


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


# ---------------------------------------------------------------------------- documents


async def test_documents(store: ConversationStore) -> None:
    assert await store.get_doc(S, "agent:a") is None
    assert await store.put_doc(S, "agent:a", {"state": [1, 2]}) is True
    assert await store.put_doc(S, "agent:b", "b") is True
    assert await store.put_doc(S, "session", {"id": S}) is True
    assert await store.put_doc(S, "agent", 0) is True
    assert await store.get_doc(S, "agent:a") == {"state": [1, 2]}
    assert await store.put_doc(S, "agent:a", {"state": [3]}) is True  # overwrite, whole
    assert await store.get_doc(S, "agent:a") == {"state": [3]}
    assert await store.put_doc(S, "agent:a", "nope", if_absent=True) is False
    assert await store.get_doc(S, "agent:a") == {"state": [3]}
    assert await store.put_doc(S, "agent:c", [], if_absent=True) is True
    assert await store.get_doc(S, "agent:c") == []

    assert await store.list_docs(S) == ["agent", "agent:a", "agent:b", "agent:c", "session"]
    assert await store.list_docs(S, prefix="agent:") == ["agent:a", "agent:b", "agent:c"]
    assert await store.list_docs(S, prefix="agent:b") == ["agent:b"]
    assert await store.list_docs(S, prefix="zzz") == []
    with pytest.raises(TypeError):
        await store.list_docs(S, prefix=None)  # type: ignore[arg-type]

    assert await store.delete_doc(S, "agent:b") is True
    assert await store.delete_doc(S, "agent:b") is False
    assert await store.get_doc(S, "agent:b") is None
    assert await store.put_doc(S, "agent:b", "again", if_absent=True) is True
    assert await store.get_doc(S, "agent:b") == "again"

    info = await store.info(S)
    assert info is not None
    assert info.item_count == 0 and dict(info.streams) == {}, "documents are not records"
    assert await store.read(S) == []


async def test_document_only_session_is_a_session(store: ConversationStore) -> None:
    await store.put_doc(S, "d", None)
    assert await store.list_docs(S) == ["d"]
    assert await store.get_doc(S, "d") is None
    assert await store.info(S) is not None
    assert await listed_ids(store) == [S]
    assert await store.delete_doc(S, "d") is True
    assert await store.info(S) is not None, "a session stays until deleted or expired"


# ---------------------------------------------------------------------------- info and listing


async def test_info_counts_and_times(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.append(S, ["a", "b", "c"])
    await store.append(S, ["x"], stream="side")
    await store.put_doc(S, "doc", 1)
    first = await store.info(S)
    assert first is not None
    assert first.session_id == S
    assert dict(first.streams) == {"main": 3, "side": 1}
    assert first.item_count == 4
    assert first.expires_at is None  # ttl=None never sets it
    assert first.created_at <= first.updated_at

    await asyncio.sleep(0.05)
    await store.pop(S, stream="side")
    second = await store.info(S)
    assert second is not None
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
    assert dict(second.streams) == {"main": 3}
    assert second.expires_at is None

    with_ttl = store_factory(ttl=60)
    await with_ttl.append("t", ["a"])
    info = await with_ttl.info("t")
    assert info is not None and info.expires_at is not None
    assert info.expires_at == pytest.approx(info.updated_at + 60, abs=1.0)
    assert info.expires_at == pytest.approx(time.time() + 60, abs=CLOCK_SLACK)
    await asyncio.sleep(0.05)
    await with_ttl.put_doc("t", "d", 1)
    later = await with_ttl.info("t")
    assert later is not None and later.expires_at is not None
    assert later.expires_at > info.expires_at, "every write slides the TTL"


async def test_list_sessions_pages_through_everything(store: ConversationStore) -> None:
    page = await store.list_sessions()
    assert page.sessions == [] and page.next_cursor is None

    ids = [f"s{i:02d}" for i in range(12)] + ["a:b", "a", "é", "{x}"]
    for index, sid in enumerate(ids):
        if index % 4 == 0:
            await store.put_doc(sid, "only-doc", index)
        else:
            await store.append(sid, [index] * (index % 3 + 1))
    for sid in ("s05", "s10", "a"):
        assert await store.delete(sid) is True
    live = set(ids) - {"s05", "s10", "a"}

    for limit in (1, 5, 100):
        found = await all_sessions(store, limit=limit)
        listed = [info.session_id for info in found]
        assert len(listed) == len(set(listed)), f"duplicates with limit={limit}"
        assert set(listed) == live, f"limit={limit}"
    for info in found:  # the listing carries the same metadata as info()
        index = ids.index(info.session_id)
        want = {} if index % 4 == 0 else {"main": index % 3 + 1}
        assert dict(info.streams) == want, info.session_id
        assert info.created_at <= info.updated_at
        assert info.expires_at is None


# ---------------------------------------------------------------------------- ids and isolation

HOSTILE_IDS = [
    "a",
    "A",
    "a ",
    " a",
    "a:",
    ":a",
    "a:b",
    ":",
    "{",
    "}",
    "{a}",
    "{a}:b",
    "a{b}",
    "*",
    "a*",
    "?",
    "[a]",
    "/",
    "a/b",
    "a\\b",
    "a|b",
    "a#b",
    "a.b",
    "a%3Ab",
    "a%b",
    "a'b",
    'a"b',
    "a;b",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "a\x00",
    "a\x00b",
    "\x1f",
    "\x7f",
    "é",
    "e\u0301",  # the same text as "é" after NFC: must still be a different session
    "日本語",
    "🙂",
    "\ufeff",
    "user",
    "user1",
    "user:1",
    "user:1:main",
    "user:1:meta",
    "user{1}",
    "main",
    "meta",
    "doc:x",
    "sessions",
    "x" * MAX_SESSION_ID_LENGTH,
    "é" * MAX_SESSION_ID_LENGTH,
    "🙂" * MAX_SESSION_ID_LENGTH,
]


async def test_hostile_session_ids_are_isolated(store: ConversationStore) -> None:
    assert len(set(HOSTILE_IDS)) == len(HOSTILE_IDS)

    async def write(index: int, sid: str) -> None:
        assert await store.append(sid, [{"owner": sid}, index]) == [1, 2]
        assert await store.put_doc(sid, "doc", {"owner": sid}) is True

    async def check(index: int, sid: str, cleared: str = "") -> None:
        want = [] if sid == cleared else [{"owner": sid}, index]
        assert data(await store.read(sid)) == want, repr(sid)
        assert await store.get_doc(sid, "doc") == {"owner": sid}, repr(sid)

    await asyncio.gather(*(write(i, sid) for i, sid in enumerate(HOSTILE_IDS)))
    await asyncio.gather(*(check(i, sid) for i, sid in enumerate(HOSTILE_IDS)))
    infos = await all_sessions(store, limit=13)
    assert sorted(info.session_id for info in infos) == sorted(HOSTILE_IDS)
    for info in infos:
        assert dict(info.streams) == {"main": 2}, repr(info.session_id)

    # Deleting or clearing one id leaves every id it is a prefix of alone.
    assert await store.delete("user") is True
    assert await store.delete("a") is True
    await store.clear("a:b")
    assert await store.info("user") is None and await store.info("a") is None
    assert await store.list_docs("a:b") == ["doc"]
    near = [
        (i, sid)
        for i, sid in enumerate(HOSTILE_IDS)
        if sid not in ("user", "a") and (sid.startswith(("a", "user")) or sid.endswith("a"))
    ]
    assert len(near) > 15
    await asyncio.gather(*(check(i, sid, cleared="a:b") for i, sid in near))


async def test_session_stream_and_doc_names_never_collide(store: ConversationStore) -> None:
    """A naive key like f"{session}:{stream}" would merge these pairs."""
    pairs = [
        ("a", "b:c"),
        ("a:b", "c"),
        ("a", "b"),
        ("a:b", "main"),
        ("a", "main:b"),
        ("{a}", "b"),
        ("{a}:b", "main"),
        ("a/b", "c"),
        ("a", "b/c"),
        ("a\x00b", "c"),
        ("a", "b\x00c"),
    ]
    for index, (sid, name) in enumerate(pairs):
        await store.append(sid, [index], stream=name)
        await store.put_doc(sid, name, index)
    # A stream and a document of the same name in one session are different things.
    await store.append("x", ["record"], stream="meta")
    await store.put_doc("x", "meta", "document")
    await store.append("x", ["doc-named-stream"], stream="doc:meta")
    for index, (sid, name) in enumerate(pairs):
        assert data(await store.read(sid, stream=name)) == [index], (sid, name)
        assert await store.get_doc(sid, name) == index, (sid, name)
    assert data(await store.read("x", stream="meta")) == ["record"]
    assert await store.get_doc("x", "meta") == "document"
    assert await store.list_docs("x") == ["meta"]
    assert data(await store.read("x", stream="doc:meta")) == ["doc-named-stream"]
    info = await store.info("a")
    assert info is not None
    assert dict(info.streams) == {"b:c": 1, "b": 1, "main:b": 1, "b/c": 1, "b\x00c": 1}
    assert await store.list_docs("a") == sorted(["b:c", "b", "main:b", "b/c", "b\x00c"])


BAD_IDS: list[Any] = [
    "",
    None,
    123,
    b"bytes",
    ["a"],
    "x" * (MAX_SESSION_ID_LENGTH + 1),
    "\ud800",
    "a\udfffb",
]


async def test_invalid_session_ids_are_rejected_before_any_write(
    store: ConversationStore,
) -> None:
    calls: list[Callable[[Any], Awaitable[Any]]] = [
        lambda sid: store.append(sid, ["x"]),
        lambda sid: store.read(sid),
        lambda sid: store.last_seq(sid),
        lambda sid: store.pop(sid),
        lambda sid: store.replace(sid, 1, "x"),
        lambda sid: store.splice(sid, 1, ["x"]),
        lambda sid: store.clear(sid),
        lambda sid: store.delete(sid),
        lambda sid: store.put_doc(sid, "d", 1),
        lambda sid: store.get_doc(sid, "d"),
        lambda sid: store.delete_doc(sid, "d"),
        lambda sid: store.list_docs(sid),
        lambda sid: store.info(sid),
    ]
    for bad in BAD_IDS:
        for call in calls:
            with pytest.raises(InvalidSessionIdError):
                await call(bad)
    assert await listed_ids(store) == []


async def test_invalid_names_are_rejected_before_any_write(store: ConversationStore) -> None:
    for bad in ("", None, 7, "\ud800", "n" * 257):
        with pytest.raises(InvalidSessionIdError):
            await store.append(S, ["x"], stream=bad)
        if bad is not None:  # None is "no format / no author"
            with pytest.raises(InvalidSessionIdError):
                await store.append(S, ["x"], format=bad)
            with pytest.raises(InvalidSessionIdError):
                await store.append(S, ["x"], author=bad)
            with pytest.raises(InvalidSessionIdError):
                await store.splice(S, 1, ["x"], author=bad)
        with pytest.raises(InvalidSessionIdError):
            await store.put_doc(S, bad, 1)
        with pytest.raises(InvalidSessionIdError):
            await store.get_doc(S, bad)
        with pytest.raises(InvalidSessionIdError):
            await store.read(S, stream=bad)
    assert await store.info(S) is None
    assert await listed_ids(store) == []
    # The longest valid names are fine.
    await store.append(S, ["x"], stream="s" * 256, format="f" * 256, author="a" * 256)
    record = (await store.read(S, stream="s" * 256))[0]
    assert (record.format, record.author) == ("f" * 256, "a" * 256)


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


# ---------------------------------------------------------------------------- lifecycle


async def test_closed_store_raises(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.append(S, ["a"])
    assert store.closed is False
    await store.aclose()
    assert store.closed is True
    await store.aclose()  # idempotent
    calls: list[Awaitable[Any]] = [
        store.append(S, ["x"]),
        store.read(S),
        store.last_seq(S),
        store.pop(S),
        store.replace(S, 1, "x"),
        store.splice(S, 1, ["x"]),
        store.clear(S),
        store.delete(S),
        store.put_doc(S, "d", 1),
        store.get_doc(S, "d"),
        store.delete_doc(S, "d"),
        store.list_docs(S),
        store.info(S),
        store.list_sessions(),
        store.purge_expired(),
    ]
    for call in calls:
        with pytest.raises(StoreClosedError):
            await call


async def test_async_with_closes(store_factory: StoreFactory) -> None:
    async with store_factory() as store:
        assert await store.append(S, ["a"]) == [1]
    assert store.closed
    with pytest.raises(StoreClosedError):
        await store.read(S)


async def test_second_store_from_the_factory(store_factory: StoreFactory) -> None:
    first = store_factory()
    await first.append(S, ["a", "b"], author="first")
    await first.put_doc(S, "doc", {"v": 1})
    second = store_factory()
    if not store_factory.shared:
        # Process-local stores (memory) hold their own data: a second object starts empty.
        assert await second.read(S) == []
        assert await second.info(S) is None
        return
    records = await second.read(S)
    assert data(records) == ["a", "b"] and records[0].author == "first"
    assert await second.get_doc(S, "doc") == {"v": 1}
    assert await second.append(S, ["c"]) == [3]
    assert data(await first.read(S)) == ["a", "b", "c"]
    assert await listed_ids(second) == [S]
    await second.aclose()
    assert data(await first.read(S)) == ["a", "b", "c"], "closing one store leaves the other"
    if store_factory.cross_process:
        opened = store_factory.open()
        assert data(await opened.read(S)) == ["a", "b", "c"]
        assert await opened.append(S, ["d"]) == [4]


# ---------------------------------------------------------------------------- concurrency


async def _check_writers(
    store: ConversationStore, sid: str, results: dict[str, list[tuple[list[int], list[Any]]]]
) -> None:
    """Each writer's batches got consecutive seqs, all seqs are 1..n once, data is in place."""
    assigned: dict[int, Any] = {}
    for batches in results.values():
        for got, items in batches:
            assert got == list(range(got[0], got[0] + len(items))), "a batch was split"
            for seq, item in zip(got, items, strict=True):
                assert seq not in assigned, f"seq {seq} assigned twice"
                assigned[seq] = item
    records = await store.read(sid)
    assert seqs(records) == list(range(1, len(assigned) + 1))
    assert sorted(assigned) == seqs(records)
    for record in records:
        assert record.data == assigned[record.seq]
    for writer, batches in results.items():
        mine = [r.data for r in records if r.data["w"] == writer]
        assert mine == [item for _, items in batches for item in items], "writer order broken"


async def test_concurrent_tasks_lose_and_duplicate_nothing(store_factory: StoreFactory) -> None:
    stores = [store_factory()]
    if store_factory.shared:
        stores += [store_factory() for _ in range(3)]
    results: dict[str, list[tuple[list[int], list[Any]]]] = {}

    async def writer(index: int) -> None:
        name = f"w{index}"
        store = stores[index % len(stores)]
        results[name] = []
        for batch in range(2):
            items = [{"w": name, "b": batch, "k": k} for k in range(size(index, batch))]
            results[name].append((await store.append(S, items), items))

    def size(index: int, batch: int) -> int:
        return 1 + (index + batch) % 3

    done = False
    snapshots = 0

    async def reader() -> None:
        """Concurrent reads only ever see whole batches, in seq order 1..n."""
        nonlocal snapshots
        while not done:
            records = await stores[-1].read(S)
            assert seqs(records) == list(range(1, len(records) + 1))
            counts: dict[tuple[str, int], int] = {}
            for record in records:
                key = (record.data["w"], record.data["b"])
                counts[key] = counts.get(key, 0) + 1
            for (name, batch), count in counts.items():
                assert count == size(int(name[1:]), batch), "saw half a batch"
            snapshots += 1
            await asyncio.sleep(0)

    async def writers() -> None:
        nonlocal done
        try:
            await asyncio.gather(*(writer(i) for i in range(32)))
        finally:
            done = True

    await asyncio.gather(writers(), reader())
    assert snapshots > 0
    await _check_writers(stores[0], S, results)
    info = await stores[0].info(S)
    assert info is not None
    assert info.streams["main"] == sum(len(items) for b in results.values() for _, items in b)


async def test_one_store_from_many_threads_and_loops(store: ConversationStore) -> None:
    """Threads each running their own loops (and a second loop after the first closed)."""
    results: dict[str, list[tuple[list[int], list[Any]]]] = {}
    errors: list[BaseException] = []

    async def write(name: str, count: int) -> None:
        for i in range(count):
            items = [{"w": name, "i": i}]
            results[name].append((await store.append(S, items), items))
            assert await store.read(S, limit=1)
            await asyncio.sleep(0)

    def thread_main(name: str) -> None:
        try:
            results[name] = []
            asyncio.run(write(name, 5))
            asyncio.run(write(name, 5))  # a fresh loop after the first one was closed
            asyncio.run(store.put_doc(S, f"doc-{name}", name))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=thread_main, args=(f"t{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    results["main"] = []
    await write("main", 5)
    for thread in threads:
        await asyncio.to_thread(thread.join, 60)
    assert not errors, errors
    await _check_writers(store, S, results)
    assert await store.list_docs(S) == ["doc-t0", "doc-t1"]
    assert await store.append(S, [{"w": "after"}]) == [26]


CHILD_SCRIPT = """
import asyncio, json, sys
from sessions_plus import open_store

async def main(url, sid, writer, batches):
    store = open_store(url)
    try:
        for b in range(batches):
            items = [{"w": writer, "b": b, "k": 0}, {"w": writer, "b": b, "k": 1}]
            print(json.dumps(await store.append(sid, items)), flush=True)
    finally:
        await store.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
"""


async def test_processes_append_to_one_session(cross_process_factory: StoreFactory) -> None:
    store_factory = cross_process_factory
    sid = "proc {1}:é/x"
    url = store_factory.url()
    children = [await start_python(CHILD_SCRIPT, url, sid, f"p{n}", "6") for n in range(4)]
    results: dict[str, list[tuple[list[int], list[Any]]]] = {}
    for n, child in enumerate(children):
        name = f"p{n}"
        lines = (await output_of(child)).splitlines()
        results[name] = [
            (json.loads(line), [{"w": name, "b": b, "k": 0}, {"w": name, "b": b, "k": 1}])
            for b, line in enumerate(lines)
        ]
        assert len(results[name]) == 6
    await _check_writers(store_factory(), sid, results)


# ---------------------------------------------------------------------------- TTL (sleeps)

TTL = 1.0


async def test_ttl_whole_session_expires_and_a_new_write_starts_fresh(
    store_factory: StoreFactory,
) -> None:
    store = store_factory(ttl=TTL)
    await store.append(S, ["a", "b"], author="old")
    await store.append(S, ["x"], stream="side")
    await store.put_doc(S, "meta", {"old": True})
    await store.append("also-old", ["z"])
    await store.put_doc("doc-only", "d", 1)
    old = await store.info(S)
    assert old is not None and old.expires_at is not None
    assert old.expires_at == pytest.approx(old.updated_at + TTL, abs=0.2)
    await sleep_until(time.monotonic() + TTL + 0.15)

    await store.append("alive", ["fresh"])
    purged = await store.purge_expired()  # first touch of the expired sessions
    # Three expired sessions; a backend with native TTL (or lazy cleanup) may have removed some.
    assert 0 <= purged <= 3
    assert await store.purge_expired() == 0, "purge must remove what it counts"
    assert data(await store.read("alive")) == ["fresh"], "purge must not touch live sessions"

    assert await store.read(S) == []
    assert await store.read(S, stream="side") == []
    assert await store.read(S, limit=1) == []
    assert await store.last_seq(S) == 0
    assert await store.pop(S) is None
    assert await store.get_doc(S, "meta") is None
    assert await store.list_docs(S) == []
    assert await store.info(S) is None
    assert await store.info("doc-only") is None
    assert await listed_ids(store) == ["alive"]
    with pytest.raises(RecordNotFoundError):
        await store.replace(S, 1, "x")

    assert await store.append(S, ["new"], if_last_seq=0) == [1]
    records = await store.read(S)
    assert data(records) == ["new"] and records[0].author is None
    assert await store.read(S, stream="side") == []
    assert await store.get_doc(S, "meta") is None
    assert await store.list_docs(S) == []
    info = await store.info(S)
    assert info is not None and dict(info.streams) == {"main": 1}
    assert info.created_at > old.created_at
    assert await store.put_doc(S, "meta", {"old": False}, if_absent=True) is True
    assert sorted(await listed_ids(store)) == sorted(["alive", S])


async def test_ttl_every_write_slides_and_plain_reads_do_not(
    store_factory: StoreFactory,
) -> None:
    """Each session runs its own timeline (all at once), so slow calls cost no margin."""
    store = store_factory(ttl=TTL)
    writes: dict[str, Callable[[str], Awaitable[Any]]] = {
        "append": lambda sid: store.append(sid, ["more"]),
        "append-other-stream": lambda sid: store.append(sid, ["more"], stream="new"),
        "put_doc": lambda sid: store.put_doc(sid, "new", 1),
        "delete_doc": lambda sid: store.delete_doc(sid, "old"),
        "pop": lambda sid: store.pop(sid),
        "replace": lambda sid: store.replace(sid, 1, "replaced"),
        "splice": lambda sid: store.splice(sid, 2, ["spliced"]),
        "clear": lambda sid: store.clear(sid, stream="side"),
    }

    async def timeline(sid: str) -> tuple[bool, bool]:
        await store.append(sid, ["a", "b"])
        await store.put_doc(sid, "old", 1)
        await store.append(sid, ["s"], stream="side")
        written = time.monotonic()
        await sleep_until(written + 0.5)
        await writes[sid](sid)
        slid = time.monotonic()
        await sleep_until(written + TTL + 0.1)  # past the first writes' expiry
        alive = await store.info(sid) is not None
        if sid == "append":  # plain reads of every kind, which must not slide it
            assert data(await store.read(sid, limit=5)) == ["a", "b", "more"]
            assert await store.get_doc(sid, "old") == 1
            assert await store.list_docs(sid) == ["old"]
            assert await store.last_seq(sid, stream="side") == 1
        await sleep_until(slid + TTL + 0.1)  # past the second write's expiry
        gone = await store.info(sid) is None and await store.read(sid) == []
        return alive, gone

    async def untouched() -> bool:
        await store.append("untouched", ["a"])
        await sleep_until(time.monotonic() + TTL + 0.1)
        return await store.info("untouched") is None

    outcomes = await asyncio.gather(untouched(), *(timeline(sid) for sid in writes))
    assert outcomes[0], "an untouched session outlived its TTL"
    for sid, (alive, gone) in zip(writes, outcomes[1:], strict=True):
        assert alive, f"{sid} did not slide the TTL"
        assert gone, f"{sid}: a plain read slid the TTL (refresh_on_read is off)"
    assert await store.delete("append") is False, "an expired session is not live"
    assert await listed_ids(store) == []


async def test_ttl_refresh_on_read_slides_on_every_read(store_factory: StoreFactory) -> None:
    store = store_factory(ttl=TTL, refresh_on_read=True)
    reads: dict[str, Callable[[str], Awaitable[Any]]] = {
        "read": lambda sid: store.read(sid),
        "read-latest": lambda sid: store.read(sid, limit=1),
        "read-range": lambda sid: store.read(sid, after=1, limit=1, keep="earliest"),
        "get_doc": lambda sid: store.get_doc(sid, "keep"),
        "list_docs": lambda sid: store.list_docs(sid),
        "info": lambda sid: store.info(sid),
        "last_seq": lambda sid: store.last_seq(sid),
    }

    async def timeline(sid: str) -> bool:
        await store.append(sid, ["a", "b"])
        await store.put_doc(sid, "keep", sid)
        written = time.monotonic()
        await sleep_until(written + 0.5)
        if sid in reads:
            await reads[sid](sid)
        await sleep_until(written + TTL + 0.1)  # past the writes' expiry
        return await store.get_doc(sid, "keep") == sid

    alive = await asyncio.gather(*(timeline(sid) for sid in [*reads, "unread"]))
    for sid, ok in zip(reads, alive[:-1], strict=True):
        assert ok, f"{sid} did not slide the TTL"
    assert not alive[-1], "a session nobody read outlived its TTL"
    for sid in reads:
        assert data(await store.read(sid)) == ["a", "b"], sid
        info = await store.info(sid)
        assert info is not None and info.expires_at is not None
        assert info.expires_at > time.time() + 0.5, "the read just now slid it again"
