"""The benchmark environment: a temp directory and the servers, started lazily from integrations/.

One redis-server, one Redis Cluster and one moto server (DynamoDB and S3) per run, shared by
every implementation of that backend, all on loopback.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from pathlib import Path
from typing import Any

from .implementations import Unavailable

REGION = "us-east-1"


def _launcher(module: str, *names: str) -> Any:
    """The first attribute of ``integrations.<module>`` among ``names`` (a context manager)."""
    try:
        mod = importlib.import_module(f"integrations.{module}")
    except ImportError as exc:
        path = module.replace(".", "/")
        raise Unavailable(f"integrations/{path} is not there yet ({exc})") from None
    for name in names:
        found = getattr(mod, name, None)
        if found is not None:
            return found
    raise Unavailable(f"integrations.{module} has none of {', '.join(names)}")


class Env:
    """Everything the implementations share. Servers start on first use; ``aclose`` stops all."""

    def __init__(self, tmpdir: Path | None = None) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if tmpdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sessions-plus-bench-")
            tmpdir = Path(self._tmp.name)
        self.tmpdir = tmpdir
        self.region = REGION
        self._stack = contextlib.ExitStack()
        self._redis_url: str | None = None
        self._redis: Any = None
        self._cluster_url: str | None = None
        self._cluster: Any = None
        self._moto: str | None = None
        self.dynamodb_clients: list[Any] = []
        self.versions: dict[str, str] = {}
        # moto accepts any credentials; these never leave loopback.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)

    # ------------------------------------------------------------------ Redis

    @property
    def redis_url(self) -> str:
        if self._redis_url is None:
            launch = _launcher("redis.servers", "RedisServer")
            server = self._stack.enter_context(launch())
            self._redis_url = _url_of(server)
        return self._redis_url

    async def redis_client(self) -> Any:
        """One redis.asyncio client for the standalone server, shared by every Redis impl."""
        if self._redis is None:
            try:
                import redis.asyncio as aioredis
            except ImportError as exc:
                raise Unavailable(f"redis-py: {exc}") from None
            self._redis = aioredis.Redis.from_url(self.redis_url)
            info = await self._redis.info("server")
            self.versions["redis-server"] = str(info.get("redis_version"))
        return self._redis

    @property
    def redis_cluster_url(self) -> str:
        if self._cluster_url is None:
            launch = _launcher("redis.servers", "RedisCluster")
            cluster = self._stack.enter_context(launch())
            self._cluster_url = _url_of(cluster)
        return self._cluster_url

    async def redis_cluster_client(self) -> Any:
        if self._cluster is None:
            from redis.asyncio.cluster import RedisCluster

            url = self.redis_cluster_url.replace("redis+cluster://", "redis://")
            self._cluster = RedisCluster.from_url(url)
            await self._cluster.initialize()
        return self._cluster

    # ------------------------------------------------------------------ moto

    async def dynamodb_endpoint(self) -> str:
        """The moto server's URL (it serves DynamoDB and S3 alike)."""
        if self._moto is None:
            # The tests' launcher: moto in a child process (its own GIL, so the server's
            # CPU does not slow the clients measured here), one request at a time, with
            # integrations/dynamodb/moto_speedups.py (a transaction snapshots only the items
            # it names; a Query looks only at its own partition). One port serves every
            # moto service, so S3SessionManager uses it too.
            launch = _launcher("dynamodb.server", "DynamoDBServer")
            server = self._stack.enter_context(launch())
            self._moto = _url_of(server)
            self.versions["moto server"] = (
                "DynamoDBServer: child process, serialized, moto_speedups"
            )
        return self._moto

    def register_dynamodb_client(self, client: Any) -> None:
        """Remember an aiobotocore client so request counters can hook its events."""
        self.dynamodb_clients.append(client)

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        for client in (self._redis, self._cluster):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        self._stack.close()
        if self._tmp is not None:
            self._tmp.cleanup()


def _url_of(server: Any) -> str:
    """A launcher's URL, whatever it yields: a URL string or an object with ``.url``."""
    if isinstance(server, str):
        return server
    url = getattr(server, "url", None) or getattr(server, "endpoint_url", None)
    if not isinstance(url, str):
        raise Unavailable(f"cannot find the URL of {server!r}")
    return url
