"""Whole-session copies: a consistent snapshot, restore (one transaction, or written ahead
under a new incarnation that the meta item switches to last), and fork.

**Snapshot** reads the meta item, every stream's records and every document, then the meta
item again: the copy is returned only if its version did not change in between (every write
changes it), so it is one point in time; otherwise it is taken again.

**Restore** always writes a new *incarnation* of the target: fresh stream generations (above
any the target had), new documents, created_at from the snapshot. When all of it fits one
TransactWriteItems (100 items, about 4 MB) it *is* one transaction, conditioned on the target's
meta item. Beyond that, the record items are written ahead (BatchWriteItem) marked *pending*
(``pd``), each document's payload as chunk items only (a *detached* document); none of it is
reachable, since reads go by the meta item's generations and write ids, and a latest-N read
that finds a pending item on top asks the meta item. The restore then commits by replacing
the meta item in one conditional transaction (which also clears the pending mark of each
stream's top item): readers see the old session or the whole restored one, never a half. If
the target changed meanwhile the restore stops with :class:`ConflictError` and deletes what it
wrote ahead; a process that dies before the commit leaves unreachable items behind (they cost
storage only, and expire with the horizon when the store has a TTL).

**Fork** is a snapshot of the source restored as the target with created_at = now.
"""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from typing import Any

from ...backend import ForkRequest
from ...errors import ConflictError, SessionNotFoundError
from ...records import RawRecord, RawSnapshot, RawStreamSnapshot, SessionInfo
from ...snapshots import select
from .chunks import read_chunks
from .client import Table
from .engine import Build, Busy, Done, NeedsSteps, Plan, WriteEngine
from .incarnations import begin, expiration
from .items import CHUNK_BYTES, Packed, chunk_items, item_seq, pack, projection, raw_record, unpack
from .keys import Item, doc_pk, key, log_pk, new_gen, new_token, sort_key
from .logs import MAX_TRANSACTION_BYTES, MAX_TRANSACTION_ITEMS, record, uploads
from .meta import DocState, Meta, StreamState
from .reads import TOMBSTONE, Reader

SNAPSHOT_FIELDS = projection("sk", "m", "p", "z", "bn", "w", "ts", "f", "a")
SNAPSHOT_BUDGET = 30.0
"""Seconds a snapshot keeps retrying while writers keep changing the session."""


