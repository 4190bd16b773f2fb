"""Rendering traces for people and programs: a tree per run, one line per event, JSON.

For the ``sessions-plus trace`` command (and notebooks, logs): :func:`render_trace` builds a
``rich`` tree of runs (run -> steps -> tools with inputs and results, usage), :func:`render_event`
one line per event for following a live run, :func:`render_text` the tree as plain text, and
:func:`trace_json` / :func:`event_json` the same data as JSON. User content (queries, thinking,
inputs, results) is shown as text, never interpreted as markup, and cut to ``max_chars``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

from ..errors import missing_dependency

try:
    from rich.console import Console, Group
    from rich.text import Text
    from rich.tree import Tree
except ImportError as exc:  # pragma: no cover - exercised by the wheel test without extras
    raise missing_dependency("sessions_plus.traces.render", "cli", exc) from exc

from .events import HANDOFF, RUN_END, RUN_FAILED, RUN_START, STEP, TOOL_END, TOOL_START, TraceEvent
from .model import Reasoning, ReasoningStep, ToolData, Usage

MAX_CHARS = 200
"""Default longest shown value (query, thinking, inputs, result), in characters."""

_STATUS_STYLE = {"running": "yellow", "completed": "green", "failed": "red"}
_TOOL_MARK = {"running": ("…", "yellow"), "completed": ("✓", "green"), "failed": ("✗", "red")}


def _short(value: Any, max_chars: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())  # one line
    return text if len(text) <= max_chars else text[: max(max_chars - 1, 0)] + "…"


def _seconds(start: float | None, end: float | None) -> str | None:
    if start is None or end is None:
        return None
    return f"{max(end - start, 0.0):.2f} s"


def _usage(usage: Usage | None) -> str | None:
    if usage is None or not (usage.total_tokens or usage.input_tokens or usage.output_tokens):
        return None
    parts = [f"in {usage.input_tokens}", f"out {usage.output_tokens}"]
    if usage.cached_tokens:
        parts.append(f"cached {usage.cached_tokens}")
    if usage.reasoning_tokens:
        parts.append(f"reasoning {usage.reasoning_tokens}")
    total = usage.total_tokens or usage.input_tokens + usage.output_tokens
    return f"{total} tokens ({' / '.join(parts)})"


def _run_label(run: Reasoning) -> Text:
    label = Text()
    label.append("Run ", style="bold")
    label.append(run.run_id, style="bold cyan")
    label.append("  ")
    label.append(run.status, style=f"bold {_STATUS_STYLE.get(run.status, '')}")
    agents = list(dict.fromkeys(step.agent for step in run.steps if step.agent))
    details = [
        run.sdk,
        " → ".join(agents) or run.agent,
        _seconds(run.started_at, run.ended_at),
        f"{run.total_steps} step{'s' if run.total_steps != 1 else ''}",
        _usage(run.usage),
    ]
    label.append("  " + " · ".join(d for d in details if d), style="dim")
    if run.incomplete:
        label.append("  (incomplete: some events could not be recorded)", style="yellow")
    return label


def _tool_label(tool: ToolData, max_chars: int) -> Text:
    mark, style = _TOOL_MARK[tool.status]
    label = Text()
    label.append(f"{mark} ", style=style)
    label.append(tool.name, style="bold")
    label.append("(")
    if tool.inputs is not None:
        label.append(_short(tool.inputs, max_chars))
    label.append(")")
    if tool.error is not None:
        label.append(" ✗ ", style="red")
        label.append(_short(tool.error, max_chars), style="red")
    elif tool.status == "completed" and tool.result is not None:
        label.append(" → ", style="dim")
        label.append(_short(tool.result, max_chars))
    elif tool.status == "running":
        label.append(" running…", style="yellow")
    took = _seconds(tool.started_at, tool.ended_at)
    if took:
        label.append(f"  {took}", style="dim")
    return label


def _step_tree(step: ReasoningStep, max_chars: int) -> Tree:
    label = Text()
    label.append(f"Step {step.step_number}", style="bold")
    if step.agent:
        label.append(f" · {step.agent}", style="magenta")
    usage = _usage(step.usage)
    if usage:
        label.append(f" · {usage}", style="dim")
    tree = Tree(label)
    if step.thinking:
        tree.add(Text.assemble(("Thinking: ", "italic dim"), _short(step.thinking, max_chars)))
    for tool in step.tools:
        tree.add(_tool_label(tool, max_chars))
    if step.handoff:
        tree.add(Text.assemble(("↪ handoff to ", "blue"), (step.handoff, "bold blue")))
    return tree


def render_run(run: Reasoning, *, max_chars: int = MAX_CHARS) -> Tree:
    """One run as a tree: query, steps (thinking, tools, handoff), final response or error."""
    tree = Tree(_run_label(run))
    if run.query is not None:
        tree.add(Text.assemble(("Query: ", "bold"), _short(run.query, max_chars)))
    for step in run.steps:
        tree.add(_step_tree(step, max_chars))
    if run.status == "failed":
        tree.add(Text.assemble(("Error: ", "bold red"), (_short(run.error, max_chars), "red")))
    elif run.final_response is not None:
        tree.add(Text.assemble(("Final: ", "bold"), _short(run.final_response, max_chars)))
    return tree


def render_trace(runs: Reasoning | Iterable[Reasoning], *, max_chars: int = MAX_CHARS) -> Group:
    """Runs as ``rich`` trees, one after the other (print with ``rich.print`` or a Console)."""
    items = [runs] if isinstance(runs, Reasoning) else list(runs)
    if not items:
        return Group(Text("no runs recorded", style="dim"))
    return Group(*(render_run(run, max_chars=max_chars) for run in items))


def render_text(
    runs: Reasoning | Iterable[Reasoning], *, width: int = 100, max_chars: int = MAX_CHARS
) -> str:
    """:func:`render_trace` as plain text (no colours), e.g. for logs and tests."""
    console = Console(width=width, no_color=True, color_system=None, file=io.StringIO())
    console.print(render_trace(runs, max_chars=max_chars))
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def render_event(event: TraceEvent, *, max_chars: int = MAX_CHARS) -> Text:
    """One event as one line, for following a live run (``--follow``)."""
    line = Text()
    line.append(f"#{event.seq:<5} ", style="dim")
    if event.agent:
        line.append(f"{event.agent} ", style="magenta")
    kind = event.type
    if kind == RUN_START:
        line.append("run started ", style="bold")
        line.append(event.run_id, style="cyan")
        if event.get("query") is not None:
            line.append(": " + _short(event.get("query"), max_chars))
    elif kind == STEP:
        line.append(f"step {event.get('step', '?')}", style="bold")
        usage = _usage(Usage.from_dict(event.get("usage")))
        if usage:
            line.append(f" · {usage}", style="dim")
        if event.get("thinking"):
            line.append(": " + _short(event.get("thinking"), max_chars), style="italic")
    elif kind == TOOL_START:
        line.append("→ ", style="yellow")
        line.append(str(event.get("name")), style="bold")
        inputs = event.get("inputs")
        line.append(f"({'' if inputs is None else _short(inputs, max_chars)})")
    elif kind == TOOL_END:
        if event.get("error") is not None:
            line.append("✗ ", style="red")
            line.append(str(event.get("name")), style="bold")
            line.append(" " + _short(event.get("error"), max_chars), style="red")
        else:
            line.append("✓ ", style="green")
            line.append(str(event.get("name")), style="bold")
            if event.get("result") is not None:
                line.append(" → " + _short(event.get("result"), max_chars))
    elif kind == HANDOFF:
        line.append("↪ handoff to ", style="blue")
        line.append(str(event.get("to_agent")), style="bold blue")
    elif kind == RUN_END:
        line.append("run completed", style="bold green")
        if event.get("final_response") is not None:
            line.append(": " + _short(event.get("final_response"), max_chars))
    elif kind == RUN_FAILED:
        line.append("run failed", style="bold red")
        line.append(": " + _short(event.get("error"), max_chars), style="red")
    else:
        line.append(kind, style="dim")
    return line


def trace_json(runs: Reasoning | Iterable[Reasoning], *, indent: int | None = 2) -> str:
    """Runs as a JSON array of :meth:`Reasoning.to_dict` objects."""
    items = [runs] if isinstance(runs, Reasoning) else list(runs)
    return json.dumps([run.to_dict() for run in items], ensure_ascii=False, indent=indent)


def event_json(event: TraceEvent) -> str:
    """One event as one line of JSON (for ``--follow --json``: JSON Lines)."""
    return json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":"))
