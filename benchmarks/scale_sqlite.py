"""The SQLite parts of ``benchmarks.scale``: opening a fresh file, seeding fast, bytes on disk.

Seeding writes through the store's own write path (its session-row and record-insert code, in
transactions of 1,000 sessions) rather than one append per session, so that 150,000 sessions
take seconds, with exactly the rows an append would write.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sessions_plus import ConversationStore
from sessions_plus.backends.sqlite import SQLiteStore

from .env import Env
from .payloads import turn
from .scale import Scale, ScaleBackend

_SEED_BATCH = 1_000
FORMAT = "openai.responses"


def open_store(env: Env, label: str, options: dict[str, Any]) -> ConversationStore:
    return SQLiteStore(env.tmpdir / f"scale-{label}.db", **options)


async def seed(store: ConversationStore, ids: Sequence[str], items: list[Any]) -> None:
    assert isinstance(store, SQLiteStore)
    payloads = [store.codec.encode(item) for item in items]

    def batch(chunk: Sequence[str]) -> Any:
        def op(conn: sqlite3.Connection, now: float) -> None:
            for sid in chunk:
                key = store._rows.save(conn, sid, None, {"main": [1, len(payloads)]}, now)
                store._insert(conn, key, "main", 1, payloads, now, FORMAT, None)

        return lambda: store._db.write(op)

    for start in range(0, len(ids), _SEED_BATCH):
        await store._db.call(batch(ids[start : start + _SEED_BATCH]))


def _size(path: Path) -> int:
    """The database's bytes on disk: the file plus its WAL, if any."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _vacuumed(path: Path) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    return _size(path)


async def storage(env: Env, scale: Scale) -> dict[str, Any]:
    """Bytes per message: our drop-in ``SQLiteSession`` vs ``agents.SQLiteSession``, the same
    4-item turns added the same way, over ``bytes_sessions`` sessions; as written, and after
    ``VACUUM`` (no free pages)."""
    import agents

    from sessions_plus.openai_agents import SQLiteSession

    results: dict[str, Any] = {"messages": scale.bytes_messages, "sessions": scale.bytes_sessions}
    for variant, big in (("chat turns", False), ("2 KB tool outputs", True)):
        sizes: dict[str, dict[str, float]] = {}
        for name, cls in (("sessions_plus", SQLiteSession), ("agents", agents.SQLiteSession)):
            path = env.tmpdir / f"bytes-{name}-{big}.db"
            sessions = [cls(f"session-{n:04d}", path) for n in range(scale.bytes_sessions)]
            per_session = scale.bytes_messages // scale.bytes_sessions
            for n in range(per_session // 4):
                for session in sessions:
                    await session.add_items(_turn(n, big))  # type: ignore[attr-defined]
            for session in sessions:
                session.close()  # type: ignore[attr-defined]
            written = _size(path)
            vacuumed = _vacuumed(path)
            count = per_session // 4 * 4 * scale.bytes_sessions
            sizes[name] = {
                "bytes": written,
                "bytes_per_message": round(written / count, 1),
                "vacuumed_bytes_per_message": round(vacuumed / count, 1),
            }
            os.unlink(path)
        results[variant] = {
            **sizes,
            "ratio": round(
                sizes["sessions_plus"]["bytes_per_message"] / sizes["agents"]["bytes_per_message"],
                3,
            ),
            "vacuumed_ratio": round(
                sizes["sessions_plus"]["vacuumed_bytes_per_message"]
                / sizes["agents"]["vacuumed_bytes_per_message"],
                3,
            ),
        }
    return results


def _turn(n: int, big: bool) -> list[Any]:
    items = turn(n)
    if big:
        items[2] = {**items[2], "output": '{"rows": "' + "x" * 2000 + '"}'}
    return items


BACKEND = ScaleBackend(open=open_store, seed=seed, storage=storage)
