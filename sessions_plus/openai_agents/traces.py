"""Run traces for the OpenAI Agents SDK: ``TraceHooks``, the SDK's ``RunHooks`` recording runs.

``Runner.run(agent, q, session=session, hooks=TraceHooks(session))`` records every run on the
session's ``trace`` stream (see :mod:`sessions_plus.traces`): the start (with the new input),
each model response as a step (its text and reasoning summary as ``thinking``, token usage, the
tool calls it asked for), each tool call's start (arguments) and end (result), handoffs between
agents, and the end with the final output. Works with ``run``, ``run_sync``, ``run_streamed``
and handoffs; one ``TraceHooks`` can serve many runs, one after the other or at once.

**Failures.** The SDK calls no hook when a run raises (an exception, ``MaxTurnsExceeded``, a
guardrail tripwire). Run it inside the hooks' context to have the trace end as ``failed`` with
the error::

    hooks = TraceHooks(session)
    async with hooks:                      # or: with hooks: Runner.run_sync(...)
        await Runner.run(agent, q, session=session, hooks=hooks)

On an exception leaving the block, every run started in it that has not failed yet is recorded
as failed (also one whose ``on_agent_end`` already ran: the SDK checks output guardrails after
it), the writes are flushed, and the exception goes on unchanged. Outside the block a failed
run stays ``"running"`` in its trace.

**Tool errors.** With the SDK's default ``failure_error_function`` a tool that raises returns a
fixed message to the model and ``on_tool_end`` sees only that message: the trace records the
tool as failed with that message. Pass ``run_config=hooks.run_config()`` (or
``hooks.run_config(your_config)``) to record the exception itself (``"ValueError: ..."``); a
tool with its own ``failure_error_function`` is recorded as completed with what it returned.

Deliberate differences: ``include_data=False`` plays the role of the SDK's
``RunConfig.trace_include_sensitive_data=False`` for this trace (it does not read the run
config); the query recorded is the user input at the end of the turn input (the items after
the last item that is not a user message), since hooks see the session history and the new
input as one list: after a run that failed before answering, its unanswered input is part of
the next run's query.
"""

from __future__ import annotations

import contextvars
import dataclasses
import inspect
import json
import logging
import weakref
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from ..errors import missing_dependency
from ..loops import DEFAULT_TIMEOUT
from ..store import ConversationStore
from ..traces import RunRecorder, TraceRecorder, Usage
from ..traces.recorder import DEFAULT_LINGER

try:
    from agents import (
        Agent,
        RunConfig,
        RunContextWrapper,
        RunHooks,
        Tool,
        ToolErrorFormatterArgs,
        default_tool_error_function,
    )
    from agents.items import ModelResponse, TResponseInputItem
    from agents.lifecycle import RunHooksBase
    from agents.run_context import AgentHookContext
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("sessions_plus.openai_agents", "openai-agents", _exc) from _exc

__all__ = ["SDK_NAME", "TraceHooks"]

logger = logging.getLogger("sessions_plus.traces")

SDK_NAME = "openai-agents"
"""The ``sdk`` of every event these hooks record."""

DEFAULT_TOOL_ERROR = default_tool_error_function(RunContextWrapper(context=None), Exception())
"""What a failing tool returns to the model under the SDK's default failure policy."""


@dataclass
class _Run:
    """One run being recorded: its recorder and the agent it is in now."""

    recorder: RunRecorder
    agent: str


@dataclass(frozen=True)
class _Target:
    """Where :meth:`TraceHooks.for_store` records: a store and a session id."""

    store: ConversationStore
    session_id: str


@dataclass
class _Scope:
    """Runs started inside one ``with``/``async with`` block of a TraceHooks."""

    hooks: TraceHooks
    runs: list[_Run] = field(default_factory=list)


_SCOPES: contextvars.ContextVar[tuple[_Scope, ...]] = contextvars.ContextVar(
    "sessions_plus_trace_scopes", default=()
)


