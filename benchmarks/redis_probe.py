"""What a Redis server spent: command time (INFO commandstats) and its process's CPU (/proc).

``INFO commandstats`` gives the time spent executing each command (a script's time includes
the commands it calls; those are also listed on their own, so only top-level commands are
summed here). ``/proc/<pid>/task/*/schedstat`` gives the whole process's CPU in nanoseconds
(network reads and writes, parsing, replies, background threads), which is what decides how
many operations one node carries. Both are sampled around a measured block.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

Command = Callable[..., bytes]
"""``command(*args) -> raw reply`` of one server (see integrations.redis.servers)."""


def commandstats(command: Command) -> dict[str, tuple[int, int]]:
    """``{command: (calls, usec)}`` from ``INFO commandstats``."""
    text = command("INFO", "commandstats").decode()
    stats: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        match = re.match(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", line)
        if match:
            stats[match.group(1)] = (int(match.group(2)), int(match.group(3)))
    return stats


def latency_p50(command: Command) -> dict[str, float]:
    """``{command: median latency in us}`` from ``INFO latencystats`` (Redis >= 7.0): the
    server's own timing of each call, robust to the rare call preempted on a busy machine."""
    text = command("INFO", "latencystats").decode()
    p50: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"latency_percentiles_usec_([^:]+):p50=([0-9.]+)", line)
        if match:
            p50[match.group(1)] = float(match.group(2))
    return p50


def io_events(command: Command) -> int:
    """Read and write events the server processed (``INFO stats``: ``total_reads_processed``
    + ``total_writes_processed``): about one of each per round trip of a client. Each costs
    the server system calls and a wake-up, which no instruction count sees."""
    text = command("INFO", "stats").decode()
    total = 0
    for line in text.splitlines():
        match = re.match(r"total_(?:reads|writes)_processed:(\d+)", line)
        if match:
            total += int(match.group(1))
    return total


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds the process used so far, all threads (ns precision where available)."""
    tasks = Path(f"/proc/{pid}/task")
    total_ns = 0
    try:
        for task in tasks.iterdir():
            total_ns += int((task / "schedstat").read_text().split()[0])
        return total_ns / 1e9
    except (OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks


@dataclass
class Sample:
    """Server cost of one measured block, summed over the probed servers."""

    wall: float = 0.0
    cpu: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)
    usec: dict[str, int] = field(default_factory=dict)
    p50: dict[str, float] = field(default_factory=dict)
    """Median latency per command (us), from the first probed server."""
    events: int = 0
    """Read and write events processed (see :func:`io_events`; the probe's own add ~2)."""

    def usec_of(self, commands: Iterable[str]) -> int:
        """Command time of ``commands`` (name the commands a client sends: a script's or a
        transaction's inner commands are counted inside EVALSHA/EXEC and again on their own)."""
        return sum(self.usec.get(name, 0) for name in commands)


class Probe:
    """Samples the command time and process CPU of one or more redis-server processes."""

    def __init__(self, servers: Iterable[tuple[Command, int]]) -> None:
        self.servers = list(servers)

    def reset(self) -> None:
        for command, _ in self.servers:
            command("CONFIG", "RESETSTAT")

    def measure(self) -> _Block:
        """``with probe.measure() as block: ...`` then ``block.sample``."""
        return _Block(self)


class _Block:
    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.sample = Sample()

    def __enter__(self) -> _Block:
        self.probe.reset()
        self._cpu0 = sum(process_cpu_seconds(pid) for _, pid in self.probe.servers)
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._t0
        cpu = sum(process_cpu_seconds(pid) for _, pid in self.probe.servers) - self._cpu0
        events = sum(io_events(command) for command, _ in self.probe.servers)
        calls: dict[str, int] = {}
        usec: dict[str, int] = {}
        for command, _ in self.probe.servers:
            for name, (n, us) in commandstats(command).items():
                if name in ("config|resetstat", "info"):
                    continue
                calls[name] = calls.get(name, 0) + n
                usec[name] = usec.get(name, 0) + us
        p50 = latency_p50(self.probe.servers[0][0]) if self.probe.servers else {}
        self.sample = Sample(wall, cpu, calls, usec, p50, events)
