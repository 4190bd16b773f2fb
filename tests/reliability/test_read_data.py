"""``ConversationStore.read_data``: exactly the data of ``read``, on every backend.

``read_data`` exists so backends can read less per record (SQLite selects only seq and
payload); it must select, order, validate and apply the corrupt-record policy like ``read``.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sessions_plus import CorruptRecordError, StoreClosedError
from tests.fixtures.factory import StoreFactory

SID = "reader:{1}"

SELECTIONS: list[dict[str, Any]] = [
    {},
    {"limit": 3},
    {"limit": 3, "keep": "earliest"},
    {"limit": 100},
    {"limit": 0},
    {"after": 2},
    {"after": 2, "limit": 2, "keep": "earliest"},
    {"after": 2, "limit": 2},
    {"before": 4},
    {"after": 1, "before": 5},
    {"after": 3, "before": 4},
    {"after": 7},
    {"stream": "other"},
    {"stream": "empty"},
]


async def test_read_data_is_the_data_of_read(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.append(SID, [{"n": n} for n in range(1, 8)], format="f", author="a")
    await store.append(SID, ["x", "y"], stream="other")
    for selection in SELECTIONS:
        expected = [record.data for record in await store.read(SID, **selection)]
        assert await store.read_data(SID, **selection) == expected, selection
    assert await store.read_data("nobody") == []


async def test_read_data_validates_like_read(store_factory: StoreFactory) -> None:
    store = store_factory()
    with pytest.raises(ValueError):
        await store.read_data(SID, limit=-1)
    with pytest.raises(ValueError):
        await store.read_data(SID, keep="middle")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.read_data(SID, after="1")  # type: ignore[arg-type]
    await store.aclose()
    with pytest.raises(StoreClosedError):
        await store.read_data(SID)


async def test_read_data_applies_the_corrupt_record_policy(
    store_factory: StoreFactory, caplog: Any
) -> None:
    store = store_factory()
    await store.append(SID, [f"r{n}" for n in range(1, 6)])
    await store_factory.plant_record(store, SID, 3, b'{"role": "user", "content": ')

    with pytest.raises(CorruptRecordError) as info:
        await store.read_data(SID)
    assert (info.value.session_id, info.value.stream, info.value.seq) == (SID, "main", 3)
    assert await store.read_data(SID, limit=2) == ["r4", "r5"]

    skipping = store_factory(on_corrupt="skip") if store_factory.shared else store
    skipping.on_corrupt = "skip"
    with caplog.at_level(logging.WARNING, logger="sessions_plus"):
        assert await skipping.read_data(SID) == ["r1", "r2", "r4", "r5"]
    warnings = [r for r in caplog.records if r.name == "sessions_plus"]
    assert len(warnings) == 1 and "seq=3" in warnings[0].getMessage()


@pytest.mark.parametrize("on_corrupt", ["raise", "skip"])
async def test_strands_message_ids_survive_a_skipped_record(on_corrupt: str) -> None:
    """Strands' list_messages reads payloads alone unless records may be skipped: either way
    every message keeps the id of its own record."""
    pytest.importorskip("strands")
    from strands.types.session import SessionMessage

    from sessions_plus import MemoryStore
    from sessions_plus.strands import StoreSessionRepository

    store = MemoryStore(on_corrupt=on_corrupt)  # type: ignore[arg-type]
    with StoreSessionRepository(store, close_store=True) as repo:
        for n in range(5):
            message = {"role": "user", "content": [{"text": f"m{n}"}]}
            repo.create_message("s", "a", SessionMessage(message, 0))  # type: ignore[arg-type]
        ids = [m.message_id for m in repo.list_messages("s", "a", offset=1)]
        assert ids == [1, 2, 3, 4]
        repo.run(store.replace_payload("s", "agent:a", 3, b"not json"))
        if on_corrupt == "raise":
            with pytest.raises(CorruptRecordError):
                repo.list_messages("s", "a")
        else:
            messages = repo.list_messages("s", "a", offset=1)
            assert [m.message_id for m in messages] == [1, 3, 4]
            assert [m.message["content"][0]["text"] for m in messages] == ["m1", "m3", "m4"]