class TraceHooks(RunHooks[Any]):
    """``RunHooks`` that record each run's trace in ``session``'s store (see the module doc).

    ``session`` is a :class:`~sessions_plus.openai_agents.StoreSession` (or anything with
    ``.store`` and ``.session_id``). ``include_data=False`` records names, timings, statuses
    and usage but no inputs, outputs or thinking. A store that is down never fails the run: the
    trace is marked incomplete (logged once per run) unless ``strict=True``, which raises
    :class:`~sessions_plus.StoreUnavailableError` from the hooks, failing the run. ``hooks``:
    your own ``RunHooks``, called after these with the same arguments.
    """

    def __init__(
        self,
        session: Any,
        *,
        include_data: bool = True,
        strict: bool = False,
        hooks: RunHooksBase[Any, Any] | None = None,
        linger: float = DEFAULT_LINGER,
    ) -> None:
        store = getattr(session, "store", None)
        if not isinstance(store, ConversationStore):
            raise TypeError(
                "session must be a sessions-plus session (with .store and .session_id), "
                f"not {type(session).__name__}"
            )
        self.recorder = TraceRecorder(
            store,
            session.session_id,
            sdk=SDK_NAME,
            include_data=include_data,
            strict=strict,
            linger=linger,
        )
        self.hooks = hooks
        self._runs: dict[int, _Run] = {}
        self._tool_errors: dict[str, BaseException] = {}

    @classmethod
    def for_store(cls, store: ConversationStore, session_id: str, **options: Any) -> TraceHooks:
        """Hooks recording in ``store`` under ``session_id``, for runs whose conversation is
        kept elsewhere (the SDK's own sessions, or none). ``options`` as for the constructor."""
        return cls(_Target(store, session_id), **options)

    @property
    def dropped(self) -> int:
        """Events of these hooks' runs that could not be written (store down)."""
        return self.recorder.dropped

    # ------------------------------------------------------------------ runs

    def _run(self, context: RunContextWrapper[Any], agent: Agent[Any]) -> _Run:
        """The run ``context`` belongs to (one Usage object per run), started if new."""
        usage = context.usage
        key = id(usage)
        run = self._runs.get(key)
        if run is None:
            query = _query(getattr(context, "turn_input", None) or [])
            run = _Run(self.recorder.start_run(agent.name, query), agent.name)
            self._runs[key] = run
            weakref.finalize(usage, self._runs.pop, key, None)
            for scope in reversed(_SCOPES.get()):
                if scope.hooks is self:
                    scope.runs.append(run)
                    break
        return run

    async def on_agent_start(self, context: AgentHookContext[Any], agent: Agent[Any]) -> None:
        run = self._run(context, agent)
        run.agent = agent.name
        if self.hooks is not None:
            await self.hooks.on_agent_start(context, agent)

    async def on_llm_start(
        self,
        context: RunContextWrapper[Any],
        agent: Agent[Any],
        system_prompt: str | None,
        input_items: list[TResponseInputItem],
    ) -> None:
        self._run(context, agent)
        if self.hooks is not None:
            await self.hooks.on_llm_start(context, agent, system_prompt, input_items)

    async def on_llm_end(
        self, context: RunContextWrapper[Any], agent: Agent[Any], response: ModelResponse
    ) -> None:
        run = self._run(context, agent)
        run.recorder.step(
            agent.name,
            thinking=_thinking(response),
            usage=_usage(response.usage),
            tool_calls=_tool_calls(response),
        )
        if self.hooks is not None:
            await self.hooks.on_llm_end(context, agent, response)

    async def on_tool_start(
        self, context: RunContextWrapper[Any], agent: Agent[Any], tool: Tool
    ) -> None:
        run = self._run(context, agent)
        call_id = getattr(context, "tool_call_id", None)
        # A strict store error is raised by the next step or the end, not here: the SDK would
        # turn it into a tool error (UserError) instead of failing the run with it.
        run.recorder.tool_start(agent.name, call_id, tool.name, _arguments(context), check=False)
        if self.hooks is not None:
            await self.hooks.on_tool_start(context, agent, tool)

    async def on_tool_end(
        self, context: RunContextWrapper[Any], agent: Agent[Any], tool: Tool, result: object
    ) -> None:
        run = self._run(context, agent)
        call_id = getattr(context, "tool_call_id", None)
        error: BaseException | str | None = None
        if isinstance(call_id, str) and call_id in self._tool_errors:
            error = self._tool_errors.pop(call_id)
        elif isinstance(result, str) and result == DEFAULT_TOOL_ERROR:
            error = result
        if error is None:
            run.recorder.tool_end(agent.name, call_id, tool.name, result, check=False)
        else:
            run.recorder.tool_end(agent.name, call_id, tool.name, error=error, check=False)
        if self.hooks is not None:
            await self.hooks.on_tool_end(context, agent, tool, result)

    async def on_handoff(
        self, context: RunContextWrapper[Any], from_agent: Agent[Any], to_agent: Agent[Any]
    ) -> None:
        run = self._run(context, from_agent)
        run.recorder.handoff(from_agent.name, to_agent.name)
        run.agent = to_agent.name
        if self.hooks is not None:
            await self.hooks.on_handoff(context=context, from_agent=from_agent, to_agent=to_agent)

    async def on_agent_end(
        self, context: AgentHookContext[Any], agent: Agent[Any], output: Any
    ) -> None:
        run = self._run(context, agent)
        run.agent = agent.name
        run.recorder.end(agent.name, output)
        self._runs.pop(id(context.usage), None)
        await run.recorder.flush()  # the run's trace is complete when the SDK returns
        if self.hooks is not None:
            await self.hooks.on_agent_end(context, agent, output)

    # ------------------------------------------------------------------ failures

    async def __aenter__(self) -> TraceHooks:
        _SCOPES.set((*_SCOPES.get(), _Scope(self)))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for run in self._close_scope(exc):
            await run.recorder.flush(raise_errors=False)

    def __enter__(self) -> TraceHooks:
        _SCOPES.set((*_SCOPES.get(), _Scope(self)))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for run in self._close_scope(exc):
            try:
                run.recorder.flush_sync(timeout=DEFAULT_TIMEOUT, raise_errors=False)
            except RuntimeError:  # ``with`` on the run's own running loop: written soon
                pass
            except TimeoutError as error:  # a store that hangs: the events stay queued
                logger.warning("trace of run %s not flushed: %s", run.recorder.run_id, error)

    def _close_scope(self, exc: BaseException | None) -> list[_Run]:
        """Leave the innermost scope of these hooks; fail its runs if ``exc`` is set."""
        scopes = _SCOPES.get()
        for index in range(len(scopes) - 1, -1, -1):
            if scopes[index].hooks is self:
                scope = scopes[index]
                _SCOPES.set(scopes[:index] + scopes[index + 1 :])
                break
        else:
            raise RuntimeError("TraceHooks: __exit__ without a matching __enter__")
        if exc is not None:
            for run in scope.runs:
                run.recorder.fail(run.agent, exc)
        return scope.runs

    # ------------------------------------------------------------------ tool errors

    def run_config(self, base: RunConfig | None = None) -> RunConfig:
        """A copy of ``base`` (default: ``RunConfig()``) whose ``tool_error_formatter`` also
        hands tool exceptions to these hooks, so a failing tool is recorded with its error.

        Your own ``tool_error_formatter`` in ``base`` still decides the model-visible message.
        """
        config = dataclasses.replace(base) if base is not None else RunConfig()
        theirs = config.tool_error_formatter

        async def formatter(args: ToolErrorFormatterArgs[Any]) -> str | None:
            if args.kind == "tool_exception" and args.error is not None:
                self._tool_errors[args.call_id] = args.error
            if theirs is None:
                return None
            message = theirs(args)
            if inspect.isawaitable(message):
                message = await message
            return message

        config.tool_error_formatter = formatter
        return config


