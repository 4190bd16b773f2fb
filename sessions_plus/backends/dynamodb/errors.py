"""Typed errors of the DynamoDB backend, made from botocore's error codes in one place
(:func:`.client.translate`).

The internal ones (:class:`ConditionFailed`, :class:`TransactionCancelled`,
:class:`ResourceInUse`, :class:`ValidationFailed`) are caught by the store itself: a failed
condition or a cancelled transaction is retried or turned into the contract's answer. They
derive from public types all the same, so one that escaped would still be a typed error.
"""

from __future__ import annotations

from typing import Any

from ...errors import ConflictError, DynamoDBRequestError

__all__ = [
    "ConditionFailed",
    "DynamoDBRequestError",
    "ResourceInUse",
    "TransactionCancelled",
    "ValidationFailed",
]


class ValidationFailed(DynamoDBRequestError):
    """A ``ValidationException`` (some are expected, e.g. a TTL change already under way)."""


class ResourceInUse(DynamoDBRequestError):
    """A ``ResourceInUseException``: the table (or index) is being created or changed."""


class ConditionFailed(ConflictError):
    """A single-item write's ``ConditionExpression`` was false (nothing was written);
    ``item`` is the item as it was, when the request asked for it."""

    def __init__(self, message: str, item: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.item = item


class TransactionCancelled(ConflictError):
    """A TransactWriteItems was cancelled by a failed condition or a conflicting transaction
    (nothing was written); ``reasons`` are DynamoDB's CancellationReasons, one per action."""

    def __init__(self, message: str, reasons: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.reasons = reasons

    @property
    def meta_condition_failed(self) -> bool:
        """The first action (always the meta item's) failed its condition."""
        return bool(self.reasons) and self.reasons[0].get("Code") == "ConditionalCheckFailed"
