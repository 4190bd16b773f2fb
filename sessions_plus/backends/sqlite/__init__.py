"""The SQLite backend: many sessions in one file, safe for many threads and processes.

Storage layout (schema version 3; every table name starts with the store's ``table_prefix``):

* ``<prefix>_sessions``: one row per session. ``sid`` (an integer key, so record keys never
  repeat long ids; a session written again after it expired gets a new one), ``session_id``
  (unique: listing and prefix listing are ranges of its index), ``created_at``, ``updated_at``,
  ``expires_at`` (NULL without a TTL; a partial index on it finds expired sessions for
  ``purge_expired``) and ``streams``, the JSON ``{stream: [first, last]}`` of the seqs each
  stream holds. Keeping the ranges in the session row means an append changes that one row plus
  its records.
* ``<prefix>_records``: a rowid table (rows are written in append order, so pages fill up and
  records of up to ~4 KB stay inside them) of ``sid``, ``stream``, ``seq``, ``created_at``,
  ``format``, ``author`` and the encoded ``payload``, with a unique index on ``(sid, stream,
  seq)``: a latest-N read, a trim and a fork's copy are each one range of that index.
* ``<prefix>_docs``: ``(sid, name)`` -> ``payload``.
* ``<prefix>_meta``: the schema version, migrated step by step on the first write connection
  (:mod:`.schema`).

Modules: :mod:`.schema` (tables and migrations), :mod:`.statements` (every SQL statement),
:mod:`.connections` (connections, transactions, read-only opening), :mod:`.pool` (the threads),
:mod:`.rows` (the session row), :mod:`.copies` (fork, snapshot, restore), :mod:`.urls` and
:mod:`.store` (:class:`SQLiteStore`, the backend operations).
"""

from .store import SQLiteStore

__all__ = ["SQLiteStore"]
