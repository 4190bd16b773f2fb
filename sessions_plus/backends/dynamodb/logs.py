"""Log writes that fit one transaction: append and splice, pop, replace, clear.

Each operation is a *build* for the :class:`~.engine.WriteEngine`: it reads the session's
state from the meta item, plans the record items to put and delete, and returns the new meta.
A write too large for one transaction raises :class:`~.engine.NeedsSteps` and is carried out
by :mod:`.large`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ...backend import LogWrite
from ...errors import ConflictError, RecordNotFoundError, SessionNotFoundError
from ...records import RawRecord
from .chunks import chunk_keys_of
from .engine import Build, Busy, Done, NeedsSteps, Plan, WriteEngine
from .incarnations import expiration
from .items import KEYS_PROJECTION, Packed, item_seq, raw_record, record_item, stream_first
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
    first: int = 1,
    pending: str | None = None,
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
        first=first,
        pending=pending,
    )


def top_fix(base: Meta, stream: str, gen: int, first: int, last: int, now: float) -> list[Item]:
    """Actions that keep the partition's top item truthful once records were removed from
    either end without a new record on top: the top record gets ``fs = first``; a stream left
    empty with ``last >= 1`` gets a marker at seq ``last`` (so a latest-N read sees "empty").
    Items below the top may keep an older, lower ``fs``: that only sends a read to the meta."""
    if last >= first:
        if first == 1:
            return []
        update = {
            "Key": key(log_pk(base.session_id, stream), sort_key(gen, last)),
            "UpdateExpression": "SET #f = :f",
            "ConditionExpression": "attribute_exists(#p)",
            "ExpressionAttributeNames": {"#f": "fs", "#p": "pk"},
            "ExpressionAttributeValues": {":f": {"N": str(first)}},
        }
        return [{"Update": update}]
    if last >= 1:
        marker = record(base, stream, gen, last, new_token(), None, created_at=now, first=first)
        return [{"Put": {"Item": marker}}]
    return []


def uploads(packed: list[Packed], write_ids: list[str]) -> list[tuple[str, list[bytes]]]:
    return [(w, p.chunks) for p, w in zip(packed, write_ids, strict=True) if p.chunks]


def fresh_gen(meta: Meta | None, stream: str) -> int:
    """A generation for a stream new in this incarnation, above the previous one's."""
    previous = None if meta is None else meta.streams.get(stream)
    return new_gen(None if previous is None else previous.gen)


def check_position(
    session_id: str, stream: str, last: int, start: int | None, if_last_seq: int | None
) -> int:
    """The first seq a write gets; raises on ``if_last_seq`` or ``start`` that do not fit."""
    if if_last_seq is not None and last != if_last_seq:
        raise ConflictError(
            f"stream {stream!r} of session {session_id!r} ends at seq {last}, not {if_last_seq}"
        )
    if start is None:
        return last + 1
    if start > last + 1:
        raise ValueError(f"start_seq {start} is past the end of stream {stream!r} ({last})")
    return start


def kept_from(first: int, last: int, max_records: int | None) -> int:
    """The first seq a stream ``first..last`` keeps under ``max_records``."""
    if max_records is None or last - first + 1 <= max_records:
        return first
    return last - max_records + 1


async def range_items(
    reader: Reader, session_id: str, stream: str, gen: int, lo: int, hi: int
) -> list[Item]:
    """Keys, write ids and chunk counts of records ``lo..hi`` of one generation."""
    if lo > hi:
        return []
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


def dropper(
    reader: Reader, session_id: str, stream: str, gen: int, lo: int, hi: int
) -> Callable[[], Awaitable[None]] | None:
    """Cleanup that deletes records ``lo..hi`` (and their chunks) of a generation: only for
    seqs no read can reach any more (below the stream's first, or a dropped generation)."""
    if lo > hi:
        return None

    async def drop() -> None:
        items = await reader.table.query(
            "pk = :p AND sk BETWEEN :a AND :b",
            {
                ":p": {"S": log_pk(session_id, stream)},
                ":a": {"N": str(sort_key(gen, lo))},
                ":b": {"N": str(sort_key(gen, hi))},
            },
            projection=KEYS_PROJECTION,
        )
        keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items]  # markers too
        keys += chunk_keys_of(session_id, items)
        await reader.table.batch_write([{"DeleteRequest": {"Key": k}} for k in keys])

    return drop


def chain(*steps: Callable[[], Awaitable[None]] | None) -> Callable[[], Awaitable[None]] | None:
    """One cleanup running ``steps`` in order (None where there is nothing to do)."""
    todo = [step for step in steps if step is not None]
    if not todo:
        return None

    async def run() -> None:
        for step in todo:
            await step()

    return run


