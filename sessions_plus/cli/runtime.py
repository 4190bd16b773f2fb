"""What every command shares: opening stores, running a coroutine, errors -> exit statuses."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from ..errors import SessionsPlusError
from ..registry import open_store
from ..store import ConversationStore
from .status import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    NotFound,
    require,
)

T = TypeVar("T")


class CommandFailed(SessionsPlusError):
    """A command did not do all it was asked (the message says what): exit status 1."""


def open_for_reading(url: str) -> ConversationStore:
    """Open a store that never creates or changes anything (a file, a table, a key, a TTL).

    Read commands use this: a missing SQLite file or DynamoDB table is a clear
    ``StoreNotFoundError`` instead of a new empty store.
    """
    return open_store(url, read_only=True)


def open_for_writing(url: str) -> ConversationStore:
    """Open a store for a command that writes."""
    return open_store(url)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine on a fresh event loop; turn errors into exit statuses.

    A broken pipe (``sessions-plus list URL | head``) propagates to click, which exits
    quietly; everything sessions-plus raises on purpose (and ``ValueError``/``OSError``)
    becomes one line on stderr and exit status 1 (3 for a missing session).
    """
    try:
        return asyncio.run(coro)
    except BrokenPipeError:
        raise
    except NotFound as exc:
        fail(str(exc), EXIT_NOT_FOUND)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except (SessionsPlusError, ValueError, OSError, NotImplementedError) as exc:
        fail(f"{type(exc).__name__}: {exc}", EXIT_FAILED)


def fail(message: str, status: int = EXIT_FAILED) -> NoReturn:
    """Print ``sessions-plus: message`` on stderr and exit with ``status``."""
    print(f"sessions-plus: {message}", file=sys.stderr)
    raise typer.Exit(status)


__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandFailed",
    "NotFound",
    "fail",
    "open_for_reading",
    "open_for_writing",
    "require",
    "run",
]
