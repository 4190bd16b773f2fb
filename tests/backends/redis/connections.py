"""Server-side connection counts, for the tests that check aclose() leaves nothing open."""

from __future__ import annotations

from integrations.redis.servers import command


def named(port: int, name: str) -> int:
    """Connections called ``name`` (``client_name``) the server on ``port`` has right now.

    Counting by name ignores the connections Sentinels and replicas open and close by
    themselves, so the count is exactly the store's.
    """
    lines = command(port, "CLIENT", "LIST").decode().splitlines()
    return sum(f" name={name} " in line for line in lines)
