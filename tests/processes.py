"""Child Python processes for the tests: the same interpreter, the repository importable."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    """This process's environment as it is now (fixtures may have added to it), plus a
    PYTHONPATH that imports this checkout."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}


async def start_python(script: str, *args: str) -> asyncio.subprocess.Process:
    """Start ``python -c script args...`` with stdout and stderr piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(),
    )


async def output_of(process: asyncio.subprocess.Process, timeout: float = 120) -> str:
    """Wait for a child started by :func:`start_python`; its stdout, asserting it succeeded."""
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, err.decode()
    return out.decode()
