"""Watching a conversation as it happens: ``tail`` (and ``--follow``)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..display import display
from ..follow import DEFAULT_INTERVAL, latest, tail
from ..records import Record
from ..store import DEFAULT_STREAM
from .exchange import record_json
from .options import Json, SessionId, Stream, Url, examples
from .output import Output, message_text, output
from .runtime import EXIT_INTERRUPTED, NotFound, open_for_reading, require, run


def register(app: typer.Typer) -> None:
    app.command(
        "trace",
        epilog=examples(
            "sessions-plus trace sqlite:///chat.db chat-42",
            "sessions-plus trace sqlite:///chat.db chat-42 --run run_1f3a --json",
            "sessions-plus trace redis://localhost:6379/0 chat-42 --follow",
        ),
    )(trace_command)
    app.command(
        "tail",
        epilog=examples(
            "sessions-plus tail sqlite:///chat.db chat-42",
            "sessions-plus tail redis://localhost:6379/0 chat-42 --follow",
            "sessions-plus tail sqlite:///chat.db chat-42 -s agent:billing -n 50 -f --json",
        ),
    )(tail_command)


def tail_command(
    url: Url,
    session_id: SessionId,
    stream: Stream = DEFAULT_STREAM,
    lines: Annotated[
        int, typer.Option("--lines", "-n", min=0, help="how many of the latest records first")
    ] = 10,
    follow_: Annotated[
        bool,
        typer.Option(
            "--follow", "-f", help="keep printing new records as any process appends them"
        ),
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, help="seconds between polls with --follow")
    ] = DEFAULT_INTERVAL,
    json: Json = False,
) -> None:
    """The latest records of a stream, rendered per format; with --follow, new ones as they come.

    Roles, authors, tool calls and results are shown; images as placeholders. With --follow a
    session that does not exist yet is waited for; Ctrl-C stops.
    """
    out = output(json)

    async def go() -> None:
        async with open_for_reading(url) as store:
            if not follow_:
                await require(store, session_id)
            if not follow_:
                _emit(out, await latest(store, session_id, stream=stream, count=lines))
                return
            batches = tail(store, session_id, stream=stream, count=lines, interval=interval)
            async for batch in batches:
                _emit(out, batch)

    try:
        run(go())
    except typer.Exit as exc:
        if follow_ and exc.exit_code == EXIT_INTERRUPTED:
            raise typer.Exit(0) from None  # Ctrl-C is how one leaves `tail --follow`
        raise


def _emit(out: Output, records: list[Record]) -> None:
    for record in records:
        if out.json:
            out.emit(record_json(record))
        else:
            out.print(message_text(display(record)))


def trace_command(
    url: Url,
    session_id: SessionId,
    run_id: Annotated[str | None, typer.Option("--run", help="only this run")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="only the latest N runs")
    ] = None,
    follow_: Annotated[
        bool, typer.Option("--follow", "-f", help="then print events as any process records them")
    ] = False,
    json: Json = False,
) -> None:
    """A session's run traces: each run's steps, thinking, tool calls and results, usage.

    With --follow, new events are printed as agents record them (one JSON object per event
    with --json). Ctrl-C stops.
    """
    from ..traces import get_reasoning_history, get_run, watch
    from ..traces.render import event_json, render_event, render_trace, trace_json

    out = output(json)

    async def go() -> None:
        async with open_for_reading(url) as store:
            await require(store, session_id)
            if run_id is not None:
                run = await get_run(store, session_id, run_id)
                if run is None and not follow_:
                    raise NotFound(f"no run {run_id!r} in session {session_id!r}")
                runs = [] if run is None else [run]
            else:
                runs = await get_reasoning_history(store, session_id, limit=limit)
            if out.json:
                sys.stdout.write(trace_json(runs) + "\n")
                sys.stdout.flush()
            elif runs:
                out.print(render_trace(runs))
            else:
                out.note(f"session {session_id!r} has no run traces yet")
            if not follow_:
                return
            after = max((run.last_seq for run in runs), default=None)
            async for event in watch(store, session_id, after=after):
                if run_id is not None and event.run_id != run_id:
                    continue
                if out.json:
                    sys.stdout.write(event_json(event) + "\n")
                    sys.stdout.flush()
                else:
                    out.print(render_event(event))

    try:
        run(go())
    except typer.Exit as exc:
        if follow_ and exc.exit_code == EXIT_INTERRUPTED:
            raise typer.Exit(0) from None
        raise
