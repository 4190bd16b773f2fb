"""The rules of a shared conversation as each SDK sees it (render over records)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sessions_plus.conversation import RenderOptions, render
from sessions_plus.conversation import notes as notes_module
from sessions_plus.errors import ConfigurationError, ConversionError
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
    st,
    strands_blocks,
    strands_roles,
    user,
)

TEXT = RenderOptions()
NATIVE = RenderOptions(foreign_tools="native")


def test_own_records_come_back_as_stored_objects() -> None:
    recs = records(oa(user("hi")), st(s_text("assistant", "hello")), oa(user("bye")))
    for_openai = render(recs, OA)
    assert for_openai[0].item is recs[0].data and for_openai[0].native
    assert for_openai[2].item is recs[2].data and for_openai[2].native
    for_strands = render(recs, ST)
    assert any(r.item is recs[1].data and r.native for r in for_strands)


def test_a_whole_native_conversation_is_untouched() -> None:
    recs = records(
        st(s_text("assistant", "a")), st(s_text("assistant", "b")), st(s_text("user", "c"))
    )
    rendered = render(recs, ST)
    assert [r.item for r in rendered] == [r.data for r in recs]  # no merge, no opening turn
    assert all(r.native for r in rendered)


def test_strands_sees_openai_turns_merged_into_alternating_roles() -> None:
    recs = records(
        oa(user("hi")),
        oa(said("one")),
        oa(said("two", "msg_2")),
        st(s_text("user", "next")),
        oa(user("and more")),
        st(s_text("assistant", "ok")),
    )
    rendered = render(recs, ST)
    assert strands_roles(rendered) == ["user", "assistant", "user", "assistant"]
    assert strands_blocks(rendered) == [
        [{"text": "hi"}],
        [{"text": "one"}, {"text": "two"}],
        [{"text": "next"}, {"text": "and more"}],
        [{"text": "ok"}],
    ]
    assert [r.seqs for r in rendered] == [(1,), (2, 3), (4, 5), (6,)]
    assert [r.native for r in rendered] == [False, False, False, True]


def test_a_converted_conversation_opening_with_the_assistant_gets_a_user_turn() -> None:
    rendered = render(records(oa(said("Welcome!")), oa(user("hi"))), ST)
    assert strands_roles(rendered) == ["user", "assistant", "user"]
    assert rendered[0].seqs == ()
    assert strands_blocks(rendered)[0] == [{"text": "[conversation start]"}]
    # Not when only part of the conversation is rendered.
    assert strands_roles(render(records(oa(said("x"))), ST, at_start=False)) == ["assistant"]


def test_foreign_tool_calls_become_notes_by_default() -> None:
    recs = records(
        oa(user("weather?")),
        oa(call("c1", "weather", {"city": "Paris"})),
        oa(output("c1", "sunny")),
        oa(said("It is sunny.")),
    )
    rendered = render(recs, ST)
    assert strands_blocks(rendered) == [
        [{"text": "weather?"}],
        [
            {"text": '[triage called tool weather({"city": "Paris"}) -> sunny]'},
            {"text": "It is sunny."},
        ],
    ]
    assert rendered[1].seqs == (2, 3, 4)  # the output record is folded into the note
    strands = records(
        st(s_text("user", "look up abc")),
        st(s_use("t1", "lookup", {"q": "abc"})),
        st(s_result("t1", "boom", "error")),
        st(s_text("assistant", "Failed.")),
    )
    assert items(render(strands, OA)) == [
        {"role": "user", "content": "look up abc"},
        {"role": "assistant", "content": '[spec called tool lookup({"q": "abc"}) -> error: boom]'},
        {"role": "assistant", "content": "Failed."},
    ]


def test_notes_are_clipped() -> None:
    recs = records(st(s_use("t1", "f", {"q": "x" * 50})), st(s_result("t1", "y" * 50)))
    (note,) = items(render(recs, OA, RenderOptions(note_chars=10)))
    assert note["content"] == (
        '[spec called tool f({"q": "xxx... [49 more characters]) -> '
        "yyyyyyyyyy... [40 more characters]]"
    )


def test_native_foreign_tools_are_pairs() -> None:
    recs = records(
        st(s_text("user", "q")),
        st(s_use("t1", "lookup", {"q": "abc"})),
        st(s_result("t1", "found")),
        st(s_text("assistant", "done")),
    )
    assert items(render(recs, OA, NATIVE)) == [
        {"role": "user", "content": "q"},
        {"type": "function_call", "call_id": "t1", "name": "lookup", "arguments": '{"q":"abc"}'},
        {"type": "function_call_output", "call_id": "t1", "output": "found"},
        {"role": "assistant", "content": "done"},
    ]


def test_parallel_openai_calls_become_one_strands_exchange() -> None:
    recs = records(
        oa(user("both")),
        oa(call("c1", "a", {})),
        oa(call("c2", "b", {"x": 1})),
        oa(output("c1", "A")),
        oa(output("c2", "B")),
        oa(said("done")),
    )
    rendered = render(recs, ST, NATIVE)
    assert strands_roles(rendered) == ["user", "assistant", "user", "assistant"]
    blocks = strands_blocks(rendered)
    assert blocks[1] == [
        {"toolUse": {"toolUseId": "c1", "name": "a", "input": {}}},
        {"toolUse": {"toolUseId": "c2", "name": "b", "input": {"x": 1}}},
    ]
    assert [b["toolResult"]["toolUseId"] for b in blocks[2]] == ["c1", "c2"]


def test_a_call_without_its_result_is_a_note_in_either_mode() -> None:
    recs = records(st(s_text("user", "q")), st(s_use("t1", "slow", {})))
    for options in (TEXT, NATIVE):
        assert items(render(recs, OA, options))[1] == {
            "role": "assistant",
            "content": "[spec called tool slow({}); no result]",
        }


def test_a_result_without_its_call_is_a_note() -> None:
    recs = records(oa(user("q")), oa(output("c9", "late")))
    for options in (TEXT, NATIVE):
        rendered = render(recs, ST, options)
        assert strands_blocks(rendered)[1] == [{"text": "[result of tool call c9 -> late]"}]
        assert strands_roles(rendered) == ["user", "assistant"]


def test_a_pair_split_by_other_turns_is_not_sent_natively() -> None:
    recs = records(
        oa(user("q")),
        oa(call("c1", "f", {})),
        oa(user("meanwhile")),
        oa(output("c1", "r")),
    )
    rendered = render(recs, ST, NATIVE)
    text = str(strands_blocks(rendered))
    assert "toolUse" not in text and "toolResult" not in text
    # A user turn came before its result: the call counts as interrupted (see repair.py).
    assert "[triage called tool f({}) -> interrupted: no result was recorded]" in text
    assert "[result of tool call c1 -> r]" in text


def test_a_pair_split_by_assistant_text_has_no_result_yet() -> None:
    recs = records(oa(user("q")), oa(call("c1", "f", {})), oa(said("thinking")))
    text = str(strands_blocks(render(recs, ST, NATIVE)))
    assert "[triage called tool f({}); no result]" in text


def test_a_native_record_between_call_and_result_splits_the_pair() -> None:
    recs = records(st(s_use("t1", "f", {})), oa(user("typed meanwhile")), st(s_result("t1", "r")))
    converted = [r.item for r in render(recs, OA, NATIVE) if not r.native]
    assert all(item.get("type") is None for item in converted)


def test_strands_needs_object_inputs_for_native_calls() -> None:
    recs = records(oa(user("q")), oa(call("c1", "f", [1, 2])), oa(output("c1", "r")))
    rendered = render(recs, ST, NATIVE)
    assert strands_blocks(rendered)[1] == [{"text": "[triage called tool f([1, 2]) -> r]"}]


def test_reasoning_of_another_provider_is_not_sent() -> None:
    reasoning = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "secret plan"}],
        "encrypted_content": "xyz",
    }
    recs = records(oa(user("q")), oa(reasoning), oa(said("a")))
    assert "secret plan" not in str(items(render(recs, ST)))
    assert render(recs, OA)[1].item is reasoning  # its own SDK still gets it
    thinking = st(
        {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "s"}}},
                    {"text": "answer"},
                ],
            },
            "redact_message": None,
        }
    )
    assert items(render(records(st(s_text("user", "q")), thinking), OA))[1] == {
        "role": "assistant",
        "content": "answer",
    }


def test_handoffs_are_notes_for_the_other_sdk() -> None:
    recs = records(
        oa(user("help")),
        oa(call("c2", "transfer_to_spec", {})),
        oa(output("c2", '{"assistant": "Spec"}')),
        oa(said("Spec here.")),
    )
    for options in (TEXT, NATIVE):
        assert strands_blocks(render(recs, ST, options))[1] == [
            {"text": "[triage handed off to spec]"},
            {"text": "Spec here."},
        ]
    swarm = records(
        st(s_use("h1", "handoff_to_agent", {"agent_name": "writer", "message": "go"})),
        st(s_result("h1", "Handing off")),
    )
    assert items(render(swarm, OA, NATIVE)) == [
        {"role": "assistant", "content": "[spec handed off to writer]"}
    ]


def test_unknown_items_are_notes_naming_the_type_logged_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notes_module, "_logged", set())
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed"}
    recs = records(oa(user("q")), oa(search), oa(dict(search, id="ws_2")), oa(said("a")))
    with caplog.at_level(logging.WARNING, logger="sessions_plus.conversation"):
        rendered = render(recs, ST)
        render(recs, ST)
    assert strands_blocks(rendered)[1] == [
        {"text": "[triage: web_search_call (openai.responses item, not shown)]"},
        {"text": "[triage: web_search_call (openai.responses item, not shown)]"},
        {"text": "a"},
    ]
    logged = [r for r in caplog.records if "web_search_call" in r.getMessage()]
    assert len(logged) == 1


def test_label_authors_prefixes_other_agents_assistant_text() -> None:
    recs = records(
        oa(user("q"), author="triage"),
        oa(said("from triage"), author="triage"),
        oa(said("from billing", "msg_2"), author="billing"),
        st(s_text("assistant", "from spec")),
    )
    options = RenderOptions(label_authors=True, author="triage")
    rendered = render(recs, OA, options)
    assert rendered[1].item is recs[1].data  # own author: untouched
    assert rendered[2].item["content"][0]["text"] == "[billing] from billing"
    assert rendered[2].item["id"] == "msg_2"  # the rest of its own-format item stays
    assert rendered[3].item == {"role": "assistant", "content": "[spec] from spec"}
    assert rendered[0].native  # user text is never labelled
    assert items(render(recs, OA))[2] is recs[2].data  # off by default


def test_corrupt_records_raise_a_typed_error_or_become_a_note() -> None:
    recs = records(oa(user("q")), (ST, "spec", {"message": "not a message"}), oa(said("a")))
    with pytest.raises(ConversionError) as caught:
        render(recs, OA, session_id="s1")
    assert (caught.value.seq, caught.value.format, caught.value.session_id) == (2, ST, "s1")
    rendered = render(recs, OA, RenderOptions(on_corrupt="note"))
    assert rendered[1].item == {
        "role": "assistant",
        "content": "[record 2 (strands.message) could not be converted: "
        "it does not match its format]",
    }


@pytest.mark.parametrize("fmt", [None, "anthropic.messages"])
def test_records_of_unknown_formats_are_bad_input(fmt: str | None) -> None:
    recs = records(oa(user("q")), (fmt, None, {"role": "user", "content": "x"}))
    with pytest.raises(ConversionError):
        render(recs, OA)
    note = render(recs, ST, RenderOptions(on_corrupt="note"))
    assert "could not be converted" in str(note[-1].item)


@pytest.mark.parametrize(
    "options",
    [
        {"foreign_tools": "json"},
        {"on_corrupt": "skip"},
        {"note_chars": 0},
        {"note_chars": True},
    ],
)
def test_bad_options_are_rejected(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RenderOptions(**options)


def test_unknown_target_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        render([], "nope")
