"""The ``sessions-plus`` application: every command group registered on one typer app."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from . import copying, maintenance, serve, sessions, transfer, watch
from .runtime import EXIT_OK

app = typer.Typer(
    name="sessions-plus",
    help="Look into, move and clean up sessions-plus stores (SQLite, Redis, DynamoDB).\n\n"
    "Tables on a terminal, JSON when piped (or with --json). Exit status: 0 done, 1 failed, "
    "2 bad usage, 3 no such session.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
for _module in (sessions, transfer, copying, maintenance, watch, serve):
    _module.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    command = typer.main.get_command(app)
    try:
        command.main(
            args=None if argv is None else list(argv),
            prog_name="sessions-plus",
            standalone_mode=True,
        )
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else 1)
    return EXIT_OK
