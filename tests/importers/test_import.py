"""``import-from``: SDK stores into any store; the sessions-plus adapters then restore them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, Runner, set_tracing_disabled
from agents.testing import ScriptedModel as OpenAIScriptedModel
from agents.testing import assistant_message
from strands import Agent as StrandsAgent

from sessions_plus.importers import import_sessions, open_source
from sessions_plus.openai_agents import StoreSession
from sessions_plus.strands import StoreSessionManager
from sessions_plus.testing import ScriptedModel, texts
from tests.cli.test_commands import cli
from tests.fixtures.factory import StoreFactory

from .sdk_data import (
    ITEMS_A,
    write_advanced_sqlite_session,
    write_sqlite_sessions,
    write_strands_files,
)

set_tracing_disabled(True)


async def run_import(url: str, store: Any, **options: Any) -> dict[str, Any]:
    async with open_source(url) as source:
        report = await import_sessions(source, store, **options)
    return report.to_json()


async def test_openai_sqlite_import_then_the_runner_sees_the_history(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    db = tmp_path / "agents.db"
    await write_sqlite_sessions(db)
    store = store_factory()
    report = await run_import(f"agents-sqlite:///{db}", store)
    assert (report["imported"], report["skipped"], report["records"]) == (2, 0, 5)

    model = OpenAIScriptedModel([[assistant_message("You are Ada.", item_id="m9")]])
    agent = Agent(name="Assistant", model=model)
    result = await Runner.run(agent, "Who am I?", session=StoreSession("ada", store))
    assert result.final_output == "You are Ada."
    assert model.calls[0].input[: len(ITEMS_A)] == ITEMS_A  # the imported history, in order
    info = await store.info("ada")
    assert info is not None and info.streams["main"] == len(ITEMS_A) + 2

    again = await run_import(f"agents-sqlite:///{db}", store)
    assert (again["imported"], again["skipped"]) == (0, 2)  # re-running skips what is there


async def test_strands_file_import_then_an_agent_restores_it(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    storage = tmp_path / "strands"
    seen = await asyncio.to_thread(write_strands_files, storage)
    store = store_factory()
    report = await run_import(f"strands-file:///{storage}", store, prefix="legacy:")
    assert {s["session_id"] for s in report["sessions"]} == {"legacy:duo", "legacy:swarm"}

    def restore() -> tuple[list[Any], Any, Any, int, dict[str, Any] | None]:
        manager = StoreSessionManager("legacy:duo", store)
        try:
            model = ScriptedModel(["Welcome back."])
            agent = StrandsAgent(
                agent_id="helper", model=model, session_manager=manager, callback_handler=None
            )
            restored = list(agent.messages)
            mood = agent.state.get("mood")
            agent("are you there?")
            ids = [m.message_id for m in manager.repository.list_messages("legacy:duo", "helper")]
            swarm = manager.repository.read_multi_agent("legacy:swarm", "otter-post")
            return restored, mood, model.seen[0], ids[-1], swarm
        finally:
            manager.close()

    restored, mood, model_saw, last_id, swarm = await asyncio.to_thread(restore)
    assert restored == seen["helper"] and mood == "helper-happy"
    assert texts(model_saw)[: len(seen["helper"])] == texts(seen["helper"])
    assert last_id == len(seen["helper"]) + 1  # ids continue after the imported ones
    assert swarm is not None and swarm["node_history"] == ["researcher", "writer"]


async def test_one_session_notes_and_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "advanced.db"
    await write_advanced_sqlite_session(db)
    target = f"sqlite:///{tmp_path / 'chat.db'}"
    status, out, _ = await cli(
        capsys, "import-from", f"agents-sqlite:///{db}", target, "--session-id", "adv", "--json"
    )
    assert status == 0
    (session,) = json.loads(out)["sessions"]
    assert session["session_id"] == "adv" and session["outcome"] == "imported"
    assert any("branch 'retry'" in note for note in session["notes"])  # listed, not dropped
    status, _, err = await cli(
        capsys, "import-from", f"agents-sqlite:///{db}", target, "--session-id", "nobody"
    )
    assert status == 1 and "no session 'nobody'" in err
    status, _, err = await cli(capsys, "import-from", "nosuch:///x", target)
    assert status == 1 and "unknown import source" in err


async def test_redis_and_s3_sources_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, redis_server: Any, dynamodb_server: Any
) -> None:
    from agents.extensions.memory import RedisSession

    session = RedisSession.from_url("r1", url=redis_server.url, key_prefix="cli-import")
    await session.clear_session()
    await session.add_items(ITEMS_A)
    await session.close()
    target = f"sqlite:///{tmp_path / 'chat.db'}"
    address = redis_server.url.split("://", 1)[1]
    source = f"agents-redis://{address}?key_prefix=cli-import"
    status, out, err = await cli(capsys, "import-from", source, target, "--json")
    assert status == 0, err
    assert json.loads(out)["imported"] == 1

    import boto3
    from strands.session.s3_session_manager import S3SessionManager

    boto = boto3.Session(region_name="us-east-1")
    endpoint = dynamodb_server.endpoint_url
    boto.client("s3", endpoint_url=endpoint).create_bucket(Bucket="cli-import")

    def write() -> None:
        manager = S3SessionManager(
            session_id="s3-chat",
            bucket="cli-import",
            prefix="p",
            boto_session=boto,
            endpoint_url=endpoint,
        )
        StrandsAgent(
            agent_id="a",
            model=ScriptedModel(["hi back"]),
            session_manager=manager,
            callback_handler=None,
        )("hi")

    await asyncio.to_thread(write)
    s3_url = f"strands-s3://cli-import/p?region=us-east-1&endpoint_url={endpoint}"
    status, out, err = await cli(capsys, "import-from", s3_url, target, "--json")
    assert status == 0, err
    assert [s["session_id"] for s in json.loads(out)["sessions"]] == ["s3-chat"]


async def test_import_from_the_command_line_into_every_backend(
    cross_process_factory: StoreFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "agents.db"
    await write_sqlite_sessions(db)
    storage = tmp_path / "strands"
    await asyncio.to_thread(write_strands_files, storage)
    url = cross_process_factory.url()
    for source, imported in ((f"agents-sqlite:///{db}", 2), (f"strands-file:///{storage}", 2)):
        status, out, err = await cli(capsys, "import-from", source, url, "--json")
        assert status == 0 and json.loads(out)["imported"] == imported, err
        status, out, err = await cli(capsys, "import-from", source, url, "--json")
        assert status == 0 and json.loads(out)["skipped"] == imported, err
    status, out, _ = await cli(capsys, "list", url)
    assert [json.loads(line)["session_id"] for line in out.splitlines()] == [
        "ada",
        "bob",
        "duo",
        "swarm",
    ]
