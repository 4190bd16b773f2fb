"""The write engine: every change to a session is one conditional TransactWriteItems.

A write is described by a *build*: a coroutine that, given the session's meta item as last
seen (None if there is none) and the time, returns a :class:`Plan` (the new meta plus the other
actions of one transaction) or :class:`Done` (nothing to write). :class:`WriteEngine` commits
the plan on the condition that the meta item is still the one the build saw (its version and
incarnation), so seqs are assigned atomically; a writer that loses the race gets the fresh meta
back from DynamoDB (``ReturnValuesOnConditionCheckFailure``), rebuilds and retries with backoff.

Hot sessions: conflicts are retried within a time budget (``conflict_timeout``), the first
retry at once and later ones after short random delays (:class:`Retry`); and a write that lost
``CLAIM_AFTER`` races in a row *claims* the next turn: an UpdateItem sets ``pc``/``pcu`` (a
token and an expiry) on the meta item without touching its version, and every other writer's
condition requires no active claim but its own, so the claimant's next transaction cannot lose
(its Put drops the claim; a claimant that died frees it after ``CLAIM_FOR`` seconds). Writes
that just won a race pause briefly before their next attempt (``HOT_YIELD``). Together these
keep a session with many writers fair: nobody starves while the others take every turn. Tasks of
one store on one event loop write one session one at a time (``turn``): they would only
conflict with each other in DynamoDB. Metas are cached per store (LRU), so an append to a
session this store wrote last is a single request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConflictError, SessionsPlusError
from .chunks import delete_blobs
from .client import Table
from .errors import ConditionFailed, TransactionCancelled
from .incarnations import begin, expiration, refresh_items, remove_incarnation, superseded
from .items import chunk_items
from .keys import Item, meta_key, new_token
from .meta import Meta

logger = logging.getLogger("sessions_plus.dynamodb")

CACHE_SIZE = 4096
"""Metas cached per store."""
HOT_WINDOW = 1.0
"""Seconds a session counts as hot for this store after one of its writes lost a race."""
HOT_YIELD = 0.01
"""Longest pause before the first attempt of a write to a hot session."""
CLAIM_AFTER = 4
"""Races a write may lose before it claims the next turn."""
CLAIM_FOR = 2.0
"""Seconds a claim holds off other writers at most (a claimant that died frees it then)."""


class Busy(Exception):
    """Another writer holds the session's lease (a multi-transaction write is under way)."""


class NeedsSteps(Exception):
    """The write does not fit one transaction."""


@dataclass
class Done:
    """A write that turned out to need no change (``result`` is returned as is)."""

    result: Any


@dataclass
class Plan:
    """One TransactWriteItems: the new meta (None deletes it) plus other actions."""

    meta: Meta | None
    result: Any = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[tuple[str, list[bytes]]] = field(default_factory=list)
    """Chunk items to write before the transaction: (write id, chunks)."""
    cleanup: list[Item] = field(default_factory=list)
    """Keys the committed write made unreachable (deleted afterwards, best effort)."""
    refresh: Meta | None = None
    """The live meta whose items must get the new horizon before this write."""
    after: Callable[[], Awaitable[None]] | None = None
    """More best-effort cleanup once committed."""


Build = Callable[[Meta | None, float], Awaitable[Plan | Done]]


