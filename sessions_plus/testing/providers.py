"""The history rules real providers enforce, as plain checks (SDK-free).

A provider rejects a request whose history breaks tool pairing or role order, with a 400 whose
message says what is wrong. These functions apply the same rules to the items or messages a
model is given and return that message (None when the history is accepted), so a test can tell a
history the provider would refuse from one it takes, offline. The validating test models
(:class:`~sessions_plus.testing.ValidatingModel` for Strands,
:class:`~sessions_plus.testing.ValidatingOpenAIModel` for the OpenAI Agents SDK) raise these
messages the way each SDK surfaces the provider's 400.

OpenAI Responses (``input`` items):

* every ``function_call`` (``custom_tool_call``) needs a ``function_call_output``
  (``custom_tool_call_output``) with its ``call_id`` later in the input: *No tool output found for
  function call <call_id>.*;
* every output needs its call earlier in the input: *No tool call found for function call output
  with call_id <call_id>.*

Bedrock Converse (Strands ``messages``), strictly — what every Converse model accepts:

* the first message is the user's: *A conversation must start with a user message. ...*;
* roles alternate user / assistant: *A conversation must alternate between user and assistant
  roles. ...*;
* no message is empty and no text block is blank;
* the ``toolUse`` blocks of an assistant message are answered by ``toolResult`` blocks, one per
  id, in the very next (user) message: *Expected toolResult blocks at messages.<n>.content for the
  following Ids: <ids>*;
* a ``toolResult`` answers a ``toolUse`` of the message right before it: *The number of
  toolResult blocks at messages.<n>.content exceeds the number of toolUse blocks of previous
  turn.*

Rules about content the SDKs never produce from a stored history (sizes, media formats, tool
schemas, malformed items such as a call without a ``call_id``) are not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RESPONSES_CALLS = {
    "function_call": ("function_call_output", "function call"),
    "custom_tool_call": ("custom_tool_call_output", "custom tool call"),
}
"""Responses call item types and the output type that answers each."""

RESPONSES_OUTPUTS = {output: call for call, (output, _) in RESPONSES_CALLS.items()}

CONVERSE_FIRST_USER = (
    "A conversation must start with a user message. Try again with a conversation that starts "
    "with a user message."
)
CONVERSE_ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation "
    "alternates between user and assistant roles and try again."
)


def check_responses_input(items: str | Sequence[Any]) -> str | None:
    """The error OpenAI Responses answers ``input`` with (None if it takes it)."""
    if isinstance(items, str):
        return None
    called: set[str] = set()
    answered: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("call_id"), str):
            continue  # not a call or an output (a malformed one is refused for other reasons)
        kind, call_id = item.get("type"), item["call_id"]
        if kind in RESPONSES_CALLS:
            called.add(call_id)
        elif kind in RESPONSES_OUTPUTS:
            if call_id not in called:
                return f"No tool call found for function call output with call_id {call_id}."
            answered.add(call_id)
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in RESPONSES_CALLS:
            continue
        call_id = item.get("call_id")
        if isinstance(call_id, str) and call_id not in answered:
            noun = RESPONSES_CALLS[item["type"]][1]
            return f"No tool output found for {noun} {call_id}."
    return None


def check_converse_messages(messages: Sequence[Any]) -> str | None:
    """The error Bedrock Converse answers ``messages`` with (None if it takes them)."""
    if not messages or _role(messages[0]) != "user":
        return CONVERSE_FIRST_USER
    previous_uses: list[str] = []
    for index, message in enumerate(messages):
        role = _role(message)
        if role not in ("user", "assistant"):
            return f"The role at messages.{index} must be 'user' or 'assistant'."
        if index and role == _role(messages[index - 1]):
            return CONVERSE_ALTERNATE
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list) or not content:
            return (
                f"The content field in the Message object at messages.{index} is empty. Add a "
                "ContentBlock object to the content field and try again."
            )
        for position, block in enumerate(content):
            text = block.get("text") if isinstance(block, dict) else None
            if isinstance(text, str) and not text.strip():
                return (
                    f"The text field in the ContentBlock object at messages.{index}.content."
                    f"{position} is blank. Add text to the text field, and try again."
                )
        results = [_id(block, "toolResult") for block in content if _has(block, "toolResult")]
        if previous_uses:
            missing = [use for use in previous_uses if use not in results]
            if missing:
                ids = ", ".join(missing)
                return (
                    f"Expected toolResult blocks at messages.{index}.content for the following "
                    f"Ids: {ids}"
                )
        if len(results) > len(previous_uses) or any(r not in previous_uses for r in results):
            return (
                f"The number of toolResult blocks at messages.{index}.content exceeds the number "
                "of toolUse blocks of previous turn."
            )
        previous_uses = [_id(block, "toolUse") for block in content if _has(block, "toolUse")]
    if previous_uses:
        ids = ", ".join(previous_uses)
        return (
            f"Expected toolResult blocks at messages.{len(messages)}.content for the following "
            f"Ids: {ids}"
        )
    return None


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


def _has(block: Any, key: str) -> bool:
    return isinstance(block, dict) and isinstance(block.get(key), dict)


def _id(block: dict[str, Any], key: str) -> str:
    return str(block[key].get("toolUseId"))
