"""Write tokens: a retried write replays its first result instead of writing twice.

Every append, splice and pop carries a token. When redis-py re-sends a call whose reply was
lost (a timeout, a dropped connection, a redirected cluster command), the script finds the
token among the session's recent writes and returns the first run's result.
"""

from __future__ import annotations

import itertools
import os
import secrets


class Tokens:
    """Per-call write tokens: a random per-process prefix and a counter (unique, and cheap).

    A forked child draws a new prefix, so parent and child never share a token.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._prefix = secrets.token_hex(8) + ":"
        self._counter = itertools.count()

    def __call__(self) -> str:
        return self._prefix + format(next(self._counter), "x")


token = Tokens()
"""The process's token source."""

if hasattr(os, "register_at_fork"):  # pragma: no branch - absent on Windows only
    os.register_at_fork(after_in_child=token.reset)
