"""Helpers shared by the contract suite in tests/contract/."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from sessions_plus import (
    ConversationStore,
    Record,
    SessionInfo,
)

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
