"""Orphaned tool calls and results, repaired on read: both sides of the rule, for both targets."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from sessions_plus import MemoryStore
from sessions_plus.conversation import (
    INTERRUPTED,
    RenderOptions,
    read_items,
    read_repaired,
    render,
)
from sessions_plus.conversation import repair as repair_module
from sessions_plus.testing import check_converse_messages, check_responses_input
from tests.conversation.helpers import (
    OA,
    ST,
    call,
    items,
    oa,
    output,
    records,
    s_result,
    s_text,
    s_use,
    said,
    strands_blocks,
    strands_roles,
    user,
    write,
)
from tests.conversation.helpers import st as strands

SYNTHETIC_OUTPUT = {"type": "function_call_output", "call_id": "c1", "output": INTERRUPTED}
SYNTHETIC_RESULT = {
    "toolResult": {"toolUseId": "t1", "status": "error", "content": [{"text": INTERRUPTED}]}
}


@pytest.fixture(autouse=True)
def fresh_log() -> None:
    """Each test sees its repairs logged (they are logged once per process)."""
    repair_module._logged.clear()


def repairs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sessions_plus.conversation"]


# ---------------------------------------------------------------------- OpenAI Responses


def test_a_call_left_behind_by_a_later_turn_gets_an_interrupted_output(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recs = records(oa(user("q1")), oa(call("c1", "f", {})), oa(user("q2")))
    stored = copy.deepcopy([r.data for r in recs])
    with caplog.at_level(logging.WARNING):
        rendered = render(recs, OA, session_id="s1")
        again = render(recs, OA, session_id="s1")
    assert items(rendered) == [user("q1"), call("c1", "f", {}), SYNTHETIC_OUTPUT, user("q2")]
    assert [r.seqs for r in rendered] == [(1,), (2,), (), (3,)]
    assert [r.native for r in rendered] == [True, True, False, True]
    assert again == rendered
    assert check_responses_input(items(rendered)) is None
    [line] = repairs(caplog)  # once, however often it is read
    assert "session 's1', record seq=2: tool call c1 has no result and the conversation" in line
    assert [r.data for r in recs] == stored  # a read never changes a record


def test_a_trailing_call_is_pending_unless_a_run_starts_on_it() -> None:
    recs = records(oa(user("q1")), oa(call("c1", "f", {})), oa(said("thinking")))
    assert items(render(recs, OA)) == [r.data for r in recs]  # its result may still come
    started = items(render(recs, OA, run_start=True))
    assert started == [user("q1"), call("c1", "f", {}), SYNTHETIC_OUTPUT, said("thinking")]


def test_a_result_later_in_the_same_turn_answers_its_call() -> None:
    recs = records(
        oa(user("q1")),
        oa(call("c1", "f", {})),
        oa(call("c2", "g", {})),
        oa(said("working")),
        oa(output("c2", "two")),
        oa(output("c1", "one")),
        oa(user("q2")),
    )
    assert items(render(recs, OA, run_start=True)) == [r.data for r in recs]


def test_a_result_after_a_later_turn_is_a_note_and_its_call_interrupted() -> None:
    recs = records(
        oa(user("q1")),
        oa(call("c1", "f", {})),
        oa(user("q2"), author="other"),
        oa(output("c1", "late")),
        oa(output("c9", "stray")),
    )
    assert items(render(recs, OA)) == [
        user("q1"),
        call("c1", "f", {}),
        SYNTHETIC_OUTPUT,
        user("q2"),
        {"role": "assistant", "content": "[result of tool call c1 -> late]"},
        {"role": "assistant", "content": "[result of tool call c9 -> stray]"},
    ]


def test_the_same_call_id_twice_answers_the_later_call() -> None:
    recs = records(
        oa(user("q")), oa(call("c1", "f", {})), oa(call("c1", "f", {})), oa(output("c1", "r"))
    )
    rendered = items(render(recs, OA))
    assert rendered[2] == SYNTHETIC_OUTPUT and rendered[3:] == [
        call("c1", "f", {}),
        output("c1", "r"),
    ]
    assert check_responses_input(rendered) is None


# ---------------------------------------------------------------------- Strands / Bedrock


def test_strands_call_left_behind_is_answered_in_the_next_user_turn() -> None:
    recs = records(
        strands(s_text("user", "q1")),
        strands(s_use("t1", "f", {})),
        strands(s_text("user", "q2")),
        strands(s_text("assistant", "a2")),
    )
    rendered = render(recs, ST)
    assert strands_roles(rendered) == ["user", "assistant", "user", "assistant"]
    assert strands_blocks(rendered)[2] == [SYNTHETIC_RESULT, {"text": "q2"}]
    assert [r.seqs for r in rendered] == [(1,), (2,), (3,), (4,)]
    assert [r.native for r in rendered] == [True, True, False, True]
    assert check_converse_messages([r.item["message"] for r in rendered]) is None


def test_strands_call_followed_by_another_message_than_its_result() -> None:
    recs = records(
        strands(s_text("user", "q1")),
        strands(s_use("t1", "f", {})),
        strands(s_text("assistant", "more"), author="helper"),
        strands(s_result("t1", "late")),
    )
    rendered = render(recs, ST)
    assert strands_roles(rendered) == ["user", "assistant", "user", "assistant", "user"]
    assert strands_blocks(rendered)[2] == [SYNTHETIC_RESULT]
    assert strands_blocks(rendered)[4] == [{"text": "[result of tool call t1 -> late]"}]
    assert check_converse_messages([r.item["message"] for r in rendered]) is None


def test_strands_trailing_call_is_pending_unless_a_run_starts_on_it() -> None:
    recs = records(strands(s_text("user", "q1")), strands(s_use("t1", "f", {})))
    assert items(render(recs, ST)) == [r.data for r in recs]
    started = render(recs, ST, run_start=True)
    assert strands_blocks(started)[2] == [SYNTHETIC_RESULT]
    assert started[2].seqs == ()


def test_strands_answered_call_is_left_alone() -> None:
    recs = records(
        strands(s_text("user", "q1")),
        strands(s_use("t1", "f", {})),
        strands(s_result("t1", "r")),
        strands(s_text("assistant", "done")),
    )
    rendered = render(recs, ST, run_start=True)
    assert all(r.native for r in rendered) and items(rendered) == [r.data for r in recs]


def test_another_sdks_call_is_noted_as_interrupted_once_a_turn_follows() -> None:
    recs = records(strands(s_text("user", "q1")), strands(s_use("t1", "calc", {"x": 1})))
    pending = items(render(recs, OA))
    assert pending[-1] == {
        "role": "assistant",
        "content": '[spec called tool calc({"x": 1}); no result]',
    }
    later = records(*[(r.format, r.author, r.data) for r in recs], oa(user("next")))
    moved_on = items(render(later, OA, RenderOptions(foreign_tools="native")))
    assert moved_on[1] == {
        "role": "assistant",
        "content": '[spec called tool calc({"x": 1}) -> interrupted: no result was recorded]',
    }
    assert check_responses_input(moved_on) is None


# ---------------------------------------------------------------------- stored reads


async def test_latest_n_reads_are_the_last_n_of_the_whole_repaired_conversation() -> None:
    store = MemoryStore()
    entries: list[Any] = []
    for turn in range(6):
        entries += [oa(user(f"q{turn}")), oa(call(f"c{turn}", "f", {}))]
        if turn % 2:
            entries.append(oa(output(f"c{turn}", f"r{turn}")))
        entries.append(strands(s_text("assistant", f"spec {turn}")))
    await write(store, "s", records(*entries))
    for target in (OA, ST):
        whole = await read_items(store, "s", target)
        for limit in range(1, len(whole) + 2):
            latest = await read_items(store, "s", target, limit=limit)
            assert items(latest) == items(whole)[-limit:], (target, limit)


async def test_read_repaired_keeps_own_items_exactly_and_windows_agree() -> None:
    store = MemoryStore()
    stored = [user("q0"), {"any": ["json", 1]}, call("c1", "f", {}), user("q1"), said("a1")]
    stored += [call("c2", "f", {}), output("c2", "r2"), output("c7", "stray"), user("q2")]
    await store.append("s", stored, format=OA)
    whole = await read_repaired(store, "s", OA, stream="main")
    assert whole[:3] == stored[:3] and whole[3] == SYNTHETIC_OUTPUT and whole[4:7] == stored[3:6]
    assert whole[-2:] == [
        {"role": "assistant", "content": "[result of tool call c7 -> stray]"},
        user("q2"),
    ]
    for limit in range(1, len(whole) + 2):
        assert await read_repaired(store, "s", OA, stream="main", limit=limit) == whole[-limit:]
    plain = [user("q"), said("a"), {"odd": True}]
    await store.append("t", plain, format=OA)
    assert await read_repaired(store, "t", OA, stream="main") == plain


async def test_read_repaired_for_an_alternating_target_agrees_with_its_windows() -> None:
    store = MemoryStore()
    stored = [
        s_text("user", "q1"),
        s_use("t1", "f", {}),
        s_text("user", "q2"),
        s_text("assistant", "a2"),
        s_text("user", "q3"),
    ]
    await store.append("s", stored, format=ST)
    whole = await read_repaired(store, "s", ST, stream="main")
    assert whole[2]["message"]["content"] == [SYNTHETIC_RESULT, {"text": "q2"}]
    for limit in range(1, len(whole) + 2):
        assert await read_repaired(store, "s", ST, stream="main", limit=limit) == whole[-limit:]
