"""Parent side of the crash tests: start a worker, kill it at its crash point, run the next turn
in another process.

:class:`Forked` forks the test process (the SDKs are imported already, so a worker starts in
milliseconds instead of seconds; the tests that use it are sync functions, so no event loop is
running when they fork). :class:`Worker` starts a fresh interpreter, as a new user's process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sessions_plus import Record, open_store
from tests.fixtures.processes import child_env

from . import workers
from .workers import READY

SCRIPT = "from tests.reliability.crash.workers import main; main()"
TIMEOUT = 180.0
"""Seconds a worker may take to reach its crash point or finish (a loaded CI machine is slow)."""


_FORK = multiprocessing.get_context("fork")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def _forked(
    target: Callable[..., Any], kwargs: dict[str, Any], ready: Any, go: Any, out: Any
) -> None:
    """Body of a forked worker: run ``target``, send (status, value, warning log lines)."""
    from sessions_plus.conversation import repair

    repair._logged.clear()  # the parent's repairs must not hide this process's log lines
    collect = _Collect()
    logging.getLogger("sessions_plus").addHandler(collect)
    workers.CHANNEL = (ready, go)
    try:
        value = target(**kwargs)
    except BaseException:
        out.send(("error", traceback.format_exc(), collect.lines))
        os._exit(1)
    out.send(("ok", value, collect.lines))
    os._exit(0)


class Forked:
    """A worker forked from the test process, running ``target(**kwargs)``."""

    def __init__(self, target: Callable[..., Any], **kwargs: Any) -> None:
        self._ready, ready = _FORK.Pipe(duplex=False)
        self._out, out = _FORK.Pipe(duplex=False)
        self._go = _FORK.Event()
        self.process = _FORK.Process(target=_forked, args=(target, kwargs, ready, self._go, out))
        self.process.start()
        ready.close()
        out.close()

    def at_crash_point(self) -> None:
        if not self._ready.poll(TIMEOUT):
            self.process.kill()
            raise AssertionError(f"worker never reached its crash point: {self._outcome()}")
        assert self._ready.recv() == READY

    def kill(self) -> None:
        """SIGKILL the worker at its crash point (no cleanup of any kind runs in it)."""
        self.at_crash_point()
        self.process.kill()
        self.process.join(TIMEOUT)
        assert self.process.exitcode == -signal.SIGKILL

    def release(self) -> tuple[Any, list[str]]:
        """Let a worker blocked at its crash point go on; (its result, its warnings)."""
        self._go.set()
        return self.finish()

    def finish(self) -> tuple[Any, list[str]]:
        if not self._out.poll(TIMEOUT):
            self.process.kill()
            raise AssertionError("worker did not finish")
        status, value, lines = self._out.recv()
        self.process.join(TIMEOUT)
        assert status == "ok", value
        assert self.process.exitcode == 0
        return value, lines

    def _outcome(self) -> str:
        if self._out.poll(1):
            return repr(self._out.recv())
        return f"exit code {self.process.exitcode}"


def forked_crash(target: Callable[..., Any], **kwargs: Any) -> None:
    """Run a crash worker (forked) and SIGKILL it at its crash point."""
    Forked(target, **kwargs).kill()


def forked_turn(target: Callable[..., Any], **kwargs: Any) -> tuple[Any, list[str]]:
    """Run a turn worker (forked) to its end: (its result, its warning log lines)."""
    return Forked(target, **kwargs).finish()


def stored(url: str, stream: str = "main") -> list[Record]:
    """Every record of the crash session's ``stream``, read by a store of its own."""

    async def read() -> list[Record]:
        async with open_store(url) as store:
            return await store.read(workers.SESSION, stream=stream)

    return asyncio.run(read())


class Worker:
    """One child process running ``workers.<name>(**kwargs)``; its stderr goes to a file."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @classmethod
    async def start(cls, name: str, **kwargs: Any) -> Worker:
        log = Path(tempfile.mkstemp(prefix=f"crash-{name}-", suffix=".log")[1])
        with log.open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                SCRIPT,
                name,
                json.dumps(kwargs),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                env=child_env(),
            )
        return cls(process, log)

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    async def at_crash_point(self) -> None:
        """Wait until the worker says it reached its crash point (and blocks there)."""
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT)
        except TimeoutError:
            self.process.kill()
            raise AssertionError(
                f"worker never reached its crash point:\n{self.stderr()}"
            ) from None
        assert line.decode().strip() == READY, f"{line!r}\n{self.stderr()}"

    async def kill(self) -> None:
        """SIGKILL the worker at its crash point (no cleanup of any kind runs in it)."""
        await self.at_crash_point()
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        assert self.process.returncode == -signal.SIGKILL
        self.log.unlink(missing_ok=True)

    async def release(self) -> Any:
        """Let a worker blocked at its crash point go on; its last JSON line once it ends."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        await self.process.stdin.drain()
        return await self.finish()

    async def finish(self) -> Any:
        try:
            out, _ = await asyncio.wait_for(self.process.communicate(), TIMEOUT)
        except TimeoutError:
            self.process.kill()
            raise AssertionError(f"worker did not finish:\n{self.stderr()}") from None
        log = self.stderr()
        self.log.unlink(missing_ok=True)
        assert self.process.returncode == 0, log
        lines = out.decode().strip().splitlines()
        return json.loads(lines[-1]), log


async def crash(name: str, **kwargs: Any) -> None:
    """Run a crash worker and SIGKILL it at its crash point."""
    worker = await Worker.start(name, **kwargs)
    await worker.kill()


async def turn(name: str, **kwargs: Any) -> tuple[Any, str]:
    """Run a turn worker to its end in another process: (its JSON output, its stderr)."""
    worker = await Worker.start(name, **kwargs)
    assert worker.process.stdin is not None
    worker.process.stdin.close()
    result: tuple[Any, str] = await worker.finish()
    return result