class WriteEngine:
    """Builds, commits and retries conditional transactions on one table."""

    def __init__(
        self,
        table: Table,
        *,
        ttl: float | None,
        conflict_timeout: float,
        max_conflict_retries: int | None = None,
    ) -> None:
        self.table = table
        self.ttl = ttl
        self.conflict_timeout = conflict_timeout
        self.max_conflict_retries = max_conflict_retries
        self._cache: OrderedDict[str, Meta | None] = OrderedDict()
        self._lock = threading.Lock()
        self._hot: dict[str, float] = {}
        self._turns: dict[
            tuple[asyncio.AbstractEventLoop, str], tuple[asyncio.Lock, list[int]]
        ] = {}

    # ------------------------------------------------------------------ meta cache

    def cached(self, session_id: str) -> tuple[bool, Meta | None]:
        with self._lock:
            if session_id in self._cache:
                self._cache.move_to_end(session_id)
                return True, self._cache[session_id]
            return False, None

    def remember(self, session_id: str, meta: Meta | None) -> None:
        with self._lock:
            self._cache[session_id] = meta
            self._cache.move_to_end(session_id)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def forget_all(self) -> None:
        with self._lock:
            self._cache.clear()

    async def load_meta(self, session_id: str) -> Meta | None:
        """The session's meta item, read strongly consistent (and cached)."""
        result = await self.table.call("get_item", Key=meta_key(session_id), ConsistentRead=True)
        item = result.get("Item")
        meta = None if item is None else Meta.from_item(item)
        self.remember(session_id, meta)
        return meta

    def begin(self, session_id: str, meta: Meta | None, now: float) -> tuple[Meta, Meta | None]:
        """See :func:`.incarnations.begin` (with this store's TTL)."""
        return begin(session_id, meta, now, self.ttl)

    # ------------------------------------------------------------------ the write loop

    @contextlib.asynccontextmanager
    async def turn(self, session_id: str) -> AsyncIterator[None]:
        """Tasks of this store on one loop write a session one at a time."""
        key = (asyncio.get_running_loop(), session_id)
        with self._lock:
            entry = self._turns.get(key)
            if entry is None:
                entry = self._turns[key] = (asyncio.Lock(), [0])
            entry[1][0] += 1
        try:
            async with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1][0] -= 1
                if entry[1][0] == 0:
                    del self._turns[key]

    async def mutate(self, session_id: str, build: Build) -> Any:
        """Run ``build`` against the session's meta and commit its plan, retrying conflicts."""
        async with self.turn(session_id):
            return await self._mutate_now(session_id, build)

    async def _mutate_now(self, session_id: str, build: Build) -> Any:
        held: list[str] = []
        try:
            return await self._attempts(session_id, build, held)
        finally:
            if held:
                await self._release(session_id, held[0])

    async def _release(self, session_id: str, claim: str) -> None:
        """Drop a claim that no commit consumed (the write needed no change, or failed)."""
        with contextlib.suppress(ConditionFailed):
            await self.table.call(
                "update_item",
                Key=meta_key(session_id),
                UpdateExpression="REMOVE #c, #cu",
                ConditionExpression="#c = :me",
                ExpressionAttributeNames={"#c": "pc", "#cu": "pcu"},
                ExpressionAttributeValues={":me": {"S": claim}},
            )

    async def _attempts(self, session_id: str, build: Build, held: list[str]) -> Any:
        hot = self._hot.get(session_id)
        if hot is not None:
            if time.monotonic() - hot < HOT_WINDOW:
                # This store just raced others here: let the writers that lost to it go first.
                await asyncio.sleep(random.uniform(0, HOT_YIELD))
            else:
                del self._hot[session_id]
        hit, meta = self.cached(session_id)
        fresh = not hit
        if not hit:
            meta = await self.load_meta(session_id)
        uploaded: dict[str, int | None] = {}
        retry = Retry(self.conflict_timeout, self.max_conflict_retries)
        claim: str | None = None
        while True:
            now = time.time()
            if meta is not None and meta.claimed_by_other(claim, now):
                await self._backoff(session_id, retry, uploaded, claimed=True)
                meta, fresh = await self.load_meta(session_id), True
                continue
            if claim is None and retry.attempts >= CLAIM_AFTER and meta is not None:
                claim, meta = await self._claim(session_id, meta)
                if claim is not None:
                    held.append(claim)
                fresh = True
                continue
            try:
                outcome = await build(meta, now)
            except Busy:
                if fresh:
                    await self._backoff(session_id, retry, uploaded, leased=True)
                meta, fresh = await self.load_meta(session_id), True
                continue
            except (SessionsPlusError, ValueError):
                if fresh:
                    raise
                meta, fresh = await self.load_meta(session_id), True
                continue
            if isinstance(outcome, Done):
                if fresh:
                    return outcome.result
                meta, fresh = await self.load_meta(session_id), True
                continue
            plan = outcome
            try:
                await self._commit(session_id, meta, plan, uploaded, claim)
            except TransactionCancelled as cancelled:
                meta, fresh = await self._after_cancel(session_id, cancelled), True
                self._hot[session_id] = time.monotonic()
                await self._backoff(session_id, retry, uploaded)
                continue
            held.clear()  # the committed Put dropped the claim
            self.remember(session_id, plan.meta)
            await self._cleanup(plan, superseded(meta, plan.meta))
            return plan.result

    async def _claim(self, session_id: str, meta: Meta) -> tuple[str | None, Meta | None]:
        """Claim the next turn on a hot session (an UpdateItem that leaves ``ver`` alone but
        fails every other writer's condition until this writer commits or ``CLAIM_FOR``
        seconds pass); return the claim (None if another writer holds one) and the meta."""
        token = new_token()
        now = time.time()
        try:
            result = await self.table.call(
                "update_item",
                Key=meta_key(session_id),
                UpdateExpression="SET #c = :me, #cu = :until",
                ConditionExpression=(
                    "attribute_exists(#p) AND (attribute_not_exists(#c) OR #cu < :now)"
                ),
                ExpressionAttributeNames={"#c": "pc", "#cu": "pcu", "#p": "pk"},
                ExpressionAttributeValues={
                    ":me": {"S": token},
                    ":until": {"N": repr(now + CLAIM_FOR)},
                    ":now": {"N": repr(now)},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as failed:  # someone else's claim, or no meta item any more
            seen = None if not failed.item else Meta.from_item(failed.item)
            self.remember(session_id, seen)
            return None, seen
        claimed = Meta.from_item(result["Attributes"])
        self.remember(session_id, claimed)
        return token, claimed

    async def _commit(
        self,
        session_id: str,
        old: Meta | None,
        plan: Plan,
        uploaded: dict[str, int | None],
        claim: str | None = None,
    ) -> None:
        if plan.refresh is not None:
            await refresh_items(self.table, plan.refresh, plan.meta)
        expires = expiration(plan.meta)
        for write_id, chunks in plan.uploads:
            if write_id in uploaded and _covers(uploaded[write_id], expires):
                continue
            items = chunk_items(session_id, write_id, chunks, expires)
            await self.table.batch_write([{"PutRequest": {"Item": item}} for item in items])
            uploaded[write_id] = expires
        condition = meta_condition(old, claim)
        if plan.meta is None:
            meta_action: dict[str, Any] = {
                "Delete": {"TableName": self.table.name, "Key": meta_key(session_id)}
            }
        else:
            item = plan.meta.to_item(self.ttl)
            meta_action = {"Put": {"TableName": self.table.name, "Item": item}}
        meta_action[next(iter(meta_action))].update(condition)
        for action in plan.actions:
            action[next(iter(action))]["TableName"] = self.table.name
        await self.table.call("transact_write_items", TransactItems=[meta_action, *plan.actions])

    async def _after_cancel(self, session_id: str, cancelled: TransactionCancelled) -> Meta | None:
        """The meta to retry from: the one DynamoDB returned, or a fresh read."""
        if cancelled.meta_condition_failed:
            item = cancelled.reasons[0].get("Item")
            meta = None if not item else Meta.from_item(item)
            self.remember(session_id, meta)
            return meta
        return await self.load_meta(session_id)

    async def _backoff(
        self,
        session_id: str,
        retry: Retry,
        uploaded: dict[str, int | None],
        *,
        leased: bool = False,
        claimed: bool = False,
    ) -> None:
        """Wait before the next attempt, or give up (ConflictError) once the budget is spent."""
        delay = retry.next_delay(leased=leased, claimed=claimed)
        if delay is None:
            if uploaded:
                await delete_blobs(self.table, session_id, list(uploaded))
            raise ConflictError(
                f"session {session_id!r}: concurrent writers kept conflicting for "
                f"{retry.elapsed():.1f} s ({retry.attempts - 1} retries; conflict_timeout="
                f"{self.conflict_timeout} s); nothing was written"
            )
        if delay:
            await asyncio.sleep(delay)

    async def _cleanup(self, plan: Plan, old: Meta | None) -> None:
        """Best-effort removal of what the committed write made unreachable."""
        try:
            if plan.cleanup:
                await self.table.batch_write(
                    [{"DeleteRequest": {"Key": key}} for key in plan.cleanup]
                )
            if plan.after is not None:
                await plan.after()
            if old is not None:
                await remove_incarnation(self.table, old)
        except Exception:  # the write itself succeeded; leftovers are invisible garbage
            logger.warning("DynamoDB cleanup after a write failed", exc_info=True)


def meta_condition(old: Meta | None, claim: str | None = None) -> dict[str, Any]:
    """The condition a transaction puts on the meta item: unchanged since ``old`` was read,
    and no other writer's claim active (``claim``: this writer's own)."""
    if old is None:
        return {
            "ConditionExpression": "attribute_not_exists(#p)",
            "ExpressionAttributeNames": {"#p": "pk"},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    return {
        "ConditionExpression": (
            "#v = :v AND #i = :i AND (attribute_not_exists(#c) OR #cu < :now OR #c = :me)"
        ),
        "ExpressionAttributeNames": {"#v": "ver", "#i": "inc", "#c": "pc", "#cu": "pcu"},
        "ExpressionAttributeValues": {
            ":v": {"N": str(old.version)},
            ":i": {"S": old.incarnation},
            ":now": {"N": repr(time.time())},
            ":me": {"S": claim or "-"},
        },
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _covers(written: int | None, needed: int | None) -> bool:
    """Chunk items written with expiration ``written`` are good for a write needing ``needed``."""
    if written is None or needed is None:
        return written is None and needed is None
    return written >= needed


class Retry:
    """When to retry a write that lost a race, until ``timeout`` seconds have passed (or
    ``max_retries`` retries, if set).

    The first retry goes at once (the cancelled transaction returned the fresh meta item);
    later ones after a random delay of up to ``BASE * 2**(n - 2)``, capped at ``CAP``: about
    the time one transaction takes, so a loser is back in the race by the next commit instead
    of sleeping while writers that just won (and hold a fresh meta) take every turn. Waiting
    for a lease (a multi-transaction write) backs off longer, ``LEASE_WAIT``.

    A time budget rather than a count: how many retries a hot session needs depends on how
    many writers it has, how long it is fine to wait does not.
    """

    BASE = 0.004
    CAP = 0.032
    LEASE_WAIT = (0.05, 0.25)
    CLAIM_WAIT = (0.01, 0.05)

    def __init__(self, timeout: float, max_retries: int | None = None) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        self.attempts = 0
        self._start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def next_delay(self, *, leased: bool = False, claimed: bool = False) -> float | None:
        """Seconds to wait before the next attempt, or None: give up."""
        self.attempts += 1
        if self.max_retries is not None and self.attempts > self.max_retries:
            return None
        left = self.timeout - self.elapsed()
        if left <= 0:
            return None
        if leased:
            return min(left, random.uniform(*self.LEASE_WAIT))
        if claimed:
            self.attempts -= 1  # waiting for a claimed turn is not a lost race
            return min(left, random.uniform(*self.CLAIM_WAIT))
        if self.attempts == 1:
            return 0.0
        return min(left, random.uniform(0, min(self.CAP, self.BASE * 2 ** (self.attempts - 2))))
