"""Running the command line: in process (``main``), as a child process, and in tmux."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.fixtures.processes import child_env


def console_script() -> str:
    """The installed ``sessions-plus`` script (pip puts it beside the interpreter)."""
    beside = Path(sys.executable).parent / "sessions-plus"
    script = str(beside) if beside.exists() else shutil.which("sessions-plus")
    assert script is not None, "pip install -e . installs the sessions-plus command"
    return script


def run_script(
    *args: str, timeout: float = 120, **options: object
) -> subprocess.CompletedProcess[str]:
    """The real console script in a child process (this checkout first on its path)."""
    return subprocess.run(
        [console_script(), *args],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=timeout,
        **options,  # type: ignore[arg-type]
    )


class Tmux:
    """A detached tmux session of a fixed size running one shell command: a real terminal."""

    def __init__(self, width: int = 140, height: int = 50) -> None:
        self.name = f"sp-{uuid.uuid4().hex[:8]}"
        self.width = width
        self.height = height

    def run(self, command: str, *, done_marker: str = "__DONE__", timeout: float = 60) -> str:
        """Run ``command`` in the terminal, wait for it to finish, return the screen text."""
        env = child_env()
        exports = f"export PYTHONPATH='{env['PYTHONPATH']}'; "
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                str(self.width),
                "-y",
                str(self.height),
            ],
            check=True,
            env=env,
        )
        try:
            subprocess.run(
                [
                    "tmux",
                    "send-keys",
                    "-t",
                    self.name,
                    f"{exports}clear; {command}; echo {done_marker}",
                    "Enter",
                ],
                check=True,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                screen = self.capture()
                if f"\n{done_marker}" in screen:
                    return screen
                time.sleep(0.2)
            raise AssertionError(f"the command did not finish in the terminal:\n{self.capture()}")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)

    def capture(self) -> str:
        result = subprocess.run(
            ["tmux", "capture-pane", "-p", "-J", "-S", "-", "-t", self.name],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout
