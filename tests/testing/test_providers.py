"""The provider rules the validating models apply, and the errors they raise through each SDK."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest
from agents import Agent, Runner, set_tracing_disabled
from agents.testing import assistant_message
from botocore.exceptions import ClientError
from strands import Agent as StrandsAgent

from sessions_plus.testing import (
    ValidatingModel,
    ValidatingOpenAIModel,
    check_converse_messages,
    check_responses_input,
)
from sessions_plus.testing.providers import CONVERSE_ALTERNATE, CONVERSE_FIRST_USER

set_tracing_disabled(True)


def call(call_id: str, kind: str = "function_call") -> dict[str, Any]:
    return {"type": kind, "call_id": call_id, "name": "f", "arguments": "{}"}


def output(call_id: str, kind: str = "function_call_output") -> dict[str, Any]:
    return {"type": kind, "call_id": call_id, "output": "r"}


def user(text: str = "hi") -> dict[str, Any]:
    return {"role": "user", "content": text}


# ---------------------------------------------------------------------- Responses


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ("just a string", None),
        ([user(), call("c1"), output("c1")], None),
        ([user(), call("c1"), user("meanwhile"), output("c1")], None),  # any order after
        ([user(), call("c1")], "No tool output found for function call c1."),
        (
            [user(), call("c1"), output("c2")],
            "No tool call found for function call output with call_id c2.",
        ),
        (
            [user(), output("c1"), call("c1")],
            "No tool call found for function call output with call_id c1.",
        ),
        (
            [user(), call("x1", "custom_tool_call")],
            "No tool output found for custom tool call x1.",
        ),
        ([user(), call("x1", "custom_tool_call"), output("x1", "custom_tool_call_output")], None),
        ([user(), {"type": "function_call", "name": "f"}], None),  # malformed: not checked here
    ],
)
def test_responses_rules(items: Any, problem: str | None) -> None:
    assert check_responses_input(items) == problem


async def test_the_openai_runner_gets_the_api_s_bad_request() -> None:
    model = ValidatingOpenAIModel([[assistant_message("fine")]])
    agent = Agent(name="a", model=model)
    with pytest.raises(openai.BadRequestError) as caught:
        await Runner.run(agent, [user(), output("c1")])
    error = caught.value
    assert error.status_code == 400
    assert (
        str(error)
        == "Error code: 400 - No tool call found for function call output with call_id c1."
    )
    assert error.body == {
        "message": "No tool call found for function call output with call_id c1.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }
    assert model.rejected[0][1] == error.body["message"] and not model.calls
    result = await Runner.run(agent, [user(), call("c1"), output("c1"), user("next")])
    assert result.final_output == "fine"  # a valid input is answered by the script


async def test_the_openai_runner_streams_through_the_check_too() -> None:
    model = ValidatingOpenAIModel([[assistant_message("streamed")]])
    result = Runner.run_streamed(Agent(name="a", model=model), [user(), call("c1")])
    with pytest.raises(openai.BadRequestError, match="No tool output found for function call c1"):
        async for _ in result.stream_events():
            pass


# ---------------------------------------------------------------------- Converse


def text(role: str, value: str = "x") -> dict[str, Any]:
    return {"role": role, "content": [{"text": value}]}


def use(*ids: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": i, "name": "f", "input": {}}} for i in ids],
    }


def results(*ids: str, extra: str | None = None) -> dict[str, Any]:
    blocks: list[Any] = [
        {"toolResult": {"toolUseId": i, "status": "success", "content": [{"text": "r"}]}}
        for i in ids
    ]
    if extra is not None:
        blocks.append({"text": extra})
    return {"role": "user", "content": blocks}


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([text("user")], None),
        ([text("user"), use("t1"), results("t1"), text("assistant")], None),
        ([text("user"), use("t1", "t2"), results("t2", "t1", extra="and")], None),
        ([], CONVERSE_FIRST_USER),
        ([text("assistant")], CONVERSE_FIRST_USER),
        ([text("user"), text("user")], CONVERSE_ALTERNATE),
        ([text("user"), text("assistant"), text("assistant")], CONVERSE_ALTERNATE),
        (
            [text("user"), use("t1"), text("user")],
            "Expected toolResult blocks at messages.2.content for the following Ids: t1",
        ),
        (
            [text("user"), use("t1", "t2"), results("t1")],
            "Expected toolResult blocks at messages.2.content for the following Ids: t2",
        ),
        (
            [text("user"), use("t1")],
            "Expected toolResult blocks at messages.2.content for the following Ids: t1",
        ),
        (
            [results("t1")],
            "The number of toolResult blocks at messages.0.content exceeds the number of "
            "toolUse blocks of previous turn.",
        ),
        (
            [text("user"), use("t1"), results("t1", "t9")],
            "The number of toolResult blocks at messages.2.content exceeds the number of "
            "toolUse blocks of previous turn.",
        ),
        (
            [{"role": "user", "content": []}],
            "The content field in the Message object at messages.0 is empty. Add a "
            "ContentBlock object to the content field and try again.",
        ),
        (
            [text("user", "  ")],
            "The text field in the ContentBlock object at messages.0.content.0 is blank. Add "
            "text to the text field, and try again.",
        ),
    ],
)
def test_converse_rules(messages: list[Any], problem: str | None) -> None:
    assert check_converse_messages(messages) == problem


def test_a_strands_agent_gets_bedrock_s_validation_exception() -> None:
    model = ValidatingModel(["fine"])
    broken = [text("user", "q"), use("t1")]
    agent = StrandsAgent(
        model=model, messages=[*broken, text("user", "now")], callback_handler=None
    )
    with pytest.raises(ClientError) as caught:
        asyncio.run(agent.invoke_async([{"text": "again"}]))
    error = caught.value
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.operation_name == "ConverseStream"
    assert "Expected toolResult blocks at messages.2.content for the following Ids: t1" in str(
        error
    )
    assert len(model.rejected) == 1 and not model.seen
    good = StrandsAgent(model=model, callback_handler=None)
    assert str(good("hello")).strip() == "fine"
    assert model.seen == [[text("user", "hello")]]
