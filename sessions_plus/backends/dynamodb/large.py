"""Writes too large for one transaction: leased, in several transactions.

An append or splice over 99 records or about 3.5 MB takes the session's *lease* (``lk`` in
the meta item: a token and an expiry), truncates and appends in batches that each fit one
transaction, and releases the lease with the last batch. Other writers wait for the lease (or
take it over once it runs out: the holder died), so the seqs stay consecutive; readers can see
the batches land one after another.
"""

from __future__ import annotations

import logging

from ...backend import LogWrite
from ...errors import ConflictError
from .chunks import chunk_keys_of
from .engine import Build, Busy, Done, Plan, WriteEngine
from .items import Packed
from .keys import SPAN, Item, new_gen, new_token
from .logs import (
    MAX_TRANSACTION_BYTES,
    MAX_TRANSACTION_ITEMS,
    check_position,
    dropper,
    fresh_gen,
    kept_from,
    range_items,
    record,
    top_fix,
    uploads,
)
from .meta import Meta, StreamState
from .reads import Reader

logger = logging.getLogger("sessions_plus.dynamodb")

LOCK_LEASE = 60.0
"""Seconds a multi-transaction write holds the session before others may take it over."""


class LargeWriter:
    """Multi-transaction appends and splices of one store."""

    def __init__(self, engine: WriteEngine, reader: Reader, max_records: int | None) -> None:
        self.engine = engine
        self.reader = reader
        self.max_records = max_records

    async def write(self, write: LogWrite, packed: list[Packed], write_ids: list[str]) -> int:
        """Lock, truncate, append in batches, unlock.

        Each step is atomic and the seqs stay consecutive (other writers wait for the lock),
        but readers can see the steps in between, and a failure leaves the steps done so far.
        """
        session_id, stream, start = write.session_id, write.stream, write.start_seq
        token = new_token()
        mutate = self.engine.mutate

        async def lock(meta: Meta | None, now: float) -> Plan | Done:
            base, refresh = self.engine.begin(session_id, meta, now)
            if base.locked_by_other(None, now):
                raise Busy
            state = base.streams.get(stream)
            last = 0 if state is None else state.last
            at = check_position(session_id, stream, last, start, write.if_last_seq)
            locked = base.evolve(lock=(token, now + LOCK_LEASE))
            if state is None or state.last == 0 or at >= state.first:
                return Plan(meta=locked, result=at, refresh=refresh)
            # A splice reaching back before the first seq replaces the whole stream: start an
            # empty generation there (the old one is dropped after).
            gen = new_gen(state.gen)
            marker = record(base, stream, gen, 0, new_token(), None, created_at=now)
            streams = {**base.streams, stream: StreamState(gen, at - 1, at)}
            return Plan(
                meta=locked.evolve(streams=streams),
                result=at,
                actions=[{"Put": {"Item": marker}}],
                refresh=refresh,
                after=dropper(self.reader, session_id, stream, state.gen, 0, SPAN - 1),
            )

        first = int(await mutate(session_id, lock))
        try:
            while await mutate(session_id, self._truncate_step(session_id, stream, token, first)):
                pass
            batches = _batches(packed)
            for index, (lo, hi) in enumerate(batches):
                step = self._append_step(
                    write, token, packed[lo:hi], write_ids[lo:hi], index == len(batches) - 1
                )
                await mutate(session_id, step)
            if not batches:
                await mutate(session_id, self._unlock_step(session_id, token))
        except BaseException:
            try:
                await mutate(session_id, self._unlock_step(session_id, token))
            except Exception:
                logger.warning("could not release a DynamoDB session lock", exc_info=True)
            raise
        return first

    def _owned(self, session_id: str, meta: Meta | None, token: str, now: float) -> Meta:
        if meta is None or not meta.live(now) or meta.lock is None or meta.lock[0] != token:
            raise ConflictError(
                f"session {session_id!r}: a multi-transaction write lost its lock (it took "
                f"longer than {LOCK_LEASE} s or the session was deleted); part of it was written"
            )
        return meta

    def _truncate_step(self, session_id: str, stream: str, token: str, first: int) -> Build:
        async def build(meta: Meta | None, now: float) -> Plan | Done:
            self._owned(session_id, meta, token, now)
            base, refresh = self.engine.begin(session_id, meta, now)
            state = base.streams.get(stream)
            if state is None or state.last < first:
                return Done(False)
            lo = max(first, state.last - (MAX_TRANSACTION_ITEMS - 3))
            old = await range_items(self.reader, session_id, stream, state.gen, lo, state.last)
            new_state = StreamState(state.gen, lo - 1, state.first if lo > 1 else 1)
            actions: list[Item] = [{"Delete": {"Key": {"pk": i["pk"], "sk": i["sk"]}}} for i in old]
            actions += top_fix(base, stream, state.gen, new_state.first, lo - 1, now)
            return Plan(
                meta=base.evolve(
                    streams={**base.streams, stream: new_state}, lock=(token, now + LOCK_LEASE)
                ),
                result=True,
                actions=actions,
                cleanup=chunk_keys_of(session_id, old),
                refresh=refresh,
            )

        return build

    def _append_step(
        self, write: LogWrite, token: str, packed: list[Packed], write_ids: list[str], last: bool
    ) -> Build:
        session_id, stream = write.session_id, write.stream

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            self._owned(session_id, meta, token, now)
            base, refresh = self.engine.begin(session_id, meta, now)
            state = base.streams.get(stream)
            end = 0 if state is None else state.last
            first = 1 if state is None or state.last == 0 else state.first
            gen = state.gen if state is not None else fresh_gen(meta, stream)
            new_last = end + len(packed)
            kept = kept_from(first, new_last, self.max_records)
            puts = [
                (seq, one, write_id)
                for seq, one, write_id in zip(
                    range(end + 1, new_last + 1), packed, write_ids, strict=True
                )
                if seq >= kept
            ]
            actions = [
                {
                    "Put": {
                        "Item": record(
                            base,
                            stream,
                            gen,
                            seq,
                            write_id,
                            one,
                            created_at=now,
                            format=write.format,
                            author=write.author,
                            first=kept,
                        )
                    }
                }
                for seq, one, write_id in puts
            ]
            streams = {**base.streams, stream: StreamState(gen, new_last, kept)}
            return Plan(
                meta=base.evolve(streams=streams, lock=None if last else (token, now + LOCK_LEASE)),
                result=end + 1,
                actions=actions,
                uploads=uploads([p for _, p, _ in puts], [w for _, _, w in puts]),
                refresh=refresh,
                after=dropper(self.reader, session_id, stream, gen, first, min(kept - 1, end)),
            )

        return build

    def _unlock_step(self, session_id: str, token: str) -> Build:
        async def build(meta: Meta | None, now: float) -> Plan | Done:
            if meta is None or meta.lock is None or meta.lock[0] != token:
                return Done(None)
            return Plan(meta=meta.evolve(version=meta.version + 1, lock=None))

        return build


def _batches(packed: list[Packed]) -> list[tuple[int, int]]:
    """Index ranges of records that fit one transaction each (with the meta item)."""
    batches: list[tuple[int, int]] = []
    lo = 0
    size = 0
    for index, one in enumerate(packed):
        if index > lo and (
            index - lo >= MAX_TRANSACTION_ITEMS - 1 or size + one.item_bytes > MAX_TRANSACTION_BYTES
        ):
            batches.append((lo, index))
            lo, size = index, 0
        size += one.item_bytes
    if lo < len(packed):
        batches.append((lo, len(packed)))
    return batches
