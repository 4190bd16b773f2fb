"""The web viewer from a shell: ``serve``."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from .options import Url, examples
from .runtime import EXIT_USAGE, fail, open_for_reading, run

DEFAULT_PORT = 8765


def register(app: typer.Typer) -> None:
    app.command(
        "serve",
        epilog=examples(
            "sessions-plus serve sqlite:///openai_handoff.db",
            "sessions-plus serve redis://localhost:6379/0 --port 9000",
            'sessions-plus serve sqlite:///chat.db --host 0.0.0.0 --token "$(openssl rand -hex 8)"',
        ),
    )(serve_command)


def serve_command(
    url: Url,
    host: Annotated[
        str, typer.Option("--host", help="address to bind (other than loopback needs --token)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port")] = DEFAULT_PORT,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="SESSIONS_PLUS_TOKEN",
            help="every request must carry it (open /?token=T once; or Authorization: Bearer T)",
        ),
    ] = None,
) -> None:
    """A read-only web viewer: sessions list, conversations as chat bubbles, live updates.

    Binds 127.0.0.1 by default. Any other --host refuses to start without --token. The store
    is opened read-only and no endpoint writes.
    """
    try:
        import uvicorn

        from ..viewer import create_app, is_loopback
    except ModuleNotFoundError as exc:
        fail(f'the viewer needs {exc.name}: pip install "sessions-plus[viewer]"')
    if not is_loopback(host) and not token:
        fail(
            f"refusing to serve on {host} without --token (anyone who can reach it would read "
            f"every conversation); e.g. --token {secrets.token_hex(16)}",
            EXIT_USAGE,
        )

    async def check() -> None:  # fail now, clearly, on a missing file or table
        async with open_for_reading(url) as store:
            await store.list_sessions(limit=1)

    run(check())
    config = uvicorn.Config(
        create_app(url, token=token),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    link = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    typer.echo(f"sessions-plus viewer on {link}  (read-only; Ctrl-C stops)", err=True)
    server.run()
