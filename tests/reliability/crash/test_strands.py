"""Strands agents and Swarms SIGKILLed mid-turn; the next turn, in another process, must pass a
model that validates its history as Bedrock Converse does."""

from __future__ import annotations

import pytest

from sessions_plus.conversation import INTERRUPTED, SHARED_STREAM
from sessions_plus.strands.repository import agent_stream
from sessions_plus.testing import check_converse_messages
from tests.fixtures.factory import StoreFactory

from . import workers
from .helpers import forked_crash, forked_turn, stored

pytestmark = pytest.mark.slow

INTERRUPTED_RESULT = {
    "toolResult": {"toolUseId": "tooluse_1", "status": "error", "content": [{"text": INTERRUPTED}]}
}


@pytest.mark.parametrize(
    ("point", "shared"), [("tool", False), ("tool", True), ("result", False), ("result", True)]
)
def test_killed_agent_is_restored_in_another_process(
    cross_process_factory: StoreFactory, point: str, shared: bool
) -> None:
    """Killed while its tool runs (``tool``) or after the tool returned, before its
    ``toolResult`` message was written (``result``): the restored agent's next turn shows the
    call as interrupted, in the message that carries its new prompt."""
    url = cross_process_factory.url()
    stream = SHARED_STREAM if shared else agent_stream("spec")
    forked_crash(workers.strands_crash, url=url, point=point, shared=shared)
    before = stored(url, stream)
    assert "toolUse" in before[-1].data["message"]["content"][0]  # the orphan: seq 6

    seen, log = forked_turn(workers.strands_turn, url=url, prompt="Again?", shared=shared)
    history = seen["seen"]
    assert check_converse_messages(history) is None  # what the validating model accepted
    assert history[-2]["content"] == [
        {"toolUse": {"toolUseId": "tooluse_1", "name": "calc", "input": {"expression": "2+2"}}}
    ]
    assert history[-1] == {"role": "user", "content": [INTERRUPTED_RESULT, {"text": "Again?"}]}
    [line] = [line for line in log if "tooluse_1" in line]
    assert "session 'crash', record seq=6: tool call tooluse_1 has no result" in line
    assert "a new run starts on it" in line  # the restore starts a run on the trailing call
    after = stored(url, stream)
    assert after[: len(before)] == before  # nothing stored changed: the repair is on read
    assert INTERRUPTED not in str([record.data for record in after])

    # A later restore shows the same history (the repaired call now precedes a stored turn).
    again, _ = forked_turn(workers.strands_turn, url=url, prompt="And now?", shared=shared)
    assert again["seen"][: len(history) - 1] == history[:-1]
    assert again["seen"][len(history) - 1]["content"][0] == INTERRUPTED_RESULT
    assert check_converse_messages(again["seen"]) is None


@pytest.mark.parametrize("shared", [False, True])
def test_killed_while_the_model_streams(cross_process_factory: StoreFactory, shared: bool) -> None:
    """Killed before the model's first reply of a turn: only the prompt is stored, so the next
    prompt follows a user message; the model is sent the two as one user turn."""
    url = cross_process_factory.url()
    stream = SHARED_STREAM if shared else agent_stream("spec")
    forked_crash(workers.strands_crash, url=url, point="model", shared=shared)
    before = stored(url, stream)
    assert before[-1].data["message"]["content"] == [{"text": "What is 2+2?"}]

    seen, log = forked_turn(workers.strands_turn, url=url, prompt="Again?", shared=shared)
    history = seen["seen"]
    assert check_converse_messages(history) is None
    assert history[-1] == {
        "role": "user",
        "content": [{"text": "What is 2+2?"}, {"text": "Again?"}],
    }
    assert not log
    after = stored(url, stream)
    assert after[: len(before)] == before
    assert [r.data["message"]["role"] for r in after[len(before) :]] == ["user", "assistant"]


@pytest.mark.parametrize("point", ["handoff", "next"])
def test_swarm_killed_mid_handoff_resumes_in_another_process(
    cross_process_factory: StoreFactory, point: str
) -> None:
    """A researcher -> writer Swarm killed as the handoff tool is about to run (``handoff``) or
    between the handoff and the writer's first output (``next``) runs again to completion."""
    url = cross_process_factory.url()
    forked_crash(workers.swarm_crash, url=url, point=point)
    result, log = forked_turn(workers.swarm_run, url=url)
    assert result["status"] == "Status.COMPLETED"
    assert result["nodes"][-1] == "writer"
    for name, histories in result["seen"].items():
        for history in histories:
            assert check_converse_messages(history) is None, name
    assert not log