class Copies:
    """Snapshot, restore and fork for one store."""

    def __init__(self, engine: WriteEngine, reader: Reader) -> None:
        self.engine = engine
        self.reader = reader
        self.table: Table = engine.table

    # ------------------------------------------------------------------ snapshot

    async def snapshot(self, session_id: str) -> RawSnapshot | None:
        deadline = time.monotonic() + SNAPSHOT_BUDGET
        delay = 0.005
        while True:
            meta = await self.engine.load_meta(session_id)
            if meta is None or not meta.live(time.time()):
                return None
            copy = await self._read_all(meta)
            again = await self.engine.load_meta(session_id)
            if copy is not None and again is not None and again.version == meta.version:
                return copy
            if time.monotonic() > deadline:
                raise ConflictError(
                    f"session {session_id!r} kept changing: no consistent snapshot within "
                    f"{SNAPSHOT_BUDGET:.0f} s"
                )
            delay = min(0.5, random.uniform(0.005, delay * 3))
            await asyncio.sleep(delay)

    async def _read_all(self, meta: Meta) -> RawSnapshot | None:
        """Every record and document ``meta`` names, or None if some were not there."""
        sid = meta.session_id
        streams: dict[str, RawStreamSnapshot] = {}
        for name, state in meta.streams.items():
            if not state.last:
                continue
            records: list[RawRecord] = []
            if state.count:
                items = await self.table.query(
                    "pk = :p AND sk BETWEEN :a AND :b",
                    {
                        ":p": {"S": log_pk(sid, name)},
                        ":a": {"N": str(sort_key(state.gen, state.first))},
                        ":b": {"N": str(sort_key(state.gen, state.last))},
                    },
                    projection=SNAPSHOT_FIELDS,
                )
                if [item_seq(i)[1] for i in items] != list(range(state.first, state.last + 1)):
                    return None
                payloads = await self.reader.payloads(sid, name, items)
                records = [raw_record(i, p) for i, p in zip(items, payloads, strict=True)]
            streams[name] = RawStreamSnapshot(state.first, state.last, records)
        docs: dict[str, bytes] = {}
        attached = [name for name, doc in meta.docs.items() if not doc.detached]
        found = {
            item["pk"]["S"]: item
            for item in await self.table.batch_get([key(doc_pk(sid, n)) for n in attached])
        }
        for name, doc in meta.docs.items():
            chunks = None
            if doc.chunks:
                chunks = await read_chunks(self.table, sid, doc.write_id, doc.chunks)
            if doc.detached:
                item: Item = {"bn": {"N": str(doc.chunks)}, "z": {"N": "1"}}
            else:
                item = found.get(doc_pk(sid, name)) or {}
                if item.get("w", {}).get("S") != doc.write_id:
                    return None
            try:
                docs[name] = unpack(item, chunks)
            except ValueError:
                docs[name] = b""  # does not decode: the snapshot reports it
        return RawSnapshot(sid, meta.created_at, meta.updated_at, streams, docs)

    # ------------------------------------------------------------------ restore

    async def restore(self, snapshot: RawSnapshot, replace: bool) -> SessionInfo:
        layout = _Layout(snapshot)
        try:
            info: SessionInfo = await self.engine.mutate(
                snapshot.session_id, self._one_transaction(layout, replace)
            )
            return info
        except NeedsSteps:
            return await self._written_ahead(layout, replace)

    def _start(self, layout: _Layout, meta: Meta | None, now: float, replace: bool) -> Meta:
        """The new incarnation's meta (streams and documents filled in by the caller)."""
        sid = layout.snapshot.session_id
        if meta is not None and meta.live(now):
            if not replace:
                raise ConflictError(f"session {sid!r} already exists")
            if meta.locked_by_other(None, now):
                raise Busy
        base, _ = begin(sid, None, now, self.engine.ttl)
        return base.evolve(
            version=1 if meta is None else meta.version + 1,
            created_at=layout.snapshot.created_at,
        )

    def _one_transaction(self, layout: _Layout, replace: bool) -> Build:
        async def build(meta: Meta | None, now: float) -> Plan | Done:
            base = self._start(layout, meta, now, replace)
            base, puts = layout.items(base, meta, now, pending=None)
            items = len(puts) + len(layout.docs) + 1
            if items > MAX_TRANSACTION_ITEMS or layout.size > MAX_TRANSACTION_BYTES:
                raise NeedsSteps
            docs = {}
            actions: list[dict[str, Any]] = [{"Put": {"Item": item}} for item in puts]
            for name, (packed, write_id) in layout.docs.items():
                docs[name] = DocState(write_id, len(packed.chunks))
                actions.append({"Put": {"Item": layout.doc_item(base, name, now)}})
            final = base.evolve(docs=docs)
            return Plan(meta=final, result=final.info(), actions=actions, uploads=layout.uploads())

        return build

    async def _written_ahead(self, layout: _Layout, replace: bool) -> SessionInfo:
        sid = layout.snapshot.session_id
        token = new_token()
        meta = await self.engine.load_meta(sid)
        now = time.time()
        base = self._start(layout, meta, now, replace)
        base, puts = layout.items(base, meta, now, pending=token)
        expires = expiration(base)
        ahead: list[Item] = []
        for write_id, chunks in layout.uploads():
            ahead += chunk_items(sid, write_id, chunks, expires)
        docs = {}
        for name, (_, write_id) in layout.docs.items():
            data = zlib.compress(layout.snapshot.docs[name], 6)
            parts = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
            ahead += chunk_items(sid, write_id, parts, expires)
            docs[name] = DocState(write_id, len(parts), detached=True)
        ahead += puts
        final = base.evolve(docs=docs)
        try:
            await self.table.batch_write([{"PutRequest": {"Item": item}} for item in ahead])
            info: SessionInfo = await self.engine.mutate(sid, self._switch(meta, final, puts))
        except BaseException:
            await self.table.batch_write(
                [{"DeleteRequest": {"Key": {"pk": i["pk"], "sk": i["sk"]}}} for i in ahead]
            )
            raise
        return info

    def _switch(self, seen: Meta | None, final: Meta, puts: list[Item]) -> Build:
        """The commit of a written-ahead restore: only if the target is as it was seen."""
        tops: dict[str, Item] = {}
        for item in puts:
            if ("pd" in item and item["pk"]["S"] not in tops) or (
                item_seq(item) > item_seq(tops[item["pk"]["S"]])
            ):
                tops[item["pk"]["S"]] = item

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            same = (meta is None and seen is None) or (
                meta is not None
                and seen is not None
                and (meta.version, meta.incarnation) == (seen.version, seen.incarnation)
            )
            if not same:
                raise ConflictError(
                    f"session {final.session_id!r} changed while a restore was written"
                )
            clear = [
                {
                    "Update": {
                        "Key": {"pk": top["pk"], "sk": top["sk"]},
                        "UpdateExpression": "REMOVE #d",
                        "ConditionExpression": "attribute_exists(#p)",
                        "ExpressionAttributeNames": {"#d": "pd", "#p": "pk"},
                    }
                }
                for top in list(tops.values())[: MAX_TRANSACTION_ITEMS - 1]
            ]
            switched = final.evolve(updated_at=now)
            return Plan(meta=switched, result=switched.info(), actions=clear)

        return build

    # ------------------------------------------------------------------ fork

    async def fork(self, fork: ForkRequest) -> SessionInfo:
        raw = await self.snapshot(fork.source_id)
        if raw is None:
            raise SessionNotFoundError(f"session {fork.source_id!r} does not exist (or expired)")
        part = select(raw, fork.target_id, fork.streams, fork.upto)
        fresh = RawSnapshot(part.session_id, time.time(), part.updated_at, part.streams, part.docs)
        return await self.restore(fresh, fork.replace)


