"""OpenAI-style implementations: ours and the SDK's own sessions, per backend.

Every implementation of one backend talks to the same server (one redis-server, one moto
server) through the same client where the API allows it, so differences are the sessions' own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .env import Env
from .implementations import SessionImpl, Unavailable, close_quietly


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{module} not importable ({exc})") from None


# ---------------------------------------------------------------------- memory


async def ours_memory(env: Env) -> SessionImpl:
    """Our adapter over MemoryStore: the adapter and codec cost with no database at all."""
    adapter = _need("sessions_plus.openai_agents")
    from sessions_plus import MemoryStore

    store = MemoryStore()
    return SessionImpl(
        "sessions_plus.StoreSession(MemoryStore)",
        "memory",
        "ours",
        lambda sid, ns: adapter.StoreSession(sid, store),
        [store.aclose],
    )


# ---------------------------------------------------------------------- SQLite


async def ours_sqlite(env: Env, *, synchronous: str = "normal") -> SessionImpl:
    """Our drop-in ``SQLiteSession`` (sessions on one file share one store, as in the SDK)."""
    adapter = _need("sessions_plus.openai_agents")
    _need("sessions_plus.backends.sqlite")
    if synchronous == "normal":
        path = str(env.tmpdir / "ours.db")
        # An anchor session keeps the shared per-file store open between workloads.
        anchor = adapter.SQLiteSession("setup", path)
        await anchor.get_items()
        return SessionImpl(
            "sessions_plus.SQLiteSession",
            "sqlite",
            "ours",
            lambda sid, ns: adapter.SQLiteSession(sid, path),
            [anchor.aclose],
        )
    # Same fsync policy as the SDK sessions (synchronous=FULL): one store shared by handles.
    from sessions_plus.backends.sqlite import SQLiteStore

    store = SQLiteStore(str(env.tmpdir / "ours_full.db"), synchronous="full")
    return SessionImpl(
        "sessions_plus.SQLiteStore(synchronous=full)",
        "sqlite",
        "ours",
        lambda sid, ns: adapter.StoreSession(sid, store),
        [store.aclose],
        note="fsync on every commit, like the SDK sessions",
    )


async def ours_sqlite_full(env: Env) -> SessionImpl:
    return await ours_sqlite(env, synchronous="full")


async def sdk_sqlite(env: Env) -> SessionImpl:
    from agents import SQLiteSession

    path = str(env.tmpdir / "agents_sqlite.db")
    return SessionImpl(
        "agents.SQLiteSession", "sqlite", "sdk", lambda sid, ns: SQLiteSession(sid, path)
    )


async def sdk_async_sqlite(env: Env) -> SessionImpl:
    try:
        from agents.extensions.memory import AsyncSQLiteSession
    except ImportError as exc:
        raise Unavailable(f"AsyncSQLiteSession: {exc}") from None
    path = str(env.tmpdir / "agents_async_sqlite.db")
    return SessionImpl(
        "agents AsyncSQLiteSession",
        "sqlite",
        "sdk",
        lambda sid, ns: AsyncSQLiteSession(sid, path),
    )


async def sdk_sqlalchemy(env: Env) -> SessionImpl:
    try:
        from agents.extensions.memory import SQLAlchemySession
        from sqlalchemy.ext.asyncio import create_async_engine
    except ImportError as exc:
        raise Unavailable(f"SQLAlchemySession needs sqlalchemy[asyncio]: {exc}") from None
    _need("aiosqlite")
    engine = create_async_engine(f"sqlite+aiosqlite:///{env.tmpdir / 'agents_sqlalchemy.db'}")
    # Create the tables once, not on every handle.
    await SQLAlchemySession("setup", engine=engine, create_tables=True).get_items()
    return SessionImpl(
        "agents SQLAlchemySession(aiosqlite)",
        "sqlite",
        "sdk",
        lambda sid, ns: SQLAlchemySession(sid, engine=engine),
        [engine.dispose],
    )


# ---------------------------------------------------------------------- Redis


async def ours_redis(env: Env) -> SessionImpl:
    adapter = _need("sessions_plus.openai_agents")
    _need("sessions_plus.backends.redis")
    client = await env.redis_client()
    return SessionImpl(
        "sessions_plus.RedisSession",
        "redis",
        "ours",
        lambda sid, ns: adapter.RedisSession(sid, redis_client=client, key_prefix="bench:ours"),
    )


async def ours_redis_cluster(env: Env) -> SessionImpl:
    adapter = _need("sessions_plus.openai_agents")
    _need("sessions_plus.backends.redis")
    client = await env.redis_cluster_client()
    return SessionImpl(
        "sessions_plus.RedisSession",
        "redis-cluster",
        "ours",
        lambda sid, ns: adapter.RedisSession(sid, redis_client=client, key_prefix="bench:ours"),
        note="3-master cluster; the SDK's RedisSession refuses cluster writes",
    )


async def sdk_redis(env: Env) -> SessionImpl:
    try:
        from agents.extensions.memory import RedisSession
    except ImportError as exc:
        raise Unavailable(f"agents RedisSession: {exc}") from None
    client = await env.redis_client()
    return SessionImpl(
        "agents RedisSession",
        "redis",
        "sdk",
        lambda sid, ns: RedisSession(sid, redis_client=client, key_prefix="bench:sdk"),
    )


# ---------------------------------------------------------------------- DynamoDB


async def ours_dynamodb(env: Env) -> SessionImpl:
    """Our DynamoDBSession; one table per workload namespace (see SessionImpl)."""
    adapter = _need("sessions_plus.openai_agents")
    _need("sessions_plus.backends.dynamodb")
    endpoint = await env.dynamodb_endpoint()
    anchors: dict[str, Any] = {}

    def make(sid: str, namespace: str) -> Any:
        table = f"bench-ours-{namespace}"
        if table not in anchors:
            # The first session of a table keeps its shared store open until the end.
            anchors[table] = adapter.DynamoDBSession(
                "anchor", table_name=table, endpoint_url=endpoint, region_name=env.region
            )
        return adapter.DynamoDBSession(
            sid, table_name=table, endpoint_url=endpoint, region_name=env.region
        )

    async def close() -> None:
        for anchor in anchors.values():
            await close_quietly(anchor)

    setup = make("setup", "main")
    await setup.get_items()  # creates the first table before anything is timed
    await close_quietly(setup)
    return SessionImpl("sessions_plus.DynamoDBSession", "dynamodb", "ours", make, [close])


BUILDERS: list[tuple[str, str, Callable[[Env], Any]]] = [
    ("memory", "sessions_plus.StoreSession(MemoryStore)", ours_memory),
    ("sqlite", "sessions_plus.SQLiteSession", ours_sqlite),
    ("sqlite", "sessions_plus.SQLiteStore(synchronous=full)", ours_sqlite_full),
    ("sqlite", "agents.SQLiteSession", sdk_sqlite),
    ("sqlite", "agents AsyncSQLiteSession", sdk_async_sqlite),
    ("sqlite", "agents SQLAlchemySession(aiosqlite)", sdk_sqlalchemy),
    ("redis", "sessions_plus.RedisSession", ours_redis),
    ("redis", "agents RedisSession", sdk_redis),
    ("redis-cluster", "sessions_plus.RedisSession", ours_redis_cluster),
    ("dynamodb", "sessions_plus.DynamoDBSession", ours_dynamodb),
]
"""(backend, implementation name, async builder) for every OpenAI-style implementation."""
