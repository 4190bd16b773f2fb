"""Records as people read them: OpenAI items and Strands messages to roles and parts."""

from __future__ import annotations

from typing import Any

from sessions_plus.display import display, summary
from sessions_plus.records import Record


def show(data: Any, fmt: str | None = "openai.responses", author: str | None = None) -> Any:
    return display(Record(1, data, 1.0, fmt, author))


def test_openai_items() -> None:
    message = show({"role": "user", "content": "hi"})
    assert (message.role, [(p.kind, p.text) for p in message.parts]) == ("user", [("text", "hi")])
    out = show(
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "a"}, {"type": "refusal", "refusal": "no"}],
        }
    )
    assert [p.text for p in out.parts] == ["a", "(refusal) no"]
    call = show({"type": "function_call", "name": "f", "arguments": '{"x":1}', "call_id": "c"})
    assert (call.role, call.parts[0].kind, call.parts[0].text) == (
        "assistant",
        "tool_call",
        '{"x": 1}',
    )
    result = show({"type": "function_call_output", "call_id": "c", "output": "done"})
    assert (result.role, result.parts[0].call_id, result.parts[0].text) == ("tool", "c", "done")
    thinking = show({"type": "reasoning", "summary": [{"type": "summary_text", "text": "hm"}]})
    assert thinking.parts[0].kind == "reasoning" and thinking.parts[0].text == "hm"
    assert summary(call) == '→ f({"x": 1}) [c]'


def test_images_are_inline_data_urls_only() -> None:
    inline = "data:image/png;base64,AAAA"
    msg = show({"role": "user", "content": [{"type": "input_image", "image_url": inline}]})
    assert msg.parts[0].image_url == inline
    remote = show(
        {"role": "user", "content": [{"type": "input_image", "image_url": "https://x/y.png"}]}
    )
    assert remote.parts[0].image_url is None and remote.parts[0].text == "https://x/y.png"
    strands = show(
        {
            "message": {
                "role": "user",
                "content": [
                    {
                        "image": {
                            "format": "jpg",
                            "source": {"bytes": {"__bytes_encoded__": True, "data": "QUJD"}},
                        }
                    }
                ],
            }
        },
        "strands.message",
    )
    assert strands.parts[0].image_url == "data:image/jpeg;base64,QUJD"
    assert summary(strands) == "[image: jpg]"


def test_strands_messages() -> None:
    use = show(
        {
            "message": {
                "role": "assistant",
                "content": [
                    {"text": "let me check"},
                    {"toolUse": {"toolUseId": "t1", "name": "calc", "input": {"a": 2}}},
                    {"reasoningContent": {"reasoningText": {"text": "why"}}},
                    {"cachePoint": {"type": "default"}},
                ],
            },
            "redact_message": None,
        },
        "strands.message",
        "helper",
    )
    assert use.role == "assistant" and use.author == "helper"
    assert [p.kind for p in use.parts] == ["text", "tool_call", "reasoning"]
    result = show(
        {
            "message": {
                "role": "user",
                "content": [
                    {
                        "toolResult": {
                            "toolUseId": "t1",
                            "status": "error",
                            "content": [{"json": {"e": 1}}],
                        }
                    }
                ],
            }
        },
        "strands.message",
    )
    assert result.role == "tool" and result.parts[0].status == "error"
    assert summary(result) == '← result [t1] error: {"e": 1}'
    redacted = show(
        {
            "message": {"role": "user", "content": [{"text": "secret"}]},
            "redact_message": {"role": "user", "content": [{"text": "[redacted]"}]},
        },
        "strands.message",
    )
    assert redacted.redacted and redacted.parts[0].text == "[redacted]"


def test_unknown_shapes_are_kept_as_json() -> None:
    assert show(["a", 1], None).parts[0].text == '["a", 1]'
    assert show({"type": "mystery", "x": 1}).parts[0].text == '{"type": "mystery", "x": 1}'
    assert (
        show({"role": "user", "content": [{"type": "input_file", "filename": "a.pdf"}]})
        .parts[0]
        .text
        == "[file: a.pdf]"
    )


def test_run_trace_events() -> None:
    def trace(event: dict[str, Any]) -> Any:
        return show({"v": 1, "run_id": "run-1", "ts": 1.0, **event}, "sessions_plus.trace")

    start = trace({"type": "run_start", "query": "2+2?"})
    assert start.role == "trace" and start.parts[0].text == "▶ run run-1 started: 2+2?"
    step = trace({"type": "step", "step": 1, "thinking": "add", "tool_calls": [{"name": "calc"}]})
    assert [(p.kind, p.text) for p in step.parts] == [
        ("text", "step 1 → calc"),
        ("reasoning", "add"),
    ]
    tool = trace({"type": "tool_end", "call_id": "c", "name": "calc", "result": 4, "error": None})
    assert (tool.parts[0].kind, tool.parts[0].text, tool.parts[0].status) == (
        "tool_result",
        "4",
        "success",
    )
    failed = trace({"type": "run_failed", "error": "ValueError: x"})
    assert failed.parts[0].text == "✗ run run-1 failed: ValueError: x"
