"""A -> B -> A keeps every text, tool name, input and result; rendered histories obey the
providers' rules for any mix of records (hypothesis over generated conversations)."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_plus.conversation import (
    ImagePart,
    RenderOptions,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    convert_items,
    render,
    to_neutral,
)
from sessions_plus.conversation.notes import content_text
from sessions_plus.testing.providers import check_responses_input
from tests.conversation.helpers import OA, ST
from tests.conversation.strategies import (
    b64,
    blobs,
    canon,
    json_objects,
    openai_items,
    strands_payload,
    strands_payloads,
    texts,
    tool_names,
)

NATIVE = RenderOptions(foreign_tools="native")

# A conversation as a list of turns: ("user", text, image or None), ("assistant", [texts]),
# ("tool", name, input, result text).
turns = st.one_of(
    st.tuples(st.just("user"), texts, st.none() | blobs),
    st.tuples(st.just("assistant"), st.lists(texts, min_size=1, max_size=3)),
    st.tuples(st.just("tool"), tool_names, json_objects, texts),
)
conversations = st.lists(turns, max_size=8).map(lambda ts: [("user", "start", None), *ts])


def as_strands(conversation: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, turn in enumerate(conversation):
        if turn[0] == "user":
            blocks: list[dict[str, Any]] = [{"text": turn[1]}]
            if turn[2] is not None:
                data = {"__bytes_encoded__": True, "data": b64(turn[2])}
                blocks.append({"image": {"format": "png", "source": {"bytes": data}}})
            out.append(strands_payload("user", *blocks))
        elif turn[0] == "assistant":
            out.append(strands_payload("assistant", *({"text": t} for t in turn[1])))
        else:
            tool_id = f"tool-{index}"
            use = {"toolUse": {"toolUseId": tool_id, "name": turn[1], "input": turn[2]}}
            out.append(strands_payload("assistant", use))
            result = {"toolUseId": tool_id, "status": "success", "content": [{"text": turn[3]}]}
            out.append(strands_payload("user", {"toolResult": result}))
    return out


def as_openai(conversation: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, turn in enumerate(conversation):
        if turn[0] == "user":
            if turn[2] is None:
                out.append({"role": "user", "content": turn[1]})
            else:
                url = f"data:image/png;base64,{b64(turn[2])}"
                content = [
                    {"type": "input_text", "text": turn[1]},
                    {"type": "input_image", "image_url": url, "detail": "auto"},
                ]
                out.append({"role": "user", "content": content})
        elif turn[0] == "assistant":
            parts = [{"type": "output_text", "text": t, "annotations": []} for t in turn[1]]
            out.append(
                {"id": f"msg_{index}", "type": "message", "role": "assistant", "content": parts}
            )
        else:
            call_id = f"call_{index}"
            arguments = json.dumps(turn[2], separators=(",", ":"), ensure_ascii=False)
            out.append(
                {
                    "type": "function_call",
                    "call_id": call_id,
                    "name": turn[1],
                    "arguments": arguments,
                }
            )
            out.append({"type": "function_call_output", "call_id": call_id, "output": turn[3]})
    return out


def meaning(items: list[Any], fmt: str) -> list[tuple[Any, ...]]:
    """What a history says, in order: texts by side, images, calls and results."""
    out: list[tuple[Any, ...]] = []
    for item in items:
        message = to_neutral(item, fmt)
        side = "assistant" if message.role == "assistant" else "user"
        for part in message.parts:
            if isinstance(part, TextPart):
                out.append((side, part.text))
            elif isinstance(part, ImagePart):
                out.append(("image", part.data))
            elif isinstance(part, ToolCallPart):
                out.append(("call", part.name, canon(part.input)))
            elif isinstance(part, ToolResultPart):
                out.append(("result", content_text(part.content)))
    return out


@settings(max_examples=150, deadline=None)
@given(conversations)
def test_strands_to_openai_and_back_keeps_everything(conversation: list[Any]) -> None:
    strands = as_strands(conversation)
    openai = convert_items(strands, ST, OA, NATIVE, author="spec")
    back = convert_items(openai, OA, ST, NATIVE, author="triage")
    assert meaning(back, ST) == meaning(strands, ST)
    assert meaning(openai, OA) == meaning(strands, ST)


@settings(max_examples=150, deadline=None)
@given(conversations)
def test_openai_to_strands_and_back_keeps_everything(conversation: list[Any]) -> None:
    openai = as_openai(conversation)
    strands = convert_items(openai, OA, ST, NATIVE, author="triage")
    back = convert_items(strands, ST, OA, NATIVE, author="spec")
    assert meaning(back, OA) == meaning(openai, OA)
    assert meaning(strands, ST) == meaning(openai, OA)


@settings(max_examples=100, deadline=None)
@given(conversations)
def test_text_notes_keep_tool_name_input_and_result(conversation: list[Any]) -> None:
    openai = convert_items(as_strands(conversation), ST, OA, author="spec")
    said = "\n".join(item["content"] for item in openai if isinstance(item["content"], str))
    for turn in conversation:
        if turn[0] == "tool":
            note = (
                f"[spec called tool {turn[1]}({json.dumps(turn[2], ensure_ascii=False)})"
                f" -> {turn[3]}]"
            )
            assert note in said
    assert all(item.get("type") is None for item in openai)  # no tool items at all


mixed_records = st.lists(
    st.one_of(
        st.tuples(st.just(OA), st.sampled_from(["triage", "billing", None]), openai_items),
        st.tuples(st.just(ST), st.sampled_from(["spec", "writer"]), strands_payloads()),
    ),
    max_size=12,
)


def _records(entries: list[tuple[str, Any, Any]]) -> list[Any]:
    from tests.conversation.helpers import records

    return records(*entries)


strands_texts = st.builds(
    lambda role, said: strands_payload(role, *({"text": t} for t in said)),
    st.sampled_from(["user", "assistant"]),
    st.lists(texts, max_size=2),
)
openai_and_strands_text = st.lists(
    st.one_of(
        st.tuples(st.just(OA), st.sampled_from(["triage", None]), openai_items),
        st.tuples(st.just(ST), st.just("spec"), strands_texts),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(openai_and_strands_text, st.sampled_from(["text", "native"]), st.booleans())
def test_strands_gets_alternating_turns_and_answered_tool_calls(
    entries: list[Any], mode: str, label_authors: bool
) -> None:
    options = RenderOptions(
        foreign_tools=mode, label_authors=label_authors, author="spec", on_corrupt="note"
    )  # type: ignore[arg-type]
    rendered = render(_records(entries), ST, options, run_start=True)
    for before, after in pairwise(rendered):
        same = before.item["message"]["role"] == after.item["message"]["role"]
        assert not same or (before.native and after.native)
    # Every toolUse, own or converted, is answered in the next message, and every toolResult
    # answers the message before it (orphans repaired on read).
    messages = [r.item["message"] for r in rendered]
    for index, message in enumerate(messages):
        results = [b["toolResult"]["toolUseId"] for b in message["content"] if "toolResult" in b]
        previous = messages[index - 1]["content"] if index else []
        asked = [b["toolUse"]["toolUseId"] for b in previous if "toolUse" in b]
        assert sorted(results) == sorted(asked)
    if messages:
        assert not any("toolUse" in b for b in messages[-1]["content"])
    if rendered and not rendered[0].native:
        assert rendered[0].item["message"]["role"] == "user"
    for index, r in enumerate(rendered):
        if r.native:
            continue
        content = r.item["message"]["content"]
        assert content, "an empty message is never sent"
        uses = [b["toolUse"]["toolUseId"] for b in content if "toolUse" in b]
        results = [b["toolResult"]["toolUseId"] for b in content if "toolResult" in b]
        if uses:
            following = rendered[index + 1].item["message"]["content"]
            answered = {b["toolResult"]["toolUseId"] for b in following if "toolResult" in b}
            assert set(uses) <= answered
        if results and index > 0 and not rendered[index - 1].native:
            previous = rendered[index - 1].item["message"]["content"]
            asked = {b["toolUse"]["toolUseId"] for b in previous if "toolUse" in b}
            assert set(results) <= asked


@settings(max_examples=100, deadline=None)
@given(mixed_records, st.sampled_from(["text", "native"]))
def test_openai_gets_every_call_answered(entries: list[Any], mode: str) -> None:
    options = RenderOptions(foreign_tools=mode, on_corrupt="note")  # type: ignore[arg-type]
    for run_start in (False, True):
        rendered = render(_records(entries), OA, options, run_start=run_start)
        items = [r.item for r in rendered]
        if run_start or not _ends_with_a_call(items):
            # What the Responses API takes: own calls orphaned by a later turn are answered
            # as interrupted, results without their call are notes.
            assert check_responses_input(items) is None
        converted = [r.item for r in rendered if not r.native]
        calls = [item["call_id"] for item in converted if item.get("type") == "function_call"]
        if mode == "text":
            assert not calls


def _ends_with_a_call(items: list[Any]) -> bool:
    """The last user turn is followed by an own call without output (a pending call)."""
    pending: set[str] = set()
    for item in items:
        if item.get("type") == "function_call":
            pending.add(item.get("call_id"))
        elif item.get("type") == "function_call_output":
            pending.discard(item.get("call_id"))
        elif item.get("role") == "user":
            pending.clear()
    return bool(pending)


@settings(max_examples=100, deadline=None)
@given(mixed_records, st.sampled_from([OA, ST]))
def test_no_foreign_text_is_dropped(entries: list[Any], target: str) -> None:
    recs = _records(entries)
    rendered = render(recs, target, RenderOptions(on_corrupt="note"))
    shown = json.dumps([r.item for r in rendered], ensure_ascii=False)
    for record in recs:
        if record.format == target:
            continue
        for part in to_neutral(record.data, record.format).parts:
            if isinstance(part, TextPart) and part.text:
                assert json.dumps(part.text, ensure_ascii=False)[1:-1] in shown
