"""Start a throwaway DynamoDB-compatible server (moto) over HTTP on 127.0.0.1.

moto's ``ThreadedMotoServer`` serves the real DynamoDB wire protocol from memory on a free
loopback port. :class:`DynamoDBServer` runs it in a child process (``python -m
integrations.dynamodb.server``) so the server and its clients do not share one GIL, or in a
thread of this process with ``in_process=True``. Nothing touches AWS; any credentials are
accepted, so use dummy ones (:func:`set_dummy_credentials`) for clients to sign with.

moto's in-memory DynamoDB is not safe for concurrent requests (a TransactWriteItems copies and
restores whole tables), while DynamoDB itself applies every request atomically. The server here
therefore handles one request at a time, which keeps concurrency tests meaningful; and
:mod:`.moto_speedups` makes moto's transactions cost O(items written) rather than O(table).

As a module::

    with DynamoDBServer() as server:     # server.endpoint_url == "http://127.0.0.1:<port>"
        store = DynamoDBStore("t", endpoint_url=server.endpoint_url, region_name="us-east-1")

From a shell (prints the endpoint, serves until Ctrl-C)::

    python -m integrations.dynamodb.server [--port 8000]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self

from ..launcher import Launcher

HOST = "127.0.0.1"

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def set_dummy_credentials(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Dummy AWS credentials and region for a local server (only where none are set)."""
    env = os.environ if environ is None else environ
    for key, value in DUMMY_CREDENTIALS.items():
        env.setdefault(key, value)
    return dict(DUMMY_CREDENTIALS)


class _Serialized:
    """A WSGI app that handles one request at a time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


_START_TIMEOUT = 30.0
_REPO_ROOT = Path(__file__).resolve().parent.parent.parent


class DynamoDBServer(Launcher):
    """moto's ThreadedMotoServer on 127.0.0.1 (``.endpoint_url``), one request at a time.

    By default in a child process (stopped with SIGTERM, then SIGKILL); ``in_process=True``
    runs it in a daemon thread of this process instead.
    """

    def __init__(self, port: int | None = None, *, in_process: bool = False) -> None:
        self.port = port or free_port()
        self.in_process = in_process
        self._server: Any = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Self:
        if self.in_process:
            self._start_thread()
        else:
            self._start_process()
        return self

    def _start_process(self) -> None:
        env = {**os.environ, **DUMMY_CREDENTIALS}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(_REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        self._process = subprocess.Popen(
            [sys.executable, "-m", "integrations.dynamodb.server", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                self._process = None
                raise RuntimeError(f"the moto DynamoDB server exited at start:\n{err}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError(f"the moto DynamoDB server did not listen within {_START_TIMEOUT} s")

    def _start_thread(self) -> None:
        try:
            from moto.moto_server.threaded_moto_server import ThreadedMotoServer
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError as exc:
            raise RuntimeError(
                'moto\'s server is not installed: pip install "moto[server,dynamodb]"'
            ) from exc

        class SerializedMotoServer(ThreadedMotoServer):  # type: ignore[misc]
            def _server_entry(self) -> None:
                app = _Serialized(DomainDispatcherApplication(create_backend_app))
                self._server = make_server(self._ip_address, self._port, app, True)
                self._server_ready_event.set()
                self._server.serve_forever()

        from .moto_speedups import install

        install()
        self._server = SerializedMotoServer(ip_address=HOST, port=self.port, verbose=False)
        self._server.start()

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    args = parser.parse_args(argv)
    with DynamoDBServer(args.port, in_process=True) as server:
        print(server.endpoint_url, flush=True)
        print(
            f"export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
            f"AWS_DEFAULT_REGION={REGION}",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
