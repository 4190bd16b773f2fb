"""What the replicated launchers share: polling, INFO parsing, kill/restart, life cycle."""

from __future__ import annotations

import contextlib
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self, TypeVar

from ..launcher import Launcher
from .servers import (
    HOST,
    RedisServerError,
    _Process,
    _unique_port,
    command,
)

WAIT_TIMEOUT = 90.0
"""Default seconds to wait for a failover or for health (generous: CI machines are slow)."""
_POLL = 0.05
REPLICATION_OPTIONS = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]

T = TypeVar("T")


def info(port: int, section: str) -> dict[str, str]:
    """``INFO <section>`` of the server on ``port`` as a dict (raises OSError if it is down)."""
    text = command(port, "INFO", section).decode(errors="replace")
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key: value.strip() for key, value in pairs}


def wait_for(check: Callable[[], T | None], what: str, timeout: float = WAIT_TIMEOUT) -> T:
    """Poll ``check()`` until it returns something other than None (OSError counts as None)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            result = check()
            if result is not None:
                return result
        if time.monotonic() > deadline:
            raise RedisServerError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(_POLL)


def kill_process(proc: _Process) -> None:
    """SIGKILL: no shutdown, no goodbye to replicas or clients."""
    process, proc.process = proc.process, None
    if process is None:
        return
    process.kill()
    process.wait()
    if process.stderr:
        process.stderr.close()


def replica_in_sync(port: int, master_port: int) -> bool:
    with contextlib.suppress(OSError):
        state = info(port, "replication")
        return (
            state.get("role") == "slave"
            and state.get("master_port") == str(master_port)
            and state.get("master_link_status") == "up"
            and state.get("master_sync_in_progress") == "0"
        )
    return False


class Deployment(Launcher):
    """Shared life cycle: a temporary directory, data nodes, start/close, context manager."""

    def __init__(self, prefix: str) -> None:
        self.host = HOST
        self._tmp = tempfile.TemporaryDirectory(prefix=prefix)
        self._root = Path(self._tmp.name)
        self._used: set[int] = set()
        self._nodes: dict[int, _Process] = {}
        self._closed = False

    def _port(self) -> int:
        return _unique_port(self._used)

    @property
    def data_ports(self) -> list[int]:
        """Ports of every data node (masters and replicas), killed ones included."""
        return list(self._nodes)

    def running(self, port: int) -> bool:
        return self._nodes[port].running

    def kill(self, port: int) -> None:
        """SIGKILL the data node on ``port``."""
        kill_process(self._nodes[port])

    def restart(self, port: int) -> None:
        """Start a killed (or stopped) data node again on its port: empty, it resyncs."""
        self._nodes[port].start()

    def freeze(self, port: int) -> None:
        """SIGSTOP the data node on ``port``: it stops reading, answering and acknowledging
        (its sockets stay open, so nobody sees it go); :meth:`thaw` resumes it."""
        process = self._nodes[port].process
        assert process is not None, f"node {port} is not running"
        process.send_signal(signal.SIGSTOP)

    def thaw(self, port: int) -> None:
        process = self._nodes[port].process
        assert process is not None, f"node {port} is not running"
        process.send_signal(signal.SIGCONT)

    def command(self, port: int, *args: str) -> bytes:
        """One raw command to the node on ``port``."""
        return command(port, *args)

    def log(self, port: int) -> str:
        return self._nodes[port].log()

    def _start(self) -> None:
        raise NotImplementedError

    def _stop_others(self) -> None:
        """Stop processes other than the data nodes."""

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_others()
        for proc in self._nodes.values():
            proc.stop()
        self._tmp.cleanup()
