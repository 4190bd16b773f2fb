"""Key names: every key of a session shares one hash tag, the escaped session id.

Session ids and stream names are escaped with ``urllib.parse.quote(value, safe="")`` (every
byte outside ``[A-Za-z0-9_.~-]`` becomes ``%XX``), so an escaped id never contains ``{``,
``}``, ``:`` or a glob character and no two ids share a key.
"""

from __future__ import annotations

from urllib.parse import quote


def escape(value: str) -> str:
    """Escape a session id or stream name for use inside a key (matches ``esc`` in Lua)."""
    return quote(value, safe="")


def session_base(key_prefix: str, session_id: str) -> str:
    """``"<prefix>:{<escaped id>}:"``, the start of every key of the session."""
    return f"{key_prefix}:{{{escape(session_id)}}}:"


def log_key(base: str, stream: str) -> str:
    """The key of one stream of the session whose keys start with ``base``."""
    return base + "log:" + escape(stream)
