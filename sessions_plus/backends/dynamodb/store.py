"""DynamoDB backend: one item per record, gap-free seqs under concurrency, TTL that reads respect.

Layout (see :mod:`.dynamodb_keys`): a meta item per session, one partition per (session, stream)
with one item per record, one item per document, chunk items for payloads over 400 KB. Every
write is one TransactWriteItems that replaces the meta item on the condition that its version
is unchanged, so seqs are assigned atomically; a writer that loses the race retries with the
state DynamoDB returns (``ReturnValuesOnConditionCheckFailure``), with backoff.

Latest-N is one Query: each record carries the session's expiry as of its write (``x``), and a
top record whose ``x`` is still in the future proves the session live; otherwise the read falls
back to the meta item (one more request). ``expiration_time`` on every item is the session's
*horizon*, a lower bound kept ahead of the expiry (moved in one step of ``ttl`` for the whole
session when a write needs it), so DynamoDB's sweeper never removes part of a live session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import SplitResult

from ...backend import DocWrite, LogRange, LogWrite, SessionQuery
from ...errors import (
    ConfigurationError,
    ConflictError,
    RecordNotFoundError,
    SessionsPlusError,
)
from ...loops import PerLoop
from ...options import (
    Options,
    common_options,
    pop_bool,
    pop_float,
    pop_int,
    pop_str,
    reject_unknown,
)
from ...records import RawRecord, SessionInfo, SessionPage
from ...store import ConversationStore, Keep
from .client import (
    Cancelled,
    Client,
    batch_get,
    batch_write,
    call,
    client_config,
    open_client,
    query_all,
    query_pages,
)
from .items import (
    Packed,
    chunk_count,
    chunk_items,
    chunk_keys,
    is_marker,
    item_seq,
    pack,
    raw_record,
    record_item,
    session_expires,
    unpack,
)
from .keys import (
    SPAN,
    blob_pk,
    doc_pk,
    log_pk,
    meta_pk,
    new_gen,
    new_token,
    sort_key,
)
from .meta import TTL_ATTRIBUTE, DocState, Item, Meta, StreamState
from .table import ensure_table

logger = logging.getLogger("sessions_plus.dynamodb")

MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 3_500_000
"""Payload bytes per TransactWriteItems (DynamoDB allows 4 MB per request)."""

LOCK_LEASE = 60.0
"""Seconds a multi-transaction append holds the session before others may take it over."""

TOMBSTONE = "-"
"""Incarnation of a deletion tombstone (real incarnations are hex)."""

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_CACHE_SIZE = 4096


class _Busy(Exception):
    """Another writer holds the session's multi-transaction lock."""


class _NeedsSteps(Exception):
    """The write does not fit one transaction."""


@dataclass
class _Done:
    """A write that turned out to need no change (``result`` is returned as is)."""

    result: Any


@dataclass
class _Plan:
    """One TransactWriteItems: the new meta (None deletes it) plus other actions."""

    meta: Meta | None
    result: Any = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[tuple[str, list[bytes]]] = field(default_factory=list)
    cleanup: list[Item] = field(default_factory=list)
    refresh: Meta | None = None
    """The live meta whose items must get the new horizon before this write."""
    after: Callable[[], Awaitable[None]] | None = None


Build = Callable[[Meta | None, float], Awaitable[_Plan | _Done]]


@dataclass
class _Conn:
    client: Client
    context: Any  # None for a client handed in (never closed by us)


