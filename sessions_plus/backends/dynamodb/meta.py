"""The per-session meta item: liveness, version, per-stream generation and count, documents.

Every write to a session replaces the meta item in the same TransactWriteItems, on the condition
that its version is still the one the writer read (optimistic concurrency): so seqs are assigned
atomically and a conflicting writer retries with the fresh state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from ...records import SessionInfo, StreamRange
from .index import expiry_attributes
from .keys import Item, meta_pk, parse_number

TTL_ATTRIBUTE = "expiration_time"
"""The table's TTL attribute (seed schema)."""


@dataclass(frozen=True)
class StreamState:
    """A stream's current generation and the seqs it holds, ``first..last`` (empty when
    ``first == last + 1``; ``last == 0``: never written, or cleared: forgotten)."""

    gen: int
    last: int
    first: int = 1

    @property
    def count(self) -> int:
        return max(0, self.last - self.first + 1)

    def range(self) -> StreamRange:
        return StreamRange(self.first, self.last)


@dataclass(frozen=True)
class DocState:
    """A document's current version: its write id and chunk count. ``detached``: the
    version has no document item, its payload is all in chunk items (written by a restore
    too large for one transaction, before the meta item switched to it)."""

    write_id: str
    chunks: int
    detached: bool = False


@dataclass(frozen=True)
class Meta:
    """One incarnation of a session (a write to an expired session starts a new one)."""

    session_id: str
    incarnation: str
    version: int
    created_at: float
    updated_at: float
    expires_at: float | None
    horizon: float | None
    """Lower bound of ``expiration_time`` on every item of this incarnation (None: none set)."""
    streams: dict[str, StreamState] = field(default_factory=dict)
    docs: dict[str, DocState] = field(default_factory=dict)
    lock: tuple[str, float] | None = None
    """(token, until) while a multi-transaction append or splice is in progress."""
    claim: tuple[str, float] | None = None
    """(token, until): a writer that kept losing races has the next turn (see
    :mod:`.engine`). Set by an UpdateItem, never by a Put: every write's Put drops it."""

    def live(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now

    def locked_by_other(self, token: str | None, now: float) -> bool:
        return self.lock is not None and self.lock[0] != token and self.lock[1] > now

    def claimed_by_other(self, token: str | None, now: float) -> bool:
        return self.claim is not None and self.claim[0] != token and self.claim[1] > now

    def evolve(self, **changes: Any) -> Meta:
        return replace(self, **changes)

    def info(self) -> SessionInfo:
        return SessionInfo(
            session_id=self.session_id,
            created_at=self.created_at,
            updated_at=self.updated_at,
            expires_at=self.expires_at,
            ranges={name: s.range() for name, s in sorted(self.streams.items()) if s.last},
        )

    def to_item(self, ttl: float | None) -> Item:
        item: Item = {
            "pk": {"S": meta_pk(self.session_id)},
            "sk": {"N": "0"},
            "sid": {"S": self.session_id},
            "inc": {"S": self.incarnation},
            "ver": {"N": str(self.version)},
            "ca": {"N": repr(self.created_at)},
            "ua": {"N": repr(self.updated_at)},
            "st": {"M": {name: {"L": _stream_attr(s)} for name, s in self.streams.items()}},
            "dc": {"M": {name: {"L": _doc_attr(d)} for name, d in self.docs.items()}},
        }
        if self.expires_at is not None:
            item["ex"] = {"N": repr(self.expires_at)}
            item.update(expiry_attributes(self.session_id, self.expires_at, ttl))
        if self.horizon is not None:
            item["hz"] = {"N": repr(self.horizon)}
            # The meta item outlives every other item of the session for DynamoDB's sweeper.
            item[TTL_ATTRIBUTE] = {"N": str(math.ceil(self.horizon + (ttl or 0.0)))}
        if self.lock is not None:
            item["lk"] = {"L": [{"S": self.lock[0]}, {"N": repr(self.lock[1])}]}
        return item

    @classmethod
    def from_item(cls, item: Item) -> Meta:
        streams = {
            name: StreamState(*(parse_number(part["N"]) for part in v["L"]))
            for name, v in item.get("st", {}).get("M", {}).items()
        }
        docs = {
            name: DocState(v["L"][0]["S"], parse_number(v["L"][1]["N"]), len(v["L"]) > 2)
            for name, v in item.get("dc", {}).get("M", {}).items()
        }
        claim = None
        if "pc" in item and "pcu" in item:
            claim = (item["pc"]["S"], float(item["pcu"]["N"]))
        lock = None
        if "lk" in item:
            lock = (item["lk"]["L"][0]["S"], float(item["lk"]["L"][1]["N"]))
        return cls(
            session_id=item["sid"]["S"],
            incarnation=item["inc"]["S"],
            version=parse_number(item["ver"]["N"]),
            created_at=float(item["ca"]["N"]),
            updated_at=float(item["ua"]["N"]),
            expires_at=float(item["ex"]["N"]) if "ex" in item else None,
            horizon=float(item["hz"]["N"]) if "hz" in item else None,
            streams=streams,
            docs=docs,
            lock=lock,
            claim=claim,
        )


def _stream_attr(state: StreamState) -> list[Item]:
    """``[gen, last]``, plus ``first`` once it is not 1 (older metas have two entries)."""
    attr = [{"N": str(state.gen)}, {"N": str(state.last)}]
    if state.first != 1:
        attr.append({"N": str(state.first)})
    return attr


def _doc_attr(doc: DocState) -> list[Item]:
    attr: list[Item] = [{"S": doc.write_id}, {"N": str(doc.chunks)}]
    if doc.detached:
        attr.append({"N": "1"})
    return attr
