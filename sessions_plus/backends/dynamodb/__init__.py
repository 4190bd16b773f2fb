"""The DynamoDB backend: one table, gap-free seqs under concurrency, TTL that reads respect."""

from .store import DynamoDBStore

__all__ = ["DynamoDBStore"]
