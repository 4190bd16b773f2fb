"""The Lua scripts of ``lua/``: loaded once, run with ``EVALSHA`` (``EVAL`` after NOSCRIPT).

Each ``lua/<name>.lua`` is one operation. ``lua/base.lua`` (the one way scripts call Redis) is
prepended to every one of them, then ``lua/common.lua`` (the per-session calling convention and
helpers) to all but those marked ``--[[no prelude]]``. The scripts are package data, readable
and diffable beside this module.
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

    def __init__(self, source: bytes, name: str = "") -> None:
        self.source = source
        self.name = name
        self.sha = hashlib.sha1(source, usedforsecurity=False).hexdigest()

    async def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except redis_errors.NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)


_PRELUDES = ("base.lua", "common.lua")
_NO_PRELUDE = b"--[[no prelude]]"


def load_scripts(after_base: bytes = b"") -> dict[str, Script]:
    """Read every ``lua/*.lua`` operation with its preludes. ``after_base`` is inserted right
    after ``base.lua`` (tests use it to check every key a script touches is declared)."""
    folder = importlib.resources.files(__package__ or "sessions_plus.backends.redis") / "lua"
    base = (folder / "base.lua").read_bytes() + b"\n" + after_base + b"\n"
    common = (folder / "common.lua").read_bytes() + b"\n"
    loaded: dict[str, Script] = {}
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".lua") and name not in _PRELUDES:
            body = entry.read_bytes()
            prelude = base if body.startswith(_NO_PRELUDE) else base + common
            loaded[name[:-4]] = Script(prelude + body, name[:-4])
    return loaded


@lru_cache(maxsize=1)
def scripts() -> dict[str, Script]:
    """The scripts, loaded once."""
    return load_scripts()
