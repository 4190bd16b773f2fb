"""OpenAI Agents SDK runs SIGKILLed mid-turn; the next turn, in another process, must pass a
model that validates its input as the Responses API does."""

from __future__ import annotations

from typing import Any

import pytest

from sessions_plus.testing import check_responses_input
from tests.fixtures.factory import StoreFactory

from . import workers
from .helpers import forked_crash, forked_turn, stored
from .workers import SUMMARY

pytestmark = pytest.mark.slow


def said(items: list[Any]) -> list[str]:
    """A short form of each input item: its text, or its type and call id."""
    out = []
    for item in items:
        if item.get("type") in ("function_call", "function_call_output"):
            out.append(f"{item['type']} {item['call_id']}")
            continue
        content = item["content"]
        out.append(content if isinstance(content, str) else "".join(c["text"] for c in content))
    return out


FIRST_TURN = [
    "Tea?",
    "function_call call_first",
    "function_call_output call_first",
    "Tea is a drink.",
]


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("tool", [*FIRST_TURN, "Look it up.", "Again?"]),  # the call is stored with its output
        ("stream", [*FIRST_TURN, "Stream.", "Again?"]),  # a partial answer is never stored
        (
            "handoff",
            [*FIRST_TURN, "Refund me.", "function_call h1", "function_call_output h1", "Again?"],
        ),
        ("compact-api", [*FIRST_TURN, "Which tea?", "Green tea.", "Again?"]),
        ("compact-splice", [*FIRST_TURN, "Which tea?", "Green tea.", "Again?"]),
        ("compact-done", None),
    ],
)
def test_killed_run_then_next_turn_in_another_process(
    cross_process_factory: StoreFactory, point: str, expected: list[str] | None
) -> None:
    url = cross_process_factory.url()
    forked_crash(workers.openai_crash, url=url, point=point)
    before = stored(url)

    seen, log = forked_turn(
        workers.openai_turn,
        url=url,
        prompt="Again?",
        streamed=point == "stream",
        handoff=point == "handoff",
    )
    items = seen["input"]
    assert check_responses_input(items) is None  # what the validating model accepted
    if expected is None:  # the compaction's replace was written before the kill
        assert SUMMARY in items and said(items)[-1] == "Again?"
        assert "Tea?" not in said(items)
    else:
        assert said(items) == expected
    assert stored(url)[: len(before)] == before  # nothing stored was changed, only appended to
    assert not log  # nothing to repair: the SDK stores a call together with its output
