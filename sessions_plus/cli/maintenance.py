"""Cleaning up and reshaping: ``purge`` (expired or idle), ``fork``, ``trim``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..purge import parse_duration, purge_idle
from ..records import SessionInfo
from ..store import DEFAULT_STREAM
from .exchange import info_json
from .options import Json, Prefix, SessionId, Stream, Url, examples
from .output import iso, output, streams_text, table
from .runtime import open_for_writing, run


def register(app: typer.Typer) -> None:
    app.command(
        "purge",
        epilog=examples(
            "sessions-plus purge sqlite:///chat.db",
            "sessions-plus purge sqlite:///chat.db --idle-for 30d --dry-run",
            "sessions-plus purge redis://localhost:6379/0 --idle-for 12h --prefix trial:",
        ),
    )(purge_command)
    app.command(
        "fork",
        epilog=examples(
            "sessions-plus fork sqlite:///chat.db chat-42 chat-42-retry",
            "sessions-plus fork sqlite:///chat.db chat-42 chat-42-at-10 --upto 10",
        ),
    )(fork_command)
    app.command(
        "trim",
        epilog=examples(
            "sessions-plus trim sqlite:///chat.db chat-42 --keep-last 50",
            "sessions-plus trim sqlite:///chat.db chat-42 --stream agent:billing --keep-last 0",
        ),
    )(trim_command)


def purge_command(
    url: Url,
    idle_for: Annotated[
        str | None,
        typer.Option(
            "--idle-for",
            metavar="AGE",
            help="remove sessions whose last write is older than AGE (30d, 12h, 90m, 45s)",
        ),
    ] = None,
    prefix: Prefix = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only count and list what would be removed")
    ] = False,
    json: Json = False,
) -> None:
    """Remove expired sessions' data now, or (--idle-for) sessions idle for longer than AGE.

    A session written to while the sweep runs is never removed: the age is checked by the
    store atomically with each delete.
    """
    out = output(json)
    if idle_for is None and (prefix or dry_run):
        raise typer.BadParameter("--prefix and --dry-run need --idle-for", param_hint="--idle-for")
    try:
        seconds = None if idle_for is None else parse_duration(idle_for)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--idle-for") from None

    async def go() -> None:
        async with open_for_writing(url) as store:
            if seconds is None:
                purged = await store.purge_expired()
                out.emit({"purged": purged}) if out.json else out.print(
                    f"purged {purged} expired session(s)"
                )
                return
            verb = "checking" if dry_run else "purging"
            with out.progress(f"{verb} idle sessions") as bar:
                report = await purge_idle(
                    store,
                    idle_for=seconds,
                    prefix=prefix,
                    dry_run=dry_run,
                    progress=lambda info, removed: bar.advance(),
                )
        if out.json:
            out.emit(report.to_json())
            return
        done = "would remove" if dry_run else "removed"
        out.print(
            f"{done} {report.idle if dry_run else report.purged} of {report.scanned} "
            f"session(s) idle since before {iso(report.cutoff)}"
            + (f"; kept {report.kept} written to during the sweep" if report.kept else "")
        )
        if dry_run and report.session_ids:
            out.print(table(None, ["session"], [[sid] for sid in report.session_ids]))

    run(go())


def fork_command(
    url: Url,
    source: Annotated[str, typer.Argument(metavar="SRC", help="session to copy")],
    target: Annotated[str, typer.Argument(metavar="DST", help="new session id")],
    upto: Annotated[
        int | None,
        typer.Option("--upto", min=0, help="copy only records with seq <= SEQ", metavar="SEQ"),
    ] = None,
    streams: Annotated[
        list[str] | None,
        typer.Option("--stream", "-s", help="copy only this stream (repeatable)"),
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="replace DST if it exists")] = False,
    json: Json = False,
) -> None:
    """Copy a session (all of it, some streams, or up to a seq) into a new session."""
    out = output(json)

    async def go() -> SessionInfo:
        async with open_for_writing(url) as store:
            with out.progress(f"forking {source} → {target}"):
                options: dict[str, Any] = {"replace": replace, "upto": upto}
                if streams:
                    options["streams"] = streams
                info: SessionInfo = await store.fork(source, target, **options)
                return info

    info = run(go())
    if out.json:
        out.emit(info_json(info))
    else:
        out.print(f"forked {source} → {target}: {streams_text(dict(info.streams))}")


def trim_command(
    url: Url,
    session_id: SessionId,
    keep_last: Annotated[
        int, typer.Option("--keep-last", min=0, help="records to keep (the newest)", metavar="N")
    ],
    stream: Stream = DEFAULT_STREAM,
    json: Json = False,
) -> None:
    """Drop the oldest records of a stream so at most N remain (seqs are never reused)."""
    out = output(json)

    async def go() -> int:
        async with open_for_writing(url) as store:
            with out.progress(f"trimming {session_id} {stream}"):
                removed: int = await store.trim(session_id, stream=stream, keep_last=keep_last)
                return removed

    removed = run(go())
    if out.json:
        out.emit({"trimmed": removed, "session_id": session_id, "stream": stream})
    else:
        out.print(f"removed {removed} record(s) from {session_id} {stream}")
