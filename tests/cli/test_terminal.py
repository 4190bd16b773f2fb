"""What a person sees: tables and readable times on a terminal (tmux), help with examples,
a quiet broken pipe, JSON when piped, and the real console script."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path

import pytest
import typer

from sessions_plus import SQLiteStore
from sessions_plus.cli import main
from sessions_plus.cli.app import app
from tests.fixtures.processes import child_env

from .helpers import Tmux, console_script, run_script

COMMANDS = sorted(
    command.name or (command.callback.__name__ if command.callback else "")
    for command in app.registered_commands
)


def seed(path: Path, sessions: int = 2) -> str:
    async def fill() -> None:
        async with SQLiteStore(path) as store:
            await store.append(
                "chat-1",
                [
                    {"role": "user", "content": "Hi [bold]there[/bold] :a:"},
                    {"type": "function_call", "name": "lookup", "arguments": "{}", "call_id": "c"},
                    {"type": "function_call_output", "call_id": "c", "output": "found"},
                ],
                format="openai.responses",
                author="billing",
            )
            await store.append(
                "chat-1", [{"n": 1}], stream="agent:helper", format="strands.message"
            )
            for n in range(2, sessions + 1):
                await store.append(f"chat-{n}", [{"role": "user", "content": f"hello {n}"}])

    asyncio.run(fill())
    return f"sqlite:///{path}"


def test_every_command_has_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert {"list", "info", "show", "export", "import", "delete", "purge", "tail", "serve"} <= set(
        COMMANDS
    )
    for name in COMMANDS:
        capsys.readouterr()
        assert main([name, "--help"]) == 0, name
        out = capsys.readouterr().out
        assert "Examples" in out and f"sessions-plus {name} " in out, name


def test_tables_and_readable_times_on_a_terminal(tmp_path: Path) -> None:
    url = seed(tmp_path / "t.db")
    script = console_script()
    screen = Tmux().run(
        f"{script} list {url}; {script} info {url} chat-1; {script} show {url} chat-1"
    )
    assert "2 session(s)" in screen
    assert "┃ session" in screen and "┃ updated" in screen  # a rich table, with its header
    assert "just now" in screen or " s ago" in screen  # relative times, not epoch floats
    assert "chat-1" in screen and "agent:helper: 1, main: 3" in screen
    assert "never" in screen  # expires
    assert re.search(r"\d{10}\.\d", screen) is None  # no raw epoch floats anywhere
    # info: ISO times; show: the conversation with roles, authors and tool calls
    assert re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d \((just now|\d+ s ago)\)", screen)
    assert "documents" in screen
    assert "billing · user" in screen and "Hi [bold]there[/bold] :a:" in screen  # no markup
    assert "→ lookup({}) [c]" in screen and "← result [c]: found" in screen


def test_json_when_piped_and_with_the_flag(tmp_path: Path) -> None:
    url = seed(tmp_path / "t.db")
    piped = run_script("list", url)
    assert piped.returncode == 0
    assert [json.loads(line)["session_id"] for line in piped.stdout.splitlines()] == [
        "chat-1",
        "chat-2",
    ]
    info = json.loads(run_script("info", url, "chat-1", "--json").stdout)
    assert info["streams"] == {"main": 3, "agent:helper": 1} and info["docs"] == []


def test_a_broken_pipe_exits_quietly(tmp_path: Path) -> None:
    url = seed(tmp_path / "t.db", sessions=3000)  # far more output than a pipe buffer holds
    result = subprocess.run(
        f"'{console_script()}' list '{url}' | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
        executable="/bin/bash",
    )
    assert json.loads(result.stdout)["session_id"] == "chat-1"
    assert result.stderr == ""  # no traceback, no "Exception ignored ... BrokenPipeError"


def test_usage_errors_exit_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "sqlite:///x.db"]) == 2
    assert "Missing argument" in capsys.readouterr().err
    assert main(["purge", "sqlite:///x.db", "--idle-for", "soon"]) == 2
    assert "not a duration" in capsys.readouterr().err
    assert main(["nosuchcommand"]) == 2
    assert isinstance(app, typer.Typer)
