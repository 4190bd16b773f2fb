"""``strands.message`` <-> neutral: each block type both ways, exact round trips, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

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
from sessions_plus.errors import ConversionError
from tests.conversation.strategies import canon, json_values, strands_payload, strands_payloads

FMT = "strands.message"
PNG = b"\x89PNG\r\n\x1a\n-pixels"
PNG_BYTES = {"__bytes_encoded__": True, "data": "iVBORw0KGgotcGl4ZWxz"}


def roundtrip(payload: Any) -> Any:
    (back,) = from_neutral(to_neutral(payload, FMT), FMT)
    return back


def foreign(role: str, *parts: Any) -> list[Any]:
    """What Strands gets for a message of another format."""
    return from_neutral(Message(role, tuple(parts), "openai.responses", "triage", 1, 0.0), FMT)


def blocks(items: list[Any]) -> list[Any]:
    (payload,) = items
    return payload["message"]["content"]


@settings(max_examples=400, deadline=None)
@given(strands_payloads())
def test_every_accepted_payload_reads_back_exactly(payload: dict[str, Any]) -> None:
    assert canon(roundtrip(payload)) == canon(payload)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_converts_or_raises_a_conversion_error(data: Any) -> None:
    try:
        message = to_neutral({"message": {"role": "user", "content": [data]}}, FMT)
    except ConversionError as exc:
        assert exc.format == FMT
        return
    assert canon(from_neutral(message, FMT)) == canon(
        [{"message": {"role": "user", "content": [data]}}]
    )


def test_text_both_ways() -> None:
    payload = strands_payload("user", {"text": "hello"})
    message = to_neutral(payload, FMT)
    assert (message.role, message.parts) == ("user", (TextPart("hello"),))
    assert roundtrip(payload) == payload
    converted = foreign("assistant", TextPart("hi"))
    assert converted == [
        {
            "message": {"role": "assistant", "content": [{"text": "hi"}]},
            "redact_message": None,
            "created_at": "1970-01-01T00:00:00+00:00",
            "updated_at": "1970-01-01T00:00:00+00:00",
        }
    ]


def test_image_both_ways() -> None:
    payload = strands_payload("user", {"image": {"format": "png", "source": {"bytes": PNG_BYTES}}})
    (image,) = to_neutral(payload, FMT).parts
    assert isinstance(image, ImagePart)
    assert (image.media_type, image.data) == ("image/png", PNG)
    assert roundtrip(payload) == payload
    assert blocks(foreign("user", ImagePart("image/png", PNG))) == [
        {"image": {"format": "png", "source": {"bytes": PNG_BYTES}}}
    ]
    # A data URL is decoded; a web URL or an unsupported type cannot be sent: a note.
    url = "data:image/jpg;base64,iVBORw0KGgotcGl4ZWxz"
    assert blocks(foreign("user", ImagePart("image/jpg", url=url))) == [
        {"image": {"format": "jpeg", "source": {"bytes": PNG_BYTES}}}
    ]
    assert blocks(foreign("user", ImagePart(None, url="https://x.test/a.png"))) == [
        {"text": "[image: https://x.test/a.png]"}
    ]


def test_image_from_s3_is_opaque() -> None:
    block = {"image": {"format": "png", "source": {"location": {"type": "s3", "uri": "s3://b/k"}}}}
    (part,) = to_neutral(strands_payload("user", block), FMT).parts
    assert part == OpaquePart(FMT, "image", block)


def test_document_both_ways() -> None:
    block = {
        "document": {
            "format": "pdf",
            "name": "report",
            "source": {"bytes": {"__bytes_encoded__": True, "data": "JVBERi0="}},
        }
    }
    payload = strands_payload("user", block)
    (part,) = to_neutral(payload, FMT).parts
    assert isinstance(part, FilePart)
    assert (part.media_type, part.data, part.name) == ("application/pdf", b"%PDF-", "report")
    assert roundtrip(payload) == payload
    converted = foreign("user", FilePart("application/pdf", b"%PDF-", name="q3 report.pdf"))
    assert blocks(converted) == [
        {
            "document": {
                "format": "pdf",
                "name": "q3 report",
                "source": {"bytes": {"__bytes_encoded__": True, "data": "JVBERi0="}},
            }
        }
    ]


def test_tool_use_and_result_both_ways() -> None:
    call = strands_payload(
        "assistant", {"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"q": "abc"}}}
    )
    result = strands_payload(
        "user",
        {
            "toolResult": {
                "toolUseId": "t1",
                "status": "error",
                "content": [{"text": "boom"}, {"json": {"code": 7}}],
            }
        },
    )
    (use,) = to_neutral(call, FMT).parts
    assert use == ToolCallPart("t1", "lookup", {"q": "abc"})
    message = to_neutral(result, FMT)
    assert message.role == "tool"
    (res,) = message.parts
    assert isinstance(res, ToolResultPart)
    assert (res.call_id, res.status, res.content) == (
        "t1",
        "error",
        (TextPart("boom"), JsonPart({"code": 7})),
    )
    assert roundtrip(call) == call
    assert roundtrip(result) == result
    assert blocks(foreign("assistant", ToolCallPart("c1", "weather", {"city": "Paris"}))) == [
        {"toolUse": {"toolUseId": "c1", "name": "weather", "input": {"city": "Paris"}}}
    ]
    converted = foreign("tool", ToolResultPart("c1", (TextPart("sunny"),)))
    assert converted[0]["message"]["role"] == "user"
    assert blocks(converted) == [
        {"toolResult": {"toolUseId": "c1", "status": "success", "content": [{"text": "sunny"}]}}
    ]


def test_user_message_with_text_and_results_keeps_the_user_role() -> None:
    payload = strands_payload(
        "user",
        {"toolResult": {"toolUseId": "t", "status": "success", "content": []}},
        {"text": "also this"},
    )
    assert to_neutral(payload, FMT).role == "user"


def test_reasoning_both_ways_and_never_sent_elsewhere() -> None:
    payload = strands_payload(
        "assistant",
        {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig"}}},
        {"text": "answer"},
    )
    message = to_neutral(payload, FMT)
    assert message.parts[0] == ReasoningPart("hmm", "sig", extra=message.parts[0].extra)
    assert roundtrip(payload) == payload
    redacted = strands_payload(
        "assistant",
        {"reasoningContent": {"redactedContent": {"__bytes_encoded__": True, "data": "AAE="}}},
    )
    (part,) = to_neutral(redacted, FMT).parts
    assert isinstance(part, ReasoningPart)
    assert part.redacted == b"\x00\x01"
    assert roundtrip(redacted) == redacted
    assert blocks(foreign("assistant", ReasoningPart("other's"), TextPart("ok"))) == [
        {"text": "ok"}
    ]


def test_redacted_message_shows_the_redaction_and_keeps_the_original() -> None:
    payload = {
        "message": {"role": "user", "content": [{"text": "my card is 4111"}]},
        "redact_message": {"role": "user", "content": [{"text": "[redacted]"}]},
        "created_at": "a",
        "updated_at": "b",
    }
    message = to_neutral(payload, FMT)
    assert message.parts == (TextPart("[redacted]"),)
    assert roundtrip(payload) == payload


def test_guard_and_citations_are_text() -> None:
    guard = {"guardContent": {"text": {"text": "check me", "qualifiers": ["query"]}}}
    citations = {
        "citationsContent": {"content": [{"text": "a"}, {"text": "b"}], "citations": [{"x": 1}]}
    }
    payload = strands_payload("assistant", guard, citations)
    assert to_neutral(payload, FMT).text() == "check me\nab"
    assert roundtrip(payload) == payload


@pytest.mark.parametrize(
    "block",
    [
        {"cachePoint": {"type": "default"}},
        {"audio": {"format": "mp3", "source": {"bytes": PNG_BYTES}}},
        {"video": {"format": "mp4", "source": {"bytes": PNG_BYTES}}},
        {"somethingNew": {"a": 1}},
        {"text": "two keys", "extra": 1},
    ],
)
def test_blocks_without_neutral_form_are_opaque(block: dict[str, Any]) -> None:
    payload = strands_payload("assistant", block)
    (part,) = to_neutral(payload, FMT).parts
    assert isinstance(part, OpaquePart)
    assert part.data == block
    assert part.visible is ("cachePoint" not in block)
    assert roundtrip(payload) == payload


def test_system_message_becomes_a_user_turn() -> None:
    assert blocks(foreign("system", TextPart("be brief"))) == [{"text": "[system] be brief"}]


def test_a_message_with_nothing_to_send_becomes_nothing() -> None:
    assert foreign("assistant", ReasoningPart("only thoughts")) == []
    assert foreign("assistant", OpaquePart("openai.responses", "x", {}, visible=False)) == []


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"message": "hi"},
        {"message": {"role": "system", "content": []}},
        {"message": {"role": "user", "content": "hi"}},
        {"message": {"role": "user", "content": ["hi"]}},
        {"message": {"role": "user", "content": [{}]}},
        {"message": {"role": "user", "content": [{"text": 3}]}},
        {"message": {"role": "assistant", "content": [{"toolUse": {"name": "f", "input": {}}}]}},
        {"message": {"role": "user", "content": [{"toolResult": {"toolUseId": "t"}}]}},
        {"message": {"role": "user", "content": []}, "redact_message": "x"},
    ],
)
def test_bad_payloads_raise_a_typed_error(bad: Any) -> None:
    with pytest.raises(ConversionError) as caught:
        to_neutral(bad, FMT)
    assert caught.value.format == FMT
