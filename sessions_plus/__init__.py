"""sessions-plus: production-grade conversation memory for AI agent SDKs.

``import sessions_plus`` needs no optional dependency: backends whose client library is an extra
(Redis, DynamoDB) and the encryption wrapper load on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .backends.memory import MemoryStore
from .codec import JsonCodec
from .errors import (
    BranchError,
    BranchIdUsedError,
    BranchNotFoundError,
    ConfigurationError,
    ConflictError,
    ConversionError,
    CorruptRecordError,
    DurabilityError,
    DynamoDBRequestError,
    InvalidItemError,
    InvalidNameError,
    InvalidSessionIdError,
    MissingDependencyError,
    PoolExhaustedError,
    ReadOnlyStoreError,
    RecordNotFoundError,
    RecordTooLargeError,
    SessionNotFoundError,
    SessionsPlusError,
    StoreClosedError,
    StoreNotFoundError,
    StoreUnavailableError,
    TurnNotFoundError,
)
from .ids import MAX_NAME_LENGTH, MAX_SESSION_ID_LENGTH
from .records import (
    RawRecord,
    Record,
    SessionInfo,
    SessionPage,
    SessionSnapshot,
    StreamRange,
    StreamSnapshot,
)
from .registry import BACKENDS, new_store, open_store, register_scheme
from .store import DEFAULT_STREAM, ConversationStore

if TYPE_CHECKING:
    from .backends.dynamodb import DynamoDBStore
    from .backends.redis import RedisStore
    from .backends.sqlite import SQLiteStore
    from .encrypted import EncryptedStore

__version__ = "0.1.0"

# Store classes whose modules load on first access: every backend of the registry's table
# (so an optional client library costs nothing until used) and the encryption wrapper.
_LAZY = {backend.class_name: backend.module for backend in BACKENDS}
_LAZY["EncryptedStore"] = "sessions_plus.encrypted"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sessions_plus' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_STREAM",
    "MAX_NAME_LENGTH",
    "MAX_SESSION_ID_LENGTH",
    "BranchError",
    "BranchIdUsedError",
    "BranchNotFoundError",
    "ConfigurationError",
    "ConflictError",
    "ConversationStore",
    "ConversionError",
    "CorruptRecordError",
    "DurabilityError",
    "DynamoDBRequestError",
    "DynamoDBStore",
    "EncryptedStore",
    "InvalidItemError",
    "InvalidNameError",
    "InvalidSessionIdError",
    "JsonCodec",
    "MemoryStore",
    "MissingDependencyError",
    "PoolExhaustedError",
    "RawRecord",
    "ReadOnlyStoreError",
    "Record",
    "RecordNotFoundError",
    "RecordTooLargeError",
    "RedisStore",
    "SQLiteStore",
    "SessionInfo",
    "SessionNotFoundError",
    "SessionPage",
    "SessionSnapshot",
    "SessionsPlusError",
    "StoreClosedError",
    "StoreNotFoundError",
    "StoreUnavailableError",
    "StreamRange",
    "StreamSnapshot",
    "TurnNotFoundError",
    "__version__",
    "new_store",
    "open_store",
    "register_scheme",
]
