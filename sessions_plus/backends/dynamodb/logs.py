"""Log writes that fit one transaction: append and splice, pop, replace, clear.

Each operation is a *build* for the :class:`~.engine.WriteEngine`: it reads the session's
state from the meta item, plans the record items to put and delete, and returns the new meta.
A write too large for one transaction raises :class:`~.engine.NeedsSteps` and is carried out
by :mod:`.large`.
"""

from __future__ import annotations

from typing import Any

from ...backend import LogWrite
from ...errors import ConflictError, RecordNotFoundError
from ...records import RawRecord
from .chunks import chunk_keys_of
from .engine import Build, Busy, Done, NeedsSteps, Plan, WriteEngine
from .incarnations import expiration
from .items import KEYS_PROJECTION, Packed, item_seq, raw_record, record_item
from .keys import SPAN, Item, key, log_pk, new_gen, new_token, sort_key
from .meta import Meta, StreamState
from .reads import Reader

MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 3_500_000
"""Payload bytes per TransactWriteItems (DynamoDB allows 4 MB per request)."""


def record(
    base: Meta,
    stream: str,
    gen: int,
    seq: int,
    write_id: str,
    packed: Packed | None,
    *,
    created_at: float,
    format: str | None = None,
    author: str | None = None,
) -> Item:
    """A record item of ``base``'s incarnation (a marker when ``packed`` is None)."""
    return record_item(
        log_pk(base.session_id, stream),
        sort_key(gen, seq),
        incarnation=base.incarnation,
        write_id=write_id,
        created_at=created_at,
        session_expires=base.expires_at,
        expiration=expiration(base),
        format=format,
        author=author,
        packed=packed,
    )


def uploads(packed: list[Packed], write_ids: list[str]) -> list[tuple[str, list[bytes]]]:
    return [(w, p.chunks) for p, w in zip(packed, write_ids, strict=True) if p.chunks]


def fresh_gen(meta: Meta | None, stream: str) -> int:
    """A generation for a stream new in this incarnation, above the previous one's."""
    previous = None if meta is None else meta.streams.get(stream)
    return new_gen(None if previous is None else previous.gen)


def check_position(
    session_id: str, stream: str, count: int, start: int | None, if_last_seq: int | None
) -> int:
    """The first seq a write gets; raises on ``if_last_seq`` or ``start`` that do not fit."""
    if if_last_seq is not None and count != if_last_seq:
        raise ConflictError(
            f"stream {stream!r} of session {session_id!r} ends at seq {count}, not {if_last_seq}"
        )
    if start is None:
        return count + 1
    if start > count + 1:
        raise ValueError(f"start_seq {start} is past the end of stream {stream!r} ({count})")
    return start


async def range_items(
    reader: Reader, session_id: str, stream: str, gen: int, lo: int, hi: int
) -> list[Item]:
    """Keys, write ids and chunk counts of records ``lo..hi`` of one generation."""
    items = await reader.table.query(
        "pk = :p AND sk BETWEEN :a AND :b",
        {
            ":p": {"S": log_pk(session_id, stream)},
            ":a": {"N": str(sort_key(gen, lo))},
            ":b": {"N": str(sort_key(gen, hi))},
        },
        projection=KEYS_PROJECTION,
    )
    return [item for item in items if item_seq(item)[1] >= 1]