class DynamoDBStore(ConversationStore):
    """Conversation store on one DynamoDB table (aiobotocore).

    ``DynamoDBStore(table_name="sessions-plus", *, region_name=None, endpoint_url=None,
    ttl=None, refresh_on_read=False, create_table=True)``. With ``create_table=True`` the table
    is created on first use if missing (on-demand billing, TTL on ``expiration_time``); with
    False it must exist with partition key ``pk`` (S) and sort key ``sk`` (N), else
    :class:`ConfigurationError` says what does not fit. ``client`` may be an aiobotocore
    DynamoDB client you opened (never closed by the store; used on the event loop where the
    store first runs, siblings with its settings elsewhere). Throttling and transient errors
    are retried by botocore (``retry_mode``, ``max_attempts``); write conflicts by the store
    (``max_conflict_retries``), then :class:`ConflictError`.
    """

    def __init__(
        self,
        table_name: str = "sessions-plus",
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        ttl: float | None = None,
        refresh_on_read: bool = False,
        create_table: bool = True,
        client: Client | None = None,
        retry_mode: str = "standard",
        max_attempts: int = 5,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_conflict_retries: int = 50,
        **kwargs: Any,
    ) -> None:
        super().__init__(ttl=ttl, refresh_on_read=refresh_on_read, **kwargs)
        if not isinstance(table_name, str) or not _TABLE_NAME.match(table_name):
            raise ConfigurationError(
                f"invalid DynamoDB table name {table_name!r} (3-255 of A-Z a-z 0-9 _ . -)"
            )
        if retry_mode not in ("standard", "adaptive", "legacy"):
            raise ConfigurationError(f"retry_mode must be standard or adaptive, not {retry_mode!r}")
        if max_attempts < 1 or max_conflict_retries < 0:
            raise ConfigurationError("max_attempts must be >= 1 and max_conflict_retries >= 0")
        self.table_name = table_name
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self.create_table = bool(create_table)
        self.max_conflict_retries = max_conflict_retries
        self._config = client_config(
            retry_mode=retry_mode,
            max_attempts=max_attempts,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self._given = client
        self._given_loop: asyncio.AbstractEventLoop | None = None
        if client is not None:
            try:
                self._given_loop = asyncio.get_running_loop()
            except RuntimeError:
                self._given_loop = None
        self._conns: PerLoop[_Conn] = PerLoop(self._open_conn, self._close_conn)
        self._table_ready = False
        self._cache: OrderedDict[str, Meta | None] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._turns: dict[
            tuple[asyncio.AbstractEventLoop, str], tuple[asyncio.Lock, list[int]]
        ] = {}

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        """``dynamodb://TABLE?region=...&endpoint_url=...&ttl=...&create_table=false``."""
        table = parts.netloc or parts.path.strip("/") or "sessions-plus"
        common: dict[str, Any] = common_options(options)
        region = pop_str(options, "region")
        region_name = pop_str(options, "region_name")
        common["region_name"] = region or region_name or None
        common["endpoint_url"] = pop_str(options, "endpoint_url") or None
        common["create_table"] = pop_bool(options, "create_table", True)
        if "retry_mode" in options:
            common["retry_mode"] = options.pop("retry_mode")
        for key in ("max_attempts", "max_conflict_retries"):
            number = pop_int(options, key)
            if number is not None:
                common[key] = number
        for key in ("connect_timeout", "read_timeout"):
            seconds = pop_float(options, key)
            if seconds is not None:
                common[key] = seconds
        reject_unknown(options, "dynamodb")
        return cls(table, **common)

    # ------------------------------------------------------------------ connections

    async def _open_conn(self) -> _Conn:
        loop = asyncio.get_running_loop()
        given = self._given
        if given is not None:
            if self._given_loop is None:
                self._given_loop = loop
            if self._given_loop is loop:
                return _Conn(given, None)
            client, context = await open_client(
                region_name=given.meta.region_name,
                endpoint_url=given.meta.endpoint_url,
                config=given.meta.config,
            )
            return _Conn(client, context)
        client, context = await open_client(
            region_name=self.region_name, endpoint_url=self.endpoint_url, config=self._config
        )
        return _Conn(client, context)

    @staticmethod
    async def _close_conn(conn: _Conn) -> None:
        if conn.context is not None:
            await conn.context.__aexit__(None, None, None)

    async def get_client(self) -> Client:
        """The aiobotocore client this store uses on the running event loop (table checked)."""
        self._check_open()
        conn = await self._conns.get()
        if not self._table_ready:
            await ensure_table(conn.client, self.table_name, create=self.create_table)
            self._table_ready = True
        return conn.client

    async def close_backend(self) -> None:
        with self._cache_lock:
            self._cache.clear()
        await self._conns.aclose()

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        client = await self.get_client()
        return await call(client, self.table_name, operation, **params)

    # ------------------------------------------------------------------ meta cache

    def _cached(self, session_id: str) -> tuple[bool, Meta | None]:
        with self._cache_lock:
            if session_id in self._cache:
                self._cache.move_to_end(session_id)
                return True, self._cache[session_id]
            return False, None

    def _remember(self, session_id: str, meta: Meta | None) -> None:
        with self._cache_lock:
            self._cache[session_id] = meta
            self._cache.move_to_end(session_id)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)

    async def _load_meta(self, session_id: str) -> Meta | None:
        result = await self._call(
            "get_item",
            TableName=self.table_name,
            Key=_key(meta_pk(session_id)),
            ConsistentRead=True,
        )
        item = result.get("Item")
        meta = None if item is None else Meta.from_item(item)
        self._remember(session_id, meta)
        return meta

    # ------------------------------------------------------------------ the write engine

    def _begin(self, session_id: str, meta: Meta | None, now: float) -> tuple[Meta, Meta | None]:
        """The meta a write starts from (the live one, or a new incarnation's), version bumped,
        TTL slid; plus the live meta whose items need the new horizon first (if any)."""
        ttl = self.ttl
        expires = None if ttl is None else now + ttl
        if meta is not None and meta.lock is not None and meta.lock[1] <= now:
            meta = meta.evolve(lock=None)  # an abandoned multi-transaction write's lease ran out
        if meta is not None and meta.live(now):
            horizon = meta.horizon
            stale = False
            if ttl is None:
                stale, horizon = horizon is not None, None
            elif horizon is None or horizon < now + ttl:
                stale, horizon = True, now + 2 * ttl
            has_items = bool(meta.streams or meta.docs)
            base = meta.evolve(
                version=meta.version + 1, updated_at=now, expires_at=expires, horizon=horizon
            )
            return base, (meta if stale and has_items else None)
        base = Meta(
            session_id=session_id,
            incarnation=new_token(),
            version=1 if meta is None else meta.version + 1,
            created_at=now,
            updated_at=now,
            expires_at=expires,
            horizon=None if ttl is None else now + 2 * ttl,
        )
        return base, None

    @contextlib.asynccontextmanager
    async def _turn(self, session_id: str) -> AsyncIterator[None]:
        """Tasks of this store on one loop write a session one at a time: they would only
        conflict with each other in DynamoDB (other stores and processes still can)."""
        key = (asyncio.get_running_loop(), session_id)
        with self._cache_lock:
            entry = self._turns.get(key)
            if entry is None:
                entry = self._turns[key] = (asyncio.Lock(), [0])
            entry[1][0] += 1
        try:
            async with entry[0]:
                yield
        finally:
            with self._cache_lock:
                entry[1][0] -= 1
                if entry[1][0] == 0:
                    del self._turns[key]

    async def _mutate(self, session_id: str, build: Build) -> Any:
        """Run ``build`` against the session's meta and commit its plan, retrying conflicts."""
        async with self._turn(session_id):
            return await self._mutate_now(session_id, build)

    async def _mutate_now(self, session_id: str, build: Build) -> Any:
        hit, meta = self._cached(session_id)
        fresh = not hit
        if not hit:
            meta = await self._load_meta(session_id)
        uploaded: dict[str, int | None] = {}
        conflicts = 0
        while True:
            now = time.time()
            try:
                outcome = await build(meta, now)
            except _Busy:
                if fresh:
                    conflicts = await self._backoff(session_id, conflicts)
                meta, fresh = await self._load_meta(session_id), True
                continue
            except (SessionsPlusError, ValueError):
                if fresh:
                    raise
                meta, fresh = await self._load_meta(session_id), True
                continue
            if isinstance(outcome, _Done):
                if fresh:
                    return outcome.result
                meta, fresh = await self._load_meta(session_id), True
                continue
            plan = outcome
            try:
                await self._commit(session_id, meta, plan, uploaded)
            except Cancelled as cancelled:
                meta, fresh = await self._after_cancel(session_id, cancelled), True
                conflicts = await self._backoff(session_id, conflicts, uploaded)
                continue
            self._remember(session_id, plan.meta)
            await self._cleanup(plan, _superseded(meta, plan.meta))
            return plan.result

    async def _commit(
        self, session_id: str, old: Meta | None, plan: _Plan, uploaded: dict[str, int | None]
    ) -> None:
        if plan.refresh is not None:
            await self._refresh_items(plan.refresh, plan.meta)
        expiration = _expiration(plan.meta)
        for write_id, chunks in plan.uploads:
            if write_id in uploaded and _covers(uploaded[write_id], expiration):
                continue
            items = chunk_items(session_id, write_id, chunks, expiration)
            await self._batch_write([{"PutRequest": {"Item": item}} for item in items])
            uploaded[write_id] = expiration
        condition = _meta_condition(old)
        if plan.meta is None:
            meta_action: dict[str, Any] = {
                "Delete": {"TableName": self.table_name, "Key": _key(meta_pk(session_id))}
            }
        else:
            meta_action = {
                "Put": {"TableName": self.table_name, "Item": plan.meta.to_item(self.ttl)}
            }
        meta_action[next(iter(meta_action))].update(condition)
        actions = [meta_action, *plan.actions]
        for action in plan.actions:
            action[next(iter(action))]["TableName"] = self.table_name
        await self._call("transact_write_items", TransactItems=actions)

    async def _after_cancel(self, session_id: str, cancelled: Cancelled) -> Meta | None:
        reasons = cancelled.reasons
        codes = [str(reason.get("Code") or "None") for reason in reasons]
        if any(
            code not in ("None", "ConditionalCheckFailed", "TransactionConflict") for code in codes
        ):
            raise SessionsPlusError(f"DynamoDB cancelled the transaction: {codes} ({cancelled})")
        first = reasons[0] if reasons else {}
        if first.get("Code") == "ConditionalCheckFailed":
            item = first.get("Item")
            meta = None if not item else Meta.from_item(item)
            self._remember(session_id, meta)
            return meta
        return await self._load_meta(session_id)

    async def _backoff(
        self, session_id: str, conflicts: int, uploaded: dict[str, int | None] | None = None
    ) -> int:
        conflicts += 1
        if conflicts > self.max_conflict_retries:
            if uploaded:
                await self._delete_blobs(session_id, list(uploaded))
            raise ConflictError(
                f"session {session_id!r}: concurrent writers kept conflicting; "
                f"gave up after {self.max_conflict_retries} retries (nothing was written)"
            )
        if conflicts > 1:
            await asyncio.sleep(random.uniform(0, min(0.5, 0.004 * 2 ** min(conflicts, 8))))
        return conflicts

    async def _cleanup(self, plan: _Plan, superseded: Meta | None) -> None:
        """Best-effort removal of what the committed write made unreachable."""
        try:
            if plan.cleanup:
                await self._batch_write([{"DeleteRequest": {"Key": key}} for key in plan.cleanup])
            if plan.after is not None:
                await plan.after()
            if superseded is not None:
                await self._remove_incarnation(superseded)
        except Exception:  # the write itself succeeded; leftovers are invisible garbage
            logger.warning("DynamoDB cleanup after a write failed", exc_info=True)

    async def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        client = await self.get_client()
        await batch_write(client, self.table_name, requests)

    async def _delete_blobs(self, session_id: str, write_ids: list[str]) -> None:
        keys: list[Item] = []
        for write_id in write_ids:
            items = await self._query(
                "pk = :p", {":p": {"S": blob_pk(session_id, write_id)}}, project=True
            )
            keys.extend({"pk": item["pk"], "sk": item["sk"]} for item in items)
        if keys:
            try:
                await self._batch_write([{"DeleteRequest": {"Key": key}} for key in keys])
            except Exception:
                logger.warning("could not delete unused DynamoDB chunk items", exc_info=True)

    async def _incarnation_keys(
        self, old: Meta, *, whole_generations: bool
    ) -> tuple[list[Item], list[Item]]:
        """Keys of ``old``'s record items (its streams' current generations, up to their
        counts or whole), and of the chunk items its records and documents own."""
        records: list[Item] = []
        chunks: list[Item] = []
        for stream, state in old.streams.items():
            last = SPAN - 1 if whole_generations else state.count
            items = await self._query(
                "pk = :p AND sk BETWEEN :a AND :b",
                {
                    ":p": {"S": log_pk(old.session_id, stream)},
                    ":a": {"N": str(sort_key(state.gen, 0))},
                    ":b": {"N": str(sort_key(state.gen, last))},
                },
                project=True,
            )
            records.extend({"pk": item["pk"], "sk": item["sk"]} for item in items)
            chunks.extend(_chunk_keys_of(old.session_id, items))
        for doc in old.docs.values():
            chunks.extend(chunk_keys(old.session_id, doc.write_id, doc.chunks))
        return records, chunks

    async def _delete_docs(self, session_id: str, docs: dict[str, DocState]) -> None:
        """Delete document items, each only if it is still the write we know of: a newer
        incarnation may have reused the name."""
        for name, doc in docs.items():
            try:
                await self._call(
                    "delete_item",
                    TableName=self.table_name,
                    Key=_key(doc_pk(session_id, name)),
                    ConditionExpression="#w = :w",
                    ExpressionAttributeNames={"#w": "w"},
                    ExpressionAttributeValues={":w": {"S": doc.write_id}},
                )
            except SessionsPlusError as exc:
                if "ConditionalCheckFailed" not in str(exc):
                    raise

    async def _remove_incarnation(self, old: Meta) -> None:
        """Delete what an expired incarnation left once a write has replaced its meta, so
        no expired item outlives the session for DynamoDB's sweeper or ``purge_expired``."""
        records, chunks = await self._incarnation_keys(old, whole_generations=True)
        await self._batch_write([{"DeleteRequest": {"Key": key}} for key in records + chunks])
        await self._delete_docs(old.session_id, old.docs)

    async def _refresh_items(self, old: Meta, new: Meta | None) -> None:
        """Give every item of ``old``'s incarnation the new horizon (None: no expiration)."""
        horizon = None if new is None else new.horizon
        expires = None if new is None else new.expires_at
        records, others = await self._incarnation_keys(old, whole_generations=False)
        others += [_key(doc_pk(old.session_id, name)) for name in old.docs]
        client = await self.get_client()
        limit = asyncio.Semaphore(16)

        async def update(key: Item, is_record: bool) -> None:
            names = {"#t": TTL_ATTRIBUTE, "#p": "pk"}
            values: dict[str, Any] = {}
            if horizon is None:
                expression = "REMOVE #t"
            else:
                expression = "SET #t = :t"
                values[":t"] = {"N": str(math.ceil(horizon))}
                if is_record and expires is not None:
                    expression += ", #x = if_not_exists(#x, :x)"
                    names["#x"] = "x"
                    values[":x"] = {"N": repr(expires)}
            params: dict[str, Any] = {
                "TableName": self.table_name,
                "Key": key,
                "UpdateExpression": expression,
                "ConditionExpression": "attribute_exists(#p)",
                "ExpressionAttributeNames": names,
            }
            if values:
                params["ExpressionAttributeValues"] = values
            async with limit:
                try:
                    await call(client, self.table_name, "update_item", **params)
                except SessionsPlusError as exc:
                    if "ConditionalCheckFailed" not in str(exc):
                        raise

        await asyncio.gather(
            *(update(key, True) for key in records), *(update(key, False) for key in others)
        )

    async def _query(
        self,
        condition: str,
        values: dict[str, Any],
        *,
        project: bool = False,
        projection: dict[str, Any] | None = None,
        **params: Any,
    ) -> list[Item]:
        """Every item of one Query (all pages); ``project``: keys and chunk references only,
        ``projection``: those Query parameters (see :func:`_projection`)."""
        client = await self.get_client()
        if project:
            projection = _KEYS_PROJECTION
        if projection is not None:
            params.update(projection)
        return await query_all(
            client,
            self.table_name,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
            **params,
        )

    # ------------------------------------------------------------------ log writes

    def _record(
        self,
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
        return record_item(
            log_pk(base.session_id, stream),
            sort_key(gen, seq),
            incarnation=base.incarnation,
            write_id=write_id,
            created_at=created_at,
            session_expires=base.expires_at,
            expiration=_expiration(base),
            format=format,
            author=author,
            packed=packed,
        )

    async def write_log(self, write: LogWrite) -> int:
        session_id, stream, start = write.session_id, write.stream, write.start_seq
        payloads, format, author = write.payloads, write.format, write.author
        if_last_seq = write.if_last_seq
        """Append at the end (``start`` None) or truncate at ``start`` and append there."""
        packed = [pack(payload) for payload in payloads]
        write_ids = [new_token() for _ in payloads]
        try:
            return int(
                await self._mutate(
                    session_id,
                    self._log_build(
                        session_id, stream, start, packed, write_ids, format, author, if_last_seq
                    ),
                )
            )
        except _NeedsSteps:
            return await self._write_log_steps(
                session_id, stream, start, packed, write_ids, format, author, if_last_seq
            )

    def _log_build(
        self,
        session_id: str,
        stream: str,
        start: int | None,
        packed: list[Packed],
        write_ids: list[str],
        format: str | None,
        author: str | None,
        if_last_seq: int | None,
    ) -> Build:
        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            base, refresh = self._begin(session_id, meta, now)
            if base.locked_by_other(None, now):
                raise _Busy
            state = base.streams.get(stream)
            count = 0 if state is None else state.count
            first = _check_position(session_id, stream, count, start, if_last_seq)
            size = sum(p.item_bytes for p in packed)
            tail = max(0, count - (first + len(packed) - 1))
            if len(packed) + tail + 1 > MAX_TRANSACTION_ITEMS or size > MAX_TRANSACTION_BYTES:
                raise _NeedsSteps
            gen = state.gen if state is not None else _fresh_gen(meta, stream)
            cleanup: list[Item] = []
            actions: list[dict[str, Any]] = []
            if first <= count:  # splice: overwritten and dropped records may own chunks
                old = await self._range_items(session_id, stream, gen, first, count)
                cleanup = _chunk_keys_of(session_id, old)
                actions = [
                    {"Delete": {"Key": {"pk": item["pk"], "sk": item["sk"]}}}
                    for item in old
                    if item_seq(item)[1] >= first + len(packed)
                ]
            for offset, (one, write_id) in enumerate(zip(packed, write_ids, strict=True)):
                item = self._record(
                    base,
                    stream,
                    gen,
                    first + offset,
                    write_id,
                    one,
                    created_at=now,
                    format=format,
                    author=author,
                )
                actions.append({"Put": {"Item": item}})
            new_count = first - 1 + len(packed)
            streams = {**base.streams, stream: StreamState(gen, new_count)}
            return _Plan(
                meta=base.evolve(streams=streams),
                result=first,
                actions=actions,
                uploads=_uploads(packed, write_ids),
                cleanup=cleanup,
                refresh=refresh,
            )

        return build

    async def _write_log_steps(
        self,
        session_id: str,
        stream: str,
        start: int | None,
        packed: list[Packed],
        write_ids: list[str],
        format: str | None,
        author: str | None,
        if_last_seq: int | None,
    ) -> int:
        """A write too large for one transaction: lock, truncate, append in batches, unlock.

        Each step is atomic and the seqs stay consecutive (other writers wait for the lock),
        but readers can see the steps in between, and a failure leaves the steps done so far.
        """
        token = new_token()

        async def lock(meta: Meta | None, now: float) -> _Plan | _Done:
            base, refresh = self._begin(session_id, meta, now)
            if base.locked_by_other(None, now):
                raise _Busy
            state = base.streams.get(stream)
            count = 0 if state is None else state.count
            first = _check_position(session_id, stream, count, start, if_last_seq)
            return _Plan(
                meta=base.evolve(lock=(token, now + LOCK_LEASE)), result=first, refresh=refresh
            )

        first = int(await self._mutate(session_id, lock))
        try:
            while await self._mutate(
                session_id, self._truncate_step(session_id, stream, token, first)
            ):
                pass
            batches = _batches(packed)
            for index, (lo, hi) in enumerate(batches):
                last = index == len(batches) - 1
                await self._mutate(
                    session_id,
                    self._append_step(
                        session_id,
                        stream,
                        token,
                        packed[lo:hi],
                        write_ids[lo:hi],
                        format,
                        author,
                        last,
                    ),
                )
            if not batches:
                await self._mutate(session_id, self._unlock_step(session_id, token))
        except BaseException:
            try:
                await self._mutate(session_id, self._unlock_step(session_id, token))
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
        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            self._owned(session_id, meta, token, now)
            base, refresh = self._begin(session_id, meta, now)
            state = base.streams.get(stream)
            if state is None or state.count < first:
                return _Done(False)
            lo = max(first, state.count - (MAX_TRANSACTION_ITEMS - 2))
            old = await self._range_items(session_id, stream, state.gen, lo, state.count)
            streams = {**base.streams, stream: StreamState(state.gen, lo - 1)}
            return _Plan(
                meta=base.evolve(streams=streams, lock=(token, now + LOCK_LEASE)),
                result=True,
                actions=[{"Delete": {"Key": {"pk": i["pk"], "sk": i["sk"]}}} for i in old],
                cleanup=_chunk_keys_of(session_id, old),
                refresh=refresh,
            )

        return build

    def _append_step(
        self,
        session_id: str,
        stream: str,
        token: str,
        packed: list[Packed],
        write_ids: list[str],
        format: str | None,
        author: str | None,
        last: bool,
    ) -> Build:
        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            self._owned(session_id, meta, token, now)
            base, refresh = self._begin(session_id, meta, now)
            state = base.streams.get(stream)
            count = 0 if state is None else state.count
            gen = state.gen if state is not None else _fresh_gen(meta, stream)
            actions = [
                {
                    "Put": {
                        "Item": self._record(
                            base,
                            stream,
                            gen,
                            count + 1 + offset,
                            write_id,
                            one,
                            created_at=now,
                            format=format,
                            author=author,
                        )
                    }
                }
                for offset, (one, write_id) in enumerate(zip(packed, write_ids, strict=True))
            ]
            streams = {**base.streams, stream: StreamState(gen, count + len(packed))}
            return _Plan(
                meta=base.evolve(streams=streams, lock=None if last else (token, now + LOCK_LEASE)),
                result=count + 1,
                actions=actions,
                uploads=_uploads(packed, write_ids),
                refresh=refresh,
            )

        return build

    def _unlock_step(self, session_id: str, token: str) -> Build:
        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            if meta is None or meta.lock is None or meta.lock[0] != token:
                return _Done(None)
            return _Plan(meta=meta.evolve(version=meta.version + 1, lock=None))

        return build

    async def _range_items(
        self, session_id: str, stream: str, gen: int, lo: int, hi: int
    ) -> list[Item]:
        """Keys, write ids and chunk counts of records ``lo..hi`` of one generation."""
        items = await self._query(
            "pk = :p AND sk BETWEEN :a AND :b",
            {
                ":p": {"S": log_pk(session_id, stream)},
                ":a": {"N": str(sort_key(gen, lo))},
                ":b": {"N": str(sort_key(gen, hi))},
            },
            project=True,
        )
        return [item for item in items if item_seq(item)[1] >= 1]

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            if meta is None or not meta.live(now):
                return _Done(None)
            state = meta.streams.get(stream)
            if state is None or state.count == 0:
                return _Done(None)
            if meta.locked_by_other(None, now):
                raise _Busy
            key = _key(log_pk(session_id, stream), sort_key(state.gen, state.count))
            result = await self._call(
                "get_item", TableName=self.table_name, Key=key, ConsistentRead=True
            )
            item = result.get("Item")
            if item is None:  # the meta we hold is older than the records
                raise _Busy
            raw = raw_record(item, (await self._payloads(session_id, stream, [item]))[0])
            base, refresh = self._begin(session_id, meta, now)
            streams = {**base.streams, stream: StreamState(state.gen, state.count - 1)}
            return _Plan(
                meta=base.evolve(streams=streams),
                result=raw,
                actions=[{"Delete": {"Key": key}}],
                cleanup=_chunk_keys_of(session_id, [item]),
                refresh=refresh,
            )

        popped: RawRecord | None = await self._mutate(session_id, build)
        return popped

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        packed = pack(payload)
        write_id = new_token()

        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            live = meta is not None and meta.live(now)
            state = meta.streams.get(stream) if meta is not None and live else None
            if meta is None or state is None or seq > state.count:
                raise RecordNotFoundError(
                    f"session {session_id!r} stream {stream!r} has no record seq={seq}"
                )
            if meta.locked_by_other(None, now):
                raise _Busy
            key = _key(log_pk(session_id, stream), sort_key(state.gen, seq))
            result = await self._call(
                "get_item", TableName=self.table_name, Key=key, ConsistentRead=True
            )
            old = result.get("Item")
            if old is None:
                raise _Busy
            base, refresh = self._begin(session_id, meta, now)
            item = self._record(
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
            return _Plan(
                meta=base,
                actions=[{"Put": {"Item": item}}],
                uploads=_uploads([packed], [write_id]),
                cleanup=_chunk_keys_of(session_id, [old]),
                refresh=refresh,
            )

        await self._mutate(session_id, build)

    async def clear_log(self, session_id: str, stream: str) -> None:
        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            if meta is None or not meta.live(now):
                return _Done(None)
            if meta.locked_by_other(None, now):
                raise _Busy
            base, refresh = self._begin(session_id, meta, now)
            state = meta.streams.get(stream)
            if state is None:
                return _Plan(meta=base, refresh=refresh)
            gen = new_gen(state.gen)
            marker = self._record(base, stream, gen, 0, new_token(), None, created_at=now)
            streams = {**base.streams, stream: StreamState(gen, 0)}

            async def drop_old_generation() -> None:
                old = await self._query(
                    "pk = :p AND sk BETWEEN :a AND :b",
                    {
                        ":p": {"S": log_pk(session_id, stream)},
                        ":a": {"N": str(sort_key(state.gen, 0))},
                        ":b": {"N": str(sort_key(state.gen, SPAN - 1))},
                    },
                    project=True,
                )
                keys = [{"pk": i["pk"], "sk": i["sk"]} for i in old]
                keys += _chunk_keys_of(session_id, old)
                await self._batch_write([{"DeleteRequest": {"Key": key}} for key in keys])

            return _Plan(
                meta=base.evolve(streams=streams),
                actions=[{"Put": {"Item": marker}}],
                refresh=refresh,
                after=drop_old_generation,
            )

        await self._mutate(session_id, build)

    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        if updated_before is not None:  # contract v2: the backend's owner implements it
            raise NotImplementedError(f"{type(self).__name__}: delete(updated_before=) not yet")
        return bool(await self._mutate(session_id, self._delete_build(session_id, False)))

    def _delete_build(self, session_id: str, only_expired: bool) -> Build:
        """Delete the meta item and put a tombstone on top of every stream, atomically; then
        remove the session's items (a snapshot taken before, so a new incarnation is spared)."""

        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            if meta is None:
                return _Done(False)
            live = meta.live(now)
            if only_expired and live:
                return _Done(False)
            snapshot: dict[str, list[Item]] = {}
            for stream in meta.streams:
                snapshot[stream] = await self._query(
                    "pk = :p", {":p": {"S": log_pk(session_id, stream)}}, project=True
                )
            tombstones: list[Item] = []
            for stream, state in meta.streams.items():
                highest = max(
                    [state.gen, *(item_seq(item)[0] for item in snapshot[stream])], default=0
                )
                tombstones.append(
                    record_item(
                        log_pk(session_id, stream),
                        sort_key(new_gen(highest), 0),
                        incarnation=TOMBSTONE,
                        write_id=new_token(),
                        created_at=now,
                        session_expires=0.0,
                        expiration=None,
                    )
                )
            if len(tombstones) > MAX_TRANSACTION_ITEMS - 1:
                extra = tombstones[MAX_TRANSACTION_ITEMS - 1 :]
                tombstones = tombstones[: MAX_TRANSACTION_ITEMS - 1]
                await self._batch_write([{"PutRequest": {"Item": item}} for item in extra])
                tombstones_after = extra
            else:
                tombstones_after = []
            docs = dict(meta.docs)
            everything = [item for items in snapshot.values() for item in items]

            async def remove_items() -> None:
                keys = [{"pk": i["pk"], "sk": i["sk"]} for i in everything]
                keys += _chunk_keys_of(session_id, everything)
                for doc in docs.values():
                    keys += chunk_keys(session_id, doc.write_id, doc.chunks)
                await self._batch_write([{"DeleteRequest": {"Key": key}} for key in keys])
                await self._delete_docs(session_id, docs)
                stones = [{"pk": t["pk"], "sk": t["sk"]} for t in tombstones + tombstones_after]
                await self._batch_write([{"DeleteRequest": {"Key": key}} for key in stones])

            return _Plan(
                meta=None,
                result=True if only_expired else live,
                actions=[{"Put": {"Item": item}} for item in tombstones],
                after=remove_items,
            )

        return build

    # ------------------------------------------------------------------ log reads

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        items = await self._read_items(
            session_id, stream, limit, after, before, keep, _RECORD_PROJECTION
        )
        payloads = await self._payloads(session_id, stream, items)
        return [raw_record(item, payload) for item, payload in zip(items, payloads, strict=True)]

    async def read_log_payloads(self, query: LogRange) -> list[tuple[int, bytes]]:
        session_id, stream, keep = query.session_id, query.stream, query.keep
        limit, after, before = query.limit, query.after, query.before
        items = await self._read_items(
            session_id, stream, limit, after, before, keep, _PAYLOAD_PROJECTION
        )
        payloads = await self._payloads(session_id, stream, items)
        return [(item_seq(item)[1], payload) for item, payload in zip(items, payloads, strict=True)]

    async def _read_items(
        self,
        session_id: str,
        stream: str,
        limit: int | None,
        after: int | None,
        before: int | None,
        keep: Keep,
        projection: dict[str, Any],
    ) -> list[Item]:
        """The record items of a read in seq order, with only the attributes ``projection``
        names: a Query returns (and a client parses) far less than whole items."""
        if self.refresh_on_read:
            await self._touch(session_id)
        if keep == "latest" and before is None:
            items = await self._read_top(session_id, stream, limit, after, projection)
            if items is not None:
                return items
        for _ in range(3):
            meta = await self._load_meta(session_id)
            now = time.time()
            if meta is None or not meta.live(now):
                return []
            state = meta.streams.get(stream)
            if state is None:
                return []
            lo = after or 0
            hi = state.count if before is None else min(state.count, before - 1)
            if lo >= hi:
                return []
            if limit is not None:
                if keep == "latest":
                    lo = max(lo, hi - limit)
                else:
                    hi = min(hi, lo + limit)
            items = await self._query(
                "pk = :p AND sk BETWEEN :a AND :b",
                {
                    ":p": {"S": log_pk(session_id, stream)},
                    ":a": {"N": str(sort_key(state.gen, lo + 1))},
                    ":b": {"N": str(sort_key(state.gen, hi))},
                },
                projection=projection,
            )
            if [item_seq(item)[1] for item in items] == list(range(lo + 1, hi + 1)):
                return items
            await asyncio.sleep(0.01)  # a transaction is still becoming visible
        raise SessionsPlusError(
            f"session {session_id!r} stream {stream!r}: records missing behind the meta item"
        )

    async def _read_top(
        self,
        session_id: str,
        stream: str,
        limit: int | None,
        after: int | None,
        projection: dict[str, Any],
    ) -> list[Item] | None:
        """Latest-N in one Query from the top of the partition, or None to ask the meta item.

        The top item proves the session live if its ``x`` (the session's expiry when it was
        written) is still ahead; it is then the stream's last record (or a generation marker).
        """
        client = await self.get_client()
        items: list[Item] = []
        params: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": log_pk(session_id, stream)}},
            "ScanIndexForward": False,
            "ConsistentRead": True,
            **projection,
        }
        if limit is not None:
            params["Limit"] = limit
        async for page in query_pages(client, self.table_name, **params):
            items.extend(page)
            if not items or (limit is not None and len(items) >= limit):
                break
            gen, seq = item_seq(items[-1])
            if gen != item_seq(items[0])[0] or seq <= (after or 0) + 1:
                break
            if limit is not None:
                params["Limit"] = limit - len(items)
        if not items:
            return []
        top = items[0]
        expires = session_expires(top)
        tombstone = "inc" in top and top["inc"]["S"] == TOMBSTONE  # its x (0) says so too
        if tombstone or (expires is not None and expires <= time.time()):
            return None
        gen, count = item_seq(top)
        lo = after or 0
        if is_marker(top) or count <= lo:
            return []
        want = count - lo if limit is None else min(limit, count - lo)
        picked = items[:want]
        if len(picked) < want or any(
            is_marker(item) or item_seq(item) != (gen, count - index)
            for index, item in enumerate(picked)
        ):
            return None
        picked.reverse()
        return picked

    async def _payloads(self, session_id: str, stream: str, items: list[Item]) -> list[bytes]:
        """The payloads of record items, fetching the chunks of those that have some."""

        async def one(item: Item) -> bytes:
            chunks = None
            if "bn" in item:
                if "w" in item:
                    write_id = item["w"]["S"]
                else:
                    write_id = await self._write_id(log_pk(session_id, stream), item)
                chunks = await self._chunks(session_id, write_id, chunk_count(item))
            try:
                return unpack(item, chunks)
            except ValueError:
                return b""  # decodes as corrupt: the on_corrupt policy applies

        if not any("bn" in item for item in items):  # the usual case: no request, no task
            return [await one(item) for item in items]
        return list(await asyncio.gather(*(one(item) for item in items)))

    async def _write_id(self, partition: str, item: Item) -> str:
        """The write id of a record item read without it (it names the chunk items)."""
        result = await self._call(
            "get_item",
            TableName=self.table_name,
            Key={"pk": {"S": partition}, "sk": item["sk"]},
            ConsistentRead=True,
            ProjectionExpression="#w",
            ExpressionAttributeNames={"#w": "w"},
        )
        found = result.get("Item")
        return "" if found is None else str(found["w"]["S"])

    async def _chunks(self, session_id: str, write_id: str, count: int) -> list[bytes] | None:
        items = await self._query("pk = :p", {":p": {"S": blob_pk(session_id, write_id)}})
        if len(items) != count:
            logger.warning("session %r: chunk items of a large payload are missing", session_id)
            return None
        return [bytes(item["p"]["B"]) for item in items]

    # ------------------------------------------------------------------ documents

    async def write_doc(self, write: DocWrite) -> bool:
        session_id, name, payload = write.session_id, write.name, write.payload
        if_absent, if_exists = write.if_absent, write.if_exists
        packed = pack(payload)
        write_id = new_token()

        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            present = meta is not None and meta.live(now) and name in meta.docs
            if (if_absent and present) or (if_exists and not present):
                return _Done(False)
            base, refresh = self._begin(session_id, meta, now)
            if base.locked_by_other(None, now):
                raise _Busy
            item: Item = {
                "pk": {"S": doc_pk(session_id, name)},
                "sk": {"N": "0"},
                "inc": {"S": base.incarnation},
                "w": {"S": write_id},
                "ts": {"N": repr(now)},
                **packed.attrs,
            }
            expiration = _expiration(base)
            if expiration is not None:
                item[TTL_ATTRIBUTE] = {"N": str(expiration)}
            old = base.docs.get(name)
            docs = {**base.docs, name: DocState(write_id, len(packed.chunks))}
            return _Plan(
                meta=base.evolve(docs=docs),
                result=True,
                actions=[{"Put": {"Item": item}}],
                uploads=_uploads([packed], [write_id]),
                cleanup=[] if old is None else chunk_keys(session_id, old.write_id, old.chunks),
                refresh=refresh,
            )

        return bool(await self._mutate(session_id, build))

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        if self.refresh_on_read:
            await self._touch(session_id)
        client = await self.get_client()
        for _ in range(3):
            keys = [_key(meta_pk(session_id)), _key(doc_pk(session_id, name))]
            found = {
                item["pk"]["S"]: item for item in await batch_get(client, self.table_name, keys)
            }
            meta_item = found.get(meta_pk(session_id))
            if meta_item is None:
                return None
            meta = Meta.from_item(meta_item)
            self._remember(session_id, meta)
            doc = meta.docs.get(name)
            if not meta.live(time.time()) or doc is None:
                return None
            item = found.get(doc_pk(session_id, name))
            if item is not None and item["w"]["S"] == doc.write_id:
                chunks = None
                if doc.chunks:
                    chunks = await self._chunks(session_id, doc.write_id, doc.chunks)
                try:
                    return unpack(item, chunks)
                except ValueError:
                    return b""
            await asyncio.sleep(0.01)  # the document's transaction is still becoming visible
        raise SessionsPlusError(f"session {session_id!r}: document {name!r} missing behind meta")

    async def remove_doc(self, session_id: str, name: str) -> bool:
        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            if meta is None or not meta.live(now) or name not in meta.docs:
                return _Done(False)
            if meta.locked_by_other(None, now):
                raise _Busy
            base, refresh = self._begin(session_id, meta, now)
            old = base.docs[name]
            docs = {key: value for key, value in base.docs.items() if key != name}
            return _Plan(
                meta=base.evolve(docs=docs),
                result=True,
                actions=[{"Delete": {"Key": _key(doc_pk(session_id, name))}}],
                cleanup=chunk_keys(session_id, old.write_id, old.chunks),
                refresh=refresh,
            )

        return bool(await self._mutate(session_id, build))

    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        meta = await self._live_meta(session_id)
        if meta is None:
            return []
        return sorted(name for name in meta.docs if name.startswith(prefix))

    # ------------------------------------------------------------------ sessions

    async def _touch(self, session_id: str) -> Meta | None:
        """Slide a live session's TTL without a write (refresh_on_read)."""

        async def build(meta: Meta | None, now: float) -> _Plan | _Done:
            if meta is None or not meta.live(now):
                return _Done(None)
            base, refresh = self._begin(session_id, meta, now)
            touched = base.evolve(updated_at=meta.updated_at)
            return _Plan(meta=touched, result=touched, refresh=refresh)

        touched: Meta | None = await self._mutate(session_id, build)
        return touched

    async def _live_meta(self, session_id: str) -> Meta | None:
        if self.refresh_on_read:
            return await self._touch(session_id)
        meta = await self._load_meta(session_id)
        return meta if meta is not None and meta.live(time.time()) else None

    async def session_info(self, session_id: str) -> SessionInfo | None:
        meta = await self._live_meta(session_id)
        return None if meta is None else meta.info()

    async def _scan_metas(
        self, start: Item | None, extra_filter: str = "", values: dict[str, Any] | None = None
    ) -> tuple[list[Item], Item | None]:
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "ConsistentRead": True,
            "FilterExpression": "begins_with(#p, :m) AND attribute_exists(#sid)" + extra_filter,
            "ExpressionAttributeNames": {"#p": "pk", "#sid": "sid"},
            "ExpressionAttributeValues": {":m": {"S": "M"}, **(values or {})},
        }
        if extra_filter:
            params["ExpressionAttributeNames"]["#ex"] = "ex"
        if start is not None:
            params["ExclusiveStartKey"] = start
        page = await self._call("scan", **params)
        return page.get("Items", []), page.get("LastEvaluatedKey")

    async def session_page(self, query: SessionQuery) -> SessionPage:
        limit, cursor = query.limit, query.cursor
        if query.prefix:  # contract v2: the backend's owner implements it
            raise NotImplementedError(f"{type(self).__name__}: list_sessions(prefix=) not yet")
        if cursor is not None and (not isinstance(cursor, str) or not cursor.startswith("M")):
            raise ValueError(f"not a DynamoDBStore cursor: {cursor!r}")
        start = None if cursor is None else _key(cursor)
        found: list[tuple[str, Meta]] = []
        while True:
            items, start = await self._scan_metas(start)
            now = time.time()
            for item in items:
                meta = Meta.from_item(item)
                if meta.live(now):
                    found.append((item["pk"]["S"], meta))
                if len(found) == limit:
                    page = sorted((m for _, m in found), key=lambda m: m.session_id)
                    return SessionPage([m.info() for m in page], found[-1][0])
            if start is None:
                page = sorted((m for _, m in found), key=lambda m: m.session_id)
                return SessionPage([m.info() for m in page], None)

    async def purge_sessions(self) -> int:
        purged = 0
        start: Item | None = None
        while True:
            items, start = await self._scan_metas(
                start, " AND #ex <= :now", {":now": {"N": repr(time.time())}}
            )
            for item in items:
                session_id = item["sid"]["S"]
                try:
                    if await self._mutate(session_id, self._delete_build(session_id, True)):
                        purged += 1
                except ConflictError:
                    logger.warning("purge skipped busy session %r", session_id)
            if start is None:
                return purged


