"""DynamoDB key layout: partition keys from session ids and names, numeric sort keys from seqs.

Single table, partition key ``pk`` (String), sort key ``sk`` (Number):

* ``M#<sid>``, sk 0: the session's meta item (the authority on liveness, counts and versions).
* ``L#<sid>#<stream>``, sk ``gen * SPAN + seq``: one item per record; seq 0 is a generation's
  marker (written by ``clear``) or a deletion tombstone.
* ``D#<sid>#<name>``, sk 0: one item per document.
* ``B#<sid>#<write id>``, sk ``0..n-1``: the chunks of a record or document too large for one item.

Each part is escaped (``%`` -> ``%25``, ``#`` -> ``%23``) so ``#`` only ever separates parts: no
two (session, name) pairs share a key and no id reaches another session's items. A key longer
than DynamoDB's 2,048-byte partition key limit is replaced by ``<kind>!<sha256>`` instead, which
cannot collide with the readable form (``!`` never follows the kind letter there).
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from decimal import Decimal
from typing import Any

Item = dict[str, Any]
"""A DynamoDB item (or key) in the low-level wire format (``{"attr": {"S": "..."}}``)."""

SPAN = 10**12
"""Sort keys of one stream generation: ``gen * SPAN + seq`` (seq < SPAN)."""

MAX_PK_BYTES = 2048
"""DynamoDB's partition key size limit."""

META = "M"
LOG = "L"
DOC = "D"
BLOB = "B"


def escape(part: str) -> str:
    """Make ``part`` free of ``#`` (the separator), reversibly."""
    return part.replace("%", "%25").replace("#", "%23")


def partition(kind: str, *parts: str) -> str:
    """The partition key of ``kind`` (one letter) for the given parts."""
    readable = "#".join([kind, *(escape(part) for part in parts)])
    if len(readable.encode()) <= MAX_PK_BYTES:
        return readable
    return f"{kind}!{hashlib.sha256(readable.encode()).hexdigest()}"


def meta_pk(session_id: str) -> str:
    return partition(META, session_id)


def key(pk: str, sk: int = 0) -> Item:
    """The primary key of one item."""
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def meta_key(session_id: str) -> Item:
    return key(meta_pk(session_id))


def log_pk(session_id: str, stream: str) -> str:
    return partition(LOG, session_id, stream)


def doc_pk(session_id: str, name: str) -> str:
    return partition(DOC, session_id, name)


def blob_pk(session_id: str, write_id: str) -> str:
    return partition(BLOB, session_id, write_id)


def sort_key(gen: int, seq: int) -> int:
    return gen * SPAN + seq


def split_sort_key(sk: int) -> tuple[int, int]:
    """``(gen, seq)`` of a record's sort key."""
    return divmod(sk, SPAN)


def parse_number(text: str) -> int:
    """A DynamoDB Number attribute (e.g. ``"1.7E+27"``) as an exact int."""
    return int(Decimal(text))


def new_gen(previous: int | None = None) -> int:
    """A fresh stream generation: time-ordered, random-tailed, above ``previous``.

    Correctness needs only uniqueness within a partition; time order keeps the newest
    generation at the top of the partition so latest-N stays one Query.
    """
    gen = int(time.time() * 1000) * 1000 + random.randrange(1000)
    if previous is not None and gen <= previous:
        gen = previous + 1
    return gen


def new_token() -> str:
    """A random id for incarnations, writes (blob keys) and locks."""
    return secrets.token_hex(8)