class LogWriter:
    """The log operations of one store."""

    def __init__(self, engine: WriteEngine, reader: Reader) -> None:
        self.engine = engine
        self.reader = reader

    def write_build(self, write: LogWrite, packed: list[Packed], write_ids: list[str]) -> Build:
        """Append at the end (``start_seq`` None) or truncate at ``start_seq`` and append."""
        session_id, stream, start = write.session_id, write.stream, write.start_seq

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            base, refresh = self.engine.begin(session_id, meta, now)
            if base.locked_by_other(None, now):
                raise Busy
            state = base.streams.get(stream)
            count = 0 if state is None else state.count
            first = check_position(session_id, stream, count, start, write.if_last_seq)
            size = sum(p.item_bytes for p in packed)
            tail = max(0, count - (first + len(packed) - 1))
            if len(packed) + tail + 1 > MAX_TRANSACTION_ITEMS or size > MAX_TRANSACTION_BYTES:
                raise NeedsSteps
            gen = state.gen if state is not None else fresh_gen(meta, stream)
            cleanup: list[Item] = []
            actions: list[dict[str, Any]] = []
            if first <= count:  # splice: overwritten and dropped records may own chunks
                old = await range_items(self.reader, session_id, stream, gen, first, count)
                cleanup = chunk_keys_of(session_id, old)
                actions = [
                    {"Delete": {"Key": {"pk": item["pk"], "sk": item["sk"]}}}
                    for item in old
                    if item_seq(item)[1] >= first + len(packed)
                ]
            for offset, (one, write_id) in enumerate(zip(packed, write_ids, strict=True)):
                item = record(
                    base,
                    stream,
                    gen,
                    first + offset,
                    write_id,
                    one,
                    created_at=now,
                    format=write.format,
                    author=write.author,
                )
                actions.append({"Put": {"Item": item}})
            streams = {**base.streams, stream: StreamState(gen, first - 1 + len(packed))}
            return Plan(
                meta=base.evolve(streams=streams),
                result=first,
                actions=actions,
                uploads=uploads(packed, write_ids),
                cleanup=cleanup,
                refresh=refresh,
            )

        return build

    async def pop(self, session_id: str, stream: str) -> RawRecord | None:
        async def build(meta: Meta | None, now: float) -> Plan | Done:
            if meta is None or not meta.live(now):
                return Done(None)
            state = meta.streams.get(stream)
            if state is None or state.count == 0:
                return Done(None)
            if meta.locked_by_other(None, now):
                raise Busy
            item_key = key(log_pk(session_id, stream), sort_key(state.gen, state.count))
            result = await self.reader.table.call("get_item", Key=item_key, ConsistentRead=True)
            item = result.get("Item")
            if item is None:  # the meta we hold is older than the records
                raise Busy
            payload = (await self.reader.payloads(session_id, stream, [item]))[0]
            base, refresh = self.engine.begin(session_id, meta, now)
            streams = {**base.streams, stream: StreamState(state.gen, state.count - 1)}
            return Plan(
                meta=base.evolve(streams=streams),
                result=raw_record(item, payload),
                actions=[{"Delete": {"Key": item_key}}],
                cleanup=chunk_keys_of(session_id, [item]),
                refresh=refresh,
            )

        popped: RawRecord | None = await self.engine.mutate(session_id, build)
        return popped

    async def replace(self, session_id: str, stream: str, seq: int, packed: Packed) -> None:
        write_id = new_token()

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            live = meta is not None and meta.live(now)
            state = meta.streams.get(stream) if meta is not None and live else None
            if meta is None or state is None or seq > state.count:
                raise RecordNotFoundError(
                    f"session {session_id!r} stream {stream!r} has no record seq={seq}"
                )
            if meta.locked_by_other(None, now):
                raise Busy
            item_key = key(log_pk(session_id, stream), sort_key(state.gen, seq))
            result = await self.reader.table.call("get_item", Key=item_key, ConsistentRead=True)
            old = result.get("Item")
            if old is None:
                raise Busy
            base, refresh = self.engine.begin(session_id, meta, now)
            item = record(
                base,
                stream,
                state.gen,
                seq,
                write_id,
                packed,
                created_at=float(old["ts"]["N"]),
                format=old["f"]["S"] if "f" in old else None,
                author=old["a"]["S"] if "a" in old else None,
            )
            return Plan(
                meta=base,
                actions=[{"Put": {"Item": item}}],
                uploads=uploads([packed], [write_id]),
                cleanup=chunk_keys_of(session_id, [old]),
                refresh=refresh,
            )

        await self.engine.mutate(session_id, build)

    async def clear(self, session_id: str, stream: str) -> None:
        table = self.reader.table

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            if meta is None or not meta.live(now):
                return Done(None)
            if meta.locked_by_other(None, now):
                raise Busy
            base, refresh = self.engine.begin(session_id, meta, now)
            state = meta.streams.get(stream)
            if state is None:
                return Plan(meta=base, refresh=refresh)
            gen = new_gen(state.gen)
            marker = record(base, stream, gen, 0, new_token(), None, created_at=now)
            streams = {**base.streams, stream: StreamState(gen, 0)}

            async def drop_old_generation() -> None:
                old = await table.query(
                    "pk = :p AND sk BETWEEN :a AND :b",
                    {
                        ":p": {"S": log_pk(session_id, stream)},
                        ":a": {"N": str(sort_key(state.gen, 0))},
                        ":b": {"N": str(sort_key(state.gen, SPAN - 1))},
                    },
                    projection=KEYS_PROJECTION,
                )
                keys = [{"pk": i["pk"], "sk": i["sk"]} for i in old]
                keys += chunk_keys_of(session_id, old)
                await table.batch_write([{"DeleteRequest": {"Key": k}} for k in keys])

            return Plan(
                meta=base.evolve(streams=streams),
                actions=[{"Put": {"Item": marker}}],
                refresh=refresh,
                after=drop_old_generation,
            )

        await self.engine.mutate(session_id, build)
