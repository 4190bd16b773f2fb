"""A throwaway Redis Cluster with replicas on 127.0.0.1 (three masters, one replica each).

See :mod:`integrations.redis.ha`.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ._deployment import (
    REPLICATION_OPTIONS,
    WAIT_TIMEOUT,
    Deployment,
    info,
    replica_in_sync,
    wait_for,
)
from .servers import (
    RedisServerError,
    _Process,
    command,
)


@dataclass(frozen=True, slots=True)
class ClusterNodeView:
    """One line of ``CLUSTER NODES``."""

    node_id: str
    port: int
    flags: frozenset[str]
    master_id: str | None
    connected: bool
    slots: tuple[tuple[int, int], ...]

    @property
    def is_master(self) -> bool:
        return "master" in self.flags

    @property
    def failing(self) -> bool:
        return bool(self.flags & {"fail", "fail?", "noaddr", "handshake"})


def cluster_nodes(port: int) -> list[ClusterNodeView]:
    """The cluster as the node on ``port`` sees it."""
    views: list[ClusterNodeView] = []
    for line in command(port, "CLUSTER", "NODES").decode().splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        address = parts[1].split("@", 1)[0]
        slots: list[tuple[int, int]] = []
        for spec in parts[8:]:
            if spec.startswith("["):  # a slot being migrated
                continue
            first, _, last = spec.partition("-")
            slots.append((int(first), int(last or first)))
        views.append(
            ClusterNodeView(
                node_id=parts[0],
                port=int(address.rpartition(":")[2]),
                flags=frozenset(parts[2].split(",")),
                master_id=None if parts[3] == "-" else parts[3],
                connected=parts[7] == "connected",
                slots=tuple(slots),
            )
        )
    return views


class ReplicatedRedisCluster(Deployment):
    """A Redis Cluster of ``masters`` masters with ``replicas`` replicas each, on loopback.

    ``.url`` is ``redis+cluster://127.0.0.1:<first port>`` (any node serves as a startup
    node); :meth:`master_for_key` says which node serves a key right now.
    """

    def __init__(self, masters: int = 3, replicas: int = 1, node_timeout_ms: int = 2000) -> None:
        if masters < 3 or replicas < 1:
            raise ValueError("a replicated cluster needs at least three masters and one replica")
        super().__init__("sessions-plus-redis-cluster-ha-")
        self.replicas = replicas
        self.masters = masters
        for index in range(masters * (replicas + 1)):
            port = self._port()
            bus = self._port()
            extra = [
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(node_timeout_ms),
                "--cluster-port", str(bus),
                "--cluster-replica-validity-factor", "0",
                *REPLICATION_OPTIONS,
            ]  # fmt: skip
            self._nodes[port] = _Process(port, self._root / f"node{index}", extra)

    @property
    def port(self) -> int:
        return self.data_ports[0]

    @property
    def url(self) -> str:
        return f"redis+cluster://{self.host}:{self.port}"

    def _start(self) -> None:
        for proc in self._nodes.values():
            proc.start()
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RedisServerError("redis-cli is not installed (it comes with redis-server)")
        result = subprocess.run(
            [cli, "--cluster", "create", *(f"{self.host}:{p}" for p in self.data_ports),
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            capture_output=True,
            timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise RedisServerError(f"redis-cli --cluster create failed: {result.stdout!r}")
        self.wait_healthy()

    def _observer(self) -> int:
        """A running node to ask."""
        for port in self.data_ports:
            if self.running(port):
                return port
        raise RedisServerError("no cluster node is running")

    def view(self) -> list[ClusterNodeView]:
        return cluster_nodes(self._observer())

    def master_ports(self) -> list[int]:
        """Masters that serve slots and are not failing, as a running node sees them."""
        return sorted(n.port for n in self.view() if n.is_master and n.slots and not n.failing)

    def key_slot(self, key: str) -> int:
        return int(command(self._observer(), "CLUSTER", "KEYSLOT", key).lstrip(b":"))

    def master_for_slot(self, slot: int) -> int:
        """The port of the healthy master serving ``slot`` (waits while none does)."""

        def serving() -> int | None:
            for node in self.view():
                serves = any(first <= slot <= last for first, last in node.slots)
                if node.is_master and not node.failing and serves:
                    return node.port
            return None

        return wait_for(serving, f"a master serving slot {slot}")

    def master_for_key(self, key: str) -> int:
        return self.master_for_slot(self.key_slot(key))

    def wait_failover(self, old_master: int, timeout: float = WAIT_TIMEOUT) -> int:
        """Wait until a replica took over ``old_master``'s slots and the cluster is ok again;
        returns the new master's port."""
        slots = [n.slots for n in self.view() if n.port == old_master]
        if not slots or not slots[0]:
            raise RedisServerError(f"port {old_master} serves no slots")
        slot = slots[0][0][0]

        def promoted() -> int | None:
            port = self.master_for_slot(slot)
            if port == old_master:
                return None
            if info(port, "replication").get("role") != "master":
                return None
            states = [command(p, "CLUSTER", "INFO") for p in self.data_ports if self.running(p)]
            return port if all(b"cluster_state:ok" in state for state in states) else None

        return wait_for(promoted, f"a failover away from port {old_master}", timeout)

    def wait_healthy(self, timeout: float = WAIT_TIMEOUT) -> list[int]:
        """Wait until every node runs, agrees on the same healthy topology (no failure flags,
        all slots served, ``replicas`` in-sync replicas per master); returns the masters."""

        def healthy() -> list[int] | None:
            if not all(self.running(port) for port in self.data_ports):
                return None
            shapes = set()
            for port in self.data_ports:
                if b"cluster_state:ok" not in command(port, "CLUSTER", "INFO"):
                    return None
                nodes = cluster_nodes(port)
                if len(nodes) != len(self.data_ports) or any(n.failing for n in nodes):
                    return None
                roles = frozenset((n.port, n.is_master, n.slots) for n in nodes)
                shapes.add(roles)
            if len(shapes) != 1:
                return None
            nodes = cluster_nodes(self.data_ports[0])
            by_id = {n.node_id: n for n in nodes}
            masters = [n for n in nodes if n.is_master and n.slots]
            if len(masters) != self.masters:
                return None
            for master in masters:
                followers = [n for n in nodes if n.master_id == master.node_id]
                if len(followers) != self.replicas:
                    return None
                if not all(replica_in_sync(n.port, master.port) for n in followers):
                    return None
            assert all(n.master_id is None or n.master_id in by_id for n in nodes)
            return sorted(m.port for m in masters)

        return wait_for(healthy, "the replicated cluster to be healthy", timeout)
