"""A warm Python for the runnable docs: imports the SDKs once, then forks a child per example.

Importing both SDKs costs seconds per process, and the docs have dozens of examples. The warm
process imports them once and serves requests on stdin (one JSON line each: script, working
directory, environment, output files); each example runs in a child forked from that clean
state, so examples share nothing but the already-imported modules. A child ends like a script:
``SystemExit`` unwinds it and interpreter shutdown runs its ``atexit`` handlers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SERVER = """\
import ast, asyncio, inspect, json, os, sys, traceback
import agents, strands, sessions_plus.openai_agents, sessions_plus.strands, sessions_plus.testing
import redis.asyncio

def serve():
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)  # never returns
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\\n")
        sys.stdout.flush()

def child(request):
    code = 1
    try:
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False, buffering=1)
        sys.stderr = open(2, "w", closefd=False, buffering=1)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        path = request["script"]
        sys.argv = [path]
        sys.path[0] = os.path.dirname(path)
        source = open(path, encoding="utf-8").read()
        compiled = compile(source, path, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        namespace = {"__name__": "__main__", "__file__": path}
        if compiled.co_flags & inspect.CO_COROUTINE:
            asyncio.run(eval(compiled, namespace))
        else:
            exec(compiled, namespace)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)

serve()
"""


class WarmPython:
    """Runs Python scripts in children of one warm interpreter (see the module docstring)."""

    def __init__(self, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )

    def run(
        self, script: Path, cwd: Path, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run ``script`` like ``python script`` would, in a forked child; its outcome."""
        stdout, stderr = script.with_suffix(".out"), script.with_suffix(".err")
        request = {
            "script": str(script),
            "cwd": str(cwd),
            "env": env,
            "stdout": str(stdout),
            "stderr": str(stderr),
        }
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the warm Python exited")
        returncode = json.loads(line)["returncode"]
        return subprocess.CompletedProcess(
            [str(script)],
            returncode,
            stdout.read_text(encoding="utf-8", errors="replace"),
            stderr.read_text(encoding="utf-8", errors="replace"),
        )

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
