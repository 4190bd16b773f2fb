"""An HTTP proxy in front of the DynamoDB test server that injects faults on the wire.

Faults are queued per operation (the ``X-Amz-Target`` of the request):

* ``throttle``: HTTP 400 ``ThrottlingException``, as DynamoDB answers an overloaded partition;
* ``provisioned``: HTTP 400 ``ProvisionedThroughputExceededException``;
* ``500``: HTTP 500 ``InternalServerError``;
* ``503``: HTTP 503 with a plain-text body, as a load balancer in front of the service answers;
* ``lost-reply``: the request is forwarded and applied, but the answer is replaced by a 500, so
  the client cannot know it succeeded.

Like DynamoDB, the proxy honours ``ClientRequestToken`` on TransactWriteItems (the server
behind it, moto, does not): a request repeating a token that already succeeded is answered with
the first success and not applied again. botocore fills the token in and keeps it across its
retries.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

_ERRORS = {
    "throttle": (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "provisioned": (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    "500": (500, "InternalServerError", "Internal server error"),
}

_RELAYED_HEADERS = ("Content-Type", "x-amzn-RequestId", "x-amz-crc32")


class FaultProxy:
    """Forwards DynamoDB requests to ``upstream``, injecting queued faults (``.url``)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._lock = threading.Lock()
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._always: dict[str, str] = {}
        self._committed: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.log: list[tuple[str, str]] = []
        """(operation, outcome) of every request seen: outcome is a fault name or "ok"."""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                proxy._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def inject(self, operation: str, *faults: str) -> None:
        """Answer the next requests of ``operation`` (e.g. "TransactWriteItems") with faults."""
        with self._lock:
            self._faults[operation].extend(faults)

    def always(self, operation: str, fault: str | None) -> None:
        """Answer every request of ``operation`` with ``fault`` (None: stop)."""
        with self._lock:
            if fault is None:
                self._always.pop(operation, None)
            else:
                self._always[operation] = fault

    def outcomes(self, operation: str) -> list[str]:
        with self._lock:
            return [outcome for op, outcome in self.log if op == operation]

    def _next_fault(self, operation: str) -> str | None:
        with self._lock:
            if operation in self._always:
                return self._always[operation]
            queue = self._faults.get(operation)
            return queue.popleft() if queue else None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        operation = handler.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        token = None
        if operation == "TransactWriteItems":
            token = json.loads(body).get("ClientRequestToken")
            with self._lock:
                replay = self._committed.get(token) if token else None
            if replay is not None:
                self._record(operation, "replayed")
                self._send(handler, *replay)
                return
        fault = self._next_fault(operation)
        self._record(operation, fault or "ok")
        if fault in _ERRORS:
            status, code, message = _ERRORS[fault]
            payload = json.dumps(
                {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
            ).encode()
            self._send(handler, status, [("Content-Type", "application/x-amz-json-1.0")], payload)
            return
        if fault == "503":
            self._send(handler, 503, [("Content-Type", "text/plain")], b"Service Unavailable")
            return
        status, headers, answer = self._forward(handler, body)
        if token and status == 200:
            with self._lock:
                self._committed[token] = (status, headers, answer)
        if fault == "lost-reply":
            status, code, message = _ERRORS["500"]
            payload = json.dumps({"__type": f"#{code}", "message": message}).encode()
            self._send(handler, status, [("Content-Type", "application/x-amz-json-1.0")], payload)
            return
        self._send(handler, status, headers, answer)

    def _record(self, operation: str, outcome: str) -> None:
        with self._lock:
            self.log.append((operation, outcome))

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
            conn.request("POST", handler.path, body, headers)
            response = conn.getresponse()
            answer = response.read()
            relayed = [(k, v) for k in _RELAYED_HEADERS if (v := response.getheader(k))]
            return response.status, relayed, answer
        finally:
            conn.close()

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        handler.send_response(status)
        for key, value in headers:
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
