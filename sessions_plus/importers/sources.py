"""Import source URLs: which SDK store, where, with which options.

* ``agents-sqlite:///PATH.db`` (``?sessions_table=...&messages_table=...`` when custom):
  ``SQLiteSession``, ``AsyncSQLiteSession`` and ``AdvancedSQLiteSession`` files;
* ``agents-redis://HOST:PORT/DB?key_prefix=agents:session`` (``rediss://`` with ``?ssl=true``;
  a password as ``agents-redis://:PASSWORD@HOST...``): ``RedisSession`` keys;
* ``strands-file:///DIR``: ``FileSessionManager`` directories;
* ``strands-s3://BUCKET/PREFIX?region=...&endpoint_url=...``: ``S3SessionManager`` buckets.

Paths follow ``sqlite:///`` URLs: three slashes and a relative path, four for an absolute one.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from .agents_redis import DEFAULT_KEY_PREFIX, AgentsRedisSource
from .agents_sqlite import AgentsSQLiteSource
from .base import ImportSource, ImportSourceError
from .strands_file import StrandsFileSource
from .strands_s3 import StrandsS3Source

SCHEMES = ("agents-sqlite", "agents-redis", "strands-file", "strands-s3")


def open_source(url: str) -> ImportSource:
    """The :class:`ImportSource` for an import URL (see the module docstring)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = dict(parse_qsl(parts.query, keep_blank_values=True))

    def checked() -> None:
        if query:
            raise ImportSourceError(
                f"unknown option(s) for {scheme}://: {', '.join(sorted(query))}"
            )

    if scheme == "agents-sqlite":
        sessions_table = query.pop("sessions_table", "") or "agent_sessions"
        messages_table = query.pop("messages_table", "") or "agent_messages"
        checked()
        return AgentsSQLiteSource(
            _path(parts.netloc, parts.path, url),
            sessions_table=sessions_table,
            messages_table=messages_table,
        )
    if scheme == "agents-redis":
        key_prefix = query.pop("key_prefix", "") or DEFAULT_KEY_PREFIX
        ssl = query.pop("ssl", "").lower() in ("1", "true", "yes", "on")
        checked()
        target = f"{'rediss' if ssl else 'redis'}://{parts.netloc or '127.0.0.1:6379'}{parts.path}"
        return AgentsRedisSource(target, key_prefix=key_prefix)
    if scheme == "strands-file":
        checked()
        return StrandsFileSource(_path(parts.netloc, parts.path, url))
    if scheme == "strands-s3":
        region = query.pop("region", None) or None
        endpoint = query.pop("endpoint_url", None) or None
        checked()
        return StrandsS3Source(
            parts.netloc, parts.path.lstrip("/"), region_name=region, endpoint_url=endpoint
        )
    raise ImportSourceError(
        f"unknown import source {url!r}; use one of: " + ", ".join(f"{s}://" for s in SCHEMES)
    )


def _path(netloc: str, path: str, url: str) -> str:
    if netloc:
        raise ImportSourceError(f"{url!r}: use three slashes before a path (scheme:///path)")
    if not path or path == "/":
        raise ImportSourceError(f"{url!r} names no path")
    return path[1:]  # "/rel.db" -> "rel.db", "//abs.db" -> "/abs.db"
