"""Child processes of the crash tests: one turn each, on a store opened by URL.

A *crash* worker runs a turn and, at its crash point, says so and blocks: the parent, having
heard it, SIGKILLs it (or lets it go on). A *turn* worker runs the next turn with a validating
model (the provider's rules: a broken history fails the run) and returns what the model was
given. Workers run forked from the test process (``helpers.Forked``: fast, the SDKs are
imported already) or as a fresh interpreter (``helpers.Worker``:
``python -c "from tests.reliability.crash.workers import main; main()" NAME JSON`` runs
``NAME(**json)``, says ``READY`` on stdout, blocks on stdin, prints the result as JSON).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from typing import Any

# Imported here, once: forked workers inherit them instead of importing them each time.
for _module in (
    "agents.memory",
    "agents.testing",
    "strands.multiagent",
    "sessions_plus.openai_agents",
    "sessions_plus.strands",
    "sessions_plus.testing.openai_agents",
    "sessions_plus.testing.strands",
):
    importlib.import_module(_module)

SESSION = "crash"
READY = "READY"


CHANNEL: Any = None
"""Set in a forked worker: ``(ready, go)``, a pipe end to say READY on and an event to wait on."""


def block() -> None:
    """Tell the parent the crash point is reached; wait until it kills us or lets us go on."""
    if CHANNEL is not None:
        ready, go = CHANNEL
        ready.send(READY)
        go.wait()
        return
    print(READY, flush=True)
    sys.stdin.readline()


async def block_async() -> None:
    await asyncio.to_thread(block)


# ---------------------------------------------------------------------- OpenAI Agents SDK


def _openai() -> Any:
    from agents import set_tracing_disabled

    set_tracing_disabled(True)


def _openai_session(url: str, shared: bool, author: str = "triage") -> Any:
    from sessions_plus import open_store
    from sessions_plus.openai_agents import StoreSession

    return StoreSession(SESSION, open_store(url), shared=shared, author=author)


def openai_crash(url: str, point: str, shared: bool = False) -> Any:
    """One completed turn with a tool call, then a turn killed at ``point``.

    ``tool``: while a tool runs; ``stream``: a ``Runner.run_streamed`` run mid-stream;
    ``handoff``: between a handoff and the next agent's first output; ``compact-api``,
    ``compact-splice``, ``compact-done``: ``OpenAIResponsesCompactionSession`` compacting after
    the turn, killed while the compaction request is out, while its replace is about to be
    written, and once it is written.
    """
    _openai()
    from agents import Agent, Runner, function_tool
    from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call

    @function_tool
    async def lookup(topic: str) -> str:
        """Look a topic up."""
        if topic == "block":
            await block_async()
        return f"notes on {topic}"

    async def main() -> None:
        session = _openai_session(url, shared)
        first = ScriptedModel(
            [
                [function_call("lookup", {"topic": "tea"}, call_id="call_first")],
                [assistant_message("Tea is a drink.", item_id="msg_first")],
            ]
        )
        await Runner.run(Agent(name="triage", model=first, tools=[lookup]), "Tea?", session=session)
        if point == "tool":
            model = ScriptedModel([[function_call("lookup", {"topic": "block"}, call_id="call_1")]])
            agent = Agent(name="triage", model=model, tools=[lookup])
            await Runner.run(agent, "Look it up.", session=session)
        elif point == "stream":

            async def events(call: Any) -> Any:
                reply = ScriptedModel([[assistant_message("A long answer that never ends.")]])
                stream = reply.stream_response(
                    None,
                    call.input,
                    call.model_settings,
                    [],
                    None,
                    [],
                    call.tracing,
                    previous_response_id=None,
                    conversation_id=None,
                    prompt=None,
                )
                count = 0
                async for event in stream:
                    yield event
                    count += 1
                    if count == 4:  # some text deltas are out
                        await block_async()

            model = ScriptedModel([ModelStep.stream(events)])
            result = Runner.run_streamed(
                Agent(name="triage", model=model), "Stream.", session=session
            )
            async for _ in result.stream_events():
                pass
        elif point == "handoff":

            async def first_output(call: Any) -> Any:
                await block_async()
                return [assistant_message("Billing here.")]

            billing = Agent(name="billing", model=ScriptedModel([ModelStep.respond(first_output)]))
            triage_model = ScriptedModel([[function_call("transfer_to_billing", {}, call_id="h1")]])
            triage = Agent(name="triage", model=triage_model, handoffs=[billing])
            await Runner.run(triage, "Refund me.", session=session)
        elif point.startswith("compact-"):
            await _compact(session, point)
        else:
            raise SystemExit(f"unknown crash point {point!r}")
        await session.store.aclose()

    asyncio.run(main())
    return {"done": True}


SUMMARY = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "Summary: the user asked about tea."}],
}


async def _compact(session: Any, point: str) -> None:
    from types import SimpleNamespace

    from agents import Agent, Runner
    from agents.memory import OpenAIResponsesCompactionSession
    from agents.testing import ScriptedModel, assistant_message

    class Responses:
        async def compact(self, **kwargs: Any) -> Any:
            if point == "compact-api":
                await block_async()
            return SimpleNamespace(output=[SUMMARY], usage=None)

    store = session.store
    splice = store.splice

    async def blocking_splice(*args: Any, **kwargs: Any) -> Any:
        if point == "compact-splice":
            await block_async()
        result = await splice(*args, **kwargs)
        if point == "compact-done":
            await block_async()
        return result

    store.splice = blocking_splice
    compacting = OpenAIResponsesCompactionSession(
        SESSION,
        session,
        client=SimpleNamespace(responses=Responses()),
        should_trigger_compaction=lambda context: True,
    )
    model = ScriptedModel([[assistant_message("Green tea.", item_id="msg_2")]])
    await Runner.run(Agent(name="triage", model=model), "Which tea?", session=compacting)


def openai_turn(
    url: str,
    prompt: str,
    shared: bool = False,
    streamed: bool = False,
    foreign_tools: str = "text",
    handoff: bool = False,
) -> Any:
    """The next turn, with a validating model; returns the model's input."""
    _openai()
    from agents import Agent, Runner
    from agents.testing import assistant_message

    from sessions_plus import open_store
    from sessions_plus.openai_agents import StoreSession
    from sessions_plus.testing import ValidatingOpenAIModel

    async def main() -> None:
        store = open_store(url)
        session = StoreSession(
            SESSION, store, shared=shared, author="triage", foreign_tools=foreign_tools
        )
        model = ValidatingOpenAIModel([[assistant_message(f"Answer to: {prompt}")]])
        agent = Agent(name="billing" if handoff else "triage", model=model)
        if streamed:
            result = Runner.run_streamed(agent, prompt, session=session)
            async for _ in result.stream_events():
                pass
        else:
            await Runner.run(agent, prompt, session=session)
        await store.aclose()
        return {"input": model.calls[-1].input}

    return asyncio.run(main())


