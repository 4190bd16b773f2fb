"""Helpers of the Redis backend tests: server command counters, MONITOR, key names."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable

from sessions_plus.backends.redis.keys import escape

S = "session-1"
KEY_CHARS = r"[A-Za-z0-9_.~%-]+"


def stats(server_command: Callable[..., bytes], section: str = "commandstats") -> dict[str, int]:
    """``INFO commandstats`` as {command: calls}."""
    text = server_command("INFO", section).decode()
    calls: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
        if match:
            calls[match.group(1)] = int(match.group(2))
    return calls


class Monitor:
    """Every command clients send to one server, from its MONITOR stream (scripts' inner calls,
    tagged ``lua``, are left out)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def __aenter__(self) -> Monitor:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(b"MONITOR\r\n")
        assert await self.reader.readline() == b"+OK\r\n"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    async def commands(self) -> list[str]:
        """Names of the commands sent since the last call (ends at a marker ECHO we send)."""
        marker = uuid.uuid4().hex
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(f"ECHO {marker}\r\n".encode())
        await reader.readline()
        writer.close()
        names: list[str] = []
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 10)).decode()
            if marker in line:
                return names
            if "lua]" in line:
                continue
            match = re.search(r'\] "([^"]+)"', line)
            if match:
                names.append(match.group(1).upper())


def session_keys(prefix: str, session_id: str, *streams: str) -> list[str]:
    """The keys that hold a session's data: meta, docs and one list per stream (the tokens
    key of its recent writes has an expiry of its own)."""
    base = f"{prefix}:{{{escape(session_id)}}}:"
    return [base + "meta", base + "docs"] + [base + "log:" + escape(stream) for stream in streams]


def tokens_key(prefix: str, session_id: str) -> str:
    return f"{prefix}:{{{escape(session_id)}}}:tok"
