"""DynamoDBStore: the backend interface over the modules of this package (see its docstring)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import SplitResult

from ...backend import DocWrite, ForkRequest, LogRange, LogWrite, SessionQuery
from ...errors import ConfigurationError
from ...loops import PerLoop
from ...options import Options
from ...records import RawRecord, RawSnapshot, SessionInfo, SessionPage
from ...store import ConversationStore
from .client import Client, Table, client_config, open_client
from .copies import Copies
from .docs import DocStore
from .engine import NeedsSteps, WriteEngine
from .items import item_seq, pack, raw_record
from .keys import new_token
from .large import LargeWriter
from .logs import LogWriter
from .purge import Purger
from .reads import PAYLOAD_PROJECTION, RECORD_PROJECTION, Reader
from .sessions import Sessions
from .table import ensure_table
from .url import url_arguments

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


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
    are retried by botocore (``retry_mode``, ``max_attempts``); write conflicts (a hot session
    with many writers) by the store for up to ``conflict_timeout`` seconds (and at most
    ``max_conflict_retries`` times, if set), then :class:`ConflictError`, nothing written.
    ``read_only=True`` never creates the table nor changes its TTL: a missing table raises
    :class:`~sessions_plus.StoreNotFoundError`.
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
        conflict_timeout: float = 60.0,
        max_conflict_retries: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(ttl=ttl, refresh_on_read=refresh_on_read, **kwargs)
        if not isinstance(table_name, str) or not _TABLE_NAME.match(table_name):
            raise ConfigurationError(
                f"invalid DynamoDB table name {table_name!r} (3-255 of A-Z a-z 0-9 _ . -)"
            )
        if retry_mode not in ("standard", "adaptive", "legacy"):
            raise ConfigurationError(
                f"retry_mode must be standard, adaptive or legacy, not {retry_mode!r}"
            )
        if max_attempts < 1 or (max_conflict_retries is not None and max_conflict_retries < 0):
            raise ConfigurationError("max_attempts must be >= 1 and max_conflict_retries >= 0")
        if not conflict_timeout > 0:
            raise ConfigurationError(f"conflict_timeout must be > 0, not {conflict_timeout!r}")
        self.table_name = table_name
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self.create_table = bool(create_table)
        self.max_conflict_retries = max_conflict_retries
        self.conflict_timeout = float(conflict_timeout)
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
        self._table = Table(table_name, self.get_client)
        self._engine = WriteEngine(
            self._table,
            ttl=self.ttl,
            conflict_timeout=self.conflict_timeout,
            max_conflict_retries=max_conflict_retries,
        )
        self._reader = Reader(self._table, self._engine)
        self._logs = LogWriter(self._engine, self._reader, self.max_records)
        self._large = LargeWriter(self._engine, self._reader, self.max_records)
        self._docs = DocStore(self._engine)
        self._sessions = Sessions(self._engine)
        self._copies = Copies(self._engine, self._reader)
        self._purger = Purger(self._engine)

    @classmethod
    def _from_url_options(cls, parts: SplitResult, options: Options) -> Self:
        """``dynamodb://TABLE?region=...&endpoint_url=...&ttl=...&create_table=false``."""
        table, arguments = url_arguments(parts, options)
        return cls(table, **arguments)

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
            await ensure_table(
                conn.client,
                self.table_name,
                create=self.create_table and not self.read_only,
                read_only=self.read_only,
            )
            self._table_ready = True
        return conn.client

    async def close_backend(self) -> None:
        self._engine.forget_all()
        await self._conns.aclose()

    # ------------------------------------------------------------------ logs

    async def write_log(self, write: LogWrite) -> int:
        packed = [pack(payload) for payload in write.payloads]
        write_ids = [new_token() for _ in write.payloads]
        try:
            build = self._logs.write_build(write, packed, write_ids)
            return int(await self._engine.mutate(write.session_id, build))
        except NeedsSteps:
            return await self._large.write(write, packed, write_ids)

    async def read_log(self, query: LogRange) -> list[RawRecord]:
        items = await self._read(query, RECORD_PROJECTION)
        payloads = await self._reader.payloads(query.session_id, query.stream, items)
        return [raw_record(item, payload) for item, payload in zip(items, payloads, strict=True)]

    async def read_log_payloads(self, query: LogRange) -> list[tuple[int, bytes]]:
        items = await self._read(query, PAYLOAD_PROJECTION)
        payloads = await self._reader.payloads(query.session_id, query.stream, items)
        return [(item_seq(item)[1], payload) for item, payload in zip(items, payloads, strict=True)]

    async def _read(self, query: LogRange, fields: dict[str, Any]) -> list[Any]:
        if self.refresh_on_read:
            await self._sessions.touch(query.session_id)
        return await self._reader.read_items(
            query.session_id, query.stream, query.limit, query.after, query.before, query.keep,
            fields,
        )  # fmt: skip

    async def pop_log(self, session_id: str, stream: str) -> RawRecord | None:
        return await self._logs.pop(session_id, stream)

    async def replace_payload(self, session_id: str, stream: str, seq: int, payload: bytes) -> None:
        await self._logs.replace(session_id, stream, seq, pack(payload))

    async def clear_log(self, session_id: str, stream: str) -> None:
        await self._logs.clear(session_id, stream)

    async def trim_log(self, session_id: str, stream: str, keep_last: int) -> int:
        return await self._logs.trim(session_id, stream, keep_last)

    # ------------------------------------------------------------------ documents

    async def write_doc(self, write: DocWrite) -> bool:
        return await self._docs.write(write)

    async def read_doc(self, session_id: str, name: str) -> bytes | None:
        if self.refresh_on_read:
            await self._sessions.touch(session_id)
        return await self._docs.read(session_id, name)

    async def remove_doc(self, session_id: str, name: str) -> bool:
        return await self._docs.remove(session_id, name)

    async def doc_names(self, session_id: str, prefix: str) -> list[str]:
        meta = await self._sessions.live_meta(session_id, self.refresh_on_read)
        if meta is None:
            return []
        return sorted(name for name in meta.docs if name.startswith(prefix))

    # ------------------------------------------------------------------ sessions

    async def delete_session(self, session_id: str, updated_before: float | None = None) -> bool:
        return await self._sessions.delete(session_id, updated_before)

    async def session_info(self, session_id: str) -> SessionInfo | None:
        return await self._sessions.info(session_id, self.refresh_on_read)

    async def session_page(self, query: SessionQuery) -> SessionPage:
        return await self._sessions.page(query)

    async def purge_sessions(self) -> int:
        return await self._purger.purge()

    # ------------------------------------------------------------------ copies

    async def snapshot_session(self, session_id: str) -> RawSnapshot | None:
        if self.refresh_on_read:
            await self._sessions.touch(session_id)
        return await self._copies.snapshot(session_id)

    async def restore_session(self, snapshot: RawSnapshot, replace: bool) -> SessionInfo:
        return await self._copies.restore(snapshot, replace)

    async def fork_session(self, fork: ForkRequest) -> SessionInfo:
        return await self._copies.fork(fork)


__all__ = ["DynamoDBStore"]
