"""The sessions_plus pytest plugin, run by pytester the way a user's project runs it (in
process, so the inner run uses this checkout; the wheel test runs it from an installed wheel
through its entry point)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from integrations.redis.servers import RedisServer

ROOT = Path(__file__).resolve().parents[2]
# Block the installed entry point (if any) and load the plugin of this checkout by module name;
# no async plugin: the fixtures are synchronous.
PLUGIN = ("-p", "no:sessions_plus", "-p", "sessions_plus.testing.pytest_plugin", "-p", "no:asyncio")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(*PLUGIN, "-q", "-p", "no:cacheprovider", *args)


def test_the_entry_point_names_the_plugin_module() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    entry_points = project["project"]["entry-points"]["pytest11"]
    assert entry_points == {"sessions_plus": "sessions_plus.testing.pytest_plugin"}


def test_a_fresh_memory_store_per_test_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        from sessions_plus import MemoryStore

        SEEN = []

        def test_first(sessions_plus_store):
            assert isinstance(sessions_plus_store, MemoryStore)
            asyncio.run(sessions_plus_store.append("s", ["one"]))
            SEEN.append(sessions_plus_store)

        def test_second(sessions_plus_store, sessions_plus_url):
            assert sessions_plus_url == "memory://"
            assert SEEN[0].closed
            assert asyncio.run(sessions_plus_store.read("s")) == []
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_marker_url_and_options_sqlite_in_tmp_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        import pytest

        @pytest.mark.sessions_plus_store(url="sqlite://", ttl=60)
        def test_sqlite(sessions_plus_store, sessions_plus_url, tmp_path):
            assert type(sessions_plus_store).__name__ == "SQLiteStore"
            assert sessions_plus_store.ttl == 60
            assert str(tmp_path) in sessions_plus_url
            asyncio.run(sessions_plus_store.append("s", ["x"]))
            assert (tmp_path / "sessions_plus.db").exists()

        @pytest.mark.sessions_plus_store("sqlite:///shared.db")
        def test_file_a(sessions_plus_store):
            asyncio.run(sessions_plus_store.append("s", ["a"]))

        @pytest.mark.sessions_plus_store("sqlite:///shared.db")
        def test_file_b(sessions_plus_store, sessions_plus_url):
            assert "table_prefix=sessions_plus_" in sessions_plus_url
            assert asyncio.run(sessions_plus_store.read("s")) == []  # its own tables
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_command_line_url_on_fakeredis_isolates_and_cleans_up(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        from sessions_plus.testing import FakeRedisStore, fake_redis_server

        def test_writes(sessions_plus_store, sessions_plus_url):
            assert isinstance(sessions_plus_store, FakeRedisStore)
            assert "key_prefix=sessions_plus-" in sessions_plus_url
            asyncio.run(sessions_plus_store.append("left-behind?", ["x"]))

        def test_nothing_is_left(sessions_plus_store):
            async def keys():
                client = sessions_plus_store.client()
                try:
                    return await client.keys("*left-behind*")
                finally:
                    await client.aclose()
            assert sessions_plus_store.server is fake_redis_server("plugin-test")
            assert asyncio.run(keys()) == []
        """
    )
    run(pytester, "--sessions-plus-url", "redis+fake://plugin-test").assert_outcomes(passed=2)


def test_ini_url_on_a_real_redis_server(
    pytester: pytest.Pytester, redis_server: RedisServer
) -> None:
    pytester.makeini(f"[pytest]\nsessions_plus_url = {redis_server.url}\n")
    pytester.makepyfile(
        """
        import asyncio
        from sessions_plus import RedisStore

        def test_one(sessions_plus_store):
            assert isinstance(sessions_plus_store, RedisStore)
            asyncio.run(sessions_plus_store.append("chat", ["hi"]))
        """
    )
    run(pytester).assert_outcomes(passed=1)

    async def leftovers() -> list[bytes]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(redis_server.url)
        try:
            return await client.keys("sessions_plus-*")
        finally:
            await client.aclose()

    import asyncio

    assert asyncio.run(leftovers()) == []


def test_other_schemes_keep_what_was_there_and_drop_what_the_test_made(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import asyncio
        from sessions_plus import MemoryStore, register_scheme

        class Shared(MemoryStore):
            async def aclose(self):  # one process-wide "database"
                pass

        SHARED = Shared()
        asyncio.run(SHARED.append("existing", ["keep me"]))
        register_scheme("shared", lambda parts, query: SHARED)
        """
    )
    pytester.makepyfile(
        """
        import asyncio
        from conftest import SHARED

        def test_writes(sessions_plus_store):
            assert sessions_plus_store is SHARED
            asyncio.run(sessions_plus_store.append("new", ["drop me"]))

        def test_after():
            async def ids():
                return sorted(i.session_id for i in (await SHARED.list_sessions()).sessions)
            assert asyncio.run(ids()) == ["existing"]
        """
    )
    run(pytester, "--sessions-plus-url=shared://db").assert_outcomes(passed=2)


def test_scripted_models_for_both_sdks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        from agents import Agent, Runner, set_tracing_disabled
        from sessions_plus.openai_agents import StoreSession
        from sessions_plus.strands import StoreSessionManager
        from strands import Agent as StrandsAgent

        set_tracing_disabled(True)

        def test_openai(sessions_plus_store, openai_scripted_model):
            agent = Agent(name="a", model=openai_scripted_model(["Hi Ada.", "You are Ada."]))
            session = StoreSession("u", sessions_plus_store)
            asyncio.run(Runner.run(agent, "I am Ada", session=session))
            result = asyncio.run(Runner.run(agent, "Who am I?", session=session))
            assert result.final_output == "You are Ada."
            assert len(asyncio.run(session.get_items())) == 4

        def test_strands(sessions_plus_store, strands_scripted_model):
            model = strands_scripted_model(["Hello!", "Bye!"])
            with StoreSessionManager("u", sessions_plus_store) as manager:
                agent = StrandsAgent(model=model, session_manager=manager, callback_handler=None)
                agent("hi")
                assert str(agent("bye")).strip() == "Bye!"
            assert "hi" in model.texts_seen()
        """
    )
    run(pytester).assert_outcomes(passed=2)
