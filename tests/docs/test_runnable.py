"""Every code block the README and the docs mark ``<!-- runnable -->`` runs and succeeds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.dynamodb.server import DUMMY_CREDENTIALS, DynamoDBServer
from integrations.redis.servers import RedisCluster, RedisServer
from tests.fixtures.processes import child_env

from .runnable import (
    CLUSTER_URL,
    DYNAMODB_ENDPOINT,
    REDIS_URL,
    Group,
    all_groups,
    groups,
)
from .warm import WarmPython

GROUPS = all_groups()
TIMEOUT = 240


@pytest.fixture(scope="module")
def docs_redis() -> Iterator[RedisServer]:
    """A redis-server of the docs' own (flushed before each example that uses it)."""
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="module")
def warm_python() -> Iterator[WarmPython]:
    """One interpreter with the SDKs imported, forking a child per Python example."""
    python = WarmPython(child_env())
    yield python
    python.close()


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushall()
    finally:
        client.close()


def _environment(
    group: Group, request: pytest.FixtureRequest, bin_dir: Path
) -> tuple[dict[str, str], dict[str, str]]:
    """The environment to run the group in, and the local addresses to replace in its code."""
    code = group.code
    env = child_env()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env.pop("OPENAI_API_KEY", None)  # offline, whatever the machine has
    # pytest in a block loads this checkout's plugin in place of an installed one.
    env["PYTEST_ADDOPTS"] = "-p no:sessions_plus -p sessions_plus.testing.pytest_plugin"
    replacements: dict[str, str] = {}
    if REDIS_URL in code:
        server: RedisServer = request.getfixturevalue("docs_redis")
        _flush(server.url)
        replacements[REDIS_URL] = f"redis://{server.host}:{server.port}"
    if CLUSTER_URL in code:
        cluster: RedisCluster = request.getfixturevalue("redis_cluster")
        replacements[CLUSTER_URL] = cluster.url.split("?")[0].rstrip("/")
    if DYNAMODB_ENDPOINT in code:
        dynamodb: DynamoDBServer = request.getfixturevalue("dynamodb_server")
        replacements[DYNAMODB_ENDPOINT] = dynamodb.endpoint_url
        env.update(DUMMY_CREDENTIALS)
    return env, replacements


def test_the_docs_have_runnable_examples() -> None:
    pages = {group.page for group in GROUPS}
    for page in ("README.md", "docs/getting-started/openai.md", "docs/getting-started/strands.md"):
        assert page in pages, f"{page} has no runnable example"
    assert len(GROUPS) >= 20, [group.id for group in GROUPS]


def test_a_marker_must_sit_right_before_a_fence(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- runnable -->\n\ntext\n```python\nprint(1)\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not right before a code fence"):
        groups(page)


@pytest.mark.parametrize("group", GROUPS, ids=[group.id for group in GROUPS])
def test_runnable_block(
    group: Group, request: pytest.FixtureRequest, tmp_path: Path, warm_python: WarmPython
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "sessions-plus"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sessions_plus "$@"\n')
    wrapper.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env, replacements = _environment(group, request, bin_dir)
    for number, (lang, code) in enumerate(group.steps()):
        for old, new in replacements.items():
            code = code.replace(old, new)
        script = tmp_path / f"step{number}.{'py' if lang == 'python' else 'sh'}"
        script.write_text(code + "\n", encoding="utf-8")
        if lang == "python":
            result = warm_python.run(script, work, env, TIMEOUT)
        else:
            command = ["bash", "-euo", "pipefail", str(script)]
            result = subprocess.run(
                command, cwd=work, env=env, capture_output=True, text=True, timeout=TIMEOUT
            )
        assert result.returncode == 0, (
            f"{group.id} step {number} ({lang}) failed:\n--- code\n{code}\n"
            f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-5000:]}"
        )
