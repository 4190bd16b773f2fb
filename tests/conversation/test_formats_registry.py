"""The format registry: a third format is one module's worth of functions plus one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sessions_plus.conversation import (
    Format,
    Message,
    RenderOptions,
    TextPart,
    ToolCallPart,
    format_names,
    get_format,
    register_format,
    render,
)
from sessions_plus.conversation import formats as registry
from sessions_plus.conversation.formats import invalid
from sessions_plus.conversation.notes import tool_note
from sessions_plus.errors import ConfigurationError
from tests.conversation.helpers import OA, ST, call, oa, output, records, s_text, st

ROOT = Path(__file__).resolve().parents[2]
LINES = "plain.lines"


def lines_to_neutral(
    data: Any, *, seq: int | None = None, author: str | None = None, created_at: float | None = None
) -> Message:
    if not isinstance(data, str) or ": " not in data:
        raise invalid(LINES, "a line is 'role: text'")
    role, text = data.split(": ", 1)
    if role not in ("user", "assistant"):
        raise invalid(LINES, f"unknown role {role!r}")
    return Message(role, (TextPart(text),), LINES, author, seq, created_at)  # type: ignore[arg-type]


def lines_from_neutral(message: Message) -> list[Any]:
    role = "assistant" if message.role in ("assistant", "tool") else "user"
    out = []
    for part in message.parts:
        if isinstance(part, TextPart):
            out.append(f"{role}: {part.text}")
        elif isinstance(part, ToolCallPart):  # a format without tools: describe them
            out.append(f"{role}: {tool_note(message.author, part, None)}")
    return out


LINES_FORMAT = Format(
    name=LINES,
    alias="lines",
    to_neutral=lines_to_neutral,
    from_neutral=lines_from_neutral,
    role_of=lambda item: item.split(": ", 1)[0] if isinstance(item, str) else None,
)


@pytest.fixture
def with_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_FORMATS", dict(registry._FORMATS))
    monkeypatch.setattr(registry, "_ALIASES", dict(registry._ALIASES))
    register_format(LINES_FORMAT)


def test_the_built_in_formats() -> None:
    assert format_names() == [OA, ST]
    assert get_format("openai") is get_format(OA)
    assert get_format("strands") is get_format(ST)
    assert get_format(ST).alternating and not get_format(OA).alternating
    with pytest.raises(ConfigurationError, match="unknown conversation format"):
        get_format("anthropic.messages")


@pytest.mark.usefixtures("with_lines")
def test_a_third_format_converts_to_and_from_both_sdks() -> None:
    recs = records(
        (LINES, "cli", "user: hello from a terminal"),
        oa(call("c1", "f", {})),
        oa(output("c1", "done")),
        st(s_text("assistant", "Strands here")),
        (LINES, "cli", "user: thanks"),
    )
    assert [r.item for r in render(recs, LINES)] == [
        "user: hello from a terminal",
        "assistant: [triage called tool f({}) -> done]",
        "assistant: Strands here",
        "user: thanks",
    ]
    assert [r.item for r in render(recs, OA, RenderOptions(foreign_tools="native"))][:1] == [
        {"role": "user", "content": "hello from a terminal"}
    ]
    strands = render(recs, ST)
    assert strands[0].item["message"]["content"] == [{"text": "hello from a terminal"}]
    assert get_format("lines") is LINES_FORMAT


@pytest.mark.usefixtures("with_lines")
def test_a_name_or_alias_is_registered_once() -> None:
    with pytest.raises(ConfigurationError):
        register_format(LINES_FORMAT)
    clash = Format(
        name="other.name",
        alias="openai",
        to_neutral=lines_to_neutral,
        from_neutral=lines_from_neutral,
        role_of=lambda item: None,
    )
    with pytest.raises(ConfigurationError):
        register_format(clash)
    register_format(LINES_FORMAT, replace=True)
    with pytest.raises(TypeError):
        register_format("plain.lines")  # type: ignore[arg-type]


def test_the_conversation_package_imports_no_sdk() -> None:
    code = (
        "import sys\n"
        "for name in ('agents', 'strands', 'openai', 'redis', 'aiobotocore', 'botocore'):\n"
        "    sys.modules[name] = None\n"
        "import sessions_plus.conversation as c\n"
        "items = c.convert_items([{'role': 'user', 'content': 'hi'}], 'openai', 'strands')\n"
        "print(items[0]['message']['content'][0]['text'])\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('agents', 'strands', 'openai')]\n"
        "print(sorted(m for m in loaded if sys.modules[m] is not None))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["hi", "[]"]
