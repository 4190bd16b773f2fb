"""Import ``agents.extensions.memory.RedisSession`` keys from a Redis server.

Layout (``agents/extensions/memory/redis_session.py``), for ``key_prefix`` P and session S:
a hash ``P:S`` (``session_id``, ``created_at``, ``updated_at``: Unix seconds), a list
``P:S:messages`` of JSON items (oldest first) and a counter ``P:S:counter``. The SDK keeps no
index of sessions, so listing SCANs ``P:*`` once (an import is a one-off, not a hot path) and
keeps the hashes whose ``session_id`` field names them. Nothing is written to the server.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from ..errors import missing_dependency
from .base import ImportSource, ImportSourceError, SourceRecord, SourceSession, SourceStream

OPENAI_FORMAT = "openai.responses"
DEFAULT_KEY_PREFIX = "agents:session"


class AgentsRedisSource(ImportSource):
    """RedisSession data under ``key_prefix`` on the server at ``url`` (``redis://...``)."""

    kind = "agents-redis"

    def __init__(self, url: str, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        try:
            from redis.asyncio import Redis
        except ImportError as exc:  # pragma: no cover - exercised without the extra
            raise missing_dependency("importing from Redis", "redis", exc) from exc
        if not key_prefix:
            raise ImportSourceError("key_prefix must not be empty")
        self.key_prefix = key_prefix
        self._client: Any = Redis.from_url(url, decode_responses=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _session_key(self, session_id: str) -> str:
        return f"{self.key_prefix}:{session_id}"

    async def session_ids(self) -> AsyncIterator[str]:
        found: set[str] = set()
        pattern = _glob_escape(self.key_prefix) + ":*"
        async for key in self._client.scan_iter(match=pattern, count=1000, _type="HASH"):
            raw = await self._client.hget(key, "session_id")
            if raw is None:
                continue
            session_id = raw.decode("utf-8", "replace")
            if key.decode("utf-8", "replace") == self._session_key(session_id):
                found.add(session_id)
        for session_id in sorted(found):
            yield session_id

    async def read(self, session_id: str) -> SourceSession | None:
        key = self._session_key(session_id)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.lrange(f"{key}:messages", 0, -1)
            pipe.pttl(key)
            meta, raw_messages, pttl = await pipe.execute()
        if not meta and not raw_messages:
            return None
        now = time.time()
        created = _float(meta.get(b"created_at"), now)
        session = SourceSession(
            session_id=session_id,
            created_at=created,
            updated_at=_float(meta.get(b"updated_at"), created),
        )
        records: list[SourceRecord] = []
        for index, raw in enumerate(raw_messages):
            try:
                data = json.loads(raw)
            except ValueError:
                session.notes.append(f"message {index} is not JSON: not imported")
                continue
            records.append(SourceRecord(data, created, format=OPENAI_FORMAT))
        if records:
            session.streams["main"] = SourceStream(records)
            session.notes.append(
                "RedisSession stores no time per message: records get the session's creation time"
            )
        if isinstance(pttl, int) and pttl > 0:
            session.notes.append(
                f"the source's TTL ({pttl / 1000:.0f} s left) is not carried over: "
                "the target store's TTL applies"
            )
        return session


def _float(raw: Any, default: float) -> float:
    try:
        return float(raw.decode() if isinstance(raw, bytes) else raw)
    except (TypeError, ValueError, AttributeError):
        return default


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)
