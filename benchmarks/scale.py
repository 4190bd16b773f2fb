"""Many sessions: listing pages, purging expired sessions, bytes per message, fork and trim.

``python -m benchmarks.scale --backend redis [--quick] [--json PATH]``

Each backend's part is one module named in :data:`BACKENDS` with ``async def run(config) ->
list[Row]``; this module only parses arguments, runs the chosen backends and prints their rows
(``--quick`` uses 10,000 sessions instead of 100,000 and 5,000 expired instead of 50,000).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Config:
    """How big: sessions to list among, expired sessions to purge, live ones beside them."""

    small: int = 1_000
    large: int = 100_000
    expired: int = 50_000
    live: int = 1_000
    rounds: int = 3


QUICK = Config(large=10_000, expired=5_000, live=500)


@dataclass(frozen=True)
class Row:
    """One measured number (the median of ``rounds`` where it was repeated)."""

    backend: str
    metric: str
    value: float
    unit: str
    note: str = ""


BACKENDS = {"redis": "benchmarks.scale_redis"}
"""Backend -> module with ``async def run(config: Config) -> list[Row]``."""


def render(rows: Sequence[Row]) -> str:
    lines = ["| backend | metric | value | note |", "|---|---|--:|---|"]
    for row in rows:
        value = f"{row.value:,.3f}" if row.value < 100 else f"{row.value:,.0f}"
        lines.append(f"| {row.backend} | {row.metric} | {value} {row.unit} | {row.note} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--backend", action="append", choices=sorted(BACKENDS), default=[])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config()
    rows: list[Row] = []
    for backend in args.backend or sorted(BACKENDS):
        module = importlib.import_module(BACKENDS[backend])
        rows += asyncio.run(module.run(config))
    print(f"# Scale ({'quick' if args.quick else 'full'}: {config})\n")
    print(render(rows))
    if args.json:
        with open(args.json, "w") as out:
            json.dump([asdict(row) for row in rows], out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
