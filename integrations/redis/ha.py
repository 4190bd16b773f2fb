"""Throwaway Redis deployments with replicas on 127.0.0.1: Sentinel and a replicated Cluster.

Built on :mod:`integrations.redis.servers` (same binaries, same free loopback ports, same
no-persistence data directories). Only ``redis-server`` and ``redis-cli`` are needed (Debian
package ``redis-server``): Sentinel runs as ``redis-server <conf> --sentinel``, so Debian's
``redis-sentinel`` package is not required.

- :class:`RedisSentinel`: one master, ``replicas`` replicas (default 1) and ``sentinels``
  Sentinels (default 3, quorum 2) monitoring service ``mymaster``. ``.url`` is
  ``redis+sentinel://127.0.0.1:<s1>,127.0.0.1:<s2>,127.0.0.1:<s3>/mymaster/0``.
- :class:`ReplicatedRedisCluster`: a Redis Cluster of ``masters`` masters (default 3) with
  ``replicas`` replicas each (default 1): six nodes. ``.url`` is ``redis+cluster://...``.

Both can SIGKILL a node (:meth:`kill`), restart it on the same port (:meth:`restart`; it comes
back empty and rejoins as a replica), wait for a failover (:meth:`wait_failover`) and wait until
the deployment is whole again (:meth:`wait_healthy`: every master has its replicas online and in
sync, and every observer agrees). Failure detection is quick but not twitchy: Sentinel's
``down-after-milliseconds`` and the Cluster's ``cluster-node-timeout`` default to 2 s.

From a shell (prints the URL, runs until Ctrl-C)::

    python -m integrations.redis.ha sentinel
    python -m integrations.redis.ha cluster
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time

from .replicated_cluster import ReplicatedRedisCluster
from .sentinel import RedisSentinel
from .servers import (
    _interrupt,
)

__all__ = ["RedisSentinel", "ReplicatedRedisCluster", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m integrations.redis.ha",
        description="Run a throwaway replicated Redis on 127.0.0.1 until Ctrl-C; prints its URL.",
    )
    parser.add_argument("kind", choices=["sentinel", "cluster"])
    args = parser.parse_args(argv)
    deployment: RedisSentinel | ReplicatedRedisCluster
    deployment = RedisSentinel() if args.kind == "sentinel" else ReplicatedRedisCluster()
    signal.signal(signal.SIGTERM, _interrupt)
    with deployment, contextlib.suppress(KeyboardInterrupt):
        print(deployment.url, flush=True)
        while True:
            time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
