"""An in-process Redis for your tests: the real :class:`~sessions_plus.RedisStore` on fakeredis.

``FakeRedisStore`` is a ``RedisStore`` whose clients are ``fakeredis.FakeAsyncRedis`` objects
on one in-process ``fakeredis.FakeServer`` (Lua scripts run by fakeredis through ``lupa``), so an
application's unit tests exercise the same store code, key layout and Lua scripts as production
with no server to start. Every store opened on the same named server sees the same data, as two
clients of one Redis would; data lives as long as the process (or until ``server.flushall``).

Open one with :func:`fake_redis_store`, ``FakeRedisStore(...)`` or the URL ``redis+fake://``
(``redis+fake://NAME`` picks a named in-process server, default ``"default"``), which works
anywhere a store URL does (``open_store``, the drop-ins' ``from_url``, the pytest plugin's
``--sessions-plus-url``). It needs ``pip install "sessions-plus[testing]"`` (``fakeredis[lua]``).

It is a test double: fakeredis emulates one Redis server (here Redis 7), not a Cluster, and
other processes cannot reach it. Use a real ``redis-server`` to test clustering, failover or
several processes.
"""

from __future__ import annotations

import threading
from typing import Any, Self
from urllib.parse import SplitResult, unquote

from ..backends.redis import RedisStore
from ..backends.redis.urls import DEFAULT_KEY_PREFIX
from ..errors import ConfigurationError, missing_dependency
from ..options import Options, common_options, pop_str, reject_unknown

try:
    import fakeredis
    import lupa  # noqa: F401  (fakeredis runs Lua scripts only with lupa installed)
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_dependency("FakeRedisStore", "testing", exc) from exc

__all__ = ["REDIS_VERSION", "FakeRedisStore", "fake_redis_server", "fake_redis_store"]

REDIS_VERSION = (7, 0)
"""The Redis version the fake server emulates (the version the real-server tests run)."""
DEFAULT_SERVER = "default"

_servers: dict[str, fakeredis.FakeServer] = {}
_servers_lock = threading.Lock()


def fake_redis_server(name: str = DEFAULT_SERVER) -> fakeredis.FakeServer:
    """The in-process fake server called ``name``, made on first use (what ``redis+fake://NAME``
    opens). Different names are different servers; the same name is the same data."""
    with _servers_lock:
        server = _servers.get(name)
        if server is None:
            server = _servers[name] = fakeredis.FakeServer(version=REDIS_VERSION)
        return server


class FakeRedisStore(RedisStore):
    """``RedisStore`` on an in-process ``fakeredis.FakeServer`` (see the module docstring).

    ``server`` is a ``fakeredis.FakeServer`` or the name of one (:func:`fake_redis_server`);
    None makes a new, private server. Other options are ``RedisStore``'s (``key_prefix``,
    ``ttl``, ``refresh_on_read``, ``on_corrupt``, ``max_record_bytes``, ``max_records``,
    ``read_only``). The store makes one fake client per event loop and closes them with
    ``aclose()``; the server and its data stay.
    """

    def __init__(
        self,
        server: fakeredis.FakeServer | str | None = None,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        **options: Any,
    ) -> None:
        if server is None:
            server = fakeredis.FakeServer(version=REDIS_VERSION)
        elif isinstance(server, str):
            server = fake_redis_server(server)
        elif not isinstance(server, fakeredis.FakeServer):
            raise ConfigurationError(
                f"server must be a fakeredis.FakeServer or a name, not {type(server).__name__}"
            )
        self.server: fakeredis.FakeServer = server
        """The fake server holding this store's data."""
        super().__init__(self.client, key_prefix=key_prefix, **options)

    def client(self) -> fakeredis.FakeAsyncRedis:
        """A new asyncio client of this store's server (yours to ``aclose()``): raw access to
        the keys, for assertions or to plant data."""
        return fakeredis.FakeAsyncRedis(server=self.server)

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        if parts.scheme.lower() != "redis+fake":
            raise ConfigurationError(f"not a fake Redis URL scheme: {parts.scheme!r}")
        if parts.path not in ("", "/", "/0"):
            raise ConfigurationError("redis+fake:// has only database 0: redis+fake://[NAME]")
        name = unquote(parts.netloc) or DEFAULT_SERVER
        common = common_options(options)
        key_prefix = pop_str(options, "key_prefix") or DEFAULT_KEY_PREFIX
        reject_unknown(options, "redis+fake")
        return cls(name, key_prefix=key_prefix, **common)


def fake_redis_store(
    server: fakeredis.FakeServer | str | None = None, **options: Any
) -> FakeRedisStore:
    """A :class:`FakeRedisStore`: a new private fake server unless ``server`` names or is one.

    ``async with fake_redis_store(ttl=60) as store: ...`` runs the real ``RedisStore`` code
    paths (Lua scripts included) with no server.
    """
    return FakeRedisStore(server, **options)