# ---------------------------------------------------------------------- helpers


def _projection(*attributes: str) -> dict[str, Any]:
    """Query parameters that return only ``attributes`` (as placeholders: some, like ``ts``,
    are DynamoDB reserved words)."""
    return {
        "ProjectionExpression": ", ".join(f"#{name}" for name in attributes),
        "ExpressionAttributeNames": {f"#{name}": name for name in attributes},
    }


_KEYS_PROJECTION = _projection("pk", "sk", "bn", "w")
"""Keys plus what locates a record's chunk items: for deletes and TTL updates."""
_PAYLOAD_PROJECTION = _projection("sk", "x", "m", "p", "z", "bn")
"""What a payload-only read needs: the seq, the top item's liveness (``x``: a tombstone's is
0), the payload (or its chunk count; the write id naming the chunks is fetched when needed).
Every attribute left out is one less per item for DynamoDB to return and botocore to parse."""
_RECORD_PROJECTION = _projection("sk", "x", "m", "p", "z", "bn", "ts", "f", "a")
"""What a whole-record read needs: the above plus the record's header."""


def _key(pk: str, sk: int = 0) -> Item:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def _expiration(meta: Meta | None) -> int | None:
    if meta is None or meta.horizon is None:
        return None
    return math.ceil(meta.horizon)


