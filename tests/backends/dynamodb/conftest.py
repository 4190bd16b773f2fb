"""Fixtures of the DynamoDB backend tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fixtures.factory import StoreFactory


@pytest.fixture
async def factory(dynamodb_store_factory: StoreFactory) -> AsyncIterator[StoreFactory]:
    yield dynamodb_store_factory


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard retry mode, with its backoff delays shortened for the test."""
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.01)