# ---------------------------------------------------------------------- SDK objects -> JSON


def _query(turn_input: list[Any]) -> Any:
    """The new input of a run: the user items at the end of the turn input.

    One plain user message reads as its text; otherwise the items themselves.
    """
    tail: list[Any] = []
    for item in reversed(turn_input):
        role = item.get("role") if isinstance(item, dict) else getattr(item, "role", None)
        kind = item.get("type") if isinstance(item, dict) else getattr(item, "type", None)
        if role != "user" or kind not in (None, "message"):
            break
        tail.append(item)
    tail.reverse()
    if len(tail) == 1:
        content = tail[0].get("content") if isinstance(tail[0], dict) else None
        if isinstance(content, str):
            return content
        if isinstance(content, list) and all(
            isinstance(part, dict) and part.get("type") == "input_text" for part in content
        ):
            return "".join(str(part.get("text", "")) for part in content)
    return tail or None


def _thinking(response: ModelResponse) -> str | None:
    """The text a model response says and its reasoning summaries, in order."""
    parts: list[str] = []
    for item in response.output:
        kind = getattr(item, "type", None)
        if kind == "message":
            for content in getattr(item, "content", None) or []:
                text = getattr(content, "text", None) or getattr(content, "refusal", None)
                if isinstance(text, str) and text:
                    parts.append(text)
        elif kind == "reasoning":
            for piece in [
                *(getattr(item, "summary", None) or []),
                *(getattr(item, "content", None) or []),
            ]:
                text = getattr(piece, "text", None)
                if isinstance(text, str) and text:
                    parts.append(text)
    return "\n".join(parts) or None


def _tool_calls(response: ModelResponse) -> list[tuple[str | None, str]]:
    """``(call_id, name)`` of every tool call (handoffs included) a response asks for."""
    calls: list[tuple[str | None, str]] = []
    for item in response.output:
        call_id = getattr(item, "call_id", None)
        if call_id is None:
            continue
        name = getattr(item, "name", None) or getattr(item, "type", None) or "tool"
        calls.append((call_id, str(name)))
    return calls


def _usage(usage: Any) -> Usage | None:
    if usage is None:
        return None
    inputs = getattr(usage, "input_tokens_details", None)
    outputs = getattr(usage, "output_tokens_details", None)
    return Usage(
        requests=int(getattr(usage, "requests", 0) or 0),
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        total_tokens=int(getattr(usage, "total_tokens", 0) or 0),
        cached_tokens=int(getattr(inputs, "cached_tokens", 0) or 0),
        cache_write_tokens=int(getattr(inputs, "cache_write_tokens", 0) or 0),
        reasoning_tokens=int(getattr(outputs, "reasoning_tokens", 0) or 0),
    )


def _arguments(context: RunContextWrapper[Any]) -> Any:
    """A tool call's arguments: the JSON the model sent, decoded where it is JSON."""
    raw = getattr(context, "tool_arguments", None)
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
