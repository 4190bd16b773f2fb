"""The DynamoDB backend: one table, gap-free seqs under concurrency, TTL that reads respect.

Storage layout (one table, partition key ``pk`` String, sort key ``sk`` Number; see
:mod:`.keys`): per session a meta item ``M#<sid>``, one partition ``L#<sid>#<stream>`` per
stream with one item per record, one item ``D#<sid>#<name>`` per document, and chunk items
``B#<sid>#<write id>`` for payloads over 400 KB; two sparse keys-only indexes over the meta
items (:mod:`.index`: by id for prefix listing, by expiry for purge). Every write is one
conditional TransactWriteItems on the meta item (:mod:`.engine`).

What is atomic: every operation that fits one transaction (100 items, about 4 MB) is one,
including ``trim`` and ``max_records`` (the records dropped leave the range in the same step
and are deleted after it) and ``fork``/``restore`` of sessions of up to about 98 records and
documents. A larger restore or fork is written ahead and switched by the meta item, so readers
still see all or nothing (:mod:`.copies`). An append or splice too large for one transaction
runs in several under the session's lease: the seqs stay consecutive and no other writer
interleaves, but a reader may see it land batch by batch (:mod:`.large`).

Modules, one concept each: :mod:`.keys` (key layout), :mod:`.items` (payloads <-> attributes),
:mod:`.meta` (the meta item), :mod:`.client` (aiobotocore calls, botocore errors -> typed
errors), :mod:`.table` (create / check the table), :mod:`.engine` (conditional transactions,
conflict retries), :mod:`.logs` (log writes in one transaction), :mod:`.large` (writes over
one transaction, under a lease), :mod:`.reads` (reads), :mod:`.chunks` (chunk items),
:mod:`.docs` (documents), :mod:`.incarnations` (incarnations, horizon, expiry),
:mod:`.sessions` (delete, info, listing, purge), :mod:`.index` (the indexes),
:mod:`.copies` (snapshot, restore, fork), :mod:`.url` (``dynamodb://`` URLs),
:mod:`.store` (:class:`DynamoDBStore`).

Glossary (item attributes in brackets):

* **meta item** (``M#<sid>``, sk 0): the authority on a session: ``sid``, incarnation ``inc``,
  version ``ver``, created/updated ``ca``/``ua``, expiry ``ex``, horizon ``hz``, per-stream
  state ``st`` (generation, last and first seq), per-document state ``dc`` (write id, chunk
  count, detached), the lease ``lk`` and the index keys ``xp``/``xk``. Every write replaces
  it on the condition that ``ver`` and ``inc`` are unchanged.
* **version** (``ver``): bumped by every write; the optimistic-concurrency check.
* **incarnation** (``inc``): a random token for one life of a session, from its first write to
  its deletion or expiry; a write to an expired session starts a new one, so nothing of the old
  life reappears (its items are deleted afterwards: a *superseded* incarnation).
* **generation** (*gen*): the high part of a record's sort key, ``sk = gen * 10**12 + seq``.
  ``clear`` (and a new incarnation) moves a stream to a new, higher generation, so the old
  records drop out of every read at once and are deleted later.
* **first** (``fs`` on records): the stream's first seq when the record was written (absent:
  1). A trim moves the meta item's first seq and sets ``fs`` on the top record in the same
  transaction, so a latest-N read from the top knows where the stream starts.
* **marker** (``m``): a record item without a payload: at seq 0 of a generation written by
  ``clear``, or at the last seq of a stream trimmed (or popped) to nothing; on top of the
  partition it says "empty".
* **tombstone** (``inc`` = ``-``, ``x`` = 0): put on top of every stream by a delete, so a
  read that skips the meta item cannot return a deleted session's records.
* **expiry** (``ex`` on the meta, ``x`` on records): when the session expires; a record's ``x``
  is the session's expiry when it was written, so a latest-N read can prove the session live
  from the top record alone.
* **horizon** (``hz``; ``expiration_time`` on every item): a lower bound of the session's
  expiry kept up to two TTLs ahead, moved for the whole session at once, so DynamoDB's TTL
  sweeper never removes part of a live session.
* **write id** (``w``): a random id per record or document version; it names the version's
  chunk items and tells a reader whether a document item is the current one.
* **chunk** (``B#<sid>#<write id>``, sk 0..n-1; ``bn`` on the owner): a part of a payload too
  large for one item even compressed (``z``: zlib); payloads ``p`` are JSON text when they can.
* **lease** (``lk``): a token and an expiry in the meta item held by a write that needs several
  transactions; other writers wait for it or take it over once it ran out.
* **pending** (``pd``): a record written ahead of the transaction that makes it part of the
  session (a large restore); a read that finds it on top asks the meta item.
* **detached document**: a document version whose payload is only in chunk items (a large
  restore writes documents so, ahead of its commit).
* **expiry bucket** (``xp``/``xk``): the by-expiry index keys, a shard and a lower bound of
  ``ex`` rounded down to the bucket width, so the index entry moves rarely.
"""

from .errors import DynamoDBRequestError
from .store import DynamoDBStore

__all__ = ["DynamoDBRequestError", "DynamoDBStore"]
