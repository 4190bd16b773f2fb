"""AdvancedSession branches on every backend: the behaviour of the SDK's AdvancedSQLiteSession
(create, switch, list, delete with force, reserved ids, pop and clear per branch), plus the
shared current branch and typed errors that write nothing."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from agents import _debug

from sessions_plus import (
    BranchError,
    BranchIdUsedError,
    BranchNotFoundError,
    StoreClosedError,
    TurnNotFoundError,
)
from sessions_plus.openai_agents import AdvancedSession
from tests.fixtures.factory import StoreFactory

from .advanced_helpers import assistant, contents, seeded, stored, turns, user


async def test_branch_from_a_turn_copies_what_came_before_and_becomes_current(
    store_factory: StoreFactory,
) -> None:
    session = await seeded(store_factory(), "branching", "one", "two", "three")
    assert len(await session.get_items()) == 6

    assert await session.create_branch_from_turn(2, "test_branch") == "test_branch"
    assert await session.get_current_branch_id() == "test_branch"
    assert await session.get_items() == turns("one")

    await session.switch_to_branch("main")
    assert await session.get_current_branch_id() == "main"
    assert await session.get_items() == turns("one", "two", "three")
    branches = await session.list_branches()
    assert [b["branch_id"] for b in branches] == ["main", "test_branch"]
    assert [(b["message_count"], b["user_turns"], b["is_current"]) for b in branches] == [
        (6, 3, True),
        (2, 1, False),
    ]
    assert all(time.strptime(b["created_at"], "%Y-%m-%d %H:%M:%S") for b in branches)

    await session.delete_branch("test_branch")
    assert [b["branch_id"] for b in await session.list_branches()] == ["main"]
    assert await session.get_items(branch_id="test_branch") == []


async def test_new_items_go_to_the_current_branch_only(store_factory: StoreFactory) -> None:
    session = await seeded(store_factory(), "params", "one", "two")
    assert contents(await session.get_items(limit=2)) == ["q:two", "a:two"]
    await session.create_branch_from_turn(2, "side")
    await session.add_items([user("branch q"), assistant("branch a")])
    assert contents(await session.get_items(branch_id="side")) == [
        "q:one",
        "a:one",
        "branch q",
        "branch a",
    ]
    assert await session.get_items(branch_id="main") == turns("one", "two")
    turns_on_side = await session.get_conversation_turns()
    assert [(t["turn"], t["content"]) for t in turns_on_side] == [(1, "q:one"), (2, "branch q")]


@pytest.mark.parametrize("taken", ["main", "existing_branch"])
async def test_a_used_branch_id_is_refused_and_nothing_changes(
    store_factory: StoreFactory, taken: str
) -> None:
    session = await seeded(store_factory(), f"taken-{taken}", "one", "two", "three")
    if taken != "main":
        await session.create_branch_from_turn(3, taken)
        await session.switch_to_branch("main")
    before = await session.get_items(branch_id=taken)
    with pytest.raises(BranchIdUsedError, match="already been used"):
        await session.create_branch_from_turn(2, taken)
    assert await session.get_current_branch_id() == "main"
    assert await session.get_items(branch_id=taken) == before
    assert await session.get_items(branch_id="main") == turns("one", "two", "three")


async def test_generated_ids_in_one_second_do_not_merge(
    store_factory: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    session = await seeded(store_factory(), "generated", "one", "two", "three")
    first = await session.create_branch_from_turn(3)
    await session.switch_to_branch("main")
    second = await session.create_branch_from_turn(3)
    assert (first, second) == ("branch_from_turn_3_1700000000", "branch_from_turn_3_1700000000_2")
    assert await session.get_items(branch_id=first) == turns("one", "two")
    assert await session.get_items(branch_id=second) == turns("one", "two")


async def test_ids_stay_reserved_after_delete_and_clear(store_factory: StoreFactory) -> None:
    session = await seeded(store_factory(), "reserved", "one", "two", "three")
    await session.create_branch_from_turn(3, "used")
    await session.switch_to_branch("main")
    await session.delete_branch("used")
    with pytest.raises(BranchIdUsedError):
        await session.create_branch_from_turn(2, "used")
    await session.clear_session()
    await session.add_items(turns("one", "two"))
    with pytest.raises(BranchIdUsedError):
        await session.create_branch_from_turn(1, "used")


async def test_deleting_a_branch_leaves_branches_copied_from_it(
    store_factory: StoreFactory,
) -> None:
    session = await seeded(store_factory(), "descendant", "m1", "m2")
    await session.create_branch_from_turn(2, "branch_a")
    await session.add_items(turns("a-shared", "a-only"))
    await session.create_branch_from_turn(3, "branch_b")  # copies m1 and a-shared
    await session.delete_branch("branch_a")
    assert await session.get_items(branch_id="branch_b") == turns("m1", "a-shared")
    assert await session.get_items(branch_id="branch_a") == []
    assert await session.get_items(branch_id="main") == turns("m1", "m2")
    with pytest.raises(BranchNotFoundError):
        await session.switch_to_branch("branch_a")


async def test_branch_from_content_takes_the_first_match(store_factory: StoreFactory) -> None:
    session = AdvancedSession("content", store_factory())
    await session.add_items([user("First question about math"), assistant("Math answer")])
    await session.add_items([user("Second question about science"), assistant("Science")])
    await session.add_items([user("Another math question"), assistant("More math")])
    assert await session.create_branch_from_content("MATH", "math_branch") == "math_branch"
    assert await session.get_current_branch_id() == "math_branch"
    assert await session.get_items() == []  # nothing comes before turn 1
    with pytest.raises(TurnNotFoundError, match="No user turns found containing 'nonexistent'"):
        await session.create_branch_from_content("nonexistent", "error_branch")


async def test_a_branch_made_from_turn_one_exists_once_written(
    store_factory: StoreFactory,
) -> None:
    session = await seeded(store_factory(), "empty-branch", "one")
    await session.create_branch_from_turn(1, "fresh")
    assert await session.get_current_branch_id() == "fresh"
    assert await session.get_items() == []
    assert [b["branch_id"] for b in await session.list_branches()] == ["main"]
    await session.add_items([user("fresh start")])
    assert [t["turn"] for t in await session.get_conversation_turns()] == [1]
    assert [b["branch_id"] for b in await session.list_branches()] == ["main", "fresh"]


async def test_errors_of_the_sdk(store_factory: StoreFactory) -> None:
    session = AdvancedSession("errors", store_factory())
    with pytest.raises(TurnNotFoundError, match="Turn 5 does not contain a user message"):
        await session.create_branch_from_turn(5, "error_branch")
    with pytest.raises(BranchNotFoundError, match="Branch 'nonexistent' does not exist"):
        await session.switch_to_branch("nonexistent")
    with pytest.raises(BranchNotFoundError, match="Branch 'nonexistent' does not exist"):
        await session.delete_branch("nonexistent")
    with pytest.raises(BranchError, match="Cannot delete the 'main' branch"):
        await session.delete_branch("main")
    for blank in ("", "   "):
        with pytest.raises(BranchError, match="Branch ID cannot be empty"):
            await session.delete_branch(blank)
        with pytest.raises(BranchError, match="Branch name cannot be empty"):
            await session.create_branch_from_turn(1, blank)
    # Every one of them is a ValueError, as the SDK raises.
    assert issubclass(BranchNotFoundError, ValueError)
    assert issubclass(TurnNotFoundError, ValueError)
    assert issubclass(BranchIdUsedError, ValueError)


async def test_deleting_the_current_branch_needs_force(store_factory: StoreFactory) -> None:
    session = AdvancedSession("force", store_factory())
    await session.add_items([user("Main question")])
    await session.add_items([user("Second question")])
    await session.create_branch_from_turn(2, "temp_branch")
    await session.add_items([user("Branch question")])
    with pytest.raises(BranchError, match="Cannot delete current branch"):
        await session.delete_branch("temp_branch")
    await session.delete_branch("temp_branch", force=True)
    assert await session.get_current_branch_id() == "main"
    assert [b["branch_id"] for b in await session.list_branches()] == ["main"]


async def test_pop_acts_on_the_current_branch_only(store_factory: StoreFactory) -> None:
    session = await seeded(store_factory(), "pop-branch", "u1", "u2")
    await session.create_branch_from_turn(2, "branch_a")
    await session.add_items([user("branch-only")])
    assert await session.pop_item() == user("branch-only")
    assert await session.pop_item() == assistant("a:u1")
    assert await session.pop_item() == user("q:u1")
    assert await session.pop_item() is None
    assert await session.get_items(branch_id="main") == turns("u1", "u2")
    await session.switch_to_branch("main")
    while await session.pop_item() is not None:
        pass
    assert await session.get_items() == []
    assert await session.list_branches() == []


async def test_a_pop_called_before_a_switch_pops_the_old_branch(
    store_factory: StoreFactory,
) -> None:
    session = await seeded(store_factory(), "pop-order", "u1", "u2")
    await session.create_branch_from_turn(2, "branch_a")
    await session.add_items([user("branch-only")])
    popped, _ = await asyncio.gather(session.pop_item(), session.switch_to_branch("main"))
    assert popped == user("branch-only")
    assert await session.get_current_branch_id() == "main"
    assert await session.get_items() == turns("u1", "u2")


async def test_clear_empties_every_branch_and_returns_to_main(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    session = await seeded(store, "clear", "u1", "u2")
    await session.create_branch_from_turn(2, "branch_a")
    await session.clear_session()
    assert await session.get_current_branch_id() == "main"
    assert await session.get_items() == []
    assert await session.get_items(branch_id="branch_a") == []
    assert await session.list_branches() == []
    await session.add_items([user("Fresh start")])
    assert [t["turn"] for t in await session.get_conversation_turns()] == [1]
    info = await store.info("clear")
    assert info is not None
    assert all(not name.startswith("advanced:0:") for name in info.streams)


async def test_the_current_branch_is_the_sessions_not_the_objects(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    first = await seeded(store, "shared-head", "u1", "u2")
    second = AdvancedSession("shared-head", store)
    await first.create_branch_from_turn(2, "fresh")
    assert await second.get_current_branch_id() == "fresh"
    await second.add_items([assistant("on fresh")])
    assert contents(await first.get_items()) == ["q:u1", "a:u1", "on fresh"]
    await second.clear_session()
    assert await first.get_current_branch_id() == "main"
    await first.add_items([user("after clear")])
    assert contents(await second.get_items()) == ["after clear"]
    assert [b["branch_id"] for b in await first.list_branches()] == ["main"]


async def test_creating_a_branch_logs_its_text_only_if_model_data_may_be_logged(
    store_factory: StoreFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "SECRET_BRANCH_TURN_CONTENT"
    for redacted in (True, False):
        monkeypatch.setattr(_debug, "DONT_LOG_MODEL_DATA", redacted)
        session = AdvancedSession(f"log-{redacted}", store_factory())
        await session.add_items([user(secret), assistant("response")])
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="sessions_plus.openai_agents.advanced"):
            await session.create_branch_from_turn(1, "branch")
        assert "Created branch 'branch'" in caplog.text
        assert (secret not in caplog.text) is redacted


# ---------------------------------------------------------------------- bad input


BAD_CALLS: dict[str, tuple[Any, type[Exception]]] = {
    "turn 0": (lambda s: s.create_branch_from_turn(0, "b"), TurnNotFoundError),
    "negative turn": (lambda s: s.create_branch_from_turn(-1, "b"), TurnNotFoundError),
    "turn past the end": (lambda s: s.create_branch_from_turn(3), TurnNotFoundError),
    "turn of another type": (lambda s: s.create_branch_from_turn("1"), TypeError),
    "turn as a bool": (lambda s: s.create_branch_from_turn(True), TypeError),
    "used name": (lambda s: s.create_branch_from_turn(1, "main"), BranchIdUsedError),
    "blank name": (lambda s: s.create_branch_from_turn(1, " "), BranchError),
    "name too long": (lambda s: s.create_branch_from_turn(1, "b" * 201), BranchError),
    "foreign branch switch": (lambda s: s.switch_to_branch("theirs"), BranchNotFoundError),
    "foreign branch delete": (lambda s: s.delete_branch("theirs"), BranchNotFoundError),
    "no matching content": (lambda s: s.create_branch_from_content("zebra"), TurnNotFoundError),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
async def test_bad_input_raises_a_typed_error_and_writes_nothing(
    store_factory: StoreFactory, case: str
) -> None:
    store = store_factory()
    other = await seeded(store, "other", "x")
    await other.create_branch_from_turn(1, "theirs")
    await other.add_items([user("their branch")])
    session = await seeded(store, "mine", "one", "two")
    before = await stored(store, "mine")
    call, error = BAD_CALLS[case]
    with pytest.raises(error):
        await call(session)
    assert await stored(store, "mine") == before
    assert await session.get_current_branch_id() == "main"


async def test_a_missing_session_has_no_turn_and_stays_missing(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    session = AdvancedSession("missing", store)
    with pytest.raises(TurnNotFoundError):
        await session.create_branch_from_turn(1, "b")
    with pytest.raises(BranchNotFoundError):
        await session.switch_to_branch("main")
    assert await store.info("missing") is None


async def test_a_closed_session_refuses_work(store_factory: StoreFactory) -> None:
    session = await seeded(store_factory(), "closed", "one")
    session.close()
    for attempt in (
        session.add_items([]),
        session.get_items(),
        session.pop_item(),
        session.switch_to_branch("main"),
    ):
        with pytest.raises(StoreClosedError):
            await attempt
    assert issubclass(StoreClosedError, RuntimeError)  # the SDK raises RuntimeError
