"""OpenAI Agents SDK adapter: the SDK's ``Session`` protocol over any store, plus drop-ins.

* :class:`StoreSession` puts one conversation of any store behind ``session=``.
* :class:`AdvancedSession` is the SDK's ``AdvancedSQLiteSession`` (branches, turns, usage) on
  any store.
* :class:`SQLiteSession`, :class:`RedisSession` and :class:`DynamoDBSession` mirror the SDK's
  constructors, so an existing program changes only its import line.
* :class:`TraceHooks` records each run's trace (steps, tools, usage) in the session's store.

Needs the ``openai-agents`` extra (``pip install "sessions-plus[openai-agents]"``).
"""

from .advanced import AdvancedSession
from .dropins import DynamoDBSession, RedisSession, SQLiteSession, sqlite_tables
from .session import OPENAI_FORMAT, StoreSession
from .traces import TraceHooks

__all__ = [
    "OPENAI_FORMAT",
    "AdvancedSession",
    "DynamoDBSession",
    "RedisSession",
    "SQLiteSession",
    "StoreSession",
    "TraceHooks",
    "sqlite_tables",
]
