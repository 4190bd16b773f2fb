"""The Redis backend: one Lua script (one round trip) per operation, standalone or Cluster.

Key layout, for ``key_prefix`` *P* and a session id escaped to *E* with
``urllib.parse.quote(id, safe="")`` (every byte outside ``[A-Za-z0-9_.~-]`` becomes ``%XX``, so
no id can contain ``{``, ``}``, ``:`` or a glob character and no two ids share a key)::

    P:{E}:meta           hash: created, updated (server ms), c:<stream> = record count
    P:{E}:docs           hash: document name -> encoded document
    P:{E}:log:<esc s>    hash: seq -> b"<created ms>\\n<header>\\n<payload>" (stream escaped too)
    P:{E}:req, P:{E}:res list + hash: tokens and results of the last 16-32 writes (retry replay)
    P:index              sorted set of session ids (score 0: id order), standalone and cluster
    P:expiry             sorted set: session id -> expiry ms (standalone only)

Every key of a session shares the hash tag ``{E}``, so the session lives in one Cluster slot and
the same scripts run unchanged on Redis Cluster. Each operation is one ``EVALSHA`` (re-sent as
``EVAL`` after ``NOSCRIPT``, e.g. when the server restarted); timestamps come from the server
clock. With a TTL every write sets the same ``PEXPIRE`` on every key of the session in the same
script (``refresh_on_read`` makes reads do it too), so the whole session expires at once.
Appends, splices and pops carry a random token: a call redis-py re-sends after a lost reply
returns its first result instead of writing twice.

Listing reads the ``P:index`` set, never ``SCAN``. On standalone Redis the scripts keep it in
the same round trip. On a cluster the index lives in its own slot: the first write of a session
adds it with a second command (``ZADD``), and listing fetches each listed session's metadata
with one command per session (sent concurrently); entries of deleted or expired sessions are
dropped lazily by listing and by ``purge_expired`` (which walks the whole index on a cluster).

Modules: :mod:`.store` (the store), :mod:`.scripts` (the ``lua/`` loader), :mod:`.framing`
(stored records and script replies), :mod:`.clients` (per-loop clients and outages),
:mod:`.urls` (store URLs), :mod:`.keys` (key names), :mod:`.tokens` (write tokens),
:mod:`.driver` (the redis-py names used).
"""

from .store import RedisStore

__all__ = ["RedisStore"]