class LogWriter:
    """The log operations of one store (``max_records`` applied in every append's step)."""

    def __init__(self, engine: WriteEngine, reader: Reader, max_records: int | None) -> None:
        self.engine = engine
        self.reader = reader
        self.max_records = max_records

    def write_build(self, write: LogWrite, packed: list[Packed], write_ids: list[str]) -> Build:
        """Append at the end (``start_seq`` None) or splice at ``start_seq``, in one step.

        Records that end up above the new last seq are deleted in the transaction; records
        that end up below the new first (``max_records``) only drop out of the range and are
        deleted after it. A splice reaching back before the first seq (after a trim) starts a
        new generation, as the whole stream is replaced.
        """
        session_id, stream, start = write.session_id, write.stream, write.start_seq

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            base, refresh = self.engine.begin(session_id, meta, now)
            if base.locked_by_other(None, now):
                raise Busy
            state = base.streams.get(stream)
            last = 0 if state is None else state.last
            at = check_position(session_id, stream, last, start, write.if_last_seq)
            restart = state is not None and state.last > 0 and at < state.first
            first = at if restart or state is None or state.last == 0 else state.first
            new_last = at + len(packed) - 1
            kept = kept_from(first, new_last, self.max_records)
            if restart or state is None:
                gen = new_gen(state.gen) if state is not None else fresh_gen(meta, stream)
            else:
                gen = state.gen
            spliced: list[Item] = []
            if not restart and state is not None and at <= last:
                spliced = await range_items(self.reader, session_id, stream, gen, at, last)
            above = [i for i in spliced if item_seq(i)[1] > new_last]
            puts = [
                (seq, one, write_id)
                for seq, one, write_id in zip(
                    range(at, new_last + 1), packed, write_ids, strict=True
                )
                if seq >= kept
            ]
            size = sum(one.item_bytes for _, one, _ in puts)
            if len(puts) + len(above) + 2 > MAX_TRANSACTION_ITEMS or size > MAX_TRANSACTION_BYTES:
                raise NeedsSteps
            actions: list[Item] = [
                {"Delete": {"Key": {"pk": i["pk"], "sk": i["sk"]}}} for i in above
            ]
            for seq, one, write_id in puts:
                item = record(
                    base, stream, gen, seq, write_id, one, created_at=now,
                    format=write.format, author=write.author, first=kept,
                )  # fmt: skip
                actions.append({"Put": {"Item": item}})
            after = None
            if restart:
                assert state is not None
                if not puts:
                    marker = record(base, stream, gen, 0, new_token(), None, created_at=now)
                    actions.append({"Put": {"Item": marker}})
                after = dropper(self.reader, session_id, stream, state.gen, 0, SPAN - 1)
            elif state is not None:
                if not puts:
                    actions += top_fix(base, stream, gen, first, new_last, now)
                low = min(kept - 1, last)  # spliced seqs below the new first too
                after = dropper(self.reader, session_id, stream, gen, state.first, low)
            new_state = StreamState(gen, new_last, kept) if new_last else StreamState(gen, 0)
            return Plan(
                meta=base.evolve(streams={**base.streams, stream: new_state}),
                result=at,
                actions=actions,
                uploads=uploads([p for _, p, _ in puts], [w for _, _, w in puts]),
                cleanup=chunk_keys_of(session_id, spliced),
                refresh=refresh,
                after=after,
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
            item_key = key(log_pk(session_id, stream), sort_key(state.gen, state.last))
            result = await self.reader.table.call("get_item", Key=item_key, ConsistentRead=True)
            item = result.get("Item")
            if item is None:  # the meta we hold is older than the records
                raise Busy
            payload = (await self.reader.payloads(session_id, stream, [item]))[0]
            base, refresh = self.engine.begin(session_id, meta, now)
            last = state.last - 1
            new_state = (
                StreamState(state.gen, last, state.first) if last else StreamState(state.gen, 0)
            )
            actions: list[Item] = [{"Delete": {"Key": item_key}}]
            actions += top_fix(base, stream, state.gen, new_state.first, last, now)
            return Plan(
                meta=base.evolve(streams={**base.streams, stream: new_state}),
                result=raw_record(item, payload),
                actions=actions,
                cleanup=chunk_keys_of(session_id, [item]),
                refresh=refresh,
            )

        popped: RawRecord | None = await self.engine.mutate(session_id, build)
        return popped

    async def trim(self, session_id: str, stream: str, keep_last: int) -> int:
        """Drop the oldest records beyond ``keep_last`` in one step: the meta item's first
        seq moves (and the top item says so); the records below it are deleted after."""

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            if meta is None or not meta.live(now):
                raise SessionNotFoundError(f"session {session_id!r} does not exist (or expired)")
            if meta.locked_by_other(None, now):
                raise Busy
            base, refresh = self.engine.begin(session_id, meta, now)
            state = base.streams.get(stream)
            if state is None or state.count <= keep_last:
                return Plan(meta=base, result=0, refresh=refresh)
            removed = state.count - keep_last
            first = state.first + removed
            actions = top_fix(base, stream, state.gen, first, state.last, now)
            cleanup: list[Item] = []
            below = first - 1
            if keep_last == 0:  # the marker replaces the last record: its chunks go now
                top = await range_items(
                    self.reader, session_id, stream, state.gen, state.last, state.last
                )
                cleanup = chunk_keys_of(session_id, top)
                below = state.last - 1
            return Plan(
                meta=base.evolve(
                    streams={**base.streams, stream: StreamState(state.gen, state.last, first)}
                ),
                result=removed,
                actions=actions,
                cleanup=cleanup,
                refresh=refresh,
                after=dropper(self.reader, session_id, stream, state.gen, state.first, below),
            )

        return int(await self.engine.mutate(session_id, build))

    async def replace(self, session_id: str, stream: str, seq: int, packed: Packed) -> None:
        write_id = new_token()

        async def build(meta: Meta | None, now: float) -> Plan | Done:
            live = meta is not None and meta.live(now)
            state = meta.streams.get(stream) if meta is not None and live else None
            if meta is None or state is None or not state.first <= seq <= state.last:
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
                first=stream_first(old),
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
            return Plan(
                meta=base.evolve(streams={**base.streams, stream: StreamState(gen, 0)}),
                actions=[{"Put": {"Item": marker}}],
                refresh=refresh,
                after=dropper(self.reader, session_id, stream, state.gen, 0, SPAN - 1),
            )

        await self.engine.mutate(session_id, build)
