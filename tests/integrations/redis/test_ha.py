"""The replicated-Redis launchers' command line: prints a URL that works, stops everything."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from urllib.parse import urlsplit

import pytest

from sessions_plus import open_store
from tests.fixtures.processes import REPO_ROOT, child_env


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("kind", ["sentinel", "cluster"])
async def test_the_command_line_prints_a_working_url_and_stops_every_process(kind: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "integrations.redis.ha", kind,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=child_env(), cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 120)).decode().strip()
        assert url.startswith(f"redis+{kind}://127.0.0.1:"), url
        async with open_store(url, key_prefix="cli") as store:
            assert await store.append("s", ["hello"]) == [1]
            assert [r.data for r in await store.read("s")] == ["hello"]
        first = int(urlsplit(url).netloc.split(",")[0].rpartition(":")[2])
        assert port_open(first)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
    assert process.returncode == 0
    assert not port_open(first), "a server outlived the launcher"
