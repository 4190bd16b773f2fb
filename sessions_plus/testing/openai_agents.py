"""An offline OpenAI Agents SDK model that refuses the histories OpenAI Responses refuses.

:class:`ValidatingOpenAIModel` is the SDK's own ``agents.testing.ScriptedModel`` (same steps,
same ``calls``) that first checks the input it is given with
:func:`~sessions_plus.testing.providers.check_responses_input`: a ``function_call`` without its
``function_call_output`` (or the other way round) raises ``openai.BadRequestError``, status 400,
with the message and body the Responses API sends, as the SDK's OpenAI models let it through.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

from ..errors import missing_dependency
from .providers import check_responses_input

try:
    import httpx2
    import openai
    from agents.items import ModelResponse, TResponseInputItem, TResponseStreamEvent
    from agents.testing import ScriptedModel
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("sessions_plus.testing.openai_agents", "openai-agents", _exc) from _exc

__all__ = ["ValidatingOpenAIModel", "bad_request"]

RESPONSES_URL = "https://api.openai.com/v1/responses"


def bad_request(message: str) -> openai.BadRequestError:
    """The ``BadRequestError`` the OpenAI client raises for a 400 with ``message``."""
    body = {"message": message, "type": "invalid_request_error", "param": "input", "code": None}
    request = httpx2.Request("POST", RESPONSES_URL)
    response = httpx2.Response(400, request=request, json={"error": body})
    return openai.BadRequestError(f"Error code: 400 - {message}", response=response, body=body)


class ValidatingOpenAIModel(ScriptedModel):
    """``agents.testing.ScriptedModel`` that checks every input as the Responses API does.

    A refused input raises :func:`bad_request` before a step is used; ``rejected`` keeps each
    refused input and its message.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rejected: list[tuple[Any, str]] = []

    def _check(self, items: str | list[TResponseInputItem]) -> None:
        problem = check_responses_input(items)
        if problem is not None:
            self.rejected.append((copy.deepcopy(items), problem))
            raise bad_request(problem)

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        *args: Any,
        **kwargs: Any,
    ) -> ModelResponse:
        self._check(input)
        return await super().get_response(system_instructions, input, *args, **kwargs)

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        *args: Any,
        **kwargs: Any,
    ) -> AsyncIterator[TResponseStreamEvent]:
        self._check(input)
        async for event in super().stream_response(system_instructions, input, *args, **kwargs):
            yield event
