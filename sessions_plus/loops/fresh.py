"""Run a coroutine to completion from synchronous code, whatever loop the caller is in."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_fresh_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``make()`` on a private event loop in a helper thread and return its result.

    Works where ``await`` is not available and where ``asyncio.run`` is not allowed (a thread
    whose event loop is running): a sync ``close()`` called from async code, ``atexit``.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(asyncio.run(make()))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="sessions_plus-sync", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]
