"""Offline Strands models for tests and examples: ``ScriptedModel`` streams scripted replies.

``ScriptedModel`` is a ``strands.models.Model`` that streams pre-defined replies as Bedrock-style
stream events (the shape every Strands provider emits) and records the history it was shown, so
agents, swarms and graphs run with no API key and no network. ``ValidatingModel`` also refuses,
as Bedrock does, a history with a broken tool call/result pairing or role order.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from typing import Any

from ..errors import missing_dependency
from .providers import check_converse_messages

try:
    from botocore.exceptions import ClientError
    from strands.models import Model
    from strands.types.content import Messages
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise missing_dependency("sessions_plus.testing.strands", "strands", exc) from exc

Reply = str | dict[str, Any] | Callable[[Messages], "str | dict[str, Any]"]
"""A scripted reply: text, a message dict (``{"content": [...]}``), a redaction
(``{"redactedUserContent": ..., "redactedAssistantContent": ...}``) or a function of the
history returning one of those."""


class ScriptedModel(Model):
    """Replies from a script, in order; the last reply repeats when the script runs out.

    ``seen`` holds a copy of the messages the model was given on each call.
    """

    def __init__(self, replies: Sequence[Reply] = ("ok",)) -> None:
        self.replies = list(replies) or ["ok"]
        self.calls = 0
        self.seen: list[Messages] = []

    def update_config(self, **model_config: Any) -> None:
        pass

    def get_config(self) -> Any:
        return {}

    async def structured_output(self, *args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
        raise NotImplementedError
        yield  # pragma: no cover

    async def stream(
        self, messages: Messages, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[Any, None]:
        self.seen.append(json.loads(json.dumps(messages, default=repr)))
        reply = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        if callable(reply):
            reply = reply(messages)
        for event in _events(reply):
            yield event

    def texts_seen(self, call: int = -1) -> list[str]:
        """Every text block of the history shown on one call."""
        return [
            block["text"]
            for message in self.seen[call]
            for block in message["content"]
            if "text" in block
        ]


def _events(reply: str | dict[str, Any]) -> Iterable[dict[str, Any]]:
    if isinstance(reply, str):
        reply = {"content": [{"text": reply}]}
    stop_reason = "end_turn"
    yield {"messageStart": {"role": "assistant"}}
    if "redactedAssistantContent" in reply:
        yield {"redactContent": {"redactUserContentMessage": reply["redactedUserContent"]}}
        yield {"contentBlockStart": {"start": {}}}
        yield {"contentBlockDelta": {"delta": {"text": reply["redactedAssistantContent"]}}}
        yield {"contentBlockStop": {}}
        stop_reason = "guardrail_intervened"
    else:
        for block in reply["content"]:
            if "text" in block:
                yield {"contentBlockStart": {"start": {}}}
                yield {"contentBlockDelta": {"delta": {"text": block["text"]}}}
                yield {"contentBlockStop": {}}
            if "toolUse" in block:
                stop_reason = "tool_use"
                tool = block["toolUse"]
                start = {"toolUse": {"name": tool["name"], "toolUseId": tool["toolUseId"]}}
                yield {"contentBlockStart": {"start": start}}
                delta = {"toolUse": {"input": json.dumps(tool["input"])}}
                yield {"contentBlockDelta": {"delta": delta}}
                yield {"contentBlockStop": {}}
    yield {"messageStop": {"stopReason": stop_reason}}
    yield {
        "metadata": {
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
            "metrics": {"latencyMs": 1},
        }
    }


def tool_call(name: str, tool_input: dict[str, Any], tool_use_id: str) -> dict[str, Any]:
    """A scripted assistant message that calls one tool."""
    return {"content": [{"toolUse": {"name": name, "toolUseId": tool_use_id, "input": tool_input}}]}


def handoff(agent_name: str, message: str, tool_use_id: str = "handoff-1") -> dict[str, Any]:
    """A scripted Swarm handoff to ``agent_name``."""
    return tool_call(
        "handoff_to_agent",
        {"agent_name": agent_name, "message": message, "context": {}},
        tool_use_id,
    )


def texts(messages: Messages) -> list[str]:
    """Every text block of a history, in order."""
    return [
        block["text"] for message in messages for block in message["content"] if "text" in block
    ]


class ValidationException(ClientError):  # type: ignore[misc]
    """What boto3 raises for a Bedrock 400 (``botocore.errorfactory.ValidationException`` is
    made per client; this one has the same name, base class and error code)."""


class ValidatingModel(ScriptedModel):
    """A :class:`ScriptedModel` that refuses a history Bedrock Converse would refuse.

    Before each reply the messages it is given are checked by
    :func:`~sessions_plus.testing.providers.check_converse_messages` (tool pairing, role
    alternation, a user turn first); a broken history raises :class:`ValidationException`, a
    botocore ``ClientError`` with code ``ValidationException`` and Bedrock's own message, as
    ``BedrockModel`` lets it through. ``rejected`` keeps each refused history and its message.
    """

    def __init__(self, replies: Sequence[Reply] = ("ok",)) -> None:
        super().__init__(replies)
        self.rejected: list[tuple[Messages, str]] = []

    async def stream(
        self, messages: Messages, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[Any, None]:
        problem = check_converse_messages(messages)
        if problem is not None:
            self.rejected.append((json.loads(json.dumps(messages, default=repr)), problem))
            raise ValidationException(
                {
                    "Error": {"Code": "ValidationException", "Message": problem},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "ConverseStream",
            )
        async for event in super().stream(messages, *args, **kwargs):
            yield event
