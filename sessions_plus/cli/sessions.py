"""Looking into a store: ``list``, ``info``, ``show``; and ``delete``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from ..display import display
from ..records import SessionInfo
from ..store import DEFAULT_STREAM, ConversationStore
from .exchange import info_json, record_json
from .options import Json, Prefix, SessionId, Stream, Url, examples
from .output import Output, message_text, output, relative, streams_text, table, when
from .runtime import NotFound, open_for_reading, open_for_writing, require, run

PAGE = 100


async def iter_sessions(
    store: ConversationStore, *, prefix: str = "", limit: int | None = None, page: int = PAGE
) -> list[SessionInfo]:
    """Live sessions (those whose id starts with ``prefix``), at most ``limit`` of them."""
    found: list[SessionInfo] = []
    cursor: str | None = None
    while limit is None or len(found) < limit:
        size = page if limit is None else max(1, min(page, limit - len(found)))
        result = await store.list_sessions(limit=size, cursor=cursor, prefix=prefix)
        found.extend(result.sessions)
        cursor = result.next_cursor
        if cursor is None:
            break
    return found if limit is None else found[:limit]


def register(app: typer.Typer) -> None:
    app.command(
        "list",
        epilog=examples(
            "sessions-plus list sqlite:///chat.db",
            "sessions-plus list redis://localhost:6379/0 --prefix user-42: --limit 20",
            "sessions-plus list sqlite:///chat.db --json | jq .session_id",
        ),
    )(list_command)
    app.command(
        "info",
        epilog=examples("sessions-plus info sqlite:///chat.db chat-42"),
    )(info_command)
    app.command(
        "show",
        epilog=examples(
            "sessions-plus show sqlite:///chat.db chat-42",
            "sessions-plus show sqlite:///chat.db chat-42 --stream agent:billing --limit 5",
        ),
    )(show_command)
    app.command(
        "delete",
        epilog=examples("sessions-plus delete sqlite:///chat.db chat-42"),
    )(delete_command)


def list_command(
    url: Url,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="at most this many")
    ] = None,
    prefix: Prefix = "",
    json: Json = False,
) -> None:
    """Live sessions: id, created, updated, expires and records per stream."""
    out = output(json)

    async def go() -> None:
        async with open_for_reading(url) as store:
            sessions = await iter_sessions(store, prefix=prefix, limit=limit)
        if out.json:
            for session in sessions:
                out.emit(info_json(session))
            return
        rows = [
            [
                s.session_id,
                relative(s.created_at),
                relative(s.updated_at),
                "never" if s.expires_at is None else relative(s.expires_at),
                str(s.item_count),
                streams_text(dict(s.streams)),
            ]
            for s in sessions
        ]
        out.print(
            table(
                f"{len(sessions)} session(s)",
                ["session", "created", "updated", "expires", "records", "streams"],
                rows,
            )
        )

    run(go())


def info_command(url: Url, session_id: SessionId, json: Json = False) -> None:
    """A session's metadata, streams and document names."""
    out = output(json)

    async def go() -> None:
        async with open_for_reading(url) as store:
            info = await require(store, session_id)
            docs = await store.list_docs(session_id)
        if out.json:
            out.emit({**info_json(info), "docs": docs}, indent=2)
            return
        _print_info(out, info, docs)

    run(go())


def _print_info(out: Output, info: SessionInfo, docs: list[str]) -> None:
    rows = [
        ["session", info.session_id],
        ["created", when(info.created_at)],
        ["updated", when(info.updated_at)],
        ["expires", "never" if info.expires_at is None else when(info.expires_at)],
        ["records", str(info.item_count)],
        ["documents", ", ".join(docs) or "—"],
    ]
    out.print(table(None, ["", ""], rows, header=False))
    if info.streams:
        out.print(
            table(
                "streams",
                ["stream", "records"],
                [[name, str(count)] for name, count in sorted(info.streams.items())],
            )
        )


def show_command(
    url: Url,
    session_id: SessionId,
    stream: Stream = DEFAULT_STREAM,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="only the latest N records")
    ] = None,
    json: Json = False,
) -> None:
    """A stream's records: the conversation, or one JSON object per record."""
    out = output(json)

    async def go() -> None:
        async with open_for_reading(url) as store:
            await require(store, session_id)
            records = await store.read(session_id, stream=stream, limit=limit)
        if out.json:
            for record in records:
                out.emit(record_json(record))
            return
        if not records:
            out.note(f"stream {stream!r} of {session_id!r} has no records")
        for record in records:
            out.print(message_text(display(record)))

    run(go())


def delete_command(url: Url, session_id: SessionId, json: Json = False) -> None:
    """Remove a whole session: every stream, document and its metadata."""
    out = output(json)

    async def go() -> None:
        async with open_for_writing(url) as store:
            if not await store.delete(session_id):
                raise NotFound(f"no session {session_id!r}")
        if out.json:
            out.emit({"deleted": session_id})
        else:
            out.print(Text(f"deleted {session_id}"))

    run(go())
