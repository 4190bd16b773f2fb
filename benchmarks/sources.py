"""Where the targets' figures come from: saved JSON outputs, or the other modules run now.

Every benchmark module writes its figures with ``--json PATH``. ``--check --results FILE ...``
reads such files (each recognised by its ``module`` key or, for outputs written before modules
had one, by its shape); ``--with MODULE`` runs a module in a child process, in the same mode as
the main run, and reads the file it writes.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Mode = str
"""``smoke``, ``quick`` or ``full``."""


class SourceError(Exception):
    """A results file that is no benchmark module's output, or a module run that failed."""


def identify(payload: Any) -> str:
    """The source name of one module's JSON output."""
    if isinstance(payload, dict):
        module = payload.get("module")
        scale_parts = {"scale", "listing", "purge", "turn", "bytes"}
        if module == "scale" or (
            module is None and "backend" in payload and scale_parts & set(payload)
        ):
            return f"scale:{payload['backend']}"
        if isinstance(module, str):
            return module
        if "rows" in payload and "machine" in payload:
            return "benchmarks"
        if "reads" in payload and "conversion_us" in payload:
            return "cross_sdk"
        if "per_op" in payload and "saturation" in payload:
            return "server_cost"
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        if {"sdk", "wall_overhead"} <= payload[0].keys():
            return "traces"
        if {"workload", "implementation", "skipped"} <= payload[0].keys():
            return "advanced"
    raise SourceError("not the JSON output of a known benchmark module")


def load(paths: Sequence[str]) -> dict[str, Any]:
    """Source name -> payload, for every file (a later file of the same source wins)."""
    sources: dict[str, Any] = {}
    for path in paths:
        try:
            payload = json.loads(Path(path).read_text())
            sources[identify(payload)] = payload
        except (OSError, ValueError, SourceError) as exc:
            raise SourceError(f"{path}: {exc}") from None
    return sources


# ---------------------------------------------------------------------- running modules


@dataclass(frozen=True)
class ModuleRun:
    """How to run one module in a given mode (``args`` per mode; ``--json`` is added)."""

    name: str
    module: str
    args: Callable[[Mode], list[list[str]]]
    """One argument list per child run (``scale`` runs once per backend)."""


def _flag(smoke: list[str], quick: list[str]) -> Callable[[Mode], list[list[str]]]:
    return lambda mode: [smoke if mode == "smoke" else quick if mode == "quick" else []]


def _scale_args(mode: Mode) -> list[list[str]]:
    flag = {"smoke": ["--smoke"], "quick": ["--quick"]}.get(mode, [])
    return [["--backend", backend, *flag] for backend in scale_backends()]


def scale_backends() -> list[str]:
    """The backends ``benchmarks.scale`` measures (its table of backend parts)."""
    module = importlib.import_module("benchmarks.scale")
    table = getattr(module, "BACKEND_MODULES", None) or getattr(module, "BACKENDS", {})
    return sorted(table)


MODULES: dict[str, ModuleRun] = {
    run.name: run
    for run in (
        ModuleRun("cross_sdk", "benchmarks.cross_sdk", _flag(["--quick"], ["--quick"])),
        ModuleRun("traces", "benchmarks.traces", _flag(["--quick"], ["--quick"])),
        ModuleRun("advanced", "benchmarks.advanced", _flag(["--smoke"], ["--quick"])),
        ModuleRun("server_cost", "benchmarks.server_cost", _flag(["--quick"], ["--quick"])),
        ModuleRun("scale", "benchmarks.scale", _scale_args),
    )
}
"""Every module with targets in the table, in the order ``--with all`` runs them."""


def available(name: str) -> bool:
    return importlib.util.find_spec(MODULES[name].module) is not None


def run_modules(
    names: Sequence[str], mode: Mode, log: Callable[[str], None]
) -> tuple[dict[str, Any], list[str]]:
    """Run each module (a child process per run) and read its JSON; returns the sources and
    the reasons of the modules that could not run."""
    sources: dict[str, Any] = {}
    problems: list[str] = []
    for name in names:
        if not available(name):
            problems.append(f"{name}: benchmarks/{name}.py is not on this branch yet")
            continue
        run = MODULES[name]
        for args in run.args(mode):
            with tempfile.TemporaryDirectory(prefix="sessions-plus-check-") as tmp:
                out = Path(tmp) / "out.json"
                command = [sys.executable, "-m", run.module, *args, "--json", str(out)]
                log(f"== running {' '.join(command[2:-2])}")
                done = subprocess.run(command, stdout=sys.stderr, check=False)
                if done.returncode not in (0, 1) or not out.exists():
                    problems.append(f"{name} {' '.join(args)}: exit status {done.returncode}")
                    continue
                try:
                    sources.update(load([str(out)]))
                except SourceError as exc:
                    problems.append(f"{name}: {exc}")
    return sources, problems
