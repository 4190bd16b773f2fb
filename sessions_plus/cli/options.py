"""Arguments and options several commands share (typer ``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

import typer

Url = Annotated[
    str,
    typer.Argument(
        metavar="URL",
        help="store URL: sqlite:///chat.db, redis://localhost:6379/0, "
        "redis+cluster://host:7000, dynamodb://TABLE?region=us-east-1",
        show_default=False,
    ),
]
SessionId = Annotated[str, typer.Argument(metavar="ID", help="session id", show_default=False)]
Stream = Annotated[str, typer.Option("--stream", "-s", help="stream name")]
Json = Annotated[
    bool,
    typer.Option(
        "--json", help="print JSON (the default when stdout is not a terminal)", show_default=False
    ),
]
Prefix = Annotated[str, typer.Option("--prefix", "-p", help="only session ids starting with this")]


def examples(*lines: str) -> str:
    """An ``Examples`` epilog: one command per line, kept as typed."""
    body = "\n\n".join(f"  [dim]$[/dim] {line}" for line in lines)
    return f"[bold]Examples[/bold]\n\n{body}"