def _superseded(old: Meta | None, new: Meta | None) -> Meta | None:
    """The expired incarnation a committed write replaced with a new one, if it left items."""
    if old is None or new is None or old.incarnation == new.incarnation:
        return None
    return old if old.streams or old.docs else None


def _covers(written: int | None, needed: int | None) -> bool:
    """Chunk items written with expiration ``written`` are good for a write needing ``needed``."""
    if written is None or needed is None:
        return written is None and needed is None
    return written >= needed


def _meta_condition(old: Meta | None) -> dict[str, Any]:
    if old is None:
        return {
            "ConditionExpression": "attribute_not_exists(#p)",
            "ExpressionAttributeNames": {"#p": "pk"},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    return {
        "ConditionExpression": "#v = :v AND #i = :i",
        "ExpressionAttributeNames": {"#v": "ver", "#i": "inc"},
        "ExpressionAttributeValues": {
            ":v": {"N": str(old.version)},
            ":i": {"S": old.incarnation},
        },
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _check_position(
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


def _fresh_gen(meta: Meta | None, stream: str) -> int:
    """A generation for a stream new in this incarnation, above the previous one's."""
    previous = None if meta is None else meta.streams.get(stream)
    return new_gen(None if previous is None else previous.gen)


def _uploads(packed: list[Packed], write_ids: list[str]) -> list[tuple[str, list[bytes]]]:
    return [(w, p.chunks) for p, w in zip(packed, write_ids, strict=True) if p.chunks]


def _chunk_keys_of(session_id: str, items: list[Item]) -> list[Item]:
    keys: list[Item] = []
    for item in items:
        if "bn" in item:
            keys.extend(chunk_keys(session_id, item["w"]["S"], chunk_count(item)))
    return keys


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


# ---------------------------------------------------------------------- URL


__all__ = ["DynamoDBStore"]
