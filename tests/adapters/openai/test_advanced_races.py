"""AdvancedSession when several session objects (as several processes would) change one
session's branches at once, on every backend: whatever the interleaving, a clear wins over a
branch being made, the current branch is never a deleted one, and the head stream stays small.
"""

from __future__ import annotations

import asyncio

from sessions_plus import BranchError, BranchNotFoundError, TurnNotFoundError
from sessions_plus.openai_agents import AdvancedSession
from sessions_plus.openai_agents.branches import HEAD_STREAM
from tests.fixtures.factory import StoreFactory

from .advanced_helpers import seeded, turns, user


async def test_a_clear_wins_over_a_branch_made_at_the_same_time(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    for attempt in range(4):
        sid = f"clear-race-{attempt}"
        maker = await seeded(store, sid, "u1", "u2")
        clearer = AdvancedSession(sid, store)
        made, cleared = await asyncio.gather(
            maker.create_branch_from_turn(2, "racing"),
            clearer.clear_session(),
            return_exceptions=True,
        )
        assert cleared is None
        assert made == "racing" or isinstance(made, TurnNotFoundError)
        # Made before, during or after the clear: nothing of the old history is visible.
        assert await maker.get_current_branch_id() == "main"
        assert await maker.get_items() == []
        assert await maker.get_items(branch_id="racing") == []
        assert await maker.list_branches() == []


async def test_the_current_branch_is_never_a_deleted_one(store_factory: StoreFactory) -> None:
    store = store_factory()
    for attempt in range(4):
        sid = f"delete-race-{attempt}"
        setup = await seeded(store, sid, "u1", "u2")
        await setup.create_branch_from_turn(2, "contested")
        await setup.add_items([user("on contested")])
        await setup.switch_to_branch("main")
        switcher, deleter = AdvancedSession(sid, store), AdvancedSession(sid, store)
        switched, deleted = await asyncio.gather(
            switcher.switch_to_branch("contested"),
            deleter.delete_branch("contested"),
            return_exceptions=True,
        )
        assert switched is None or isinstance(switched, BranchNotFoundError)
        assert deleted is None or isinstance(deleted, BranchError)  # "current branch"
        current = await setup.get_current_branch_id()
        listed = {b["branch_id"] for b in await setup.list_branches()}
        assert current in listed
        assert ("contested" in listed) == (deleted is not None)


async def test_many_switches_keep_the_head_stream_small(store_factory: StoreFactory) -> None:
    store = store_factory()
    session = await seeded(store, "switches", "u1", "u2")
    await session.create_branch_from_turn(2, "side")
    await session.add_items([user("side")])
    for n in range(70):
        await session.switch_to_branch("main" if n % 2 else "side")
    assert await session.get_current_branch_id() == "main"
    info = await store.info("switches")
    assert info is not None
    head = info.ranges[HEAD_STREAM]
    assert head.last == 71 and head.count < 64  # trimmed at its 64th record
    await session.add_items([user("still fine")])
    assert (await session.get_items())[-1] == user("still fine")
    assert await session.get_items(branch_id="side") == [*turns("u1"), user("side")]
