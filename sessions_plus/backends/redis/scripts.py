"""The Lua operations of ``lua/``: one Redis function library, or one EVAL script each.

Each ``lua/<name>.lua`` registers one operation; its first line (``--! uses: ...``) names the
helper files of ``lua/lib/`` it needs; ``lua/base.lua`` comes first in every build. Two builds
of the same sources:

* a **function library** (``FUNCTION LOAD``, Redis >= 7.0): every helper is defined once, when
  the library loads, and each call (``FCALL``) runs only its operation. Loaded on first use
  (again after ``Function not found``, e.g. a restarted server); its name carries a hash of the
  sources, so versions never collide.
* one **EVAL script** per operation (``EVALSHA``, ``EVAL`` after ``NOSCRIPT``): the helpers are
  defined again on every call, which costs the server measurably more per call. Used on Redis
  Cluster (redis-py routes an ``FCALL`` only after asking a node for its keys, one more round
  trip each time), on servers without functions, and for users not allowed ``FCALL`` or
  ``FUNCTION LOAD``.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .driver import redis_errors

_LIBS = ("session", "write", "records", "legacy", "replay")
"""The helper files of lua/lib/, in the order they are put together."""


class Script:
    """One EVAL script: ``EVALSHA``, falling back to ``EVAL`` (which caches it) on NOSCRIPT."""

    def __init__(self, source: bytes, name: str = "") -> None:
        self.source = source
        self.name = name
        self.sha = hashlib.sha1(source, usedforsecurity=False).hexdigest()

    async def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except redis_errors.NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)


@dataclass(frozen=True)
class Operation:
    """One operation: its EVAL script and its name in the function library."""

    name: str
    script: Script
    function: str


@dataclass(frozen=True)
class Library:
    """Every operation, as one function library and as EVAL scripts."""

    name: str
    code: bytes
    """``FUNCTION LOAD`` source."""
    operations: dict[str, Operation]

    def __getitem__(self, name: str) -> Operation:
        return self.operations[name]


def _uses(body: bytes) -> list[str]:
    first = body.split(b"\n", 1)[0].decode()
    if not first.startswith("--! uses:"):
        raise ValueError(f"a lua operation must start with '--! uses: ...', not {first!r}")
    wanted = {name.strip() for name in first.split(":", 1)[1].split(",") if name.strip()}
    unknown = wanted - set(_LIBS)
    if unknown:
        raise ValueError(f"unknown lua helpers: {sorted(unknown)}")
    return [name for name in _LIBS if name in wanted]


def load_library(after_base: bytes = b"") -> Library:
    """Read ``lua/`` and build both forms. ``after_base`` is inserted right after
    ``base.lua`` (tests use it to check that every key an operation touches is declared)."""
    folder = importlib.resources.files(__package__ or "sessions_plus.backends.redis") / "lua"
    base = (folder / "base.lua").read_bytes() + b"\n" + after_base + b"\n"
    libs = {name: (folder / "lib" / f"{name}.lua").read_bytes() + b"\n" for name in _LIBS}
    bodies = {
        entry.name[:-4]: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.name.endswith(".lua") and entry.name != "base.lua"
    }
    every = base + b"".join(libs.values()) + b"".join(bodies[n] for n in sorted(bodies))
    digest = hashlib.sha1(every, usedforsecurity=False).hexdigest()[:12]
    library_name = f"sessions_plus_{digest}"
    prefix = f"sp_{digest}_"
    function_glue = (
        f"#!lua name={library_name}\n"
        "local function REGISTER(name, fn)\n"
        f"  redis.register_function('{prefix}' .. name, fn)\n"
        "end\n"
    ).encode()
    eval_glue = (
        b"local EVAL_KEYS, EVAL_ARGV = KEYS, ARGV\n"
        b"local OPERATION = nil\n"
        b"local function REGISTER(name, fn)\n"
        b"  OPERATION = fn\n"
        b"end\n"
    )
    operations: dict[str, Operation] = {}
    for name, body in bodies.items():
        used = b"".join(libs[lib] for lib in _uses(body))
        source = eval_glue + base + used + body + b"\nreturn OPERATION(EVAL_KEYS, EVAL_ARGV)\n"
        operations[name] = Operation(name, Script(source, name), prefix + name)
    return Library(library_name, function_glue + every, operations)


@lru_cache(maxsize=1)
def library() -> Library:
    """The operations, loaded once."""
    return load_library()