# ---------------------------------------------------------------------- Strands


def _manager(url: str, shared: bool) -> Any:
    from sessions_plus import open_store
    from sessions_plus.strands import StoreSessionManager

    return StoreSessionManager(SESSION, open_store(url), shared=shared, close_store=True)


def strands_crash(url: str, point: str, shared: bool = False, agent_id: str = "spec") -> Any:
    """One completed turn with a tool call, then a turn stopped at ``point``.

    ``tool``: while the tool runs; ``result``: the tool returned, its ``toolResult`` message
    not yet written; ``model``: while the model streams its first reply of the turn (only the
    prompt is stored). Let go on instead of killed, the run finishes normally (a live run).
    """
    from strands import Agent, tool
    from strands.hooks.events import AfterToolCallEvent

    from sessions_plus.testing import ScriptedModel, tool_call

    @tool
    def calc(expression: str) -> str:
        """Add numbers."""
        if point == "tool" and expression == "2+2":
            block()
        return str(sum(int(term) for term in expression.split("+")))

    def after_tool(event: AfterToolCallEvent) -> None:
        if point == "result" and event.tool_use["input"].get("expression") == "2+2":
            block()

    def second_turn(messages: Any) -> Any:
        if point == "model":
            block()
        return tool_call("calc", {"expression": "2+2"}, "tooluse_1")

    with _manager(url, shared) as manager:
        model = ScriptedModel(
            [
                tool_call("calc", {"expression": "1+1"}, "tooluse_first"),
                "It is 2.",
                second_turn,
                "It is 4.",
            ]
        )
        agent = Agent(
            agent_id=agent_id,
            model=model,
            session_manager=manager,
            tools=[calc],
            callback_handler=None,
        )
        agent.hooks.add_callback(AfterToolCallEvent, after_tool)
        agent("What is 1+1?")
        agent("What is 2+2?")
    return {"done": True}


def strands_turn(url: str, prompt: str, shared: bool = False, agent_id: str = "spec") -> Any:
    """The next turn of a (restored) Strands agent with a validating model."""
    from strands import Agent

    from sessions_plus.testing import ValidatingModel

    with _manager(url, shared) as manager:
        model = ValidatingModel([f"Answer to: {prompt}"])
        agent = Agent(
            agent_id=agent_id, model=model, session_manager=manager, callback_handler=None
        )
        agent(prompt)
    return {"seen": model.seen[-1]}


SWARM = "team"


def _swarm(url: str, point: str | None, validating: bool) -> Any:
    from strands import Agent
    from strands.hooks.events import BeforeToolCallEvent
    from strands.multiagent import Swarm

    from sessions_plus.testing import ScriptedModel, ValidatingModel, handoff

    models: dict[str, Any] = {}
    kind = ValidatingModel if validating else ScriptedModel

    def writer_reply(messages: Any) -> str:
        if point == "next":
            block()
        return "Otters hold hands while they sleep."

    def before_tool(event: BeforeToolCallEvent) -> None:
        if point == "handoff" and event.tool_use["name"] == "handoff_to_agent":
            block()

    models["researcher"] = kind([handoff("writer", "Fact: otters hold hands."), "Done."])
    models["writer"] = kind([writer_reply])
    researcher = Agent(name="researcher", model=models["researcher"], callback_handler=None)
    researcher.hooks.add_callback(BeforeToolCallEvent, before_tool)
    writer = Agent(name="writer", model=models["writer"], callback_handler=None)
    manager = _manager(url, False)
    return Swarm([researcher, writer], session_manager=manager, id=SWARM), manager, models


def swarm_crash(url: str, point: str) -> Any:
    """A researcher -> writer Swarm killed mid-handoff: ``handoff`` while the handoff tool is
    about to run, ``next`` between the handoff and the writer's first output."""
    swarm, manager, _ = _swarm(url, point, validating=False)
    with manager:
        swarm("Write a post about otters.")
    return {"done": True}


def swarm_run(url: str) -> Any:
    """The Swarm run again (resumed where its saved state says), with validating models."""
    swarm, manager, models = _swarm(url, None, validating=True)
    with manager:
        result = swarm("Write a post about otters.")
    return {
        "status": str(result.status),
        "nodes": [node.node_id for node in result.node_history],
        "calls": {name: model.calls for name, model in models.items()},
        "seen": {name: model.seen for name, model in models.items()},
    }


def main() -> None:
    """Entry of a fresh-interpreter worker (see the module docstring)."""
    name, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(globals()[name](**arguments), default=repr), flush=True)
