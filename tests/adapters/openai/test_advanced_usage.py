"""AdvancedSession usage on every backend: store_run_usage, session and turn totals per branch,
and usage that a pop, a branch deletion or a clear makes void (also when they race it)."""

from __future__ import annotations

import asyncio
import logging
from unittest.mock import patch

import pytest
from agents import _debug
from agents.usage import Usage
from openai.types.responses.response_usage import OutputTokensDetails

from sessions_plus.openai_agents import AdvancedSession
from tests.fixtures.factory import StoreFactory

from .advanced_helpers import assistant, run_result, seeded, usage, user

DETAILS = {"cache_write_tokens": 0, "cached_tokens": 10, "cache_write_tokens_details": None}
"""``InputTokensDetails.__dict__`` of ``usage()``: what the SDK stores, whatever fields it has."""


async def test_usage_per_turn_and_per_session(store_factory: StoreFactory) -> None:
    session = AdvancedSession("usage", store_factory())
    await session.add_items([user("First turn")])
    await session.store_run_usage(run_result(usage()))
    await session.add_items([user("Second turn")])
    await session.store_run_usage(run_result(usage(2, 75, 45)))

    assert await session.get_session_usage() == {
        "requests": 3,
        "input_tokens": 125,
        "output_tokens": 75,
        "total_tokens": 200,
        "total_turns": 2,
    }
    assert await session.get_turn_usage(1) == {
        "requests": 1,
        "input_tokens": 50,
        "output_tokens": 30,
        "total_tokens": 80,
        "input_tokens_details": DETAILS,
        "output_tokens_details": {"reasoning_tokens": 5},
    }
    every = await session.get_turn_usage()
    assert isinstance(every, list)
    assert [(t["user_turn_number"], t["total_tokens"]) for t in every] == [(1, 80), (2, 120)]
    assert await session.get_turn_usage(3) == {}


async def test_a_second_run_on_a_turn_replaces_its_usage(store_factory: StoreFactory) -> None:
    session = AdvancedSession("replace", store_factory())
    await session.add_items([user("q")])
    await session.store_run_usage(run_result(usage(1, 10, 10)))
    await session.store_run_usage(run_result(usage(4, 20, 20)))
    assert await session.get_session_usage() == {
        "requests": 4,
        "input_tokens": 20,
        "output_tokens": 20,
        "total_tokens": 40,
        "total_turns": 1,
    }


async def test_missing_usage_and_missing_details(store_factory: StoreFactory) -> None:
    session = AdvancedSession("details", store_factory())
    await session.store_run_usage(run_result(usage()))  # no turn yet: nothing stored
    assert await session.get_session_usage() is None
    await session.add_items([user("First test")])
    await session.store_run_usage(run_result(None))
    assert await session.get_session_usage() is None
    await session.store_run_usage(run_result(Usage(requests=1, input_tokens=10, total_tokens=10)))
    minimal = await session.get_turn_usage(1)
    assert isinstance(minimal, dict)
    assert minimal["input_tokens_details"]["cached_tokens"] == 0
    assert minimal["output_tokens_details"] == {"reasoning_tokens": 0}

    only_output = Usage(requests=1, output_tokens_details=OutputTokensDetails(reasoning_tokens=42))
    object.__setattr__(only_output, "input_tokens_details", None)
    await session.add_items([user("hi")])
    await session.store_run_usage(run_result(only_output))
    second = await session.get_turn_usage(2)
    assert isinstance(second, dict)
    assert second["input_tokens_details"] is None
    assert second["output_tokens_details"] == {"reasoning_tokens": 42}


async def test_usage_per_branch(store_factory: StoreFactory) -> None:
    session = AdvancedSession("branch-usage", store_factory())
    await session.add_items([user("Main question"), assistant("Main answer")])
    await session.store_run_usage(run_result(usage(1, 50, 30)))
    await session.create_branch_from_turn(1, "usage_branch")
    await session.add_items([user("Branch question")])
    await session.store_run_usage(run_result(usage(2, 100, 60)))

    main = await session.get_session_usage(branch_id="main")
    branch = await session.get_session_usage(branch_id="usage_branch")
    total = await session.get_session_usage()
    assert main is not None and branch is not None and total is not None
    assert (main["requests"], main["total_tokens"], main["total_turns"]) == (1, 80, 1)
    assert (branch["requests"], branch["total_tokens"], branch["total_turns"]) == (2, 160, 1)
    assert (total["requests"], total["total_tokens"], total["total_turns"]) == (3, 240, 2)
    on_branch = await session.get_turn_usage(branch_id="usage_branch")
    assert isinstance(on_branch, list) and [t["requests"] for t in on_branch] == [2]
    assert await session.get_turn_usage(1) == await session.get_turn_usage(1, "usage_branch")
    await session.delete_branch("usage_branch", force=True)
    assert await session.get_session_usage() == main
    assert await session.get_session_usage(branch_id="nonexistent") is None


