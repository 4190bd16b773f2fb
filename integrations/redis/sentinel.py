"""A throwaway Redis Sentinel deployment on 127.0.0.1: a master, replicas and Sentinels.

Sentinel runs as ``redis-server <conf> --sentinel`` (Debian's ``redis-server`` package is
enough; the ``redis-sentinel`` package only adds a wrapper). See :mod:`integrations.redis.ha`.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ._deployment import (
    REPLICATION_OPTIONS,
    WAIT_TIMEOUT,
    Deployment,
    info,
    replica_in_sync,
    wait_for,
)
from .servers import (
    HOST,
    RedisServerError,
    _Process,
    command,
    redis_server_binary,
    stop_process,
)

SERVICE = "mymaster"
"""The Sentinel service name the launcher monitors."""


class _Sentinel:
    """One ``redis-server <conf> --sentinel`` process (Sentinel rewrites its own config file)."""

    def __init__(self, port: int, workdir: Path, conf: str) -> None:
        self.port = port
        self.workdir = workdir
        self.conf = conf
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        path = self.workdir / "sentinel.conf"
        path.write_text(self.conf)
        args = [redis_server_binary(), str(path), "--sentinel"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RedisServerError(f"sentinel on port {self.port} exited: {err}{self.log()}")
            with contextlib.suppress(OSError):
                if command(self.port, "PING") == b"+PONG":
                    return
            time.sleep(0.02)
        raise RedisServerError(f"sentinel on port {self.port} did not answer: {self.log()}")

    def log(self) -> str:
        path = self.workdir / "sentinel.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process)


@dataclass(frozen=True, slots=True)
class _SentinelView:
    master_port: int
    status: str
    sentinels: int


class RedisSentinel(Deployment):
    """A master, ``replicas`` replicas and ``sentinels`` Sentinels (quorum: a majority).

    ``.url`` names every Sentinel; ``.sentinel_ports``; :meth:`master_port` is the master the
    Sentinels currently agree on; :meth:`replica_ports` the other data nodes.
    """

    def __init__(
        self,
        *,
        replicas: int = 1,
        sentinels: int = 3,
        down_after_ms: int = 2000,
        failover_timeout_ms: int = 10000,
        service: str = SERVICE,
    ) -> None:
        if replicas < 1 or sentinels < 1:
            raise ValueError("a Sentinel deployment needs at least one replica and one Sentinel")
        super().__init__("sessions-plus-redis-sentinel-")
        self.service = service
        self.quorum = sentinels // 2 + 1
        self._first_master = self._port()
        ports = [self._first_master] + [self._port() for _ in range(replicas)]
        for index, port in enumerate(ports):
            extra = list(REPLICATION_OPTIONS)
            if index:
                extra += ["--replicaof", HOST, str(self._first_master)]
            self._nodes[port] = _Process(port, self._root / f"data{index}", extra)
        self._sentinels: list[_Sentinel] = []
        for index in range(sentinels):
            port = self._port()
            conf = "\n".join(
                [
                    f"port {port}",
                    f"bind {HOST}",
                    "protected-mode no",
                    "daemonize no",
                    f'dir "{self._root / f"sentinel{index}"}"',
                    f'logfile "{self._root / f"sentinel{index}" / "sentinel.log"}"',
                    f"sentinel monitor {service} {HOST} {self._first_master} {self.quorum}",
                    f"sentinel down-after-milliseconds {service} {down_after_ms}",
                    f"sentinel failover-timeout {service} {failover_timeout_ms}",
                    f"sentinel parallel-syncs {service} 1",
                    "",
                ]
            )
            self._sentinels.append(_Sentinel(port, self._root / f"sentinel{index}", conf))

    @property
    def sentinel_ports(self) -> list[int]:
        return [sentinel.port for sentinel in self._sentinels]

    @property
    def url(self) -> str:
        hosts = ",".join(f"{self.host}:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{self.service}/0"

    def _start(self) -> None:
        for proc in self._nodes.values():
            proc.start()
        for sentinel in self._sentinels:
            sentinel.start()
        self.wait_healthy()

    def _stop_others(self) -> None:
        for sentinel in self._sentinels:
            sentinel.stop()

    def _view(self, sentinel_port: int) -> _SentinelView | None:
        """What one Sentinel says about the service (None if it knows nothing yet)."""
        line = info(sentinel_port, "sentinel").get("master0", "")
        fields = dict(part.split("=", 1) for part in line.split(",") if "=" in part)
        if fields.get("name") != self.service:
            return None
        _, _, port = fields["address"].rpartition(":")
        return _SentinelView(int(port), fields["status"], int(fields["sentinels"]))

    def master_port(self) -> int:
        """The master every Sentinel agrees on (waits until they agree)."""

        def agreed() -> int | None:
            views = [self._view(port) for port in self.sentinel_ports]
            ports = {view.master_port for view in views if view is not None}
            return ports.pop() if len(ports) == 1 and None not in views else None

        return wait_for(agreed, "the Sentinels to agree on a master")

    def replica_ports(self) -> list[int]:
        master = self.master_port()
        return [port for port in self.data_ports if port != master]

    def kill_master(self) -> int:
        """SIGKILL the current master; returns its port."""
        port = self.master_port()
        self.kill(port)
        return port

    def wait_failover(self, old_master: int, timeout: float = WAIT_TIMEOUT) -> int:
        """Wait until every Sentinel names a promoted master other than ``old_master`` and that
        node says it is a master; returns its port."""

        def promoted() -> int | None:
            views = [self._view(port) for port in self.sentinel_ports]
            ports = {view.master_port for view in views if view is not None}
            if len(ports) != 1 or None in views:
                return None
            port = ports.pop()
            if port == old_master or info(port, "replication").get("role") != "master":
                return None
            return port

        return wait_for(promoted, f"a failover away from port {old_master}", timeout)

    def wait_healthy(self, timeout: float = WAIT_TIMEOUT) -> int:
        """Wait until every data node runs, the Sentinels agree on the master and see each
        other, and every replica is in sync with it; returns the master's port."""

        def healthy() -> int | None:
            views = [self._view(port) for port in self.sentinel_ports]
            if any(view is None for view in views):
                return None
            ports = {view.master_port for view in views if view is not None}
            if len(ports) != 1:
                return None
            master = ports.pop()
            for view in views:
                assert view is not None
                if view.status != "ok" or view.sentinels != len(self._sentinels):
                    return None
            if info(master, "replication").get("role") != "master":
                return None
            others = [port for port in self.data_ports if port != master]
            if not all(self.running(port) and replica_in_sync(port, master) for port in others):
                return None
            return master

        return wait_for(healthy, "the Sentinel deployment to be healthy", timeout)
