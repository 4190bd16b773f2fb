"""Typed errors: everything sessions-plus raises on purpose derives from SessionsPlusError."""

from __future__ import annotations


class SessionsPlusError(Exception):
    """Base class of every error sessions-plus raises on purpose."""


class StoreUnavailableError(SessionsPlusError, ConnectionError):
    """The backing store could not be reached (refused, timed out, shutting down).

    Raised within a bounded time; retrying the same call later on the same store object is safe
    and is expected to succeed once the server is back.
    """


class PoolExhaustedError(StoreUnavailableError):
    """Every connection of the store's client pool stayed busy for the store's ``pool_timeout``:
    the client is overloaded (too many concurrent calls for ``max_connections``), the server
    was not found down. Nothing was sent; retrying later is safe."""


class DurabilityError(StoreUnavailableError):
    """A write ran on the primary but its replicas did not confirm it in time
    (``durability="replicated"``): its outcome is unknown. It may be applied, and may survive
    a failover or not; read before you retry it."""

    def __init__(self, message: str, *, wanted: int, confirmed: int | None) -> None:
        super().__init__(message)
        self.wanted = wanted
        self.confirmed = confirmed


class StoreClosedError(SessionsPlusError, RuntimeError):
    """The store was closed with ``aclose()`` and can no longer be used."""


class InvalidNameError(SessionsPlusError, ValueError):
    """A name is empty, too long or not valid text: a stream or document name, a record's
    ``format`` or ``author`` (and, through the subclass below, a session id)."""


class InvalidSessionIdError(InvalidNameError):
    """A session id is empty, too long or not valid text."""


class InvalidItemError(SessionsPlusError, ValueError):
    """An item is not JSON-representable (NaN, bytes, sets, objects, cycles, non-str keys)
    or nests deeper than the codec allows. Nothing was written."""


class RecordTooLargeError(SessionsPlusError, ValueError):
    """An encoded record is larger than the store's ``max_record_bytes``. Nothing was written."""

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


class CorruptRecordError(SessionsPlusError):
    """A stored record could not be decoded (or decrypted, or authenticated)."""

    def __init__(
        self, message: str, *, session_id: str, stream: str, seq: int | None = None
    ) -> None:
        super().__init__(message)
        self.session_id = session_id
        self.stream = stream
        self.seq = seq


class ConversionError(SessionsPlusError, ValueError):
    """A stored record could not be converted to another SDK's shape: it does not match its
    ``format`` (or no converter knows that format). Names the record's ``seq``, ``format`` and
    ``session_id`` where known. Raised under ``on_corrupt="raise"``; otherwise the record is
    shown as a documented text note instead."""

    def __init__(
        self,
        message: str,
        *,
        format: str | None = None,
        seq: int | None = None,
        session_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.format = format
        self.seq = seq
        self.session_id = session_id


class ConflictError(SessionsPlusError):
    """A conditional write found the session in another state than the caller expected,
    or concurrent writers kept conflicting past the retry budget. Nothing was written."""


class RecordNotFoundError(SessionsPlusError, LookupError):
    """The record addressed by seq does not exist (for ``replace``)."""


class SessionNotFoundError(SessionsPlusError, LookupError):
    """The operation needs a live session and there is none by that id (or it expired)."""


class BranchError(SessionsPlusError, ValueError):
    """A conversation-branch operation of ``AdvancedSession`` got bad input: a blank branch
    id, deleting ``main`` or the current branch without ``force``. A ``ValueError``, as the
    OpenAI SDK's ``AdvancedSQLiteSession`` raises. Nothing was written."""


class BranchNotFoundError(BranchError, LookupError):
    """The session has no such branch (never created, deleted, emptied or another session's)."""


class BranchIdUsedError(BranchError):
    """A branch id was already used in this session: ids stay reserved after a delete or a
    clear, so no stale writer can merge history into a later branch of the same name."""


class TurnNotFoundError(SessionsPlusError, ValueError, LookupError):
    """No user turn matches: the turn number does not hold a user message of the branch, or no
    user turn contains the searched text. Nothing was written."""


class ReadOnlyStoreError(SessionsPlusError):
    """A write was attempted on a store opened with ``read_only=True``. Nothing was written."""


class ConfigurationError(SessionsPlusError, ValueError):
    """A store URL, option or bring-your-own resource (table, key schema) is invalid."""


class StoreNotFoundError(ConfigurationError):
    """The database the store points at does not exist (a SQLite file, a DynamoDB table) and
    the store may not create it (``read_only=True`` or ``create_table=False``)."""


class MissingDependencyError(SessionsPlusError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def missing_dependency(
    feature: str, extra: str, cause: BaseException | None = None
) -> MissingDependencyError:
    """Build the one clear error for a missing optional dependency."""
    err = MissingDependencyError(
        f"{feature} needs an optional dependency that is not installed. "
        f'Install it with: pip install "sessions-plus[{extra}]"'
    )
    err.__cause__ = cause
    return err


class DynamoDBRequestError(SessionsPlusError):
    """DynamoDB refused a request for a reason the store does not handle (a
    ``ValidationException``, an unknown error code): a bug or an unsupported table setup.
    ``code`` is DynamoDB's error code; DynamoDB applied nothing of the refused request."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code
