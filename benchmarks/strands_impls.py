"""Strands implementations: our session managers and Strands' File and S3 managers.

Ours run the way a server would: one ``StoreSessionRepository`` (one background loop, one
connection pool) per backend, one ``StoreSessionManager`` per restored agent. The SQLite drop-in
(``SQLiteSessionManager``, a new store per manager, as ``FileSessionManager`` is used) is measured
too. S3 runs on the same moto server as DynamoDB, with one shared boto3 session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

from .env import Env
from .implementations import StrandsImpl, Unavailable


def offline_model() -> Any:
    """A Strands model that never runs: restoring an agent does not call the model."""
    from strands.models import Model

    class OfflineModel(Model):
        def update_config(self, **model_config: Any) -> None:
            pass

        def get_config(self) -> Any:
            return {}

        async def structured_output(self, *args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
            raise NotImplementedError
            yield

        async def stream(self, *args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
            raise NotImplementedError("the benchmarks never call the model")
            yield

    return OfflineModel()


def _ours() -> Any:
    try:
        from sessions_plus import strands as adapter
    except ImportError as exc:
        raise Unavailable(f"sessions_plus.strands: {exc}") from None
    return adapter


async def _ours_over(name: str, backend: str, make_store: Callable[[], Any]) -> StrandsImpl:
    adapter = _ours()
    repository = adapter.StoreSessionRepository(make_store(), close_store=True)

    async def close() -> None:
        await asyncio.to_thread(repository.close)

    return StrandsImpl(
        name,
        backend,
        "ours",
        lambda sid: adapter.StoreSessionManager(sid, repository=repository),
        [close],
        note="one shared repository (loop thread + pool), one manager per agent",
    )


async def ours_memory(env: Env) -> StrandsImpl:
    from sessions_plus import MemoryStore

    return await _ours_over("sessions_plus.StoreSessionManager", "memory", MemoryStore)


async def ours_sqlite(env: Env) -> StrandsImpl:
    import sessions_plus

    path = str(env.tmpdir / "strands_ours.db")
    return await _ours_over(
        "sessions_plus.StoreSessionManager", "sqlite", lambda: sessions_plus.SQLiteStore(path)
    )


async def ours_sqlite_dropin(env: Env) -> StrandsImpl:
    adapter = _ours()
    path = str(env.tmpdir / "strands_dropin.db")
    return StrandsImpl(
        "sessions_plus.SQLiteSessionManager",
        "sqlite",
        "ours",
        lambda sid: adapter.SQLiteSessionManager(sid, db_path=path),
        note="drop-in: a new store and loop thread per manager",
    )


async def ours_redis(env: Env) -> StrandsImpl:
    import sessions_plus

    url = env.redis_url
    return await _ours_over(
        "sessions_plus.StoreSessionManager",
        "redis",
        lambda: sessions_plus.RedisStore.from_url(url, key_prefix="bench:strands"),
    )


async def ours_dynamodb(env: Env) -> StrandsImpl:
    import sessions_plus

    endpoint = await env.dynamodb_endpoint()
    return await _ours_over(
        "sessions_plus.StoreSessionManager",
        "dynamodb",
        lambda: sessions_plus.DynamoDBStore(
            "bench-strands", endpoint_url=endpoint, region_name=env.region
        ),
    )


async def sdk_file(env: Env) -> StrandsImpl:
    from strands.session.file_session_manager import FileSessionManager

    directory = str(env.tmpdir / "strands_files")
    return StrandsImpl(
        "strands FileSessionManager",
        "file",
        "sdk",
        lambda sid: FileSessionManager(sid, storage_dir=directory),
    )


async def sdk_s3(env: Env) -> StrandsImpl:
    try:
        import boto3
        from strands.session.s3_session_manager import S3SessionManager
    except ImportError as exc:
        raise Unavailable(f"S3SessionManager needs boto3: {exc}") from None
    endpoint = await env.dynamodb_endpoint()
    session = boto3.Session(region_name=env.region)
    bucket = "bench-strands"
    s3 = session.client("s3", endpoint_url=endpoint)
    await asyncio.to_thread(s3.create_bucket, Bucket=bucket)
    return StrandsImpl(
        "strands S3SessionManager",
        "s3 (moto)",
        "sdk",
        lambda sid: S3SessionManager(
            sid, bucket=bucket, boto_session=session, endpoint_url=endpoint
        ),
    )


BUILDERS: list[tuple[str, str, Callable[[Env], Any]]] = [
    ("memory", "sessions_plus.StoreSessionManager", ours_memory),
    ("sqlite", "sessions_plus.StoreSessionManager", ours_sqlite),
    ("sqlite", "sessions_plus.SQLiteSessionManager", ours_sqlite_dropin),
    ("redis", "sessions_plus.StoreSessionManager", ours_redis),
    ("dynamodb", "sessions_plus.StoreSessionManager", ours_dynamodb),
    ("file", "strands FileSessionManager", sdk_file),
    ("s3 (moto)", "strands S3SessionManager", sdk_s3),
]
