"""Moving sessions of the previous layout (hash logs, ``c:`` counts) to the current one.

The previous layout kept each stream in a hash ``seq -> "<ms>\\n<header>\\n<payload>"`` with the
record count in meta field ``c:<stream>``, and the retry tokens in ``req``/``res`` keys.
Nothing has to be done by hand: every read reads both layouts (the fast ``LRANGE`` meets a
hash and falls back to the read script, which reads it), and the first write to an old
session rewrites it in place in the same call (``lua/migrate.lua``: atomic, TTL, times and
headers kept). :func:`migrate_all` rewrites every old session at once. A read-only store
never migrates anything. Processes running the previous version must be stopped before the
new one writes: the old scripts do not know the new layout.
"""

from __future__ import annotations

from .calls import Calls
from .clients import Clients
from .framing import as_bytes, as_str
from .keys import Keys

_BATCH = 500


async def migrate_all(clients: Clients, calls: Calls, keys: Keys) -> int:
    """Walk the index and migrate every session of the previous layout; return how many."""
    conn = await clients.conn()
    migrated = 0
    start = b"-"
    while True:
        ids = await clients.command(
            conn, "ZRANGEBYLEX", keys.index, start, b"+", "LIMIT", 0, _BATCH
        )
        if not ids:
            return migrated
        for session_id in map(as_str, ids):
            if await calls.migrate(conn, session_id, calls.declared(session_id, None)):
                migrated += 1
        start = b"(" + as_bytes(ids[-1])
