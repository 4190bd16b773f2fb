# ruff: noqa: S608  (table names come from a validated identifier; values are always bound)
"""Every SQL statement of one SQLite store, formatted once from its table names.

Formatting them once (not per call) lets ``sqlite3``'s statement cache reuse the prepared
statements. Values are always bound parameters; only the validated table names are formatted in.
"""

from __future__ import annotations

from .schema import Tables

MAX_SEQ = 2**63 - 1
"""The largest seq SQLite's INTEGER holds: the open upper bound of a read range."""

LIVE = "(expires_at IS NULL OR expires_at > ?)"
"""A session row that has not expired; binds ``now``."""


def prefix_end(prefix: str) -> str | None:
    """The least string after every string that starts with ``prefix`` (None: there is none,
    for ``""`` or a prefix of only U+10FFFF), so that ids starting with ``prefix`` are exactly
    ``prefix <= id < prefix_end(prefix)``.

    SQLite compares TEXT as UTF-8 bytes (the BINARY collation), which is code point order, the
    order ``str`` comparison uses too. The next code point after U+D7FF is U+E000: surrogates
    are not text.
    """
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    following = ord(stem[-1]) + 1
    if following == 0xD800:
        following = 0xE000
    return stem[:-1] + chr(following)


class Statements:
    """The statements of the store whose tables are ``t``."""

    def __init__(self, t: Tables) -> None:
        # The live session's key; binds (session_id, now). Reads use it so that each read is
        # one statement, hence one consistent snapshot, without an explicit transaction.
        live = f"(SELECT sid FROM {t.sessions} WHERE session_id = ? AND {LIVE})"
        columns = "seq, payload, created_at, format, author"  # RawRecord's field order
        where = f"sid = {live} AND stream = ? AND seq > ? AND seq < ?"
        self.read_asc = f"SELECT {columns} FROM {t.records} WHERE {where} ORDER BY seq LIMIT ?"
        self.read_desc = (
            f"SELECT {columns} FROM {t.records} WHERE {where} ORDER BY seq DESC LIMIT ?"
        )
        # Only what read_data needs: fewer columns to fetch and no header objects per row.
        pairs = "seq, payload"
        self.pairs_asc = f"SELECT {pairs} FROM {t.records} WHERE {where} ORDER BY seq LIMIT ?"
        self.pairs_desc = f"SELECT {pairs} FROM {t.records} WHERE {where} ORDER BY seq DESC LIMIT ?"
        self.info = (
            f"SELECT created_at, updated_at, expires_at, streams FROM {t.sessions}"
            f" WHERE session_id = ? AND {LIVE}"
        )
        # A page of live sessions is one range of the session_id index: from the prefix (or
        # after the cursor) up to the first id past the prefix. Keyed (after_cursor, bounded).
        listed = f"SELECT session_id, created_at, updated_at, expires_at, streams FROM {t.sessions}"
        self.list_sessions = {
            (after, bounded): (
                f"{listed} WHERE session_id {'>' if after else '>='} ?"
                f"{' AND session_id < ?' if bounded else ''} AND {LIVE}"
                " ORDER BY session_id LIMIT ?"
            )
            for after in (False, True)
            for bounded in (False, True)
        }
        self.get_doc = f"SELECT payload FROM {t.docs} WHERE sid = {live} AND name = ?"
        self.doc_names = f"SELECT name FROM {t.docs} WHERE sid = {live} AND name >= ? ORDER BY name"

        self.session_row = f"SELECT sid, expires_at, streams FROM {t.sessions} WHERE session_id = ?"
        self.session_times = (
            f"SELECT sid, expires_at, updated_at FROM {t.sessions} WHERE session_id = ?"
        )
        self.insert_session = (
            f"INSERT INTO {t.sessions} (session_id, created_at, updated_at, expires_at, streams)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        self.update_session = (
            f"UPDATE {t.sessions} SET updated_at = ?, expires_at = ?, streams = ? WHERE sid = ?"
        )
        self.refresh = f"UPDATE {t.sessions} SET expires_at = ? WHERE sid = ?"
        self.insert_record = (
            f"INSERT INTO {t.records} (sid, stream, seq, created_at, format, author, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self.pop_record = (
            f"DELETE FROM {t.records} WHERE sid = ? AND stream = ? AND seq = ? RETURNING {columns}"
        )
        self.replace_record = (
            f"UPDATE {t.records} SET payload = ? WHERE sid = ? AND stream = ? AND seq = ?"
        )
        self.truncate = f"DELETE FROM {t.records} WHERE sid = ? AND stream = ? AND seq >= ?"
        self.drop_oldest = f"DELETE FROM {t.records} WHERE sid = ? AND stream = ? AND seq < ?"
        self.clear_stream = f"DELETE FROM {t.records} WHERE sid = ? AND stream = ?"
        self.doc_exists = f"SELECT 1 FROM {t.docs} WHERE sid = ? AND name = ?"
        self.put_doc = (
            f"INSERT INTO {t.docs} (sid, name, payload) VALUES (?, ?, ?)"
            " ON CONFLICT (sid, name) DO UPDATE SET payload = excluded.payload"
        )
        self.delete_doc = f"DELETE FROM {t.docs} WHERE sid = ? AND name = ?"
        self.drop_session = [
            f"DELETE FROM {t.records} WHERE sid = ?",
            f"DELETE FROM {t.docs} WHERE sid = ?",
            f"DELETE FROM {t.sessions} WHERE sid = ?",
        ]
        # purge_expired: a batch of expired sessions at a time, found through the expiry index.
        self.expired_batch = f"SELECT sid FROM {t.sessions} WHERE expires_at <= ? LIMIT ?"

        # Whole sessions: a fork copies inside the file, a snapshot reads in key order.
        self.copy_records = (
            f"INSERT INTO {t.records} (sid, stream, seq, created_at, format, author, payload)"
            f" SELECT ?, stream, seq, created_at, format, author, payload FROM {t.records}"
            " WHERE sid = ? AND stream = ? AND seq <= ?"
        )
        self.copy_docs = (
            f"INSERT INTO {t.docs} (sid, name, payload)"
            f" SELECT ?, name, payload FROM {t.docs} WHERE sid = ?"
        )
        self.snapshot_session = (
            f"SELECT sid, created_at, updated_at, streams FROM {t.sessions}"
            f" WHERE session_id = ? AND {LIVE}"
        )
        self.snapshot_records = (
            f"SELECT stream, seq, payload, created_at, format, author FROM {t.records}"
            " WHERE sid = ? ORDER BY stream, seq"
        )
        self.snapshot_docs = f"SELECT name, payload FROM {t.docs} WHERE sid = ?"
