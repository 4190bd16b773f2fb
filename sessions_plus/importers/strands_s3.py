"""Import Strands ``S3SessionManager`` buckets (layout: :mod:`.strands_layout`).

Objects live under ``s3://BUCKET/PREFIX/session_<id>/...``; read with aiobotocore (the
``dynamodb`` extra), never written. ``endpoint_url`` and ``region`` reach S3-compatible servers
(the tests use moto's server over HTTP).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from ..errors import missing_dependency
from .base import ImportSource, ImportSourceError, SourceSession
from .strands_layout import SESSION_PREFIX, StrandsFiles


class StrandsS3Source(ImportSource):
    """Every ``session_<id>/`` under ``prefix`` in ``bucket``."""

    kind = "strands-s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        if not bucket:
            raise ImportSourceError("strands-s3:// needs a bucket: strands-s3://BUCKET/PREFIX")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    def _root(self) -> str:
        return f"{self.prefix}/" if self.prefix else ""

    async def _s3(self) -> Any:
        if self._client is None:
            try:
                from aiobotocore.session import get_session
            except ImportError as exc:  # pragma: no cover - exercised without the extra
                raise missing_dependency("importing from S3", "dynamodb", exc) from exc
            self._stack = AsyncExitStack()
            self._client = await self._stack.enter_async_context(
                get_session().create_client(
                    "s3", region_name=self.region_name, endpoint_url=self.endpoint_url
                )
            )
        return self._client

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = None
        self._client = None

    async def session_ids(self) -> AsyncIterator[str]:
        s3 = await self._s3()
        root = self._root() + SESSION_PREFIX
        found: list[str] = []
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=root, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                found.append(common["Prefix"][len(root) :].rstrip("/"))
        for session_id in sorted(found):
            yield session_id

    async def read(self, session_id: str) -> SourceSession | None:
        s3 = await self._s3()
        folder = f"{self._root()}{SESSION_PREFIX}{session_id}/"
        keys: list[str] = []
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=folder):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        if not keys:
            return None
        files = StrandsFiles(session_id)
        for key in sorted(keys):
            value = await self._get(s3, key)
            files.add(key[len(folder) :], lambda value=value: value)
        return files.to_session()

    async def _get(self, s3: Any, key: str) -> Any:
        response = await s3.get_object(Bucket=self.bucket, Key=key)
        async with response["Body"] as body:
            raw = await body.read()
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ImportSourceError(f"s3://{self.bucket}/{key} is not JSON: {exc}") from None
