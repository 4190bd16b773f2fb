"""The Redis backend: one round trip per operation, on standalone Redis or Redis Cluster.

Key layout, for ``key_prefix`` *P* and a session id escaped to *E* with
``urllib.parse.quote(id, safe="")`` (every byte outside ``[A-Za-z0-9_.~-]`` becomes ``%XX``, so
no id can contain ``{``, ``}``, ``:`` or a glob character and no two ids share a key)::

    P:{E}:meta          hash: created, updated (server ms); n = number of streams;
                        l:<stream> = its last seq; f:<stream> = its first seq (absent: 1);
                        x = the score last written to P:expiry (present iff keys have a TTL);
                        d = 1 once the session had a document; w, e = the count of
                        token-carrying writes and when P:{E}:tok expires
    P:{E}:docs          hash: document name -> encoded document
    P:{E}:log:<esc s>   list: the records first..last of stream s, each
                        b"<seq> <created ms> <header>\\n<payload>" (header: "" or JSON
                        [format, author])
    P:{E}:tok           hash: token -> result of the session's last 16-32 appends, splices
                        and pops (retry replay); its own expiry, minutes after the last write
    P:{E}:wait          string "1" living 1 ms: the marker a durability="replicated" write
                        sets before its WAIT (see :mod:`.replication`)
    P:index             sorted set: every session id, raw (score 0: code point order)
    P:expiry            sorted set: session id -> a time (ms) at or before which it expires

Every key of a session shares the hash tag ``{E}``, so the session lives in one Cluster slot and
the same operations run unchanged on Redis Cluster. A stream that was trimmed to nothing keeps its
``l:`` (no seq is handed out twice); a stream whose last seq drops to 0 (``clear``, a pop or
splice back to the start) is forgotten.

Operations. Every write is one Lua operation (``lua/``): on standalone Redis an ``FCALL`` of the
store's function library (loaded on first use; helpers defined once), on a cluster and where
functions are not available or allowed an ``EVALSHA`` of the same operation built as a script
(``EVAL`` after ``NOSCRIPT``); see :mod:`.scripts`. Every operation declares every key it
touches in ``KEYS`` (meta, docs, tokens, the log key of every stream of the session, and on
standalone Redis the index sets): ACL key patterns and stricter Redis-compatible servers check
declared keys. The client declares the streams it saw in the session; the operation checks them
against ``n`` and, when another process added a stream, answers with the session's streams
without writing, and the call is sent again. The latest-N read is one native ``LRANGE`` of the
list (the seqs follow from the first record's), document reads one ``HGET``/``HKEYS``; reads
that must slide the TTL (``refresh_on_read``) and ranged reads run a script. Timestamps come
from the server's clock, so ``delete(updated_before=)`` compares the caller's cutoff with the
server's time of the last write (clock skew between them moves the cutoff). With a TTL every
write sets the same ``PEXPIRE`` on every key of the session in the same operation, so the whole
session expires at once. Appends, splices and pops carry a token, claimed with one ``HSETNX``
before anything is written: a call redis-py re-sends after a lost reply returns its first result
instead of writing twice.

Listing and purge. Listing reads ``P:index`` (``ZRANGEBYLEX`` between a prefix and its
successor: O(log n + page), never ``SCAN``), then the listed sessions' metadata (standalone: one
script declaring their meta keys; cluster: one command per session, sent together), two round
trips (the standalone metadata comes back as one JSON text, which is far cheaper for the client
to parse than nested replies). Redis expires keys by itself; index entries of gone sessions are
dropped when a listing meets them, and ``purge_expired`` walks ``P:expiry`` in batches
(O(expired)), re-scoring live sessions whose score went stale, paced so that it takes at most
about a third of its event loop and of the server, and returns how many index entries of expired
sessions it dropped. On standalone Redis writes keep both sets in their script; on a cluster
(other slots) the client sends ``ZADD``/``ZREM`` after the session's script (the first write of
a session, a TTL change, a delete): a client that crashes between the two leaves a session
unlisted (its data intact, every other operation unaffected), and one that crashes after a
delete leaves an index entry that listing and purge drop.

Copies. ``snapshot`` and ``restore`` are one script each; ``fork`` is one script on standalone
Redis and, on a cluster, a snapshot of the source followed by the target's index entry and one
atomic restore (see :mod:`.copies` for what that guarantees).

The previous layout (hash logs ``seq -> record``, meta ``c:<stream>`` counts, ``req``/``res``
token keys) is read as it is; the first write to such a session migrates it in place (one
script, TTL kept), and :meth:`RedisStore.migrate_layout` migrates all of them at once (see
:mod:`.migration`).

Modules: :mod:`.store` (the store), :mod:`.calls` (per-session script calls and declared
streams), :mod:`.index` (listing, purge), :mod:`.copies` (snapshot, restore, fork),
:mod:`.migration` (the previous layout), :mod:`.scripts` (function library and EVAL scripts),
:mod:`.framing` (stored records and replies), :mod:`.clients` (per-loop clients, outages,
the bounded wait for a pooled connection), :mod:`.replication` (``durability="replicated"``),
:mod:`.sentinel` (``redis+sentinel://``), :mod:`.urls` (store URLs), :mod:`.keys` (key
names), :mod:`.tokens` (write tokens), :mod:`.driver` (the redis-py names used).
"""

from .store import RedisStore

__all__ = ["RedisStore"]
