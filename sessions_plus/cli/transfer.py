"""Moving one session through a file or a pipe: ``export`` and ``import``."""

from __future__ import annotations

import json as jsonlib
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import IO, Annotated, Any

import typer

from ..conversation import export_conversation
from .exchange import export_session, import_session
from .options import Json, SessionId, Url, examples
from .output import output
from .runtime import open_for_reading, open_for_writing, require, run


def register(app: typer.Typer) -> None:
    app.command(
        "export",
        epilog=examples(
            "sessions-plus export sqlite:///chat.db chat-42 -o chat-42.json",
            "sessions-plus export sqlite:///chat.db chat-42 --as openai > items.json",
            "sessions-plus export sqlite:///chat.db chat-42 | sessions-plus import "
            "redis://localhost:6379/0 -",
        ),
    )(export_command)
    app.command(
        "import",
        epilog=examples(
            'sessions-plus import "dynamodb://sessions?region=us-east-1" chat-42.json',
            "sessions-plus import sqlite:///copy.db chat-42.json --session-id chat-42-copy",
        ),
    )(import_command)


def export_command(
    url: Url,
    session_id: SessionId,
    output_path: Annotated[
        str, typer.Option("--output", "-o", help="file to write ('-': stdout)")
    ] = "-",
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="SHAPE",
            help="the conversation alone, as a JSON list: openai (Responses input items), "
            "strands (messages) or neutral",
        ),
    ] = None,
    stream: Annotated[
        str | None,
        typer.Option("--stream", "-s", help="with --as: the stream (default: the conversation)"),
    ] = None,
) -> None:
    """A whole session (every stream and document) as one JSON document; or, with --as, its
    conversation in one SDK's shape (records of other SDKs converted)."""
    if as_ is None and stream is not None:
        raise typer.BadParameter("--stream goes with --as", param_hint="--stream")

    async def go() -> None:
        async with open_for_reading(url) as store:
            if as_ is None:
                document: Any = await export_session(store, session_id)
            else:
                await require(store, session_id)
                document = await export_conversation(store, session_id, as_=as_, stream=stream)
        with _open_output(output_path) as out:
            jsonlib.dump(document, out, ensure_ascii=False, indent=1)
            out.write("\n")

    run(go())


def import_command(
    url: Url,
    file: Annotated[str, typer.Argument(metavar="FILE", help="an export document ('-': stdin)")],
    session_id: Annotated[
        str | None, typer.Option("--session-id", help="import under another id")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="delete the target session first if it exists")
    ] = False,
    json: Json = False,
) -> None:
    """Write an exported session into a store (refuses an existing one unless --replace)."""
    out = output(json)

    async def go() -> None:
        with _open_input(file) as source:
            document = jsonlib.load(source)
        async with open_for_writing(url) as store:
            imported = await import_session(store, document, session_id=session_id, replace=replace)
        if out.json:
            out.emit({"imported": imported})
        else:
            out.print(f"imported {imported}")

    run(go())


def _open_output(path: str) -> AbstractContextManager[IO[str]]:
    return nullcontext(sys.stdout) if path == "-" else open(path, "w", encoding="utf-8")


def _open_input(path: str) -> AbstractContextManager[IO[str]]:
    return nullcontext(sys.stdin) if path == "-" else open(path, encoding="utf-8")
