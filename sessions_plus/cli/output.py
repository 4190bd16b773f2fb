"""How commands print: JSON for scripts, rich tables and readable times for people.

JSON is used with ``--json`` and whenever stdout is not a terminal (a pipe, a file), in the
shapes the command line always printed: one object per line for lists, one document for
``info``. On a terminal, rich renders tables, readable times ("2025-06-01 14:03:12, 5 min
ago") and colours. Progress bars go to stderr and only when stderr is a terminal, so they never
mix with output a script reads.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ..display import DisplayMessage, summary

ROLE_STYLES = {
    "user": "bold cyan",
    "assistant": "bold green",
    "tool": "bold magenta",
    "system": "bold yellow",
}


@dataclass
class Output:
    """Where and how a command prints."""

    json: bool
    console: Console
    errors: Console

    def emit(self, value: Any, *, indent: int | None = None) -> None:
        """Print one JSON value (a line, or an indented document)."""
        sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=indent) + "\n")
        sys.stdout.flush()

    def print(self, *renderables: Any) -> None:
        """Print rich renderables to stdout (terminal mode)."""
        self.console.print(*renderables)

    def note(self, message: str) -> None:
        """A message for the person at the terminal (stderr; never in JSON output)."""
        self.errors.print(message, highlight=False)

    @contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[ProgressTask]:
        """A rich progress bar (counts, rate, elapsed, ETA) on stderr when it is a terminal."""
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.errors,
            disable=not self.errors.is_terminal,
            transient=False,
        )
        with progress:
            task = progress.add_task(description, total=total, rate="")
            yield ProgressTask(progress, task)


class ProgressTask:
    """One task of a progress bar: ``advance()``, ``total`` and a per-second rate."""

    def __init__(self, progress: Progress, task: Any) -> None:
        self._progress = progress
        self._task = task
        self._started = time.monotonic()
        self.done = 0

    def set_total(self, total: int, description: str | None = None) -> None:
        self._progress.update(self._task, total=total, description=description)

    def describe(self, description: str) -> None:
        self._progress.update(self._task, description=description)

    def advance(self, count: int = 1) -> None:
        self.done += count
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = f"{self.done / elapsed:,.1f}/s"
        self._progress.update(self._task, advance=count, rate=rate)


def output(json_flag: bool) -> Output:
    """The output for this run: JSON if asked or if stdout is not a terminal."""
    # Stored content is shown as it is: no rich markup ("[bold]") and no emoji codes (":a:").
    console = Console(highlight=False, markup=False, emoji=False)
    errors = Console(stderr=True, highlight=False, markup=False, emoji=False)
    return Output(json=json_flag or not sys.stdout.isatty(), console=console, errors=errors)


# ---------------------------------------------------------------------------- times


def iso(ts: float | None) -> str:
    """Local ISO-like time to the second, or an em dash."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def relative(ts: float | None, now: float | None = None) -> str:
    """``5 min ago`` / ``in 2 h`` / ``just now``."""
    if ts is None:
        return "never"
    delta = (time.time() if now is None else now) - ts
    future = delta < 0
    seconds = abs(delta)
    if seconds < 5:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            return f"in {amount}" if future else f"{amount} ago"
    return "just now"  # pragma: no cover


def when(ts: float | None) -> str:
    """``2025-06-01 14:03:12 (5 min ago)``."""
    return "—" if ts is None else f"{iso(ts)} ({relative(ts)})"


# ---------------------------------------------------------------------------- renderables


def streams_text(streams: dict[str, int]) -> str:
    return ", ".join(f"{name}: {count}" for name, count in sorted(streams.items())) or "—"


def table(
    title: str | None, columns: list[str], rows: list[list[Any]], *, header: bool = True
) -> Table:
    """A plain rich table (first column bold); cells are shown as text, never as markup."""
    result = Table(title=title, title_justify="left", show_header=header)
    for index, column in enumerate(columns):
        result.add_column(column, style="bold" if index == 0 else None, overflow="fold")
    for row in rows:
        result.add_row(*[value if isinstance(value, Text) else Text(str(value)) for value in row])
    return result


def message_text(message: DisplayMessage) -> Text:
    """A record as a terminal block: ``#3 14:03:12 billing · assistant`` then its parts."""
    head = Text()
    head.append(f"#{message.seq} ", style="dim")
    head.append(datetime.fromtimestamp(message.created_at).strftime("%H:%M:%S "), style="dim")
    if message.author:
        head.append(f"{message.author} · ", style="italic")
    head.append(message.role, style=ROLE_STYLES.get(message.role, "bold"))
    if message.redacted:
        head.append(" (redacted)", style="red")
    return Text.assemble(head, "\n", *_indent(summary(message)))


def _indent(text: str) -> list[str]:
    return ["  " + line + "\n" for line in text.splitlines() or [""]]
