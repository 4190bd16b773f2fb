"""OpenAI Agents SDK adapter: the SDK's ``Session`` protocol over any store, plus drop-ins."""

from .session import OPENAI_FORMAT, DynamoDBSession, RedisSession, SQLiteSession, StoreSession

__all__ = ["OPENAI_FORMAT", "DynamoDBSession", "RedisSession", "SQLiteSession", "StoreSession"]
