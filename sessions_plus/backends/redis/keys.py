"""Key names: every key of a session shares one hash tag, the escaped session id.

Session ids and stream names are escaped with ``urllib.parse.quote(value, safe="")`` (every
byte outside ``[A-Za-z0-9_.~-]`` becomes ``%XX``), so an escaped id never contains ``{``,
``}``, ``:`` or a glob character and no two ids share a key. The index sets hold raw ids.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

_CACHE = 4096
"""Escaped names remembered: escaping costs more than the lookup."""


@lru_cache(maxsize=_CACHE)
def escape(value: str) -> str:
    """Escape a session id or stream name for use inside a key."""
    return quote(value, safe="")


@lru_cache(maxsize=_CACHE)
def session_base(key_prefix: str, session_id: str) -> str:
    """``"<prefix>:{<escaped id>}:"``, the start of every key of the session."""
    return f"{key_prefix}:{{{escape(session_id)}}}:"


@lru_cache(maxsize=_CACHE)
def log_key(base: str, stream: str) -> str:
    """The key of one stream of the session whose keys start with ``base``."""
    return base + "log:" + escape(stream)


class Keys:
    """The key names of one store (one ``key_prefix``)."""

    def __init__(self, key_prefix: str) -> None:
        self.prefix = key_prefix
        self.index = f"{key_prefix}:index"
        """Sorted set of every session id (score 0, so in code point order)."""
        self.expiry = f"{key_prefix}:expiry"
        """Sorted set: session id -> a time at or before which it expires (ms)."""

    def meta(self, session_id: str) -> str:
        return session_base(self.prefix, session_id) + "meta"

    def docs(self, session_id: str) -> str:
        return session_base(self.prefix, session_id) + "docs"

    def log(self, session_id: str, stream: str) -> str:
        return log_key(session_base(self.prefix, session_id), stream)

    def session(self, session_id: str, streams: tuple[str, ...]) -> list[str]:
        """meta, docs, tokens, then the log key of each of ``streams``: what a per-session
        script declares before the index keys."""
        base = session_base(self.prefix, session_id)
        return [base + "meta", base + "docs", base + "tok", *(log_key(base, s) for s in streams)]

    def legacy(self, session_id: str) -> list[str]:
        """The previous layout's retry keys (``req`` list, ``res`` hash), dropped by migration."""
        base = session_base(self.prefix, session_id)
        return [base + "req", base + "res"]
