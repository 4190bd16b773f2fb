"""Find the code blocks the docs mark runnable and run them, so the docs cannot rot.

A fenced ``python`` or ``bash`` block is runnable when the line before its fence is
``<!-- runnable -->``; ``<!-- runnable: continue -->`` continues the page's previous runnable
block (consecutive Python blocks run as one script, so names carry over; files in the working
directory carry over to any block). Each group runs in a fresh temporary directory, offline:
Python with top-level ``await`` allowed, bash with ``-euo pipefail`` and the checkout's
``sessions-plus`` first on ``PATH``. Local server addresses in the code are replaced by the
test's own servers: ``redis://localhost:6379`` (redis-server), ``redis+cluster://localhost:7000``
(Redis Cluster) and ``http://localhost:8000`` (moto's DynamoDB, with dummy credentials); a
``pytest`` run in a block loads this checkout's ``sessions_plus`` plugin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(
    r"^<!-- runnable(?::\s*(?P<option>[\w-]+))?\s*-->[ \t]*\n"
    r"(?P<indent>[ \t]*)```(?P<lang>[\w-]+)[^\n]*\n(?P<code>.*?)^(?P=indent)```",
    re.M | re.S,
)
ANY_MARKER = re.compile(r"^<!--\s*runnable\b", re.M)
LANGUAGES = {"python", "bash"}
REDIS_URL = "redis://localhost:6379"
CLUSTER_URL = "redis+cluster://localhost:7000"
DYNAMODB_ENDPOINT = "http://localhost:8000"

RUNNER = """\
import ast, asyncio, inspect, sys
path = sys.argv[1]
code = compile(open(path, encoding="utf-8").read(), path, "exec",
               flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
namespace = {"__name__": "__main__", "__file__": path}
if code.co_flags & inspect.CO_COROUTINE:
    asyncio.run(eval(code, namespace))
else:
    exec(code, namespace)
"""


@dataclass
class Block:
    lang: str
    code: str
    line: int


@dataclass
class Group:
    """Runnable blocks that run together, in one directory."""

    page: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.blocks[0].line}"

    @property
    def code(self) -> str:
        return "\n".join(block.code for block in self.blocks)

    def steps(self) -> list[tuple[str, str]]:
        """(language, code) to run in order: consecutive Python blocks joined into one."""
        steps: list[tuple[str, str]] = []
        for block in self.blocks:
            if steps and steps[-1][0] == block.lang == "python":
                steps[-1] = ("python", steps[-1][1] + "\n" + block.code)
            else:
                steps.append((block.lang, block.code))
        return steps


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def groups(path: Path) -> list[Group]:
    """The runnable groups of one page, in page order."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    found: list[Group] = []
    matches = list(MARKER.finditer(text))
    if len(matches) != len(ANY_MARKER.findall(text)):
        raise ValueError(f"{name}: a runnable marker is not right before a code fence")
    for match in matches:
        lang = match["lang"]
        if lang not in LANGUAGES:
            raise ValueError(f"{name}: runnable blocks are python or bash, not {lang}")
        indent = match["indent"]
        code = "\n".join(line.removeprefix(indent) for line in match["code"].splitlines())
        block = Block(lang, code, text.count("\n", 0, match.start()) + 1)
        if match["option"] == "continue":
            if not found:
                raise ValueError(f"{name}:{block.line}: 'continue' with nothing before it")
            found[-1].blocks.append(block)
        elif match["option"] is None:
            found.append(Group(name, [block]))
        else:
            raise ValueError(f"{name}:{block.line}: unknown runnable option {match['option']!r}")
    return found


def all_groups() -> list[Group]:
    return [group for path in pages() for group in groups(path)]
