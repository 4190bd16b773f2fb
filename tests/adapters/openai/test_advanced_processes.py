"""AdvancedSession across processes (every backend other processes can open by URL): a
Runner.run conversation branched at turn 2 and continued on both branches by different
processes, and processes branching, appending and popping on one session at once."""

from __future__ import annotations

import json
from typing import Any

from agents import Agent, Runner, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message

from sessions_plus.openai_agents import AdvancedSession
from tests.fixtures.factory import StoreFactory
from tests.fixtures.processes import output_of, start_python

from .advanced_helpers import contents, run_result, texts, turns, usage, user

set_tracing_disabled(True)

CHILD = """
import asyncio, json, sys
from agents import Agent, Runner, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message
from sessions_plus import open_store
from sessions_plus.openai_agents import AdvancedSession

set_tracing_disabled(True)


def text(item):
    content = item.get("content")
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


async def act(session, job):
    action = job["action"]
    if action == "continue":  # branch (or switch), then one Runner.run turn with usage
        if job.get("branch_from"):
            await session.create_branch_from_turn(job["branch_from"], job["branch"])
        else:
            await session.switch_to_branch(job["branch"])
        model = ScriptedModel([[assistant_message(job["reply"])]])
        result = await Runner.run(Agent(name="a", model=model), job["question"], session=session)
        await session.store_run_usage(result)
        return {"seen": [text(item) for item in model.calls[0].input]}
    if action == "branch":
        return {"branch": await session.create_branch_from_turn(job["turn"], job.get("name"))}
    if action == "append":
        for n in range(job["batches"]):
            await session.add_items([{"role": "user", "content": f"{job['worker']}-{n}"},
                                     {"role": "assistant", "content": f"{job['worker']}-{n}!"}])
        return {}
    if action == "pop":
        return {"popped": await session.pop_item()}
    raise ValueError(action)


async def main(url, sid, job):
    store = open_store(url)
    try:
        try:
            result = await act(AdvancedSession(sid, store), job)
        except ValueError as exc:
            result = {"error": type(exc).__name__}
        print(json.dumps(result), flush=True)
    finally:
        await store.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
"""


async def in_children(factory: StoreFactory, sid: str, *jobs: dict[str, Any]) -> list[Any]:
    """Run each job in its own process, all at once; their JSON results in order."""
    url = factory.url()
    children = [await start_python(CHILD, url, sid, json.dumps(job)) for job in jobs]
    return [json.loads(await output_of(child)) for child in children]


async def test_a_run_branched_at_turn_two_continues_in_other_processes(
    cross_process_factory: StoreFactory,
) -> None:
    sid = "runner: branches {x}"
    session = AdvancedSession(sid, cross_process_factory())
    model = ScriptedModel([[assistant_message(f"answer {n}")] for n in (1, 2, 3)])
    for n in (1, 2, 3):
        result = await Runner.run(Agent(name="a", model=model), f"question {n}", session=session)
        await session.store_run_usage(result)

    (on_alt,) = await in_children(
        cross_process_factory,
        sid,
        {
            "action": "continue",
            "branch_from": 2,
            "branch": "alt",
            "question": "alt question",
            "reply": "alt answer",
        },
    )
    assert on_alt["seen"] == ["question 1", "answer 1", "alt question"]
    assert await session.get_current_branch_id() == "alt"  # the child's switch is everyone's

    (on_main,) = await in_children(
        cross_process_factory,
        sid,
        {"action": "continue", "branch": "main", "question": "question 4", "reply": "answer 4"},
    )
    main_history = [f"{kind} {n}" for n in (1, 2, 3) for kind in ("question", "answer")]
    assert on_main["seen"] == [*main_history, "question 4"]

    assert texts(await session.get_items(branch_id="main")) == [
        *main_history,
        "question 4",
        "answer 4",
    ]
    assert texts(await session.get_items(branch_id="alt")) == [
        "question 1",
        "answer 1",
        "alt question",
        "alt answer",
    ]
    branches = {b["branch_id"]: b for b in await session.list_branches()}
    assert {(b, info["user_turns"], info["is_current"]) for b, info in branches.items()} == {
        ("main", 4, True),
        ("alt", 2, False),
    }
    main_usage = await session.get_turn_usage(branch_id="main")
    alt_usage = await session.get_turn_usage(branch_id="alt")
    assert isinstance(main_usage, list) and isinstance(alt_usage, list)
    assert [t["user_turn_number"] for t in main_usage] == [1, 2, 3, 4]
    assert [t["user_turn_number"] for t in alt_usage] == [2]


async def test_processes_appending_at_once_lose_and_duplicate_nothing(
    cross_process_factory: StoreFactory,
) -> None:
    sid = "appenders"
    session = AdvancedSession(sid, cross_process_factory())
    await session.add_items(turns("one", "two"))
    await session.create_branch_from_turn(2, "busy")
    jobs = [{"action": "append", "worker": f"w{n}", "batches": 5} for n in range(2)]
    await in_children(cross_process_factory, sid, *jobs)
    stored = contents(await session.get_items())
    expected = {f"w{w}-{n}{end}" for w in range(2) for n in range(5) for end in ("", "!")}
    assert stored[:2] == ["q:one", "a:one"]
    assert sorted(stored[2:]) == sorted(expected)
    for w in range(2):  # each batch stays whole and in its writer's order
        mine = [text for text in stored if text.startswith(f"w{w}-")]
        assert mine == [f"w{w}-{n}{end}" for n in range(5) for end in ("", "!")]
    assert len(await session.get_conversation_turns()) == 1 + 10
    assert await session.get_items(branch_id="main") == turns("one", "two")


async def test_processes_branching_at_once_each_get_their_own_branch(
    cross_process_factory: StoreFactory,
) -> None:
    sid = "branchers"
    session = AdvancedSession(sid, cross_process_factory())
    await session.add_items(turns("one", "two", "three"))
    jobs = [{"action": "branch", "turn": 2}]
    jobs += [{"action": "branch", "turn": 2, "name": "shared"} for _ in range(2)]
    results = await in_children(cross_process_factory, sid, *jobs)
    made = [r["branch"] for r in results if "branch" in r]
    # A creator that saw another's new branch as current finds no turn 2 there: branching is
    # relative to the current branch, which all processes share.
    errors = [r["error"] for r in results if "error" in r]
    assert set(errors) <= {"BranchIdUsedError", "TurnNotFoundError"}
    assert made.count("shared") <= 1
    assert len(made) == len(set(made)) >= 1
    for branch in made:
        assert await session.get_items(branch_id=branch) == turns("one")
    assert await session.get_items(branch_id="main") == turns("one", "two", "three")
    assert await session.get_current_branch_id() in made
    listed = {b["branch_id"] for b in await session.list_branches()}
    assert listed == {"main", *made}


async def test_processes_popping_at_once_get_the_last_item_once(
    cross_process_factory: StoreFactory,
) -> None:
    sid = "poppers"
    session = AdvancedSession(sid, cross_process_factory())
    await session.add_items([user("only")])
    await session.store_run_usage(run_result(usage()))
    results = await in_children(cross_process_factory, sid, {"action": "pop"}, {"action": "pop"})
    popped = [r["popped"] for r in results]
    assert popped.count(user("only")) == 1 and popped.count(None) == 1
    assert await session.get_items() == []
    assert await session.get_session_usage() is None
