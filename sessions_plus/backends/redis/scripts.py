"""The Lua scripts of ``lua/``: loaded once, run with ``EVALSHA`` (``EVAL`` after NOSCRIPT).

Each ``lua/<name>.lua`` is one operation; ``lua/common.lua`` is prepended to every one of them
(shared helpers). The scripts are package data, readable and diffable beside this module.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .driver import redis_errors


class Script:
    """One Lua script: ``EVALSHA``, falling back to ``EVAL`` (which caches it) on NOSCRIPT."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.sha = hashlib.sha1(source, usedforsecurity=False).hexdigest()

    async def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except redis_errors.NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)


@lru_cache(maxsize=1)
def scripts() -> dict[str, Script]:
    """Load the ``lua/*.lua`` package data once, each prefixed with ``common.lua``."""
    folder = importlib.resources.files(__package__ or "sessions_plus.backends.redis") / "lua"
    common = (folder / "common.lua").read_bytes()
    loaded: dict[str, Script] = {}
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".lua") and name != "common.lua":
            loaded[name[:-4]] = Script(common + b"\n" + entry.read_bytes())
    return loaded
