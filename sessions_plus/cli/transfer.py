"""Moving one session through a file or a pipe: ``export`` and ``import``."""

from __future__ import annotations

import json as jsonlib
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import IO, Annotated

import typer

from .exchange import export_session, import_session
from .options import Json, SessionId, Url, examples
from .output import output
from .runtime import open_for_reading, open_for_writing, run


def register(app: typer.Typer) -> None:
    app.command(
        "export",
        epilog=examples(
            "sessions-plus export sqlite:///chat.db chat-42 -o chat-42.json",
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
) -> None:
    """A whole session (every stream and document) as one JSON document."""

    async def go() -> None:
        async with open_for_reading(url) as store:
            document = await export_session(store, session_id)
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
