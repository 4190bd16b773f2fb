"""``openai.responses`` <-> neutral: each item type both ways, exact round trips, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_plus.conversation import (
    FilePart,
    ImagePart,
    JsonPart,
    Message,
    OpaquePart,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    from_neutral,
    to_neutral,
)
from sessions_plus.errors import ConversionError, SessionsPlusError
from tests.conversation.strategies import canon, json_values, openai_items

FMT = "openai.responses"
PNG = b"\x89PNG\r\n\x1a\n-pixels"
PNG_URL = "data:image/png;base64,iVBORw0KGgotcGl4ZWxz"


def roundtrip(item: Any) -> Any:
    (back,) = from_neutral(to_neutral(item, FMT), FMT)
    return back


@settings(max_examples=250, deadline=None)
@given(openai_items)
def test_every_accepted_item_reads_back_exactly(item: dict[str, Any]) -> None:
    assert canon(roundtrip(item)) == canon(item)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_converts_or_raises_a_conversion_error(data: Any) -> None:
    try:
        message = to_neutral(data, FMT)
    except ConversionError as exc:
        assert isinstance(exc, SessionsPlusError)
        assert exc.format == FMT
        return
    assert canon(from_neutral(message, FMT)) == canon([data])


def test_user_text() -> None:
    message = to_neutral({"role": "user", "content": "hi"}, FMT)
    assert message.role == "user"
    assert message.parts == (TextPart("hi"),)
    assert from_neutral(Message("user", (TextPart("hi"),)), FMT) == [
        {"role": "user", "content": "hi"}
    ]


def test_assistant_output_message() -> None:
    item = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [
            {"type": "output_text", "text": "one", "annotations": [], "logprobs": []},
            {"type": "refusal", "refusal": "no"},
        ],
    }
    message = to_neutral(item, FMT)
    assert message.role == "assistant"
    assert [part.text for part in message.parts if isinstance(part, TextPart)] == ["one", "no"]
    assert roundtrip(item) == item
    # Foreign assistant text: one plain item per text (no output-item id is needed).
    foreign = Message("assistant", (TextPart("one"), TextPart("two")), "strands.message")
    assert from_neutral(foreign, FMT) == [
        {"role": "assistant", "content": "one"},
        {"role": "assistant", "content": "two"},
    ]


def test_developer_and_system_are_system() -> None:
    for role in ("system", "developer"):
        item = {"role": role, "content": "be brief"}
        assert to_neutral(item, FMT).role == "system"
        assert roundtrip(item) == item
    assert from_neutral(Message("system", (TextPart("rules"),), "x"), FMT) == [
        {"role": "system", "content": "rules"}
    ]


def test_image_both_ways() -> None:
    item = {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "look"},
            {"type": "input_image", "image_url": PNG_URL, "detail": "auto"},
        ],
    }
    message = to_neutral(item, FMT)
    image = message.parts[1]
    assert isinstance(image, ImagePart)
    assert (image.media_type, image.data, image.url) == ("image/png", PNG, None)
    assert roundtrip(item) == item
    foreign = Message("user", (TextPart("look"), ImagePart("image/png", PNG)), "strands.message")
    assert from_neutral(foreign, FMT) == [item]


def test_image_by_url_and_by_file_id() -> None:
    by_url = {"type": "input_image", "image_url": "https://x.test/a.png", "detail": "low"}
    by_id = {"type": "input_image", "file_id": "file-1", "detail": "low"}
    message = to_neutral({"role": "user", "content": [by_url, by_id]}, FMT)
    assert message.parts[0] == ImagePart(
        None, url="https://x.test/a.png", extra=message.parts[0].extra
    )
    assert isinstance(message.parts[1], OpaquePart)
    assert message.parts[1].kind == "input_image"


def test_file_both_ways() -> None:
    url = "data:application/pdf;base64,JVBERi0="
    item = {
        "role": "user",
        "content": [{"type": "input_file", "file_data": url, "filename": "report.pdf"}],
    }
    (part,) = to_neutral(item, FMT).parts
    assert isinstance(part, FilePart)
    assert (part.media_type, part.data, part.name) == ("application/pdf", b"%PDF-", "report.pdf")
    assert roundtrip(item) == item
    foreign = Message("user", (FilePart("application/pdf", b"%PDF-", name="report.pdf"),), "y")
    assert from_neutral(foreign, FMT) == [item]


def test_function_call_both_ways() -> None:
    item = {
        "arguments": '{"city":"Paris"}',
        "call_id": "c1",
        "name": "weather",
        "type": "function_call",
        "id": "fc_1",
        "status": "completed",
    }
    message = to_neutral(item, FMT)
    assert message.role == "assistant"
    (call,) = message.parts
    assert isinstance(call, ToolCallPart)
    assert (call.call_id, call.name, call.input) == ("c1", "weather", {"city": "Paris"})
    assert roundtrip(item) == item
    foreign = Message("assistant", (ToolCallPart("t1", "lookup", {"q": "é"}),), "strands.message")
    assert from_neutral(foreign, FMT) == [
        {"type": "function_call", "call_id": "t1", "name": "lookup", "arguments": '{"q":"é"}'}
    ]


@pytest.mark.parametrize(
    ("arguments", "value"),
    [('{"a": 1}', {"a": 1}), ("", {}), ("{not json", "{not json"), ("[1,2]", [1, 2])],
)
def test_arguments_spelled_otherwise_read_back_as_written(arguments: str, value: Any) -> None:
    item = {"type": "function_call", "call_id": "c", "name": "f", "arguments": arguments}
    (call,) = to_neutral(item, FMT).parts
    assert isinstance(call, ToolCallPart)
    assert call.input == value
    assert roundtrip(item) == item


def test_function_call_output_both_ways() -> None:
    item = {"call_id": "c1", "output": "sunny", "type": "function_call_output"}
    message = to_neutral(item, FMT)
    assert message.role == "tool"
    assert message.parts == (
        ToolResultPart("c1", (TextPart("sunny"),), extra=message.parts[0].extra),
    )
    assert roundtrip(item) == item
    listed = {
        "type": "function_call_output",
        "call_id": "c2",
        "output": [
            {"type": "input_text", "text": "a"},
            {"type": "input_image", "image_url": PNG_URL, "detail": "auto"},
        ],
    }
    assert roundtrip(listed) == listed
    foreign = Message(
        "tool",
        (ToolResultPart("t1", (TextPart("x"), JsonPart({"n": 1})), "error"),),
        "strands.message",
    )
    assert from_neutral(foreign, FMT) == [
        {"type": "function_call_output", "call_id": "t1", "output": 'x\n{"n": 1}'}
    ]


def test_reasoning_stays_with_its_own_format() -> None:
    item = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "thinking"}],
        "encrypted_content": "opaque==",
    }
    message = to_neutral(item, FMT)
    assert message.parts == (ReasoningPart("thinking", extra=message.parts[0].extra),)
    assert roundtrip(item) == item
    foreign = Message("assistant", (ReasoningPart("hmm", "sig"), TextPart("ok")), "strands.message")
    assert from_neutral(foreign, FMT) == [{"role": "assistant", "content": "ok"}]


@pytest.mark.parametrize("kind", ["web_search_call", "mcp_call", "computer_call", "new_type"])
def test_unknown_item_types_are_opaque(kind: str) -> None:
    item = {"type": kind, "id": "x1", "status": "completed", "action": {"query": "q"}}
    (part,) = to_neutral(item, FMT).parts
    assert part == OpaquePart(FMT, kind, item)
    assert roundtrip(item) == item


def test_opaque_part_of_another_format_is_a_note() -> None:
    message = Message(
        "assistant",
        (OpaquePart("strands.message", "audio", {"audio": {}}),),
        "strands.message",
        "spec",
    )
    assert from_neutral(message, FMT) == [
        {"role": "assistant", "content": "[spec: audio (strands.message item, not shown)]"}
    ]
    hidden = Message("assistant", (OpaquePart("strands.message", "cachePoint", {}, False),), "y")
    assert from_neutral(hidden, FMT) == []


@pytest.mark.parametrize(
    "bad",
    [
        "text",
        None,
        [],
        {},
        {"role": "user"},
        {"role": "robot", "content": "x"},
        {"role": "user", "content": 5},
        {"role": "user", "content": [{"text": "no type"}]},
        {"role": "user", "content": [{"type": "input_text", "text": 1}]},
        {"type": "function_call", "name": "f", "arguments": "{}"},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": {}},
        {"type": "function_call_output", "call_id": "c"},
        {"type": "function_call_output", "output": "x"},
        {"type": "reasoning", "summary": [{"type": "summary_text"}]},
        {"type": 7},
    ],
)
def test_bad_items_raise_a_typed_error(bad: Any) -> None:
    with pytest.raises(ConversionError) as caught:
        to_neutral(bad, FMT)
    assert caught.value.format == FMT


@given(st.lists(openai_items, max_size=4))
@settings(max_examples=50, deadline=None)
def test_neutral_messages_are_plain_values(items: list[dict[str, Any]]) -> None:
    """Messages compare by value and their items stay JSON (nothing but JSON leaks out)."""
    for item in items:
        first, second = to_neutral(item, FMT), to_neutral(json.loads(json.dumps(item)), FMT)
        assert first == second
        json.dumps(from_neutral(first, FMT))
