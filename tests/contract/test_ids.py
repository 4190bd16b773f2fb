"""Session ids, stream and document names: hostile ids stay isolated, bad ones are rejected.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sessions_plus import (
    MAX_SESSION_ID_LENGTH,
    ConversationStore,
    InvalidNameError,
    InvalidSessionIdError,
)
from tests.contract.helpers import (
    S,
    all_sessions,
    data,
    listed_ids,
)

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
        with pytest.raises(InvalidNameError) as caught:
            await store.append(S, ["x"], stream=bad)
        assert type(caught.value) is InvalidNameError  # not a session id error
        if bad is not None:  # None is "no format / no author"
            with pytest.raises(InvalidNameError) as caught:
                await store.append(S, ["x"], format=bad)
            assert type(caught.value) is InvalidNameError  # not a session id error
            with pytest.raises(InvalidNameError) as caught:
                await store.append(S, ["x"], author=bad)
            assert type(caught.value) is InvalidNameError  # not a session id error
            with pytest.raises(InvalidNameError) as caught:
                await store.splice(S, 1, ["x"], author=bad)
            assert type(caught.value) is InvalidNameError  # not a session id error
        with pytest.raises(InvalidNameError) as caught:
            await store.put_doc(S, bad, 1)
        assert type(caught.value) is InvalidNameError  # not a session id error
        with pytest.raises(InvalidNameError) as caught:
            await store.get_doc(S, bad)
        assert type(caught.value) is InvalidNameError  # not a session id error
        with pytest.raises(InvalidNameError) as caught:
            await store.read(S, stream=bad)
        assert type(caught.value) is InvalidNameError  # not a session id error
    assert await store.info(S) is None
    assert await listed_ids(store) == []
    # The longest valid names are fine.
    await store.append(S, ["x"], stream="s" * 256, format="f" * 256, author="a" * 256)
    record = (await store.read(S, stream="s" * 256))[0]
    assert (record.format, record.author) == ("f" * 256, "a" * 256)