async def test_a_pop_voids_usage_only_when_it_empties_the_turn(
    store_factory: StoreFactory,
) -> None:
    session = await seeded(store_factory(), "pop-usage", "u1")
    await session.store_run_usage(run_result(usage()))
    await session.pop_item()  # the answer: the turn stays, with its usage
    assert (await session.get_session_usage() or {}).get("total_turns") == 1
    await session.pop_item()  # the question: the turn is gone
    assert await session.get_session_usage() is None
    assert await session.get_turn_usage(1) == {}
    await session.add_items([user("fresh turn 1")])
    assert await session.get_turn_usage(1) == {}


@pytest.mark.parametrize("then_reuse_the_turn", [False, True])
async def test_usage_racing_the_pop_of_its_turn_is_not_recorded(
    store_factory: StoreFactory, then_reuse_the_turn: bool
) -> None:
    session = await seeded(store_factory(), "usage-race", "u1")
    later = [session.pop_item(), session.pop_item()]
    if then_reuse_the_turn:
        later.append(session.add_items([user("fresh turn")]))
    # store_run_usage captures turn 1 first; the pops (and the new turn 1) may land before or
    # after its write: either way the usage of the removed turn must not count.
    await asyncio.gather(session.store_run_usage(run_result(usage())), *later)
    assert await session.get_session_usage() is None
    assert await session.get_turn_usage(1) == {}


async def test_usage_survives_deleting_an_unrelated_branch(store_factory: StoreFactory) -> None:
    session = await seeded(store_factory(), "usage-scope", "u1", "u2")
    await session.create_branch_from_turn(2, "side_branch")
    await session.switch_to_branch("main")
    await asyncio.gather(
        session.store_run_usage(run_result(usage())), session.delete_branch("side_branch")
    )
    turn_two = await session.get_turn_usage(2)
    assert isinstance(turn_two, dict) and turn_two["total_tokens"] == 80


async def test_clear_removes_usage(store_factory: StoreFactory) -> None:
    session = await seeded(store_factory(), "clear-usage", "u1")
    await session.store_run_usage(run_result(usage()))
    await session.clear_session()
    assert await session.get_session_usage() is None
    await session.add_items([user("again")])
    assert await session.get_turn_usage(1) == {}


async def test_a_failed_usage_write_is_logged_not_raised(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    session = await seeded(store_factory(), "closed-usage", "u1")
    session.close()
    with caplog.at_level(logging.ERROR):
        await session.store_run_usage(run_result(usage()))
    assert "Failed to store session usage" in caplog.text


@pytest.mark.parametrize("redacted", [True, False])
async def test_usage_failures_follow_the_model_data_policy(
    store_factory: StoreFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    redacted: bool,
) -> None:
    monkeypatch.setattr(_debug, "DONT_LOG_MODEL_DATA", redacted)
    secret = "SECRET_USAGE_FAILURE"
    logger = logging.getLogger("advanced-usage-failure")
    session = AdvancedSession("SECRET_SESSION_ID", store_factory(), logger=logger)
    await session.add_items([user("q")])
    with (
        patch.object(session, "_record_usage", side_effect=RuntimeError(secret)),
        caplog.at_level(logging.ERROR, logger=logger.name),
    ):
        await session.store_run_usage(run_result(usage()))
    (record,) = [r for r in caplog.records if "Failed to store session usage" in r.getMessage()]
    assert (secret in caplog.text) is not redacted
    assert ("SECRET_SESSION_ID" in str(record.__dict__)) is not redacted


async def test_usage_follows_the_branch_however_it_changed_since(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    mine = await seeded(store, "tail", "u1")
    await mine.store_run_usage(run_result(usage(1, 1, 1)))
    # Many turns at once: more new records than one bounded read returns.
    await mine.add_items([user(f"q{n}") for n in range(70)])
    await mine.store_run_usage(run_result(usage(2, 2, 2)))
    rows = await mine.get_turn_usage()
    assert isinstance(rows, list)
    assert [t["user_turn_number"] for t in rows] == [1, 71]
    # Another object rewrites the end (pop, then new turns at the same seqs).
    other = AdvancedSession("tail", store)
    for _ in range(71):
        await other.pop_item()
    await other.add_items([user("new 2"), user("new 3")])
    await mine.store_run_usage(run_result(usage(3, 3, 3)))
    rows = await mine.get_turn_usage()
    assert isinstance(rows, list)
    assert [(t["user_turn_number"], t["requests"]) for t in rows] == [(1, 1), (3, 3)]
