"""Writes ``schema_v2.sqlite``: a file made by sessions-plus at schema version 2 (before per-stream
first seqs), for the migration tests. Run it with that release's package first on the path:

    git archive 39179e6 sessions_plus | tar -x -C /tmp/v2
    cd tests/backends/sqlite/data && PYTHONPATH=/tmp/v2 python make_schema_v2.py schema_v2.sqlite
"""

import asyncio
import sys

from sessions_plus import SQLiteStore
from sessions_plus.backends.sqlite.schema import SCHEMA_VERSION


async def main(path: str) -> None:
    assert SCHEMA_VERSION == 2, SCHEMA_VERSION
    async with SQLiteStore(path) as store:
        await store.append("chat", [{"role": "user", "content": "hi"}], format="openai.responses")
        await store.append("chat", [{"role": "assistant", "content": "hello"}], author="bot")
        await store.append("chat", [{"step": 1}, {"step": 2}], stream="trace")
        await store.put_doc("chat", "state", {"k": [1, 2]})
        await store.append("popped", ["gone"])
        await store.pop("popped")  # a session whose only stream was emptied
        await store.append("user:1:a", ["a"])
        await store.append("user:1:b", ["b1", "b2", "b3"])
    async with SQLiteStore(path, ttl=20 * 365 * 86400) as expiring:  # live for 20 years
        await expiring.append("expiring", ["e"])


asyncio.run(main(sys.argv[1]))
