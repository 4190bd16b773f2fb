"""``sessions-plus``: look into, move, migrate, import, clean up and watch any store.

One module per command group (``sessions``: list/info/show/delete; ``transfer``: export/
import; ``maintenance``: purge/fork/trim; ...), registered on one typer app in :mod:`.app`.
The command line needs the ``cli`` extra (typer, rich); ``export_session`` and
``import_session`` do not.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import missing_dependency
from .exchange import EXPORT_FORMAT, export_session, import_session
from .status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE

_CLI_LIBRARIES = frozenset({"typer", "rich", "click"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    try:
        from .app import main as run_app
    except ModuleNotFoundError as exc:
        if exc.name not in _CLI_LIBRARIES:
            raise
        print(
            f"sessions-plus: {missing_dependency('the command line', 'cli', exc)}", file=sys.stderr
        )
        return EXIT_FAILED
    return run_app(argv)


__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXPORT_FORMAT",
    "export_session",
    "import_session",
    "main",
]