class _Layout:
    """The items a snapshot becomes (payloads packed once, for every attempt)."""

    def __init__(self, snapshot: RawSnapshot) -> None:
        self.snapshot = snapshot
        self.records = {
            name: [(raw, pack(raw.payload), new_token()) for raw in stream.records]
            for name, stream in snapshot.streams.items()
            if stream.last
        }
        self.docs = {name: (pack(payload), new_token()) for name, payload in snapshot.docs.items()}
        self.size = sum(p.item_bytes for rs in self.records.values() for _, p, _ in rs) + sum(
            p.item_bytes for p, _ in self.docs.values()
        )

    def items(
        self, base: Meta, old: Meta | None, now: float, pending: str | None
    ) -> tuple[Meta, list[Item]]:
        """``base`` with the snapshot's streams, and their record, marker and tombstone items
        (tombstones on top of the old streams the snapshot does not have)."""
        previous = {} if old is None else old.streams
        streams: dict[str, StreamState] = {}
        puts: list[Item] = []
        for name, stream in self.snapshot.streams.items():
            if not stream.last:
                continue
            gen = new_gen(previous[name].gen if name in previous else None)
            streams[name] = StreamState(gen, stream.last, stream.first)
            for raw, packed, write_id in self.records[name]:
                puts.append(
                    record(
                        base,
                        name,
                        gen,
                        raw.seq,
                        write_id,
                        packed,
                        created_at=raw.created_at,
                        format=raw.format,
                        author=raw.author,
                        first=stream.first,
                        pending=pending,
                    )
                )
            if not stream.records:  # emptied by a trim: the top says so
                puts.append(
                    record(
                        base,
                        name,
                        gen,
                        stream.last,
                        new_token(),
                        None,
                        created_at=now,
                        first=stream.first,
                        pending=pending,
                    )
                )
        for name, state in previous.items():
            if name not in streams:
                gen = new_gen(state.gen)
                streams[name] = StreamState(gen, 0)  # forgotten, but generations only grow
                tombstone = record(base, name, gen, 0, new_token(), None, created_at=now)
                tombstone["inc"] = {"S": TOMBSTONE}
                tombstone["x"] = {"N": "0.0"}
                puts.append(tombstone)
        return base.evolve(streams=streams), puts

    def doc_item(self, base: Meta, name: str, now: float) -> Item:
        packed, write_id = self.docs[name]
        item: Item = {
            "pk": {"S": doc_pk(base.session_id, name)},
            "sk": {"N": "0"},
            "inc": {"S": base.incarnation},
            "w": {"S": write_id},
            "ts": {"N": repr(now)},
            **packed.attrs,
        }
        expires = expiration(base)
        if expires is not None:
            item["expiration_time"] = {"N": str(expires)}
        return item

    def uploads(self) -> list[tuple[str, list[bytes]]]:
        packed: list[Packed] = [p for rs in self.records.values() for _, p, _ in rs]
        write_ids = [w for rs in self.records.values() for _, _, w in rs]
        packed += [p for p, _ in self.docs.values()]
        write_ids += [w for _, w in self.docs.values()]
        return uploads(packed, write_ids)
