"""Run traces for Strands Agents: ``TraceHooks``, a hook provider that records every run.

Each ``agent(...)`` / ``invoke_async`` / ``stream_async`` call is one run on the session's
``trace`` stream (see :mod:`sessions_plus.traces`): ``BeforeInvocationEvent`` starts it (the
input messages as ``query``), every ``AfterModelCallEvent`` is a step (text and reasoning as
``thinking``, the call's token usage, the tool uses it asked for), ``BeforeToolCallEvent`` /
``AfterToolCallEvent`` are a tool call's start and end (result, or error), and
``AfterInvocationEvent`` ends it with the final message, or as ``failed`` with the exception the
invocation raised (Strands fires it in a ``finally``).

A ``Swarm`` or ``Graph`` is one run too: its nodes' agents get these hooks when the
multi-agent is initialized, so each model call of a node is a step named by its node id, and a
Swarm moving from one node to the next is a handoff. The task is the query, the last node's
final message the final response; a multi-agent that ends ``FAILED`` (also without raising,
e.g. a Graph with failed nodes) fails its run. Nested multi-agents (a Graph node that is a
Swarm) are recorded as their node's steps only.

Use ``trace=True`` on :class:`~sessions_plus.strands.StoreSessionManager` (and the drop-ins),
or ``Agent(hooks=[TraceHooks(store, session_id)])`` with any other session manager.
Recording never blocks on the store while the agent works (events are written from a
background loop) and never fails the run unless ``strict=True``; the end of each run waits for
its writes, so a finished run's trace is complete when the call returns.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from ..errors import missing_dependency
from ..loops import DEFAULT_TIMEOUT, BackgroundLoop
from ..store import ConversationStore
from ..traces import RunRecorder, TraceRecorder, Usage
from ..traces.recorder import DEFAULT_LINGER
from ..traces.sync import event_loop_of

try:
    from strands.hooks import HookProvider, HookRegistry
    from strands.hooks.events import (
        AfterInvocationEvent,
        AfterModelCallEvent,
        AfterMultiAgentInvocationEvent,
        AfterToolCallEvent,
        BeforeInvocationEvent,
        BeforeMultiAgentInvocationEvent,
        BeforeNodeCallEvent,
        BeforeToolCallEvent,
        MultiAgentInitializedEvent,
    )
    from strands.multiagent.base import MultiAgentBase, Status
    from strands.multiagent.swarm import Swarm
except ImportError as _exc:  # pragma: no cover - exercised without the extra installed
    raise missing_dependency("sessions_plus.strands", "strands", _exc) from _exc

__all__ = ["SDK_NAME", "TraceHooks"]

SDK_NAME = "strands"
"""The ``sdk`` of every event these hooks record."""


@dataclass
class _Multi:
    """A Swarm/Graph run: started at its first node (when its task is known)."""

    source: MultiAgentBase
    recorder: RunRecorder | None = None
    node: str | None = None
    final: Any = None


class TraceHooks(HookProvider):
    """Records the runs of agents, Swarms and Graphs in ``store``, session ``session_id``.

    ``include_data=False`` records names, timings, statuses and usage but no inputs, results or
    thinking. A store that is down never fails a run: the trace is marked incomplete (logged
    once per run), unless ``strict=True``, which raises
    :class:`~sessions_plus.StoreUnavailableError` from the hooks (failing the run). Writes run
    on ``loop`` (a :class:`~sessions_plus.loops.BackgroundLoop`; default: one of its own,
    stopped by :meth:`close`), and ``timeout`` bounds the wait for them at the end of a run.
    """

    def __init__(
        self,
        store: ConversationStore,
        session_id: str,
        *,
        include_data: bool = True,
        strict: bool = False,
        loop: BackgroundLoop | None = None,
        linger: float = DEFAULT_LINGER,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        if not isinstance(store, ConversationStore):
            raise TypeError(f"store must be a ConversationStore, not {type(store).__name__}")
        self.recorder = TraceRecorder(
            store,
            session_id,
            sdk=SDK_NAME,
            include_data=include_data,
            strict=strict,
            linger=linger,
        )
        self.timeout = timeout
        self._owns_loop = loop is None
        self._background = loop or BackgroundLoop(name="sessions-plus-traces", timeout=timeout)
        self._writer_loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._runs: dict[int, RunRecorder] = {}  # id(agent) -> its invocation being recorded
        self._multis: dict[int, _Multi] = {}  # id(swarm or graph) -> its invocation
        # node agent -> (its Swarm/Graph, node id); weak, so finished multi-agents go away
        self._nodes: weakref.WeakKeyDictionary[Any, tuple[weakref.ref[MultiAgentBase], str]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def dropped(self) -> int:
        """Events of these hooks' runs that could not be written (store down)."""
        return self.recorder.dropped

    def close(self) -> None:
        """Stop the background loop, if these hooks made it."""
        if self._owns_loop:
            self._background.close()

    # ------------------------------------------------------------------ registration

    def register_hooks(self, registry: HookRegistry, **kwargs: Any) -> None:
        """Strands' HookProvider entry point: the agent and multi-agent callbacks."""
        registry.add_callback(BeforeInvocationEvent, self._before_invocation)
        registry.add_callback(AfterModelCallEvent, self._after_model)
        registry.add_callback(BeforeToolCallEvent, self._before_tool)
        registry.add_callback(AfterToolCallEvent, self._after_tool)
        registry.add_callback(AfterInvocationEvent, self._after_invocation)
        registry.add_callback(MultiAgentInitializedEvent, self._multi_initialized)
        registry.add_callback(BeforeMultiAgentInvocationEvent, self._before_multi)
        registry.add_callback(BeforeNodeCallEvent, self._before_node)
        registry.add_callback(AfterMultiAgentInvocationEvent, self._after_multi)

    def _start(self, agent: str | None, query: Any) -> RunRecorder:
        loop = self._writer_loop
        if loop is None or loop.is_closed():
            loop = self._writer_loop = event_loop_of(self._background)
        return self.recorder.start_run(agent, query, loop=loop)

    def _finish(self, run: RunRecorder) -> None:
        """Wait (on the agent's thread) until the run's events are written."""
        run.flush_sync(timeout=self.timeout)

    # ------------------------------------------------------------------ agents

    def _node(self, agent: Any) -> tuple[RunRecorder | None, str]:
        """The recorder an agent's events go to and the name they carry."""
        owner = self._nodes.get(agent)
        if owner is not None:
            multi = self._multis.get(id(owner[0]()))
            return (None if multi is None else multi.recorder), owner[1]
        return self._runs.get(id(agent)), str(agent.name)

    def _before_invocation(self, event: BeforeInvocationEvent) -> None:
        agent = event.agent
        if agent in self._nodes:
            return  # a node of a Swarm/Graph: part of the multi-agent's run
        self._runs[id(agent)] = self._start(agent.name, _query(event.messages))

    def _after_model(self, event: AfterModelCallEvent) -> None:
        run, name = self._node(event.agent)
        stop = event.stop_response
        if run is None or stop is None:  # a failed call: the invocation fails or retries
            return
        message = stop.message
        run.step(
            name,
            thinking=_thinking(message),
            usage=_usage(message),
            tool_calls=[
                (block["toolUse"].get("toolUseId"), str(block["toolUse"].get("name")))
                for block in message.get("content", [])
                if "toolUse" in block
            ],
        )

    def _before_tool(self, event: BeforeToolCallEvent) -> None:
        run, name = self._node(event.agent)
        if run is None:
            return
        use = event.tool_use
        # strict store errors surface at the next step or the end, not as this tool's error
        tool_id, tool_name = use.get("toolUseId"), str(use.get("name"))
        run.tool_start(name, tool_id, tool_name, use.get("input"), check=False)

    def _after_tool(self, event: AfterToolCallEvent) -> None:
        run, name = self._node(event.agent)
        if run is None:
            return
        use, result = event.tool_use, event.result
        call_id, tool = use.get("toolUseId"), str(use.get("name"))
        content = _content(result.get("content", []))
        error: BaseException | str | None = None
        if event.exception is not None:
            error = event.exception
        elif event.cancel_message is not None:
            error = f"cancelled: {event.cancel_message}"
        elif result.get("status") == "error":
            error = str(content)
        if error is None:
            run.tool_end(name, call_id, tool, content, check=False)
        else:
            run.tool_end(name, call_id, tool, error=error, check=False)

    def _after_invocation(self, event: AfterInvocationEvent) -> None:
        agent = event.agent
        owner = self._nodes.get(agent)
        if owner is not None:  # a node finished: its answer may be the multi-agent's
            multi = self._multis.get(id(owner[0]()))
            if multi is not None and event.result is not None:
                multi.final = _final(event.result.message)
            return
        run = self._runs.pop(id(agent), None)
        if run is None:
            return
        error = sys.exc_info()[1] if event.result is None else None
        if error is not None:  # Strands fires this in a finally: the invocation raised
            run.fail(agent.name, error)
        else:
            run.end(agent.name, None if event.result is None else _final(event.result.message))
        self._finish(run)

    # ------------------------------------------------------------------ Swarm / Graph

    def _multi_initialized(self, event: MultiAgentInitializedEvent) -> None:
        self._attach_nodes(event.source)

    def _attach_nodes(self, source: MultiAgentBase) -> None:
        """Give every node agent these hooks (once), so its steps and tools are recorded."""
        nodes = getattr(source, "nodes", None)
        if not isinstance(nodes, dict):
            return
        with self._lock:
            for node_id, node in nodes.items():
                executor = getattr(node, "executor", None)
                registry = getattr(executor, "hooks", None)
                if isinstance(executor, MultiAgentBase) or not isinstance(registry, HookRegistry):
                    continue
                if executor not in self._nodes:
                    self._nodes[executor] = (weakref.ref(source), str(node_id))
                    registry.add_hook(self)

    def _before_multi(self, event: BeforeMultiAgentInvocationEvent) -> None:
        self._attach_nodes(event.source)
        self._multis[id(event.source)] = _Multi(event.source)

    def _begin(self, multi: _Multi) -> RunRecorder:
        if multi.recorder is None:
            task = getattr(getattr(multi.source, "state", None), "task", None)
            multi.recorder = self._start(str(multi.source.id), _query(task))
        return multi.recorder

    def _before_node(self, event: BeforeNodeCallEvent) -> None:
        multi = self._multis.get(id(event.source))
        if multi is None:
            return
        run = self._begin(multi)
        node = str(event.node_id)
        if isinstance(event.source, Swarm) and multi.node is not None and multi.node != node:
            run.handoff(multi.node, node)
        multi.node = node

    def _after_multi(self, event: AfterMultiAgentInvocationEvent) -> None:
        multi = self._multis.pop(id(event.source), None)
        if multi is None:
            return
        run = self._begin(multi)
        agent = multi.node or str(event.source.id)
        state = getattr(event.source, "state", None)
        status = getattr(state, "completion_status", None) or getattr(state, "status", None)
        error = sys.exc_info()[1]
        if error is not None:  # fired in a finally: the invocation raised
            run.fail(agent, error)
        elif status == Status.FAILED:
            run.fail(agent, f"{type(event.source).__name__} {event.source.id} failed")
        else:
            run.end(agent, multi.final)
        self._finish(run)


