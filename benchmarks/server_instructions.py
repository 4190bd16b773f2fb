"""What a conversation turn costs the Redis server, counted in instructions: a measure that
does not move with the machine.

``python -m benchmarks.server_instructions [--ops N] [--rounds N] [--json PATH]``

``benchmarks.server_cost`` measures the server's CPU time, which on a shared VM moves between
boots by more than the differences it is meant to show: the same code measured 1.13x the
SDK's ``RedisSession`` per turn on one boot and 0.47x on another. This runs one redis-server
under valgrind's callgrind and counts, per operation, for ours, the SDK's session and the
floor (the same workloads as ``server_cost``'s first part):

- **instructions** the server executes in user space (parsing, commands, scripts, replies;
  the server's timer runs once a second instead of ten times, as its work grows with wall
  time): the same from run to run to within a few thousand instructions per operation
  (incremental rehashing of the keyspace and the allocator's state move it), whatever else
  the machine does;
- **I/O events** (``INFO stats``: reads + writes processed, about two per round trip), each
  a wake-up and system calls in the kernel, which callgrind does not see.

A turn's server CPU is about ``instructions x t_i + events x t_e``; ``t_e / t_i`` is what
differs between machines (a wake-up is cheap on bare metal and can cost as much as tens of
thousands of instructions in a VM). The report gives both parts of the ratio to the SDK and
the ``t_e / t_i`` above which ours costs at most 0.7x the SDK's per turn (issue 16's target).
Needs valgrind (``apt-get install valgrind``); about two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from integrations.redis.servers import RedisServer

from .redis_probe import Command, io_events
from .server_cost import close_all, each_operation, implementations, median_spread, rotated

TURN = ("read latest 20", "append 2 items")
TARGET = 0.7


@dataclass
class Count:
    """Server instructions and I/O events per operation of one block."""

    instructions: float
    events: float


class Callgrind:
    """Zeroes and dumps the counters of a redis-server running under callgrind."""

    def __init__(self, pid: int, folder: Path, command: Command) -> None:
        self.pid, self.folder, self.command = pid, folder, command

    def _control(self, flag: str) -> None:
        subprocess.run(["callgrind_control", flag, str(self.pid)], check=True, capture_output=True)

    async def count(self, ops: int, call: Callable[[int], Awaitable[Any]]) -> Count:
        """Run ``call(i)`` ``ops`` times, one at a time; the server's cost per call."""
        self.command("CONFIG", "RESETSTAT")
        self._control("-z")
        for i in range(ops):
            await call(i)
        self._control("-d")
        events = io_events(self.command)
        # callgrind numbers its dumps cg.<pid>.1, .2, ...: the newest is this block's
        dump = max(self.folder.glob(f"cg.{self.pid}.*"), key=lambda p: int(p.suffix[1:]))
        text = dump.read_text(errors="replace")
        match = re.search(r"^(?:summary|totals):\s*(\d+)", text, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no instruction count in {dump}")
        return Count(int(match.group(1)) / ops, events / ops)


async def run(rounds: int, ops: int) -> dict[str, dict[str, list[Count]]]:
    import redis.asyncio as aioredis

    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install valgrind")
    results: dict[str, dict[str, list[Count]]] = {}
    with tempfile.TemporaryDirectory(prefix="sessions-plus-callgrind-") as tmp:
        folder = Path(tmp)
        wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/cg.%p"]
        with RedisServer(wrapper=wrapper) as server:
            assert server.pid is not None
            # the timer's work (stats, client buffers, active expiry: nothing the operations
            # need here) is counted per second of wall time, which a loaded machine stretches
            server.command("CONFIG", "SET", "hz", "1")
            server.command("CONFIG", "SET", "dynamic-hz", "no")
            meter = Callgrind(server.pid, folder, server.command)
            client = aioredis.Redis.from_url(server.url)
            impls = [
                i for i in implementations(client, None) if i.name != "sessions_plus.RedisStore"
            ]
            for r in range(rounds):
                for impl in rotated(impls, r):
                    counts = await each_operation(impl, f"i{r}", ops, meter.count, sessions=20)
                    for op, count in counts.items():
                        results.setdefault(impl.name, {}).setdefault(op, []).append(count)
            await close_all(impls)
            await client.aclose()
    return results


def render(results: dict[str, dict[str, list[Count]]]) -> str:
    lines = [
        "| implementation | operation | server instructions/op (spread) | I/O events/op |",
        "|---|---|--:|--:|",
    ]
    med: dict[tuple[str, str], Count] = {}
    for name, ops in results.items():
        for op, counts in ops.items():
            instructions, spread = median_spread([c.instructions for c in counts])
            events = statistics.median(c.events for c in counts)
            med[(name, op)] = Count(instructions, events)
            lines.append(
                f"| {name} | {op} | {instructions:,.0f} (+-{spread:,.0f}) | {events:.2f} |"
            )
    ours, sdk = "sessions_plus.RedisSession", "agents RedisSession"
    if (sdk, TURN[0]) not in med:
        return "\n".join(lines)
    oi, oe = (sum(getattr(med[(ours, op)], a) for op in TURN) for a in ("instructions", "events"))
    si, se = (sum(getattr(med[(sdk, op)], a) for op in TURN) for a in ("instructions", "events"))
    lines += [
        "",
        f"- a turn (read 20 + append 2): ours {oi:,.0f} instructions and {oe:.1f} I/O events, "
        f"the SDK {si:,.0f} and {se:.1f}: **{oi / si:.2f}x the instructions, "
        f"{oe / se:.2f}x the events**",
    ]
    needed = TARGET * se - oe
    if needed > 0:
        threshold = max(0.0, (oi - TARGET * si) / needed)
        lines.append(
            f"- ours costs the server at most {TARGET}x the SDK's CPU per turn where one I/O "
            f"event costs at least **{threshold:,.0f} instructions' time** (t_e / t_i)"
        )
    else:
        lines.append(f"- ours sends too many round trips to reach {TARGET}x on any machine")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.server_instructions", description=__doc__
    )
    parser.add_argument("--ops", type=int, default=300, help="operations per block")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.rounds, args.ops))
    print(f"# Redis server instructions ({args.rounds} rounds, {args.ops} ops/block)\n")
    print(render(results))
    if args.json:
        data = {
            n: {op: [asdict(c) for c in cs] for op, cs in ops.items()} for n, ops in results.items()
        }
        Path(args.json).write_text(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
