"""Start throwaway Redis servers on 127.0.0.1: a standalone one and a three-master Cluster.

Debian's ``redis-server`` (7.0) and ``redis-cli`` must be on PATH (``apt-get install
redis-server``). Every server listens on a free loopback port, keeps its data in a temporary
directory without persistence (``save ""``, ``appendonly no``) and is stopped cleanly (SIGTERM,
then SIGKILL) when the context manager exits.

As a module::

    with RedisServer() as server:          # server.url == "redis://127.0.0.1:<port>/0"
        ...
    with RedisCluster() as cluster:        # cluster.url == "redis+cluster://127.0.0.1:<port>"
        ...

From a shell (prints the URL, runs until Ctrl-C)::

    python -m integrations.redis.servers standalone
    python -m integrations.redis.servers cluster
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from ..launcher import Launcher

HOST = "127.0.0.1"
_START_TIMEOUT = 15.0


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM a server process and reap it (SIGKILL after 10 s); None or exited: nothing."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr:
        process.stderr.close()


class RedisServerError(RuntimeError):
    """redis-server is missing or did not start."""


def redis_server_binary() -> str:
    """Path of redis-server, or a RedisServerError saying how to install it."""
    path = shutil.which("redis-server")
    if path is None:
        raise RedisServerError(
            "redis-server is not installed or not on PATH; install it with "
            "'apt-get install redis-server' (Debian/Ubuntu) or 'brew install redis' (macOS)"
        )
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def command(port: int, *args: str, timeout: float = 2.0) -> bytes:
    """Send one command to 127.0.0.1:port with RESP and return the raw reply (no client lib)."""
    payload = f"*{len(args)}\r\n".encode()
    for arg in args:
        data = arg.encode()
        payload += b"$%d\r\n%s\r\n" % (len(data), data)
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(payload)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        if reply.startswith(b"$"):  # bulk string: read until the announced length arrived
            header, _, body = reply.partition(b"\r\n")
            size = int(header[1:])
            while size >= 0 and len(body) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            return body[:size] if size >= 0 else b""
        return reply.strip()


class _Process:
    """One redis-server process on a fixed port, restartable."""

    def __init__(
        self, port: int, workdir: Path, extra: list[str], wrapper: Sequence[str] = ()
    ) -> None:
        self.port = port
        self.workdir = workdir
        self.extra = extra
        self.wrapper = list(wrapper)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            *self.wrapper,
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", HOST,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--daemonize", "no",
            "--protected-mode", "no",
            "--logfile", str(self.workdir / "redis.log"),
            *self.extra,
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RedisServerError(
                    f"redis-server on port {self.port} exited: {err}{self.log()}"
                )
            with contextlib.suppress(OSError):
                if command(self.port, "PING") == b"+PONG":
                    return
            time.sleep(0.02)
        self.stop()
        raise RedisServerError(f"redis-server on port {self.port} did not answer: {self.log()}")

    def log(self) -> str:
        path = self.workdir / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        """The redis-server process id while it runs (for CPU accounting in benchmarks)."""
        return self.process.pid if self.running and self.process is not None else None


class RedisServer(Launcher):
    """A standalone redis-server on a free loopback port (``.host``, ``.port``, ``.url``).

    ``stop()`` and ``start()`` (or ``restart()``) keep the port, so clients can reconnect;
    a restarted server is empty, script cache included.
    """

    def __init__(self, port: int | None = None, wrapper: Sequence[str] = ()) -> None:
        """``wrapper``: a command the server runs under (benchmarks run it under valgrind)."""
        self.host = HOST
        self.port = port or free_port()
        self._tmp = tempfile.TemporaryDirectory(prefix="sessions-plus-redis-")
        self._proc = _Process(self.port, Path(self._tmp.name), [], wrapper)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> Self:
        self._proc.start()
        return self

    def stop(self) -> None:
        self._proc.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def command(self, *args: str) -> bytes:
        """One raw command (for tests and checks)."""
        return command(self.port, *args)

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._proc.pid

    def close(self) -> None:
        self.stop()
        self._tmp.cleanup()


class RedisCluster(Launcher):
    """A Redis Cluster of ``masters`` (default 3) masters, no replicas, on loopback.

    ``.url`` is ``redis+cluster://127.0.0.1:<first port>`` (sessions-plus's cluster scheme);
    ``.nodes`` lists ``(host, port)`` of every master; ``.ports`` their ports.
    """

    def __init__(self, masters: int = 3) -> None:
        if masters < 3:
            raise ValueError("a Redis Cluster needs at least three masters")
        self.host = HOST
        self._tmp = tempfile.TemporaryDirectory(prefix="sessions-plus-redis-cluster-")
        self._procs: list[_Process] = []
        used: set[int] = set()
        for index in range(masters):
            port = _unique_port(used)
            bus = _unique_port(used)
            extra = [
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000",
                "--cluster-port", str(bus),
            ]  # fmt: skip
            self._procs.append(_Process(port, Path(self._tmp.name) / f"node{index}", extra))

    @property
    def ports(self) -> list[int]:
        return [proc.port for proc in self._procs]

    @property
    def nodes(self) -> list[tuple[str, int]]:
        return [(self.host, port) for port in self.ports]

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def pids(self) -> list[int]:
        """Process ids of the running nodes."""
        return [pid for pid in (proc.pid for proc in self._procs) if pid is not None]

    @property
    def url(self) -> str:
        return f"redis+cluster://{self.host}:{self.port}"

    def start(self) -> Self:
        try:
            for proc in self._procs:
                proc.start()
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def _create(self) -> None:
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RedisServerError("redis-cli is not installed (it comes with redis-server)")
        result = subprocess.run(
            [cli, "--cluster", "create", *(f"{h}:{p}" for h, p in self.nodes),
             "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        if result.returncode != 0:
            raise RedisServerError(f"redis-cli --cluster create failed: {result.stdout!r}")
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            states = [command(port, "CLUSTER", "INFO") for port in self.ports]
            if all(b"cluster_state:ok" in state for state in states):
                return
            time.sleep(0.05)
        raise RedisServerError("the Redis Cluster did not reach cluster_state:ok")

    def command(self, port: int, *args: str) -> bytes:
        """One raw command to the node on ``port``."""
        return command(port, *args)

    def close(self) -> None:
        for proc in self._procs:
            proc.stop()
        self._tmp.cleanup()


def _unique_port(used: set[int]) -> int:
    while True:
        port = free_port()
        if port not in used:
            used.add(port)
            return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m integrations.redis.servers",
        description="Run a throwaway Redis on 127.0.0.1 until Ctrl-C; prints its URL.",
    )
    parser.add_argument("kind", choices=["standalone", "cluster"])
    parser.add_argument("--port", type=int, default=None, help="standalone port (default: free)")
    args = parser.parse_args(argv)
    server: RedisServer | RedisCluster
    server = RedisServer(args.port) if args.kind == "standalone" else RedisCluster()
    signal.signal(signal.SIGTERM, _interrupt)
    with server, contextlib.suppress(KeyboardInterrupt):
        print(server.url, flush=True)
        while True:
            time.sleep(3600)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