# ---------------------------------------------------------------------- Strands data -> JSON


def _query(messages: Any) -> Any:
    """One user message of only text reads as its text; anything else as it is."""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list) and len(messages) == 1 and isinstance(messages[0], dict):
        content = messages[0].get("content")
        if isinstance(content, list) and content and all("text" in b for b in content):
            return "".join(str(block["text"]) for block in content)
    if isinstance(messages, list) and messages and all("text" in b for b in messages):
        return "".join(str(block["text"]) for block in messages)  # content blocks
    return messages


def _thinking(message: Any) -> str | None:
    """A model message's text and reasoning, in order."""
    parts: list[str] = []
    for block in message.get("content", []):
        if isinstance(block.get("text"), str):
            parts.append(block["text"])
        reasoning = block.get("reasoningContent")
        if isinstance(reasoning, dict):
            text = (reasoning.get("reasoningText") or {}).get("text")
            if isinstance(text, str):
                parts.append(text)
    return "\n".join(part for part in parts if part) or None


def _usage(message: Any) -> Usage | None:
    """The token usage Strands puts in a model message's metadata (one model call)."""
    usage = (message.get("metadata") or {}).get("usage")
    if not isinstance(usage, dict):
        return None

    def count(key: str) -> int:
        value = usage.get(key, 0)
        return value if isinstance(value, int) else 0

    return Usage(
        requests=1,
        input_tokens=count("inputTokens"),
        output_tokens=count("outputTokens"),
        total_tokens=count("totalTokens"),
        cached_tokens=count("cacheReadInputTokens"),
        cache_write_tokens=count("cacheWriteInputTokens"),
    )


def _content(blocks: Any) -> Any:
    """A tool result's content: its text when it is all text, its JSON when it is one JSON
    block, else the blocks."""
    if not isinstance(blocks, list):
        return blocks
    if blocks and all(isinstance(b, dict) and "text" in b for b in blocks):
        return "".join(str(b["text"]) for b in blocks)
    if len(blocks) == 1 and isinstance(blocks[0], dict) and "json" in blocks[0]:
        return blocks[0]["json"]
    return blocks


def _final(message: Any) -> Any:
    """An agent's final message: its text, or the message when it is not only text."""
    if not isinstance(message, dict):
        return message
    content = message.get("content", [])
    texts = [b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
    return "".join(texts) if texts and len(texts) == len(content) else message
