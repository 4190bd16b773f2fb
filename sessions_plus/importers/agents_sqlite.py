# ruff: noqa: S608  (table names are checked against _IDENTIFIER; values are always bound)
"""Import ``agents.SQLiteSession`` / ``AsyncSQLiteSession`` / ``AdvancedSQLiteSession`` files.

Layout (``agents/memory/sqlite_session.py``): a sessions table (``session_id``, ``created_at``,
``updated_at``) and a messages table (``id`` autoincrement, ``session_id``, ``message_data``
JSON text, ``created_at``); ``AsyncSQLiteSession`` writes the same tables. An
``AdvancedSQLiteSession`` file adds ``message_structure`` (which message belongs to which
branch, in which order) and ``turn_usage``. The file is opened read-only (``mode=ro``): an import
never changes its source.

Each session becomes stream ``main`` of ``openai.responses`` records (what
``sessions_plus.openai_agents.StoreSession`` reads), in ``id`` order, or in the ``main``
branch's order when the file has branches; every other branch becomes a stream
``branch:<name>``, and usage rows the document ``agents.turn_usage``.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .base import (
    ImportSource,
    ImportSourceError,
    SourceRecord,
    SourceSession,
    SourceStream,
    parse_sql_time,
)

OPENAI_FORMAT = "openai.responses"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class AgentsSQLiteSource(ImportSource):
    """The OpenAI Agents SDK's SQLite session file at ``path`` (opened read-only)."""

    kind = "agents-sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        sessions_table: str = "agent_sessions",
        messages_table: str = "agent_messages",
    ) -> None:
        for name in (sessions_table, messages_table):
            if not _IDENTIFIER.match(name):
                raise ImportSourceError(f"not a table name: {name!r}")
        self.path = Path(path)
        self.sessions_table = sessions_table
        self.messages_table = messages_table
        if not self.path.is_file():
            raise ImportSourceError(f"no SQLite file at {self.path}")

    def _connect(self) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True)
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        missing = {self.sessions_table, self.messages_table} - tables
        if missing:
            conn.close()
            raise ImportSourceError(
                f"{self.path} has no table {', '.join(sorted(missing))}: not an agents "
                "SQLiteSession file (custom names: ?sessions_table=...&messages_table=...)"
            )
        return conn

    async def session_ids(self) -> AsyncIterator[str]:
        for session_id in await asyncio.to_thread(self._ids):
            yield session_id

    def _ids(self) -> list[str]:
        conn = self._connect()
        try:
            rows = conn.execute(
                f"SELECT session_id FROM {self.sessions_table} UNION "
                f"SELECT DISTINCT session_id FROM {self.messages_table} ORDER BY 1"
            ).fetchall()
        finally:
            conn.close()
        return [str(row[0]) for row in rows]

    async def read(self, session_id: str) -> SourceSession | None:
        return await asyncio.to_thread(self._read, session_id)

    def _read(self, session_id: str) -> SourceSession | None:
        conn = self._connect()
        try:
            return self._session(conn, session_id)
        finally:
            conn.close()

    def _session(self, conn: sqlite3.Connection, session_id: str) -> SourceSession | None:
        now = time.time()
        meta = conn.execute(
            f"SELECT created_at, updated_at FROM {self.sessions_table} WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        rows = conn.execute(
            f"SELECT id, message_data, created_at FROM {self.messages_table} "
            "WHERE session_id = ? ORDER BY id",
            (session_id,),
        ).fetchall()
        if meta is None and not rows:
            return None
        created = parse_sql_time(meta[0] if meta else None, now)
        session = SourceSession(
            session_id=session_id,
            created_at=created,
            updated_at=parse_sql_time(meta[1] if meta else None, created),
        )
        messages: dict[int, SourceRecord] = {}
        for message_id, raw, at in rows:
            try:
                data = json.loads(raw)
            except (TypeError, ValueError):
                session.notes.append(f"message id {message_id} is not JSON: not imported")
                continue
            messages[int(message_id)] = SourceRecord(
                data, parse_sql_time(at, created), format=OPENAI_FORMAT
            )
        branches = _branches(conn, session_id)
        if not branches:
            if messages:
                session.streams["main"] = SourceStream(list(messages.values()))
        else:
            used: set[int] = set()
            for branch, ids in sorted(branches.items(), key=lambda kv: (kv[0] != "main", kv[0])):
                stream = "main" if branch == "main" else f"branch:{branch}"
                records = [messages[i] for i in ids if i in messages]
                used.update(ids)
                if records:
                    session.streams[stream] = SourceStream(records)
                if branch != "main":
                    session.notes.append(
                        f"AdvancedSQLiteSession branch {branch!r} imported as stream "
                        f"{stream!r} (StoreSession reads stream 'main')"
                    )
            orphans = sorted(set(messages) - used)
            if orphans:
                session.notes.append(
                    f"{len(orphans)} message(s) in no branch (ids {orphans[:5]}...): not imported"
                )
            if "main" not in branches and branches:
                session.notes.append("the file has no 'main' branch: stream 'main' is empty")
            usage = _usage(conn, session_id)
            if usage:
                session.docs["agents.turn_usage"] = usage
        return session


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def _branches(conn: sqlite3.Connection, session_id: str) -> dict[str, list[int]]:
    if not _has_table(conn, "message_structure"):
        return {}
    branches: dict[str, list[int]] = {}
    for message_id, branch in conn.execute(
        "SELECT message_id, branch_id FROM message_structure WHERE session_id = ? "
        "ORDER BY branch_id, sequence_number, id",
        (session_id,),
    ):
        branches.setdefault(str(branch), []).append(int(message_id))
    return branches


def _usage(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    if not _has_table(conn, "turn_usage"):
        return []
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT * FROM turn_usage WHERE session_id = ? ORDER BY branch_id, user_turn_number",
            (session_id,),
        ).fetchall()
    finally:
        conn.row_factory = None
    usage: list[dict[str, Any]] = []
    for row in rows:
        entry = {key: row[key] for key in row.keys() if key not in ("id", "session_id")}  # noqa: SIM118
        for key in ("input_tokens_details", "output_tokens_details"):
            if isinstance(entry.get(key), str):
                entry[key] = _json_or_text(entry[key])
        usage.append(entry)
    return usage


def _json_or_text(text: str) -> Any:
    """A JSON column's value; text that is not JSON is kept as the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text
